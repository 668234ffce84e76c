"""Log in, wrong password, locked account, inactivity lock and unlock, through the widgets."""

from __future__ import annotations

from PySide6.QtCore import Qt

from tests.ui.helpers import log_in, press, start, type_like_a_person


def test_login_opens_the_main_window(qtbot, db_path) -> None:  # type: ignore[no-untyped-def]
    controller = start(qtbot, db_path)
    assert controller.login.isVisible()
    with qtbot.waitSignal(controller.main_shown):
        log_in(qtbot, controller, "alice", "alice-secret-1")
    window = controller.main_window
    assert window is not None and window.isVisible()
    assert not controller.login.isVisible()
    assert "Alice Apheresis" in window.windowTitle() and "Cases" in window.windowTitle()
    assert not window.act_admin.isVisible()  # not an administrator
    controller.shutdown()


def test_wrong_password_is_refused_with_a_clear_message(qtbot, db_path) -> None:  # type: ignore[no-untyped-def]
    controller = start(qtbot, db_path)
    log_in(qtbot, controller, "alice", "not-her-password")
    assert controller.main_window is None
    assert controller.login.message.isVisible()
    assert "'alice': user name or password is wrong" in controller.login.message.text().lower()
    assert "5 wrong passwords" in controller.login.message.text()
    assert controller.login.password.text() == ""
    controller.shutdown()


def test_locked_account_says_so(qtbot, db_path) -> None:  # type: ignore[no-untyped-def]
    controller = start(qtbot, db_path)
    for _ in range(5):
        controller.login.password.clear()
        controller.login.username.clear()
        log_in(qtbot, controller, "carl", "wrong-wrong-1")
    wrong = controller.login.message.text()
    controller.login.reset()
    log_in(qtbot, controller, "carl", "carl-secret-1")  # right password, still locked
    assert controller.main_window is None
    assert controller.login.message.text() == wrong  # the same words: nothing to learn
    assert "administrator" in controller.login.message.text()
    controller.shutdown()


def test_a_temporary_password_leads_to_choosing_ones_own(qtbot, db_path) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.services.accounts import Credentials, login, reset_password
    from tests.helpers import creds

    controller = start(qtbot, db_path)
    assert controller.opened is not None
    reset_password(controller.opened.db, creds("admin"), "alice", "alice-temporary")
    log_in(qtbot, controller, "alice", "alice-temporary")
    dialog = controller.login.change_dialog
    assert controller.main_window is None and dialog is not None and dialog.isVisible()
    type_like_a_person(qtbot, dialog.new, "alice-own-choice")
    qtbot.keyClick(dialog.new, Qt.Key.Key_Return)
    type_like_a_person(qtbot, dialog.repeat, "alice-typo-here")
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    assert "differ" in dialog.error.text() and controller.main_window is None
    type_like_a_person(qtbot, dialog.new, "short-one")
    qtbot.keyClick(dialog.new, Qt.Key.Key_Return)
    type_like_a_person(qtbot, dialog.repeat, "short-one")
    qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    assert "at least 12" in dialog.error.text() and controller.main_window is None
    with qtbot.waitSignal(controller.main_shown):
        type_like_a_person(qtbot, dialog.new, "alice-own-choice")
        qtbot.keyClick(dialog.new, Qt.Key.Key_Return)
        type_like_a_person(qtbot, dialog.repeat, "alice-own-choice")
        qtbot.keyClick(dialog.repeat, Qt.Key.Key_Return)
    user = login(controller.opened.db, Credentials("alice", "alice-own-choice"))
    assert not user.must_change
    controller.shutdown()


def test_a_user_deactivated_elsewhere_is_logged_out_at_the_next_action(qtbot, db_path) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.services.accounts import set_active
    from tests.helpers import creds

    controller = start(qtbot, db_path)
    with qtbot.waitSignal(controller.main_shown):
        log_in(qtbot, controller, "alice", "alice-secret-1")
    window = controller.main_window
    assert window is not None and controller.opened is not None
    set_active(controller.opened.db, creds("admin"), "alice", False)  # another workstation
    press(window, Qt.Key.Key_F2)  # record a step
    assert controller.main_window is None and controller.login.isVisible()
    assert "deactivated" in controller.login.message.text()
    controller.shutdown()


def test_a_role_changed_elsewhere_ends_the_session(qtbot, db_path) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.services.accounts import set_role
    from tests.helpers import creds

    controller = start(qtbot, db_path)
    with qtbot.waitSignal(controller.main_shown):
        log_in(qtbot, controller, "lena", "lena-secret-1")
    window = controller.main_window
    assert window is not None and controller.opened is not None
    set_role(controller.opened.db, creds("admin"), "lena", "courier")
    press(window, Qt.Key.Key_E, Qt.KeyboardModifier.ControlModifier)  # export
    assert controller.main_window is None
    assert "role was changed to Courier" in controller.login.message.text()
    controller.shutdown()


def test_empty_database_explains_what_to_do(qtbot, tmp_path) -> None:  # type: ignore[no-untyped-def]
    controller = start(qtbot, tmp_path / "empty.sqlite3")
    assert "cart-chain init" in controller.login.message.text()
    assert not controller.login.button.isEnabled()
    controller.shutdown()


def test_inactivity_locks_and_unlock_keeps_typed_text(qtbot, db_path) -> None:  # type: ignore[no-untyped-def]
    controller = start(qtbot, db_path)
    with qtbot.waitSignal(controller.main_shown):
        log_in(qtbot, controller, "alice", "alice-secret-1")
    window = controller.main_window
    lock = controller.lock
    assert window is not None and lock is not None
    assert lock.timer.interval() == 5 * 60_000  # the shared default
    qtbot.keyClicks(window.home.search, "Half-typed search")
    window.session.signed()  # pretend a signature was given in this session

    lock.set_interval_ms(50)
    with qtbot.waitSignal(lock.locked, timeout=5_000):
        pass
    assert lock.screen.isVisible() and not window.isVisible()
    assert "Alice Apheresis" in lock.screen.who.text()

    type_like_a_person(qtbot, lock.screen.password, "wrong-password-1")
    qtbot.keyClick(lock.screen.password, Qt.Key.Key_Return)
    assert lock.is_locked and "password is wrong" in lock.screen.message.text().lower()

    lock.set_interval_ms(60_000)
    with qtbot.waitSignal(lock.unlocked):
        type_like_a_person(qtbot, lock.screen.password, "alice-secret-1")
        qtbot.keyClick(lock.screen.password, Qt.Key.Key_Return)
    assert window.isVisible() and not lock.screen.isVisible()
    assert window.home.search.text() == "Half-typed search"
    assert window.session.first_signature_pending  # a lock ends the signing session
    controller.shutdown()


def test_lock_screen_log_out_returns_to_login(qtbot, db_path) -> None:  # type: ignore[no-untyped-def]
    controller = start(qtbot, db_path)
    with qtbot.waitSignal(controller.main_shown):
        log_in(qtbot, controller, "lena", "lena-secret-1")
    assert controller.lock is not None and controller.main_window is not None
    window = controller.main_window
    press(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    screen = controller.lock.screen
    assert screen.isVisible()
    qtbot.mouseClick(screen.logout, Qt.MouseButton.LeftButton)
    assert controller.login.isVisible() and controller.main_window is None
    assert controller.login.username.text() == ""
    controller.shutdown()


def test_lock_keeps_an_open_dialog_and_asks_both_components_again(qtbot, db_path) -> None:  # type: ignore[no-untyped-def]
    from tests.helpers import enrol

    controller = start(qtbot, db_path)
    assert controller.opened is not None
    coi = enrol(controller.opened.db, "Lola Lock")
    with qtbot.waitSignal(controller.main_shown):
        log_in(qtbot, controller, "alice", "alice-secret-1")
    window, lock = controller.main_window, controller.lock
    assert window is not None and lock is not None
    window.session.signed()
    window.open_case(coi)
    dialog = window.record_step(coi)
    assert dialog.by.username.isReadOnly()  # already signed in this session
    qtbot.keyClicks(dialog.scan, "CHA9999")  # a half-typed unit id

    lock.lock()
    assert not dialog.isVisible() and not window.isVisible()
    with qtbot.waitSignal(lock.unlocked):
        type_like_a_person(qtbot, lock.screen.password, "alice-secret-1")
        qtbot.keyClick(lock.screen.password, Qt.Key.Key_Return)
    assert dialog.isVisible() and dialog.scan.text() == "CHA9999"
    assert not dialog.by.username.isReadOnly() and dialog.by.username.text() == ""
    controller.shutdown()
