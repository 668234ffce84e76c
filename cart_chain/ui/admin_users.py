"""The Users tab of Administration: list, change and add users.

Everything here does what the administrator meant, never what a stray key
happened to reach: no button is a default (Enter acts nowhere; see
`admin.AdminDialog.keyPressEvent`), the role box shows the selected user's role
as soon as a row is selected, and a role change, a deactivation or an unlock is
confirmed in a question that names the user and the change and defaults to
Cancel. (Before, Enter after typing a new user's password clicked "Set role"
and made the selected user administrator.) The services check every rule again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.roles import Role, role_name
from cart_chain.ui.confirm import confirm
from cart_chain.ui.errors import describe, show_error

if TYPE_CHECKING:
    from cart_chain.ui.session import Session
    from cart_chain.ui.signature import SignatureBlock

ROLES = [r.value for r in Role]


def role_box(roles: list[str]) -> QComboBox:
    """A combo box showing role names, with the role id as each item's data."""
    box = QComboBox()
    for r in roles:
        box.addItem(role_name(r), r)
    return box


class UsersTab:
    """Mixin for `AdminDialog`: builds the Users tab and handles its buttons."""

    session: Session
    signature: SignatureBlock

    def _run(self, action: str, call: Callable[[], object], done: str) -> bool:
        raise NotImplementedError  # AdminDialog's: one signed call, its result shown

    def _show(self, text: str, error: bool) -> None:
        raise NotImplementedError  # AdminDialog's message line

    def _users_tab(self) -> QWidget:
        page = QWidget()
        self.users = QTableWidget(0, 5)
        self.users.setObjectName("Users")
        self.users.setHorizontalHeaderLabels(["User", "Printed name", "Role", "Active", "Locked"])
        self.users.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.users.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.users.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.users.verticalHeader().setVisible(False)
        self.users.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.users.setTabKeyNavigation(False)
        self.users.itemSelectionChanged.connect(self._follow_selection)

        self.role = role_box(ROLES)
        self.role.setObjectName("SelectedRole")
        set_role = QPushButton("Set role")
        set_role.setObjectName("SetRole")
        unlock = QPushButton("Unlock")
        unlock.setObjectName("Unlock")
        self.toggle_active = QPushButton("Deactivate / activate")
        self.toggle_active.setObjectName("ToggleActive")
        self.new_password = QLineEdit()
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_password.setPlaceholderText("12+ characters")  # beside "Set temporary password"
        reset = QPushButton("Set temporary password")
        row = QHBoxLayout()
        for w in (self.role, set_role, unlock, self.toggle_active, self.new_password, reset):
            row.addWidget(w)

        self.add_name = QLineEdit()
        self.add_name.setPlaceholderText("user name")
        self.add_full = QLineEdit()
        self.add_full.setPlaceholderText("printed full name")
        self.add_role = role_box([r for r in ROLES if r != "administrator"] + ["administrator"])
        self.add_password = QLineEdit()
        self.add_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.add_password.setPlaceholderText("first password")
        add = QPushButton("Add user")
        add_row = QHBoxLayout()
        for w in (self.add_name, self.add_full, self.add_role, self.add_password, add):
            add_row.addWidget(w)

        layout = QVBoxLayout(page)
        layout.addWidget(self.users, 1)
        layout.addWidget(QLabel("Selected user:"))
        layout.addLayout(row)
        layout.addWidget(QLabel("New user:"))
        layout.addLayout(add_row)

        set_role.clicked.connect(lambda: self._on_user(self._set_role, "change the role"))
        unlock.clicked.connect(lambda: self._on_user(self._unlock, "unlock the account"))
        self.toggle_active.clicked.connect(
            lambda: self._on_user(self._toggle_active, "change the account")
        )
        reset.clicked.connect(lambda: self._on_user(self._reset, "reset the password"))
        add.clicked.connect(self._add_user)
        return page

    def load_users(self) -> None:
        from cart_chain.services.accounts import list_users

        try:
            users = list_users(self.session.db)
        except Exception as exc:
            show_error(self.users, exc, "list the users")
            return
        self.user_rows = users
        self.users.setRowCount(len(users))
        for i, u in enumerate(users):
            cells = (
                u.username,
                u.full_name,
                role_name(u.role),
                "yes" if u.active else "no",
                "LOCKED" if u.locked else ("" if not u.failures else f"{u.failures} failed"),
            )
            for j, text in enumerate(cells):
                self.users.setItem(i, j, QTableWidgetItem(text))
        self._follow_selection()

    def _follow_selection(self) -> None:
        """The role box shows the selected user's role: a change starts from what is."""
        row = self.users.currentRow()
        if 0 <= row < len(getattr(self, "user_rows", [])):
            self.role.setCurrentIndex(max(self.role.findData(self.user_rows[row].role), 0))

    def selected_user(self) -> Any:
        row = self.users.currentRow()
        if row < 0:
            raise InvalidValue("select a user in the list first")
        return self.user_rows[row]

    def _on_user(
        self, fn: Callable[[Any], tuple[Callable[[], object], str] | None], action: str
    ) -> None:
        try:
            user = self.selected_user()
            planned = fn(user)
        except Exception as exc:
            self._show(describe(exc), True)
            return
        if planned is None:  # the administrator answered Cancel
            self._show("Nothing was changed.", False)
            return
        call, done = planned
        row = self.users.currentRow()
        if self._run(action, call, done):
            self.load_users()
            self.users.selectRow(row)

    def _ask(self, title: str, text: str, action: str) -> bool:
        return confirm(self.users.window(), title, text, action)

    @staticmethod
    def _who(user: Any) -> str:
        return f"{user.full_name} ({user.username})"

    def _set_role(self, user: Any) -> tuple[Callable[[], object], str] | None:
        from cart_chain.services.accounts import set_role

        role = str(self.role.currentData())
        creds = self.signature.credentials()
        if role == user.role:
            raise InvalidValue(f"{self._who(user)} is already {role_name(role)}")
        if not self._ask(
            "Change the role",
            f"Change the role of {self._who(user)} from {role_name(user.role)} "
            f"to {role_name(role)}?",
            f"Make {role_name(role)}",
        ):
            return None
        return (
            lambda: set_role(self.session.db, creds, user.username, role),
            f"{user.username} is now {role_name(role)}.",
        )

    def _unlock(self, user: Any) -> tuple[Callable[[], object], str] | None:
        from cart_chain.services.accounts import unlock_user

        creds = self.signature.credentials()
        if not self._ask(
            "Unlock the account",
            f"Unlock the account of {self._who(user)} so they can log in again?",
            "Unlock",
        ):
            return None
        return (
            lambda: unlock_user(self.session.db, creds, user.username),
            f"{user.username} is unlocked and can log in again.",
        )

    def _toggle_active(self, user: Any) -> tuple[Callable[[], object], str] | None:
        from cart_chain.services.accounts import set_active

        creds = self.signature.credentials()
        state = not user.active
        verb = "Activate" if state else "Deactivate"
        if not self._ask(
            f"{verb} the account",
            f"{verb} the account of {self._who(user)} ({role_name(user.role)})?"
            + ("" if state else " They can no longer log in or sign."),
            verb,
        ):
            return None
        return (
            lambda: set_active(self.session.db, creds, user.username, state),
            f"{user.username} is {'active' if state else 'deactivated'}.",
        )

    def _reset(self, user: Any) -> tuple[Callable[[], object], str] | None:
        from cart_chain.services.accounts import reset_password

        creds = self.signature.credentials()
        new = self.new_password.text()
        self.new_password.clear()
        return (
            lambda: reset_password(self.session.db, creds, user.username, new),
            f"Temporary password set for {user.username}: it signs nothing; they choose "
            "their own at their next log-in.",
        )

    def _add_user(self) -> None:
        from cart_chain.services.accounts import add_user

        try:
            creds = self.signature.credentials()
        except Exception as exc:
            self._show(describe(exc), True)
            return
        name, full = self.add_name.text(), self.add_full.text()
        role, password = str(self.add_role.currentData()), self.add_password.text()
        ok = self._run(
            "add the user",
            lambda: add_user(self.session.db, creds, name, full, role, password),
            f"User {name} added.",
        )
        self.add_password.clear()
        if ok:
            self.add_name.clear()
            self.add_full.clear()
            self.load_users()
