"""The signature block: user name and password, with the meaning being signed.

The block for the logged-in user asks for the user name only on the first
signature of a session (Part 11 §11.200(a)(1)); afterwards the name is shown and
fixed and only the password is asked. A block for a second person (receiver,
witness) always asks for both.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QLineEdit, QWidget

from cart_chain.domain.errors import SignatureError
from cart_chain.domain.roles import Role
from cart_chain.domain.steps import Step, meanings_for

log = logging.getLogger("cart_chain.ui.signature")

if TYPE_CHECKING:
    from cart_chain.services.accounts import Credentials
    from cart_chain.ui.session import Session


class SignatureBlock(QGroupBox):
    """One signer. ``session`` given: the logged-in user; None: any other person."""

    def __init__(
        self, meaning: str, session: Session | None = None, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.username = QLineEdit()
        self.username.setObjectName("SignatureUser")
        self.username.setPlaceholderText("user name")
        self.password = QLineEdit()
        self.password.setObjectName("SignaturePassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("password")
        self.note = QLabel()
        self.note.setObjectName("Subtle")
        self.note.setWordWrap(True)
        form = QFormLayout(self)
        form.addRow("User name", self.username)
        form.addRow("Password", self.password)
        form.addRow(self.note)
        self.set_meaning(meaning)
        self.refresh()

    def set_meaning(self, meaning: str) -> None:
        who = "you" if self.session is not None else "second person"
        self.setTitle(f"Signature — {meaning} ({who})")
        self.meaning = meaning

    def refresh(self) -> None:
        """Apply the session's signing state (call again after a lock)."""
        if self.session is None:
            self.note.setText("A different person signs here with their own user name.")
            return
        user = self.session.user
        if self.session.first_signature_pending:
            self.username.setReadOnly(False)
            self.username.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
            self.username.clear()
            self.note.setText("First signature of this session: type your user name and password.")
        else:
            self.username.setText(user.username)
            self.username.setReadOnly(True)
            # Fixed and shown only: Tab goes from field to field past it.
            self.username.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            self.note.setText(f"Signing as {user.full_name}: enter your password.")

    def first_field(self) -> QLineEdit:
        return self.username if not self.username.isReadOnly() else self.password

    def credentials(self) -> Credentials:
        """The typed credentials; refuses a signer other than the logged-in user."""
        from cart_chain.services.accounts import Credentials

        name = self.username.text().strip().lower()
        if not name:
            raise SignatureError(f"{self.title()}: the user name is missing")
        if not self.password.text():
            raise SignatureError(f"{self.title()}: the password is missing")
        if self.session is not None and name != self.session.user.username:
            raise SignatureError(
                f"you are logged in as {self.session.user.username}: sign with your own "
                "user name, or log out so the other person can log in"
            )
        return Credentials(name, self.password.text())

    def clear_password(self) -> None:
        self.password.clear()


def title_signatures(
    mine: SignatureBlock, other: SignatureBlock | None, step: Step, holds: bool
) -> None:
    """Title each block with the meaning the service will give it: by the roles of the
    two people (`steps.meanings_for`), so a receiver at their own log-in signs
    "Received by" and the courier beside them "Released by". ``mine`` is the logged-in
    user's block; ``holds``: whether they hold the bag."""
    from cart_chain.services.accounts import current_user

    assert mine.session is not None
    role = None
    name = other.username.text().strip().lower() if other is not None else ""
    if name:
        try:
            found = current_user(mine.session.db, name)
        except Exception as exc:  # the titles then follow my role alone
            log.warning("could not read the second signer's role: %s", type(exc).__name__)
            found = None
        role = Role(found.role) if found is not None else None
    my_meaning, theirs = meanings_for(step, Role(mine.session.user.role), role, holds)
    mine.set_meaning(my_meaning)
    if other is not None and theirs is not None:
        other.set_meaning(theirs)
