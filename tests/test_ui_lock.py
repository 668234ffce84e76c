"""The lock screen and the inactivity lock: a lock time changed elsewhere applies here,
a scan at the lock screen is refused and not a failed attempt, and it says why it locked."""

from __future__ import annotations

from cart_chain.services import settings
from tests.conftest import creds
from tests.test_ui_login import _shut_down_controllers, log_in, start  # noqa: F401
from tests.ui_conftest import *  # noqa: F403


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
