"""The inactivity lock.

An application-wide event filter restarts a timer on every key press, click or
wheel turn; when it runs out the session locks: every window is hidden (not
closed, so whatever was typed stays in its field) and the lock screen asks the
same user's password. Unlocking restores the windows and the focus. Logging
out instead discards the session.

The lock time is a shared setting in the ledger that an administrator may
change on any workstation. The running app re-reads it through the services
every `REREAD_MS` and again when the timer runs out, so a change made elsewhere
takes effect here without a restart: counted from the last activity, and a
lock due under the old time is not imposed if the new one is longer.

A barcode scanned at the lock screen (the password field has the focus) is
refused by the scan router (`scan_router`: told from typing by its speed or the
scanner's prefix), never submitted and never counted as a failed attempt. The
lock screen says why it locked: by the user (Ctrl+L) or after the inactivity time.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.errors import AuthenticationError
from cart_chain.ui import theme
from cart_chain.ui.errors import describe, error_label

if TYPE_CHECKING:
    from cart_chain.ui.session import Session

log = logging.getLogger(__name__)

#: How often the running app re-reads the shared lock time (milliseconds).
REREAD_MS = 30_000

_ACTIVITY = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
        QEvent.Type.TabletPress,
    }
)


class LockScreen(QWidget):
    """Full-window lock: the locked user's name, a password field, unlock or log out."""

    unlock_requested = Signal(str)
    logout_requested = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("Page")
        self.setWindowTitle("Locked — cart-chain")
        self.setWindowIcon(theme.app_icon())
        self.title = QLabel("Session locked")
        self.title.setObjectName("Title")
        self.who = QLabel()
        self.who.setWordWrap(True)
        self.password = QLineEdit()
        self.password.setObjectName("LockPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("password")
        self.message = error_label()
        self.unlock = QPushButton("Unlock")
        self.unlock.setDefault(True)
        self.unlock.setObjectName("Primary")
        self.logout = QPushButton("Log out (discard unsaved work)")
        card = QFrame()
        card.setStyleSheet(f"QFrame {{ background: {theme.PANEL}; border-radius: 10px; }}")
        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 24)
        inner.setSpacing(12)
        for w in (self.title, self.who, self.password, self.message, self.unlock, self.logout):
            inner.addWidget(w)
        card.setFixedWidth(480)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)
        self.password.returnPressed.connect(self._submit)
        self.unlock.clicked.connect(self._submit)
        self.logout.clicked.connect(self.logout_requested)
        self.resize(1280, 800)

    def _submit(self) -> None:
        self.unlock_requested.emit(self.password.text())

    def scan_refused(self, reason: str) -> None:
        """The scan router refused a scan here: say so; nothing was submitted or counted."""
        self.message.setText(reason)
        self.message.show()
        self.password.setFocus()

    def prepare(self, full_name: str, username: str, why: str) -> None:
        """Show who is locked and ``why`` (a sentence: by the user, or after inactivity)."""
        self.why = why
        self.who.setText(
            f"{why} {full_name} ({username}): enter your password to continue where you left off."
        )
        self.password.clear()
        self.message.hide()
        self.unlock.setEnabled(True)
        self.password.setEnabled(True)

    def fail(self, text: str, final: bool = False) -> None:
        self.message.setText(text)
        self.message.show()
        self.password.clear()
        if final:
            self.unlock.setEnabled(False)
            self.password.setEnabled(False)
            self.logout.setFocus()
        else:
            self.password.setFocus()


class InactivityLock(QObject):
    """Watches the application for activity and locks the session when there is none."""

    locked = Signal()
    unlocked = Signal()
    logout = Signal()

    def __init__(self, session: Session, authenticate: Callable[[str, str], object]) -> None:
        super().__init__()
        self.is_locked = False
        self.session = session
        self._authenticate = authenticate
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._expired)
        self._last_activity = time.monotonic()
        self.interval_ms = 0
        self.set_minutes(session.opened.inactivity_minutes)
        self.reread = QTimer(self)
        self.reread.setInterval(REREAD_MS)
        self.reread.timeout.connect(self.refresh_setting)
        self.screen = LockScreen()
        self.screen.unlock_requested.connect(self._try_unlock)
        self.screen.logout_requested.connect(self._logout)
        self._hidden: list[QWidget] = []
        self._focus: QWidget | None = None

    # -- timing ------------------------------------------------------------------

    def set_minutes(self, minutes: int) -> None:
        self.minutes = minutes
        self.set_interval_ms(minutes * 60_000)

    def set_interval_ms(self, ms: int) -> None:
        """Lock after ``ms`` without activity, counted from the last activity."""
        self.interval_ms = ms
        if self.timer.isActive():
            self.timer.start(max(self._left_ms(), 0))
        else:
            self.timer.setInterval(ms)

    def _left_ms(self) -> int:
        return self.interval_ms - int((time.monotonic() - self._last_activity) * 1000)

    def refresh_setting(self) -> bool:
        """Re-read the shared lock time (maybe changed elsewhere); True if it changed."""
        from cart_chain.services.settings import get

        try:
            minutes = int(get(self.session.db, "inactivity_minutes"))
        except Exception as exc:  # unreachable database: keep the time last read
            log.warning("could not re-read the lock time: %s", type(exc).__name__)
            return False
        if minutes == self.minutes:
            return False
        self.set_minutes(minutes)
        return True

    def _expired(self) -> None:
        """Lock, unless the shared lock time was made longer elsewhere meanwhile."""
        if self.refresh_setting() and not self.is_locked and self._left_ms() > 0:
            self.timer.start(self._left_ms())
            return
        self.lock(manual=False)

    def start(self) -> None:
        app = QApplication.instance()
        assert app is not None
        app.installEventFilter(self)
        self._last_activity = time.monotonic()
        self.timer.start(self.interval_ms)
        self.reread.start()

    def stop(self) -> None:
        app = QApplication.instance()
        if app is not None:
            app.removeEventFilter(self)
        self.timer.stop()
        self.reread.stop()
        self.screen.hide()
        self.screen.deleteLater()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _ACTIVITY and not getattr(self, "is_locked", True):
            self._last_activity = time.monotonic()
            self.timer.start(self.interval_ms)
        return False

    # -- lock and unlock -----------------------------------------------------------

    def lock(self, manual: bool = True) -> None:
        """Lock now: ``manual`` by the user (Ctrl+L), else because of inactivity."""
        if self.is_locked:
            return
        self.is_locked = True
        self._focus = QApplication.focusWidget()
        self._hidden = [
            w
            for w in QApplication.topLevelWidgets()
            if w.isVisible() and w is not self.screen and w.isWindow()
        ]
        # The main window first, so dialogs come back on top of it.
        self._hidden.sort(key=lambda w: w.objectName() != "MainWindow")
        geometry = next(
            (w.geometry() for w in self._hidden if w.objectName() == "MainWindow"), None
        )
        for w in self._hidden:
            w.hide()
        why = (
            "Locked by you."
            if manual
            else f"Locked after {self.minutes} minutes without activity."
            if self.interval_ms == self.minutes * 60_000
            else "Locked after inactivity."
        )
        self.screen.prepare(self.session.user.full_name, self.session.user.username, why)
        if geometry is not None:
            self.screen.setGeometry(geometry)
        self.screen.show()
        self.screen.raise_()
        self.screen.activateWindow()
        self.screen.password.setFocus()
        self.locked.emit()

    def _try_unlock(self, password: str) -> None:
        try:
            self._authenticate(self.session.user.username, password)
        except AuthenticationError as exc:  # one message, whatever the reason
            self.screen.fail(f"{describe(exc)}.")
            return
        except Exception as exc:
            self.screen.fail(describe(exc))
            return
        self.is_locked = False
        self.session.unlocked()
        self.screen.hide()
        for w in self._hidden:
            w.show()
        if self._hidden:
            self._hidden[-1].raise_()
            self._hidden[-1].activateWindow()
        if self._focus is not None:
            self._focus.setFocus()
        self._hidden = []
        self._last_activity = time.monotonic()
        self.timer.start(self.interval_ms)
        self.unlocked.emit()

    def _logout(self) -> None:
        self.is_locked = False
        self.screen.hide()
        for w in self._hidden:
            w.close()
        self._hidden = []
        self.stop()
        self.logout.emit()
