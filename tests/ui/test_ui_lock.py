"""The lock screen and the inactivity lock: a lock time changed elsewhere applies here,
a scan at the lock screen is refused and not a failed attempt, and it says why it locked."""

from __future__ import annotations

from cart_chain.services import settings
from tests.helpers import creds
from tests.ui.helpers import log_in, start


def logged_in(qtbot, db_path, user: str = "alice", password: str = "alice-secret-1"):  # type: ignore[no-untyped-def]
    controller = start(qtbot, db_path)
    with qtbot.waitSignal(controller.main_shown):
        log_in(qtbot, controller, user, password)
    assert controller.lock is not None and controller.opened is not None
    return controller, controller.lock


def test_lock_time_changed_elsewhere_applies_in_the_running_app(qtbot, db_path) -> None:  # type: ignore[no-untyped-def]
    controller, lock = logged_in(qtbot, db_path)
    assert lock.interval_ms == 5 * 60_000
    # another workstation's administrator shortens the lock time, through the services
    settings.set_setting(controller.opened.db, creds("admin"), "inactivity_minutes", "2")
    lock.reread.setInterval(20)
    lock.reread.start()
    qtbot.waitUntil(lambda: lock.interval_ms == 2 * 60_000, timeout=3_000)
    assert not lock.is_locked


def test_a_longer_lock_time_set_elsewhere_prevents_the_due_lock(qtbot, db_path) -> None:  # type: ignore[no-untyped-def]
    controller, lock = logged_in(qtbot, db_path)
    settings.set_setting(controller.opened.db, creds("admin"), "inactivity_minutes", "15")
    lock.set_interval_ms(30)  # the old time runs out before the periodic re-read
    qtbot.wait(300)
    assert not lock.is_locked and lock.interval_ms == 15 * 60_000


def test_a_scan_at_the_lock_screen_is_refused_and_not_a_failed_attempt(qtbot, db_path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from cart_chain.services import accounts
    from tests.ui.helpers import type_like_a_person

    controller, lock = logged_in(qtbot, db_path)
    lock.set_interval_ms(30)
    with qtbot.waitSignal(lock.locked, timeout=5_000):
        pass
    assert "Locked after inactivity" in lock.screen.who.text()
    tried: list[str] = []
    lock.screen.unlock_requested.connect(tried.append)
    qtbot.keyClicks(lock.screen.password, "=<W1234 26 123456 00")  # a DIN, at scanner speed
    qtbot.keyClick(lock.screen.password, Qt.Key.Key_Return)
    assert tried == [] and lock.is_locked
    assert lock.screen.password.text() == ""
    assert "scan" in lock.screen.message.text() and lock.screen.message.isVisible()
    alice = next(u for u in accounts.list_users(controller.opened.db) if u.username == "alice")
    assert alice.failures == 0
    lock.set_interval_ms(60_000)
    with qtbot.waitSignal(lock.unlocked):
        type_like_a_person(qtbot, lock.screen.password, "alice-secret-1")
        qtbot.keyClick(lock.screen.password, Qt.Key.Key_Return)


def test_lock_screen_says_it_was_locked_by_hand(qtbot, db_path) -> None:  # type: ignore[no-untyped-def]
    from PySide6.QtCore import Qt

    from tests.ui.helpers import press

    controller, lock = logged_in(qtbot, db_path)
    press(controller.main_window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
    assert lock.is_locked and "Locked by you" in lock.screen.who.text()


def test_wedge_speed_threshold() -> None:
    from cart_chain.domain.scan_stream import SCAN_MEAN_GAP_MS
    from cart_chain.domain.scan_stream import is_fast as is_scan

    scanner = [i * 0.004 for i in range(20)]  # 4 ms a character
    person = [i * 0.09 for i in range(14)]  # 90 ms a key
    assert is_scan(scanner, scanner[-1] + 0.004)
    assert not is_scan(person, person[-1] + 0.09)
    assert not is_scan([0.0, 0.001], 0.002)  # too short to tell: typed
    gap = SCAN_MEAN_GAP_MS / 1000
    assert not is_scan([i * gap for i in range(8)], 8 * gap)  # at the threshold: typed
