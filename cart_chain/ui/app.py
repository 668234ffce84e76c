"""Start-up: the QApplication, the login window first, the database behind it.

Importing SQLAlchemy and the services costs about a second, more than the whole
Qt window. So `run` shows the login window straight away and a loader thread
imports the services and opens the database while the user types; only Qt and
the small domain modules are imported before the first paint.
"""

from __future__ import annotations

import logging
import os
import sys
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, QThread, Signal
from PySide6.QtWidgets import QApplication

from cart_chain.ui import main_thread_gc, prefs, theme
from cart_chain.ui.login import LoginWindow
from cart_chain.ui.scan_router import ScanRouter

if TYPE_CHECKING:
    from cart_chain.services.accounts import UserInfo
    from cart_chain.services.workstation import OpenedDatabase
    from cart_chain.ui.first_run import FirstRunWizard
    from cart_chain.ui.lock import InactivityLock
    from cart_chain.ui.main_window import MainWindow

log = logging.getLogger("cart_chain.ui")


class DatabaseLoader(QThread):
    """Imports the services and opens the database off the GUI thread."""

    opened = Signal(object)
    failed = Signal(object)
    #: No database at the location yet (a SQLite file that does not exist): first run.
    missing = Signal(str)

    def __init__(self, url: str | None) -> None:
        super().__init__()
        self.url = url

    def run(self) -> None:
        try:
            # Warm the modules the main window needs, still off the GUI thread.
            from cart_chain.services import (  # noqa: F401
                accounts,
                case_list,
                cases,
                corrections,
                custody,
                settings,
                workstation,
            )

            if not workstation.location_exists(self.url):
                # Opening would create an empty file (or fail: no folder yet).
                self.missing.emit(workstation.describe(self.url))
                return
            self.opened.emit(workstation.open_database(self.url))
        except Exception as exc:  # shown to the user by the controller
            self.failed.emit(exc)


class AppController(QObject):
    """Login → main window → lock → log-out, for one workstation."""

    ready = Signal()
    main_shown = Signal()
    #: The first-run wizard is on screen instead of the login window.
    first_run_shown = Signal()

    def __init__(self, db_url: str | None = None) -> None:
        super().__init__()
        # --db, then $CART_CHAIN_DB, then this workstation's setting, then the default file.
        self.url = db_url or os.environ.get("CART_CHAIN_DB") or prefs.DATABASE_URL.get() or None
        # Before any window: from the first key on, a scan reaches a scan check or nothing.
        self.scans = ScanRouter(self)
        self.login = LoginWindow()
        self.login.logged_in.connect(self._logged_in)
        self.opened: OpenedDatabase | None = None
        self.main_window: MainWindow | None = None
        self.lock: InactivityLock | None = None
        self.wizard: FirstRunWizard | None = None
        self.loader = DatabaseLoader(self.url)
        self.loader.opened.connect(self._opened)
        self.loader.failed.connect(self._failed)
        self.loader.missing.connect(self._missing)

    def start(self) -> None:
        """Show the login window; the loader starts after its first paint so the two
        never compete for the interpreter while the window is being put on screen."""
        self.login.first_painted.connect(self.loader.start)
        self.login.show()

    # -- database -----------------------------------------------------------------

    def _opened(self, opened: OpenedDatabase) -> None:
        self.loader.wait()
        if not opened.initialised:
            # Empty: the wizard creates it (and may pick another location).
            opened.db.dispose()
            self._first_run(opened.where)
        else:
            self._use(opened)
        self.ready.emit()

    def _missing(self, url: str) -> None:
        self.loader.wait()
        where = f"database {url.split(':///', 1)[1]}" if url.startswith("sqlite") else url
        self._first_run(where)
        self.ready.emit()

    def _use(self, opened: OpenedDatabase) -> None:
        """The database is ready: log-in can happen (and say where an upgrade's copy is)."""
        self.opened = opened
        self.login.change_password = self.change_password
        self.login.set_ready(self.authenticate, f"{opened.where} · facility {opened.facility}")
        if opened.backup is not None:
            self.login.show_message(
                "The database was upgraded for this version of cart-chain. A copy of it as "
                f"it was before is kept at {opened.backup}.",
                error=False,
            )

    def _first_run(self, where: str) -> None:
        """No database yet: the set-up wizard replaces the login window.

        The login window keeps an explanation (and no log-in) in case the wizard
        is cancelled, which leaves nothing created.
        """
        from cart_chain.ui.first_run import FirstRunWizard

        self.login.set_unavailable(
            f"{where} has no users yet. Set it up with the first-run wizard (start the app "
            "again), or create the first administrator with 'cart-chain init' (or try "
            "'cart-chain demo')."
        )
        self.wizard = FirstRunWizard(self.url)
        self.wizard.finished.connect(self._first_run_finished)
        self.login.hide()
        self.wizard.show()
        self.wizard.activateWindow()
        self.first_run_shown.emit()

    def _first_run_finished(self, _result: int) -> None:
        wizard = self.wizard
        assert wizard is not None
        self.login.show()
        if wizard.opened is None:  # cancelled: nothing was created, the login explains
            return
        self.url = wizard.location
        self.login.message.hide()
        self.login.button.setEnabled(True)
        self._use(wizard.opened)
        if not wizard.demo and wizard.admin_page.admin is not None:
            self.login.username.setText(wizard.admin_page.admin.username)
            self.login.password.setFocus()
        self.login.activateWindow()

    def _failed(self, exc: BaseException) -> None:
        from cart_chain.ui.errors import describe

        self.loader.wait()
        log.error("cannot open database: %s", exc)
        self.login.set_unavailable(describe(exc))
        self.ready.emit()

    def authenticate(self, username: str, password: str) -> UserInfo:
        from cart_chain.services.accounts import Credentials, login

        assert self.opened is not None
        return login(self.opened.db, Credentials(username, password))

    def change_password(self, username: str, old: str, new: str) -> object:
        from cart_chain.services.accounts import change_own_password

        assert self.opened is not None
        return change_own_password(self.opened.db, username, old, new)

    # -- session ------------------------------------------------------------------

    def _logged_in(self, user: UserInfo) -> None:
        from cart_chain.ui.lock import InactivityLock
        from cart_chain.ui.main_window import MainWindow
        from cart_chain.ui.session import Session

        assert self.opened is not None
        session = Session(self.opened, user)
        session.ended.connect(self._session_ended)
        self.main_window = MainWindow(session)
        self.main_window.logout_requested.connect(self._logout)
        self.main_window.lock_requested.connect(self._lock_now)
        self.lock = InactivityLock(session, self.authenticate)
        self.lock.logout.connect(self._logout)
        self.lock.unlocked.connect(self.main_window.after_unlock)
        self.main_window.inactivity_changed.connect(self.lock.set_minutes)
        self.login.hide()
        self.main_window.show()
        self.main_window.activateWindow()
        self.lock.start()
        self.main_shown.emit()

    def _session_ended(self, reason: str) -> None:
        """The user was deactivated or got another role elsewhere: back to log-in."""
        self._logout()
        self.login.show_message(reason, error=True)

    def _lock_now(self) -> None:
        if self.lock is not None:
            self.lock.lock()

    def _logout(self) -> None:
        if self.lock is not None:
            self.lock.stop()
            self.lock.deleteLater()
            self.lock = None
        if self.main_window is not None:
            for w in QApplication.topLevelWidgets():
                if w.isVisible() and w is not self.login:
                    w.close()
            self.main_window.deleteLater()
            self.main_window = None
        self.login.reset()
        self.login.show()

    def shutdown(self) -> None:
        """Stop the lock, close the windows and the database (end of run, or a test)."""
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self.scans)
        if self.lock is not None:
            self.lock.stop()
            self.lock.deleteLater()
            self.lock = None
        if self.main_window is not None:
            self.main_window.close()
            self.main_window.deleteLater()  # deleted by Qt, not by Python's GC mid-event
            self.main_window = None
        if self.loader.isRunning():
            self.loader.wait()
        if self.wizard is not None:
            self.wizard.finished.disconnect(self._first_run_finished)
            self.wizard.shutdown()
            self.wizard.close()
            if self.wizard.opened is not None and self.wizard.opened is not self.opened:
                self.wizard.opened.db.dispose()
            self.wizard.deleteLater()
            self.wizard = None
        if self.opened is not None:
            self.opened.db.dispose()


def make_app(argv: list[str] | None = None) -> QApplication:
    """The QApplication with names (for QSettings), icon and style."""
    app = QApplication.instance()
    if app is None:
        args = list(argv if argv is not None else sys.argv[:1])
        if "-style" not in args and not os.environ.get("QT_STYLE_OVERRIDE"):
            # Chosen at construction, so Qt does not build the platform style first
            # and then replace it (~10 ms of start-up under X11).
            args += ["-style", "fusion"]
        app = QApplication(args)
    assert isinstance(app, QApplication)
    app.setOrganizationName(prefs.ORGANISATION)
    app.setApplicationName(prefs.APPLICATION)
    app.setDesktopFileName("cart-chain")
    theme.apply(app)
    main_thread_gc.install(app)  # never a collection on a worker thread
    return app


def start(db_url: str | None) -> tuple[QApplication, AppController]:
    """The log file first, so whatever fails next is on record; then the app and its login.

    The CLI sets its log up in ``cli.main``, which the desktop app does not pass through.
    """
    from cart_chain import crash
    from cart_chain.logs import setup_logging
    from cart_chain.ui.crash_dialog import CrashNotifier

    setup_logging()
    app = make_app()
    notifier = CrashNotifier()
    notifier.setParent(app)
    crash.install("the desktop app", notifier.report)
    controller = AppController(db_url)
    controller.start()
    return app, controller


def run(db_url: str | None) -> int:
    """Entry point of ``cart-chain gui``: returns the exit status."""
    app, controller = start(db_url)
    status: Any = app.exec()
    controller.shutdown()
    return int(status)
