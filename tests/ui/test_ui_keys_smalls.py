"""Keyboard details of issue 11: Tab skips the fixed user name; Bedside and Patient
event have their own shortcuts in the case view."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from cart_chain.ui.bedside import BedsideCheckDialog, PatientEventDialog
from cart_chain.ui.main_window import MainWindow
from cart_chain.ui.record_step import RecordStepDialog
from tests.helpers import enrol, unit_of, walk
from tests.ui.helpers import make_session, press


def window_for(qtbot, opened, user: str, coi: str, signed: bool = False) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(make_session(opened, user, signed=signed))
    qtbot.addWidget(window)
    window.show()
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    window.open_case(coi)  # as from the case list: the focus is in the case view
    return window


def test_tab_skips_the_fixed_user_name(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    walk(opened.db, unit_of(coi), 3)  # at manufacturing: lena's one-signature step
    window = window_for(qtbot, opened, "lena", coi, signed=True)
    press(window, Qt.Key.Key_F2)
    dialog = window.dialogs[-1]
    assert isinstance(dialog, RecordStepDialog)
    qtbot.keyClicks(dialog.scan, unit_of(coi))
    qtbot.keyClick(dialog.scan, Qt.Key.Key_Return)
    assert dialog.by.username.isReadOnly() and dialog.by.username.text() == "lena"
    seen = []
    dialog.location.setFocus()
    for _ in range(12):  # every field of the step and the password, twice round at most
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    assert dialog.by.password in seen
    assert dialog.by.username not in seen


def test_first_signature_user_name_still_takes_tab(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    walk(opened.db, unit_of(coi), 3)
    window = window_for(qtbot, opened, "lena", coi)
    press(window, Qt.Key.Key_F2)
    dialog = window.dialogs[-1]
    qtbot.keyClicks(dialog.scan, unit_of(coi))
    qtbot.keyClick(dialog.scan, Qt.Key.Key_Return)
    assert not dialog.by.username.isReadOnly()
    dialog.location.setFocus()
    seen = []
    for _ in range(12):
        qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    assert dialog.by.username in seen  # typed on the first signature, so reachable


def test_bedside_check_and_patient_event_shortcuts(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db, "Kay Keys")
    walk(opened.db, unit_of(coi), 10)  # received at the treatment centre
    window = window_for(qtbot, opened, "ines", coi)
    view = window.case_view
    assert "Ctrl+B" in view.bedside_button.toolTip() and "Ctrl+B" in view.bedside_button.text()
    assert "Ctrl+J" in view.patient_button.toolTip() and "Ctrl+J" in view.patient_button.text()

    # A button's shortcut clicks it as an animated click: the dialog follows shortly.
    press(window, Qt.Key.Key_B, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(window.dialogs))
    assert isinstance(window.dialogs[-1], BedsideCheckDialog)
    # Closed once it is up, as a person closes it: a dialog's activation is a queued event,
    # and one that came after reject() left the hidden dialog the active window, with
    # the focus, so Ctrl+J went to it (1 run in 5, in this test alone, serially).
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window.dialogs[-1])
    window.dialogs[-1].reject()
    qtbot.waitUntil(lambda: not window.dialogs)
    press(window, Qt.Key.Key_J, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: bool(window.dialogs))
    assert isinstance(window.dialogs[-1], PatientEventDialog)
    window.dialogs[-1].reject()
