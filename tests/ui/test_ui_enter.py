"""Keyboard-wedge safety: Enter in a form field moves on, never signs.

A scanner types its code and ends it with Enter into whatever field has the
focus. Before, the record-step dialog's "Sign and save" (and the bedside check's
"Sign the check") was the default button: once the passwords were typed, a bag
or location barcode scanned into the location field, or a habitual Enter after
the temperature or the wristband name, signed and saved the record there and
then. Only Enter in the last password signs now, as users expect.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from cart_chain.services.case_detail import show_case
from cart_chain.store.ledger import head
from cart_chain.ui.bedside import BedsideCheckDialog
from cart_chain.ui.main_window import MainWindow
from tests.helpers import enrol, unit_of, walk
from tests.ui.helpers import events, make_session, record_dialog_alone, wedge


def test_enter_in_the_form_moves_on_and_only_the_last_password_signs(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, "Wendy Wedge")
    walk(opened.db, unit_of(coi), 2)  # shipped: the next step is receipt at manufacturing
    dialog = record_dialog_alone(qtbot, opened, coi, "carl")
    dialog.step.setCurrentIndex(dialog.step.findData("receipt_at_manufacturing"))
    assert dialog.selected_step() == "receipt_at_manufacturing"
    saved: list[object] = []
    dialog.recorded.connect(lambda *args: saved.append(args))
    before = events(opened, coi)
    # The signatures first: from here on, the old dialog signed on any Enter.
    qtbot.keyClicks(dialog.by.username, "carl")
    qtbot.keyClicks(dialog.by.password, "carl-secret-1")
    qtbot.keyClicks(dialog.to.username, "lena")
    qtbot.keyClicks(dialog.to.password, "lena-secret-1")
    dialog.location.clear()

    order = [
        (dialog.location, "CLEANROOM-B-SHELF-3"),  # a location barcode
        (dialog.temperature, "4"),
        (dialog.fields.condition, ""),
        (dialog.by.username, ""),
        (dialog.by.password, ""),  # the performer's: not the last password of a handoff
        (dialog.to.username, ""),
    ]
    for field, text in order:
        wedge(qtbot, field, text)
        QApplication.processEvents()
        assert saved == [] and events(opened, coi) == before, f"Enter in {field} signed"
        assert dialog.isVisible() and dialog.error.isHidden()
        assert QApplication.focusWidget() is not field, f"Enter in {field} did not move on"
    wedge(qtbot, dialog.location, "AGAIN", key=Qt.Key.Key_Enter)  # the keypad's Enter
    assert saved == [] and events(opened, coi) == before
    assert QApplication.focusWidget() is dialog.temperature  # the next field

    dialog.location.setText("Cleanroom B")
    dialog.fields.condition.setCurrentIndex(0)  # no preset: the receiver chooses
    with qtbot.waitSignal(dialog.recorded, timeout=3000):
        qtbot.keyClick(dialog.to.password, Qt.Key.Key_Return)
    last = show_case(opened.db, coi).units[0].events[-1]
    assert last.step == "receipt_at_manufacturing" and last.location == "Cleanroom B"
    assert last.temperature_c == 4.0


def test_a_one_person_step_signs_on_enter_in_its_password(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, "Eli Engineering")
    walk(opened.db, unit_of(coi), 3)  # at manufacturing: engineering, one signature
    dialog = record_dialog_alone(qtbot, opened, coi, "lena")
    assert dialog.selected_step() == "engineering"
    qtbot.keyClicks(dialog.by.username, "lena")
    qtbot.keyClicks(dialog.by.password, "lena-secret-1")
    wedge(qtbot, dialog.location, "Cleanroom A")
    assert events(opened, coi) == 3
    with qtbot.waitSignal(dialog.recorded, timeout=3000):
        qtbot.keyClick(dialog.by.password, Qt.Key.Key_Return)
    assert show_case(opened.db, coi).units[0].current_step == "engineering"


def test_a_wristband_scanned_into_the_name_field_does_not_sign_the_bedside_check(
    qtbot,  # type: ignore[no-untyped-def]
    opened,
) -> None:
    coi = enrol(opened.db, "Bea Bedside")
    walk(opened.db, unit_of(coi), 10)  # received at the treatment centre
    window = MainWindow(make_session(opened, "ines"))
    qtbot.addWidget(window)
    window.show()
    window.open_case(coi)
    qtbot.mouseClick(window.case_view.bedside_button, Qt.MouseButton.LeftButton)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, BedsideCheckDialog)
    checks: list[object] = []
    dialog.checked.connect(checks.append)
    wedge(qtbot, dialog.scan, unit_of(coi))
    assert dialog.unit is not None
    qtbot.keyClicks(dialog.by.username, "ines")
    qtbot.keyClicks(dialog.by.password, "ines-secret-1")
    qtbot.keyClicks(dialog.witness.username, "ivan")
    qtbot.keyClicks(dialog.witness.password, "ivan-secret-1")
    before = opened.db.read(head)
    for field, text in (
        (dialog.name, "Bea Bedside"),
        (dialog.dob, "1970-01-01"),
        (dialog.by.password, ""),
    ):
        wedge(qtbot, field, text)
        assert checks == [] and dialog.error.isHidden(), f"Enter in {field} signed"
        assert QApplication.focusWidget() is not field
    assert opened.db.read(head) == before  # no check recorded, passed or failed
    with qtbot.waitSignal(dialog.checked, timeout=3000):
        qtbot.keyClick(dialog.witness.password, Qt.Key.Key_Return)
    assert len(checks) == 1 and getattr(checks[0], "passed", None) is True
