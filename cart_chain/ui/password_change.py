"""Choosing one's own password: forced at log-in after a temporary or expired one.

An administrator never knows a password that can sign, so the first log-in
with a password an administrator typed leads here; nothing else opens until
the user has set a password of their own.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cart_chain.ui.errors import classify, describe, error_label

ChangePassword = Callable[[str, str, str], object]


class PasswordChangeDialog(QDialog):
    """New password twice; ``change(username, old, new)`` stores it (a signed service call)."""

    def __init__(
        self, change: ChangePassword, username: str, old: str, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Choose your password — cart-chain")
        self._change, self._username, self._old = change, username, old
        intro = QLabel(
            f"{username}: your password was set by an administrator or has expired. "
            "Choose your own: at least 12 characters, not a common password, not your "
            "user name."
        )
        intro.setWordWrap(True)
        self.new = QLineEdit()
        self.new.setObjectName("NewPassword")
        self.new.setEchoMode(QLineEdit.EchoMode.Password)
        self.repeat = QLineEdit()
        self.repeat.setObjectName("RepeatPassword")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.error = error_label()
        self.ok = QPushButton("Set my password")
        self.ok.setObjectName("Primary")
        cancel = QPushButton("Cancel")
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(cancel)
        row.addWidget(self.ok)
        form = QFormLayout()
        form.addRow("New password", self.new)
        form.addRow("Repeat it", self.repeat)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addLayout(row)
        # Enter moves from the first field to the second and submits from the second;
        # no button is a default, so Enter never submits a half-filled form.
        for button in (self.ok, cancel):
            button.setAutoDefault(False)
            button.setDefault(False)
        self.new.returnPressed.connect(self.repeat.setFocus)
        self.repeat.returnPressed.connect(self.submit)
        self.ok.clicked.connect(self.submit)
        cancel.clicked.connect(self.reject)
        self.new.setFocus()

    def submit(self) -> None:
        new, repeat = self.new.text(), self.repeat.text()
        if new != repeat:
            self._fail("The two passwords differ; type the new one twice.")
            return
        try:
            self._change(self._username, self._old, new)
        except Exception as exc:
            if classify(exc) == "bug":
                import logging

                logging.getLogger("cart_chain.ui").exception("password change failed")
            self._fail(describe(exc))
            return
        self._old = ""
        self.accept()

    def _fail(self, text: str) -> None:
        self.new.clear()
        self.repeat.clear()
        self.error.setText(text)
        self.error.show()
        self.new.setFocus()
