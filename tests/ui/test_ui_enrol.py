"""Enrolment in the app: the New case form, reached from an empty case list."""

from __future__ import annotations

from PySide6.QtCore import Qt

from cart_chain.services.case_detail import show_case
from cart_chain.services.case_list import count_cases, list_cases
from cart_chain.ui.enrol import EnrolDialog
from cart_chain.ui.main_window import MainWindow
from tests.helpers import enrol
from tests.ui.helpers import make_session, press, settled, type_like_a_person


def _window(qtbot, opened, user: str) -> MainWindow:  # type: ignore[no-untyped-def]
    window = MainWindow(make_session(opened, user))
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    settled(qtbot)  # the case list and the queue are read off the GUI thread
    return window


def _fill(qtbot, dialog: EnrolDialog, dob: str = "1961-04-30") -> None:  # type: ignore[no-untyped-def]
    type_like_a_person(qtbot, dialog.name, "Maria Gonzalez")
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)  # Enter moves on, never signs
    assert dialog.focusWidget() is dialog.dob and dialog.isVisible()
    qtbot.keyClicks(dialog.dob, dob)
    qtbot.keyClick(dialog.dob, Qt.Key.Key_Return)
    assert dialog.focusWidget() is dialog.mrn
    qtbot.keyClicks(dialog.mrn, "H-2024-77")
    qtbot.keyClick(dialog.mrn, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.product, "Kymriah")
    dialog.bags.setFocus()
    dialog.bags.selectAll()
    qtbot.keyClicks(dialog.bags, "2")
    qtbot.keyClicks(dialog.signature.username, "alice")
    qtbot.keyClicks(dialog.signature.password, "alice-secret-1")


def test_an_empty_list_says_what_to_do_and_the_form_enrols(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, opened, "alice")
    home = window.home
    assert home.empty.isVisible()
    assert "New case" in home.empty.text() and "first patient" in home.empty.text()
    press(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: home.enrol_dialog is not None)  # a button's shortcut animates
    dialog = home.enrol_dialog
    assert isinstance(dialog, EnrolDialog) and dialog.isVisible()
    assert dialog.focusWidget() is dialog.name
    _fill(qtbot, dialog)
    with qtbot.waitSignal(dialog.enrolled) as signal:
        qtbot.keyClick(dialog.signature.password, Qt.Key.Key_Return)
    coi = signal.args[0]
    detail = show_case(opened.db, coi)
    assert (detail.patient_name, detail.patient_dob, detail.mrn) == (
        "Maria Gonzalez",
        "1961-04-30",
        "H-2024-77",
    )
    assert len(detail.units) == 2 and detail.profile_id == "kymriah"
    assert detail.created_by == "alice"
    # The new case is open, and the list behind it no longer says it is empty.
    assert window.stack.currentWidget() is window.case_view
    assert window.case_view.detail is not None and window.case_view.detail.coi == coi
    qtbot.waitUntil(lambda: not home.empty.isVisibleTo(home))  # the list, read again


def test_the_service_refuses_a_bad_date_of_birth_in_the_form(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, opened, "ines")
    qtbot.mouseClick(window.home.new_case, Qt.MouseButton.LeftButton)
    dialog = window.home.enrol_dialog
    assert dialog is not None
    _fill(qtbot, dialog, dob="1961-13-30")
    dialog.signature.username.setText("ines")
    dialog.signature.password.setText("ines-secret-1")
    qtbot.keyClick(dialog.signature.password, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert "must be YYYY-MM-DD" in dialog.error.text() and dialog.error.isVisible()
    assert dialog.signature.password.text() == ""  # the password is asked again
    assert count_cases(opened.db) == 0  # nothing written


def test_a_profile_with_indications_offers_them(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, opened, "quinn")
    dialog = window.home.enrol()
    assert dialog is not None
    several = next(p for p in dialog.profiles.values() if len(p.indications) > 1)
    dialog.profile.setCurrentIndex(dialog.profile.findData(several.id))
    assert dialog.form.isRowVisible(dialog.indication)
    assert [dialog.indication.itemData(i) for i in range(1, dialog.indication.count())] == list(
        several.indications
    )
    assert dialog.product.text() == several.name
    dialog.profile.setCurrentIndex(0)
    assert not dialog.form.isRowVisible(dialog.indication)


def test_who_may_not_enrol_is_told_who_does(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    window = _window(qtbot, opened, "carl")
    assert not window.home.new_case.isEnabled()
    assert "enrolled by Apheresis, Infusion, QA staff" in window.home.empty.text()
    press(window, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(300)  # longer than a shortcut's animated click
    assert window.home.enrol_dialog is None


def test_a_list_with_cases_has_no_empty_message(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    enrol(opened.db, "Someone Enrolled")
    window = _window(qtbot, opened, "alice")
    assert not window.home.empty.isVisible()
    qtbot.keyClicks(window.home.search, "nobody-matches-this")
    qtbot.keyClick(window.home.search, Qt.Key.Key_Return)
    settled(qtbot)
    assert window.home.model.total == 0
    assert not window.home.empty.isVisible()  # a search with no match is not an empty list
    assert len(list_cases(opened.db)) == 1
