"""The case view's Identifiers tab, driven with real key events: link a manufacturer's
identifiers signed with the user's password; each bag's DIN is shown; a refusal of the
service (already linked, site pattern, check character) is shown inline and writes nothing."""

from __future__ import annotations

import json

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import func, select

from cart_chain.domain.din import Din
from cart_chain.services import settings
from cart_chain.services.case_detail import show_case
from cart_chain.services.links import link_case
from cart_chain.store.models import LedgerEntry
from cart_chain.ui.case_links import CaseLinksPanel
from cart_chain.ui.main_window import MainWindow
from tests.helpers import creds, enrol, unit_of
from tests.ui.helpers import make_session

MAKER_DIN = Din.build("C4321", 2026, 5)


def _entries(db) -> int:  # type: ignore[no-untyped-def]
    return db.read(lambda s: s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one())


def _panel(qtbot, opened, user: str, coi: str) -> tuple[MainWindow, CaseLinksPanel]:  # type: ignore[no-untyped-def]
    window = MainWindow(make_session(opened, user))
    qtbot.addWidget(window)
    window.show()
    window.open_case(coi)
    view = window.case_view
    assert view.links is not None
    view.tabs.setCurrentWidget(view.links_tab)
    return window, view.links


def _sign(qtbot, panel: CaseLinksPanel, user: str) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(panel.signature.username, user)
    qtbot.keyClicks(panel.signature.password, f"{user}-secret-1")
    qtbot.keyClick(panel.signature.password, Qt.Key.Key_Return)


def test_link_identifiers_to_a_bag_signed_with_the_password(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, bags=2)
    window, panel = _panel(qtbot, opened, "lena", coi)
    own = [u.din for u in show_case(opened.db, coi).units]
    assert all(own) and all(f"DIN {d}" in panel.shown.text() for d in own)
    assert "No manufacturer's identifiers" in panel.shown.text()
    assert not panel.fix_row.isVisible()  # nothing to correct yet
    panel.target.setFocus()
    qtbot.keyClick(panel.target, Qt.Key.Key_Down)  # the first bag
    assert panel.target.currentData() == unit_of(coi)
    qtbot.keyClicks(panel.fields["din"], MAKER_DIN.grouped())
    qtbot.keyClicks(panel.fields["lot"], "lot-77a")
    with qtbot.waitSignal(panel.linked):
        _sign(qtbot, panel, "lena")
    links = show_case(opened.db, coi).links
    assert {(lk.kind, lk.value, lk.unit) for lk in links} == {
        ("din", MAKER_DIN.full, unit_of(coi)),
        ("lot", "LOT-77A", unit_of(coi)),
    }
    # The view reloaded: the new tab lists them, stays open, and the form is empty.
    fresh = window.case_view.links
    assert fresh is not None and fresh is not panel
    assert window.case_view.tabs.currentWidget() is window.case_view.links_tab
    assert f"DIN</b> {MAKER_DIN.full} (bag {unit_of(coi)})" in fresh.shown.text()
    assert "LOT-77A" in fresh.shown.text()
    assert fresh.values() == {}
    assert window.case_view.tabs.tabText(window.case_view.tabs.count() - 1) == "Identifiers (2)"
    # The session's first signature is given: the next asks the password only.
    assert fresh.signature.username.isReadOnly()


def test_an_identifier_of_another_case_is_refused_inline_and_nothing_written(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    other, coi = enrol(opened.db, "Other Patient"), enrol(opened.db)
    link_case(opened.db, other, creds("alice"), lot="LOT-1")
    _window, panel = _panel(qtbot, opened, "alice", coi)
    before = _entries(opened.db)
    qtbot.keyClicks(panel.fields["lot"], "lot-1")
    qtbot.keyClicks(panel.fields["rfic"], "RFIC-9")
    _sign(qtbot, panel, "alice")
    assert panel.error.isVisible() and "already linked to case" in panel.error.text()
    assert _entries(opened.db) == before and show_case(opened.db, coi).links == ()
    assert panel.signature.password.text() == ""  # typed again for the next try
    assert panel.fields["rfic"].text() == "RFIC-9"  # what was typed stays to fix
    # A DIN with a wrong check character is refused the same way.
    panel.fields["lot"].clear()
    qtbot.keyClicks(panel.fields["din"], MAKER_DIN.full[:-1] + "0")
    qtbot.keyClicks(panel.signature.password, "alice-secret-1")
    qtbot.keyClick(panel.signature.password, Qt.Key.Key_Return)
    assert "check character" in panel.error.text(), panel.error.text()
    assert _entries(opened.db) == before


def test_a_barcode_off_the_sites_pattern_is_refused_inline(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    site = {"kymriah": {"barcode": "KYM-[0-9]{6}"}}
    settings.set_setting(opened.db, creds("admin"), "product_identifiers", json.dumps(site))
    coi = enrol(opened.db)
    _window, panel = _panel(qtbot, opened, "alice", coi)
    before = _entries(opened.db)
    qtbot.keyClicks(panel.fields["manufacturer_coi"], "KYM-12345")
    _sign(qtbot, panel, "alice")
    assert "does not match the site's barcode pattern" in panel.error.text()
    assert _entries(opened.db) == before
    qtbot.keyClick(panel.fields["manufacturer_coi"], Qt.Key.Key_6)
    with qtbot.waitSignal(panel.linked):
        qtbot.keyClicks(panel.signature.password, "alice-secret-1")
        qtbot.keyClick(panel.signature.password, Qt.Key.Key_Return)
    assert [lk.value for lk in show_case(opened.db, coi).links] == ["KYM-123456"]


def test_an_administrator_sees_the_identifiers_but_cannot_link(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    _window, panel = _panel(qtbot, opened, "admin", coi)
    assert not panel.save.isEnabled()
    assert "DIN" in panel.shown.text()


def test_a_wrong_link_is_corrected_from_the_identifiers_tab(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.domain.errors import UnknownUnit
    from cart_chain.services.scanning import scan
    from cart_chain.ui.correction import CorrectionDialog

    coi = enrol(opened.db)
    seq = link_case(opened.db, coi, creds("lena"), din=MAKER_DIN.full, lot="LOT-1").seq
    right = Din.build("C4321", 2026, 6)
    window, panel = _panel(qtbot, opened, "lena", coi)
    assert panel.fix_row.isVisible() and panel.entry.currentData() == seq
    qtbot.mouseClick(panel.correct_button, Qt.MouseButton.LeftButton)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, CorrectionDialog)
    assert [dialog.field.itemData(i) for i in range(dialog.field.count())] == ["din", "lot"]
    assert dialog.old.text() == MAKER_DIN.full
    qtbot.keyClicks(dialog.new, right.grouped())
    qtbot.keyClicks(dialog.reason, "DIN misread from the bag")
    qtbot.keyClicks(dialog.signature.username, "lena")
    qtbot.keyClicks(dialog.signature.password, "lena-secret-1")
    with qtbot.waitSignal(dialog.corrected):
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert scan(opened.db, right.full, expect=coi).coi == coi
    with pytest.raises(UnknownUnit):
        scan(opened.db, MAKER_DIN.full, expect=coi)
    fresh = window.case_view.links
    assert fresh is not None and f"DIN</b> {right.full}" in fresh.shown.text()
    assert "corrected in entry" in fresh.shown.text()
    assert MAKER_DIN.full not in fresh.shown.text()
