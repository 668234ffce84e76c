"""The login window: shown first, before the database code is even imported.

It is usable at once (the user can type) while a loader thread imports the
services and opens the database; pressing Enter before that finishes simply
logs in as soon as the database is ready.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QPaintEvent
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cart_chain.ui import theme

if TYPE_CHECKING:
    from cart_chain.services.accounts import UserInfo

Authenticate = Callable[[str, str], "UserInfo"]
ChangePassword = Callable[[str, str, str], object]


class LoginWindow(QWidget):
    """User name + password. Emits `logged_in` with the checked user."""

    logged_in = Signal(object)
    #: Emitted once, after the window's first paint: the moment to start slower work.
    first_painted = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("Page")
        self.setWindowTitle("Log in — cart-chain")
        self.setWindowIcon(theme.app_icon())
        self._authenticate: Authenticate | None = None
        #: Sets the user's own password (user name, old, new); given with `set_ready`.
        self.change_password: ChangePassword | None = None
        self.change_dialog: QWidget | None = None
        self._pending = False
        self._painted = False

        title = QLabel("cart-chain")
        title.setObjectName("Title")
        subtitle = QLabel("CAR-T chain of custody — log in to continue")
        subtitle.setObjectName("Subtle")
        self.username = QLineEdit()
        self.username.setObjectName("LoginUser")
        self.username.setPlaceholderText("user name")
        self.password = QLineEdit()
        self.password.setObjectName("LoginPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("password")
        self.button = QPushButton("Log in")
        self.button.setObjectName("Primary")
        self.button.setDefault(True)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        self.status = QLabel("Opening the database…")
        self.status.setObjectName("Subtle")
        self.status.setWordWrap(True)

        card = QFrame()
        card.setObjectName("Banner")
        card.setStyleSheet(
            f"#Banner {{ background: {theme.PANEL}; border: 1px solid {theme.LINE};"
            " border-radius: 10px; }"
        )
        form = QFormLayout()
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        inner = QVBoxLayout(card)
        inner.setContentsMargins(28, 24, 28, 24)
        inner.setSpacing(12)
        inner.addWidget(title)
        inner.addWidget(subtitle)
        inner.addLayout(form)
        inner.addWidget(self.message)
        inner.addWidget(self.button)
        inner.addWidget(self.status)
        card.setFixedWidth(460)

        outer = QVBoxLayout(self)
        outer.addStretch(1)
        # Centred with stretches rather than Qt.AlignmentFlag: touching the `Qt`
        # namespace costs ~40 ms of start-up (PySide6 builds all its enums).
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(card)
        row.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)

        self.username.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.submit)
        self.button.clicked.connect(self.submit)
        self.username.setFocus()
        self.resize(1280, 800)

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self._painted:
            self._painted = True
            QTimer.singleShot(0, self.first_painted.emit)

    # -- wiring ------------------------------------------------------------------

    def set_ready(self, authenticate: Authenticate, where: str) -> None:
        """The database is open: logging in can happen now."""
        self._authenticate = authenticate
        self.status.setText(where)
        if self._pending:
            self._pending = False
            self.submit()

    def set_unavailable(self, text: str) -> None:
        """The database could not be opened: say why and keep the button off."""
        self._authenticate = None
        self.button.setEnabled(False)
        self.status.setText("")
        self.show_message(text, error=True)

    def reset(self) -> None:
        """Back to an empty form (after log-out)."""
        self.username.clear()
        self.password.clear()
        self.message.hide()
        self.username.setFocus()

    def scan_refused(self, reason: str) -> None:
        """The scan router refused a scan here (a user name or password is typed)."""
        self.show_message(reason, error=True)

    def show_message(self, text: str, error: bool) -> None:
        self.message.setObjectName("Error" if error else "Info")
        self.message.setStyleSheet("")  # re-polish for the new object name
        self.message.setText(text)
        self.message.show()

    # -- actions -----------------------------------------------------------------

    def submit(self) -> None:
        name, password = self.username.text().strip(), self.password.text()
        if not name:
            self.show_message("Type your user name.", error=True)
            self.username.setFocus()
            return
        if not password:
            self.show_message("Type your password.", error=True)
            self.password.setFocus()
            return
        from cart_chain.domain.errors import AuthenticationError
        from cart_chain.ui.errors import classify, describe

        if self._authenticate is None:
            self._pending = True
            self.show_message("Opening the database… you will be logged in in a moment.", False)
            return
        try:
            user = self._authenticate(name, password)
        except AuthenticationError as exc:  # one message, whatever the reason
            self.password.clear()
            self.password.setFocus()
            self.show_message(
                f"{describe(exc)}. After 5 wrong passwords the account is locked.", error=True
            )
            return
        except Exception as exc:
            if classify(exc) == "bug":
                import logging

                logging.getLogger("cart_chain.ui").exception("login failed")
            self.show_message(describe(exc), error=True)
            return
        self.password.clear()
        if user.must_change:
            self._force_change(user, password)
            return
        self.message.hide()
        self.logged_in.emit(user)

    def _force_change(self, user: UserInfo, old: str) -> None:
        """A temporary or expired password: the user sets their own before going on."""
        from dataclasses import replace

        from cart_chain.ui.password_change import PasswordChangeDialog

        assert self.change_password is not None
        self.show_message(
            "Your password was set by an administrator or has expired: choose your own "
            "to continue.",
            error=False,
        )
        dialog = PasswordChangeDialog(self.change_password, user.username, old, self)
        self.change_dialog = dialog
        dialog.accepted.connect(lambda: self._changed(replace(user, must_change=False)))
        dialog.open()

    def _changed(self, user: UserInfo) -> None:
        self.change_dialog = None
        self.message.hide()
        self.logged_in.emit(user)
