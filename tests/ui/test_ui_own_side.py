"""The receiver records a receipt at their own log-in, through the record dialog."""

from __future__ import annotations

from PySide6.QtCore import Qt

from cart_chain.services.case_detail import show_case
from cart_chain.ui.main_window import MainWindow
from cart_chain.ui.record_step import RecordStepDialog
from tests.helpers import enrol, unit_of, walk
from tests.ui.helpers import make_session, press


def _dialog(qtbot, opened, user: str, coi: str) -> RecordStepDialog:  # type: ignore[no-untyped-def]
    window = MainWindow(make_session(opened, user, signed=True))
    qtbot.addWidget(window)
    window.show()
    window.open_case(coi)
    press(window, Qt.Key.Key_F2)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, RecordStepDialog)
    return dialog


def test_the_lab_receives_from_the_courier_at_its_own_log_in(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, "Rosa Receipt")
    unit = unit_of(coi)
    walk(opened.db, unit, 2)  # shipped: Carl the courier holds the bag
    dialog = _dialog(qtbot, opened, "lena", coi)
    qtbot.keyClicks(dialog.scan, unit)
    qtbot.keyClick(dialog.scan, Qt.Key.Key_Return)
    # Lena does not hold the bag: her step, the receipt, is offered first (not another leg).
    assert dialog.selected_step() == "receipt_at_manufacturing"
    assert dialog.step.itemData(1) == "ship_to_manufacturing"
    assert "Received by" in dialog.by.title() and "(you)" in dialog.by.title()
    assert "Released by" in dialog.to.title()
    qtbot.keyClicks(dialog.location, "Lab intake")
    dialog.fields.condition.setCurrentIndex(0)  # no preset: the lab chooses
    qtbot.keyClicks(dialog.by.password, "lena-secret-1")
    qtbot.keyClicks(dialog.to.username, "carl")
    qtbot.keyClick(dialog.to.username, Qt.Key.Key_Return)  # Enter moves on to the password
    assert dialog.focusWidget() is dialog.to.password
    assert "Released by" in dialog.to.title() and "Received by" in dialog.by.title()
    qtbot.keyClicks(dialog.to.password, "carl-secret-1")
    with qtbot.waitSignal(dialog.recorded):
        qtbot.keyClick(dialog.to.password, Qt.Key.Key_Return)
    u = show_case(opened.db, coi).units[0]
    assert [(s.meaning, s.username) for s in u.events[-1].signatures] == [
        ("Released by", "carl"),
        ("Received by", "lena"),
    ]
    assert u.custodian == "lena"


def test_a_courier_taking_a_bag_from_apheresis_signs_received_by(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, "Rosa Receipt")
    unit = unit_of(coi)
    walk(opened.db, unit, 1)  # collected: Alice holds the bag
    dialog = _dialog(qtbot, opened, "carl", coi)
    qtbot.keyClicks(dialog.scan, unit)
    qtbot.keyClick(dialog.scan, Qt.Key.Key_Return)
    assert dialog.selected_step() == "ship_to_manufacturing"
    assert "Received by" in dialog.by.title()  # Carl does not hold the bag
    qtbot.keyClicks(dialog.location, "Apheresis unit")
    qtbot.keyClicks(dialog.temperature, "4")
    qtbot.keyClicks(dialog.by.password, "carl-secret-1")
    qtbot.keyClicks(dialog.to.username, "alice")
    qtbot.keyClick(dialog.to.username, Qt.Key.Key_Tab)
    assert "Released by" in dialog.to.title()
    qtbot.keyClicks(dialog.to.password, "alice-secret-1")
    with qtbot.waitSignal(dialog.recorded):
        qtbot.keyClick(dialog.to.password, Qt.Key.Key_Return)
    u = show_case(opened.db, coi).units[0]
    assert [(s.meaning, s.username) for s in u.events[-1].signatures] == [
        ("Released by", "alice"),
        ("Received by", "carl"),
    ]
    assert u.custodian == "carl"
