"""The scan router through real key events: a scan reaches the scan check, wherever the
focus is, and the red alert outlasts the Enter keys around a scan.

A scan here is what a keyboard wedge sends: the characters at machine speed
(`scanner`), then Enter; a person's keys come 60 ms apart (`type_like_a_person`).
Each test of a defect the issue lists ("Today: ...") fails without the router.
"""

from __future__ import annotations

from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from cart_chain.labels.printing import print_label
from cart_chain.services import accounts
from cart_chain.ui import alarm, prefs
from cart_chain.ui.models.cases_model import SummaryRole
from cart_chain.ui.scan_router import SECRET_REFUSED
from tests.helpers import creds, enrol, unit_of, walk
from tests.ui.helpers import (
    at_site,
    bedside,
    bedside_window,
    events,
    open_admin,
    open_window,
    sign_both,
    start,
    start_recording,
    type_like_a_person,
)


@pytest.fixture
def beeps(monkeypatch) -> list[int]:  # type: ignore[no-untyped-def]
    calls: list[int] = []
    monkeypatch.setattr(QApplication, "beep", staticmethod(lambda: calls.append(1)))
    return calls


def scanner(qtbot: Any, widget: QWidget, text: str, key: Qt.Key = Qt.Key.Key_Return) -> None:
    """A keyboard-wedge scan into ``widget``: the characters at machine speed, then ``key``."""
    qtbot.keyClicks(widget, text)
    qtbot.keyClick(widget, key)


def row_of(window: Any, coi: str) -> int:
    model = window.home.model
    return next(
        r for r in range(model.rowCount()) if model.data(model.index(r, 0), SummaryRole).coi == coi
    )


def test_a_scan_with_a_row_selected_opens_the_scanned_bags_case(qtbot, opened, scan_router) -> None:  # type: ignore[no-untyped-def]
    scanned = enrol(opened.db, "Bob Scanned")
    enrol(opened.db, "Fay Filler")  # the row a table's type-ahead search moves to
    selected = enrol(opened.db, "Sara Selected")
    window = open_window(qtbot, opened, "alice")
    window.go_home()
    table = window.home.table
    table.selectRow(row_of(window, selected))
    table.setFocus()

    scanner(qtbot, table, unit_of(scanned))  # another patient's bag, then Enter

    assert window.stack.currentWidget() is window.case_view
    assert window.case_view.detail is not None and window.case_view.detail.coi == scanned
    assert scan_router.routed == ["scan_check"]
    assert table.currentIndex().row() == row_of(window, selected)  # the selection kept
    # From the case view (the focus on Record a step), a scan opens the scanned bag's case.
    scanner(qtbot, window.case_view.record_button, unit_of(selected))
    assert window.home.message.isHidden(), window.home.message.text()
    assert window.case_view.detail is not None and window.case_view.detail.coi == selected
    assert window.dialogs == []  # the scan's Enter pressed no button
    # A person's Enter on the selected row still opens that row.
    window.go_home()
    table.selectRow(row_of(window, selected))
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Return)
    assert window.case_view.detail is not None and window.case_view.detail.coi == selected


def test_a_second_scan_in_the_location_field_goes_to_the_scan_check(  # type: ignore[no-untyped-def]
    qtbot, opened, scan_router, beeps
) -> None:
    mine = enrol(opened.db, "Paula Place")
    other = enrol(opened.db, "Olga Other")
    walk(opened.db, unit_of(mine), 1)
    walk(opened.db, unit_of(other), 1)
    window = open_window(qtbot, opened, "alice")
    dialog = start_recording(qtbot, window, mine)
    scanner(qtbot, dialog.scan, unit_of(mine))
    assert dialog.unit is not None and dialog.unit.unit == unit_of(mine)
    dialog.location.clear()
    type_like_a_person(qtbot, dialog.location, "Ward 3")

    scanner(qtbot, dialog.location, unit_of(mine))  # the same bag again: selected again
    assert dialog.location.text() == "Ward 3"
    assert dialog.unit is not None and dialog.unit.unit == unit_of(mine)

    # Signatures in place, then another patient's bag scanned into the location field.
    qtbot.keyClicks(dialog.by.username, "alice")
    qtbot.keyClicks(dialog.by.password, "alice-secret-1")
    qtbot.keyClicks(dialog.to.username, "carl")
    qtbot.keyClicks(dialog.to.password, "carl-secret-1")
    before = events(opened, mine), events(opened, other)
    scanner(qtbot, dialog.location, unit_of(other))

    assert dialog.location.text() == "Ward 3"  # never the text of the focused field
    assert dialog.alert is not None and dialog.alert.isVisible()
    assert dialog.alert.windowTitle() == "WRONG PATIENT — STOP" and beeps == [1]
    assert dialog.unit is None and not dialog.save.isEnabled()  # nothing left to sign
    assert (events(opened, mine), events(opened, other)) == before
    assert scan_router.routed == ["scan_check"] * 3


def test_a_scan_into_a_password_field_is_refused_and_never_typed(
    qtbot, opened, scan_router
) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, "Petra Password")
    walk(opened.db, unit_of(coi), 1)
    window = open_window(qtbot, opened, "alice")
    dialog = start_recording(qtbot, window, coi)
    scanner(qtbot, dialog.scan, unit_of(coi))
    type_like_a_person(qtbot, dialog.by.password, "alice-secret-1")

    scanner(qtbot, dialog.by.password, unit_of(coi))

    assert dialog.by.password.text() == "alice-secret-1"  # the scan was not typed
    assert dialog.error.isVisible() and dialog.error.text() == SECRET_REFUSED
    assert dialog.isVisible() and events(opened, coi) == 1  # nothing signed
    assert scan_router.routed == ["scan_check", "refuse_secret"]


def test_a_scan_at_the_login_is_not_a_failed_attempt(qtbot, db_path) -> None:  # type: ignore[no-untyped-def]
    controller = start(qtbot, db_path)  # the controller installs the router itself
    login = controller.login
    type_like_a_person(qtbot, login.username, "alice")
    qtbot.keyClick(login.username, Qt.Key.Key_Return)
    scanner(qtbot, login.password, "]C0&/CHA999926000001")
    assert login.password.text() == ""
    assert controller.main_window is None
    assert controller.opened is not None
    alice = next(u for u in accounts.list_users(controller.opened.db) if u.username == "alice")
    assert alice.failures == 0
    assert controller.scans.routed == ["refuse_secret"]


def test_a_framed_scan_from_a_slow_scanner_is_routed_from_a_form_field(  # type: ignore[no-untyped-def]
    qtbot, opened, scan_router
) -> None:
    prefs.SCANNER_PREFIX.set("%%")
    prefs.SCANNER_SUFFIX.set("#")
    scan_router.reload()
    coi = enrol(opened.db, "Sam Slow")
    walk(opened.db, unit_of(coi), 1)
    window = open_window(qtbot, opened, "alice")
    dialog = start_recording(qtbot, window, coi)
    scanner(qtbot, dialog.scan, unit_of(coi))
    dialog.location.clear()
    type_like_a_person(qtbot, dialog.location, "Bay 2")

    # 35 ms a key: too slow for the speed test; the prefix tells, the suffix ends it.
    qtbot.keyClicks(dialog.location, "%%" + unit_of(coi) + "#", delay=35)

    assert dialog.location.text() == "Bay 2"
    assert dialog.unit is not None and dialog.unit.unit == unit_of(coi)
    assert scan_router.routed == ["scan_check", "scan_check"]
    # The same keys at the same speed without prefix and suffix are typing.
    dialog.location.end(False)  # (selecting the bag selected the location's text)
    qtbot.keyClicks(dialog.location, "ABCDEFGH", delay=35)
    qtbot.keyClick(dialog.location, Qt.Key.Key_Return)
    assert dialog.location.text() == "Bay 2ABCDEFGH"
    assert scan_router.routed == ["scan_check", "scan_check"]


def test_a_labels_payload_on_the_case_list_opens_its_case(qtbot, opened, scan_router) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, "Lara Label", bags=2)
    walk(opened.db, unit_of(coi, 2), 1)
    old = print_label(opened.db, unit_of(coi, 2), "bag", creds("alice")).payload
    window = open_window(qtbot, opened, "alice")
    window.go_home()

    scanner(qtbot, window.home.search, "]Q1" + old)  # the label's QR code

    assert window.stack.currentWidget() is window.case_view
    assert window.case_view.detail is not None and window.case_view.detail.coi == coi
    # A reprint voids that label: scanned again, it is refused and opens nothing.
    print_label(opened.db, unit_of(coi, 2), "bag", creds("alice"), reason="smudged")
    window.go_home()
    scanner(qtbot, window.home.search, "]Q1" + old)
    assert window.stack.currentWidget() is window.home
    assert "VOID" in window.home.message.text() and window.home.message.isVisible()
    assert window.home.search.text() == ""


def test_the_enter_keys_after_a_scan_leave_the_wrong_patient_alert_up(qtbot, opened, beeps) -> None:  # type: ignore[no-untyped-def]
    mine = enrol(opened.db, "Alma Alert")
    other = enrol(opened.db, "Otto Other")
    window = open_window(qtbot, opened, "alice")
    dialog = start_recording(qtbot, window, mine)
    scanner(qtbot, dialog.scan, unit_of(other))  # its Enter ends the scan
    alert = dialog.alert
    assert alert is not None and alert.isVisible()

    for key in (Qt.Key.Key_Return, Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Escape):
        qtbot.keyClick(alert.confirm, key)  # CR+LF, habit, Escape
        qtbot.keyClick(alert, key)
    assert alert.isVisible() and not alert.acknowledged

    qtbot.wait(alarm.ARM_MS + 100)  # even later, no key on its own dismisses it
    for key in (Qt.Key.Key_Return, Qt.Key.Key_Space, Qt.Key.Key_Escape):
        qtbot.keyClick(alert.confirm, key)
        qtbot.keyClick(alert, key)
    alert.close()
    assert alert.isVisible() and not alert.acknowledged
    type_like_a_person(qtbot, alert.confirm, "stop")
    qtbot.keyClick(alert.confirm, Qt.Key.Key_Return)
    assert not alert.isVisible() and alert.acknowledged
    assert dialog.scan.text() == "" and dialog.unit is None


def test_a_habitual_enter_after_signing_leaves_the_bedside_mismatch_up(
    qtbot, opened, beeps
) -> None:  # type: ignore[no-untyped-def]
    coi = at_site(opened, "Mia Mismatch")
    window = bedside_window(qtbot, opened, coi)
    dialog = bedside(qtbot, window)
    scanner(qtbot, dialog.scan, unit_of(coi))
    qtbot.keyClicks(dialog.name, "Mia Mismatch")
    qtbot.keyClicks(dialog.dob, "1971-01-01")  # the record says 1970-01-01
    sign_both(qtbot, dialog)
    with qtbot.waitSignal(dialog.checked):
        qtbot.keyClick(dialog.witness.password, Qt.Key.Key_Return)
    alert = dialog.alert
    assert alert is not None and alert.windowTitle() == "MISMATCH — DO NOT INFUSE"
    qtbot.keyClick(alert.confirm, Qt.Key.Key_Return)
    qtbot.keyClick(alert, Qt.Key.Key_Return)
    assert alert.isVisible() and not alert.acknowledged
    qtbot.mouseClick(alert.ack, Qt.MouseButton.LeftButton)  # the deliberate click
    assert not alert.isVisible() and alert.acknowledged


def test_an_administrator_sets_the_scanners_prefix_and_suffix(qtbot, opened, scan_router) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.domain.scan_stream import Framing

    _, dialog = open_admin(qtbot, opened)
    dialog.tabs.setCurrentIndex(2)
    save = dialog.findChild(type(dialog.toggle_active), "SaveWorkstation")
    type_like_a_person(qtbot, dialog.scanner_prefix, "a b")
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert "no spaces" in dialog.message.text()
    assert prefs.SCANNER_PREFIX.get() == "" and scan_router.stream.framing == Framing()

    dialog.scanner_prefix.clear()
    type_like_a_person(qtbot, dialog.scanner_prefix, "%%")
    type_like_a_person(qtbot, dialog.scanner_suffix, "#")
    qtbot.mouseClick(save, Qt.MouseButton.LeftButton)
    assert "saved" in dialog.message.text()
    assert (prefs.SCANNER_PREFIX.get(), prefs.SCANNER_SUFFIX.get()) == ("%%", "#")
    assert scan_router.stream.framing == Framing("%%", "#")  # in use at once


def test_a_router_destroyed_after_its_successor_leaves_it_current(qtbot, qapp, opened) -> None:  # type: ignore[no-untyped-def]
    """Every router's `destroyed` used to unset `ScanRouter.current` (fixed in 0267b1b):
    one deleted after a newer one was made (deleteLater runs at the next event loop, as
    after the `scan_router` fixture of the test before) left no current router, so
    Administration's save reloaded none and its prefix and suffix waited for a restart."""
    from cart_chain.domain.scan_stream import Framing
    from cart_chain.ui.scan_router import ScanRouter

    first = ScanRouter()
    second = ScanRouter()
    try:
        qapp.removeEventFilter(first)
        with qtbot.waitSignal(first.destroyed, timeout=5_000):
            first.deleteLater()
        assert ScanRouter.current is second

        _, dialog = open_admin(qtbot, opened)
        dialog.tabs.setCurrentIndex(2)
        save = dialog.findChild(type(dialog.toggle_active), "SaveWorkstation")
        type_like_a_person(qtbot, dialog.scanner_prefix, "%%")
        type_like_a_person(qtbot, dialog.scanner_suffix, "#")
        qtbot.mouseClick(save, Qt.MouseButton.LeftButton)  # reloads ScanRouter.current
        assert "saved" in dialog.message.text()
        assert second.stream.framing == Framing("%%", "#")  # in use at once
    finally:
        qapp.removeEventFilter(second)
        with qtbot.waitSignal(second.destroyed, timeout=5_000):
            second.deleteLater()
    assert ScanRouter.current is None  # the current one gone: none is left behind


def test_a_held_key_is_never_a_scan(qtbot, opened, scan_router) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent

    window = open_window(qtbot, opened, "alice")
    window.go_home()
    search = window.home.search
    qtbot.keyClick(search, Qt.Key.Key_A)
    for _ in range(12):  # the keyboard's auto-repeat, as fast as a scanner
        held = QKeyEvent(
            QEvent.Type.KeyPress, Qt.Key.Key_A, Qt.KeyboardModifier.NoModifier, "a", True
        )
        QApplication.sendEvent(search, held)
    qtbot.keyClick(search, Qt.Key.Key_Return)
    assert scan_router.routed == [] and search.text() == "a" * 13


def test_a_stray_barcode_in_a_form_field_is_refused_and_the_bag_stays(  # type: ignore[no-untyped-def]
    qtbot, opened, scan_router
) -> None:
    coi = enrol(opened.db, "Stella Shelf")
    walk(opened.db, unit_of(coi), 1)
    window = open_window(qtbot, opened, "alice")
    dialog = start_recording(qtbot, window, coi)
    scanner(qtbot, dialog.scan, unit_of(coi))
    dialog.location.clear()
    type_like_a_person(qtbot, dialog.location, "Bay 4")

    scanner(qtbot, dialog.location, "CLEANROOM-B-SHELF-3")  # a shelf's barcode

    assert dialog.location.text() == "Bay 4"
    assert dialog.error.isVisible() and "bag selected is unchanged" in dialog.error.text()
    assert dialog.unit is not None and dialog.unit.unit == unit_of(coi)
    assert dialog.save.isEnabled() and events(opened, coi) == 1
    dialog.reject()

    # The bedside check: a wristband's barcode scanned into the name field.
    site = at_site(opened, "Wanda Wristband")
    window = bedside_window(qtbot, opened, site)
    check = bedside(qtbot, window)
    scan_router.stream.reset()
    scanner(qtbot, check.scan, unit_of(site))
    assert check.unit == unit_of(site)
    type_like_a_person(qtbot, check.name, "Wanda")
    scanner(qtbot, check.name, "MRN00123456")
    assert check.name.text() == "Wanda" and check.unit == unit_of(site)
    assert "bag scanned is unchanged" in check.error.text()


def test_a_busy_gui_thread_does_not_cut_a_scan(qtbot, opened, scan_router) -> None:  # type: ignore[no-untyped-def]
    """Keys carry the window system's time stamps (2 ms apart, as the scanner sent them);
    the app handles them late, with a 200 ms stall mid-code: still one whole scan."""
    import time

    from PySide6.QtCore import QEvent
    from PySide6.QtGui import QKeyEvent

    coi = enrol(opened.db, "Bruno Busy")
    window = open_window(qtbot, opened, "alice")
    window.go_home()
    search = window.home.search
    code, stamp = unit_of(coi), 5_000_000
    for i, ch in enumerate([*code, "\r"]):
        key = Qt.Key.Key_Return if ch == "\r" else Qt.Key(ord(ch.upper()))
        event = QKeyEvent(QEvent.Type.KeyPress, key, Qt.KeyboardModifier.NoModifier, ch)
        event.setTimestamp(stamp + 2 * i)
        QApplication.sendEvent(search, event)
        if i == 8:
            time.sleep(0.2)  # the GUI thread busy (a slow query, a garbage collection)
    assert scan_router.routed == ["scan_check"]
    assert window.case_view.detail is not None and window.case_view.detail.coi == coi
    assert search.text() == ""


def test_a_scan_with_shift_pressed_for_each_capital_is_still_a_scan(
    qtbot, opened, scan_router
) -> None:  # type: ignore[no-untyped-def]
    """A wedge presses Shift before each capital and X11 delivers that press as a key
    event of its own (seen under Xvfb with xdotool): it used to end the burst, so the
    case list took the code for typing."""
    scanned = enrol(opened.db, "Sam Shifted")
    window = open_window(qtbot, opened, "alice")
    window.go_home()
    search = window.home.search
    for char in unit_of(scanned):
        if char.isupper():
            qtbot.keyPress(search, Qt.Key.Key_Shift)
        qtbot.keyClick(search, char)
    qtbot.keyClick(search, Qt.Key.Key_Return)

    assert window.stack.currentWidget() is window.case_view
    assert window.case_view.detail is not None and window.case_view.detail.coi == scanned
    assert scan_router.routed == ["scan_check"]
