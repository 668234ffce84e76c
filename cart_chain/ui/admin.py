"""Administration (administrators only): users, shared settings, this workstation.

Every change to users or shared settings is a signed service call recorded in
the ledger; the administrator confirms each with their password in the
signature block at the bottom. Workstation preferences (printer, label kind and
resolution, database location, what the scanner sends) are stored in QSettings
on this machine only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Signal
from PySide6.QtPrintSupport import QPrinterInfo
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.roles import Role
from cart_chain.ui import prefs
from cart_chain.ui.errors import classify, describe, show_error
from cart_chain.ui.signature import SignatureBlock

if TYPE_CHECKING:
    from cart_chain.ui.session import Session

ROLES = [r.value for r in Role]
#: The scanner setting's choices (``prefs.SCANNER`` values) and their plain names.
SCANNER_CHOICES = (
    ("keyboard", "Keyboard, or a scanner that sends AIM identifiers (recommended)"),
    ("code128", "Code 128 scanner without AIM identifiers"),
)
SCANNER_RISK = (
    "The ISBT 128 barcode of a COI (&/…) carries no check character. With the recommended "
    "setting it is accepted only from a scanner that announces a Code 128 read (AIM "
    "identifier ]C0; set it in the scanner), and a typed COI must include the check "
    "character from the box beside it. Choose 'without AIM identifiers' only when this "
    "workstation's scanner cannot send them: a COI without check character is then "
    "trusted as a scanner read, so if someone types one here, one wrong digit can open "
    "another patient's case. The expected-patient check still stops a wrong bag."
)


class AdminDialog(QDialog):
    """Tabs: Users, Shared settings, This workstation."""

    inactivity_changed = Signal(int)

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.setWindowTitle("Administration — cart-chain")
        self.resize(1100, 720)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._users_tab(), "Users")
        self.tabs.addTab(self._settings_tab(), "Shared settings")
        self.tabs.addTab(self._workstation_tab(), "This workstation")
        self.signature = SignatureBlock("Approved by (administrator)", session)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.hide()
        close = QPushButton("Close")
        close.setAutoDefault(False)
        close.clicked.connect(self.accept)
        bottom = QHBoxLayout()
        bottom.addWidget(self.signature, 1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.message)
        layout.addLayout(bottom)
        self.load_users()

    # -- users ----------------------------------------------------------------------------

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

        self.role = QComboBox()
        self.role.addItems(ROLES)
        set_role = QPushButton("Set role")
        unlock = QPushButton("Unlock")
        unlock.setObjectName("Unlock")
        self.toggle_active = QPushButton("Deactivate / activate")
        self.new_password = QLineEdit()
        self.new_password.setEchoMode(QLineEdit.EchoMode.Password)
        self.new_password.setPlaceholderText("temporary password (12+ characters)")
        reset = QPushButton("Set temporary password")
        row = QHBoxLayout()
        for w in (self.role, set_role, unlock, self.toggle_active, self.new_password, reset):
            row.addWidget(w)

        self.add_name = QLineEdit()
        self.add_name.setPlaceholderText("user name")
        self.add_full = QLineEdit()
        self.add_full.setPlaceholderText("printed full name")
        self.add_role = QComboBox()
        self.add_role.addItems([r for r in ROLES if r != "administrator"] + ["administrator"])
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
            show_error(self, exc, "list the users")
            return
        self.user_rows = users
        self.users.setRowCount(len(users))
        for i, u in enumerate(users):
            cells = (
                u.username,
                u.full_name,
                u.role.replace("_", " "),
                "yes" if u.active else "no",
                "LOCKED" if u.locked else ("" if not u.failures else f"{u.failures} failed"),
            )
            for j, text in enumerate(cells):
                self.users.setItem(i, j, QTableWidgetItem(text))

    def selected_user(self) -> Any:
        row = self.users.currentRow()
        if row < 0:
            raise InvalidValue("select a user in the list first")
        return self.user_rows[row]

    def _run(self, action: str, call: Callable[[], object], done: str) -> bool:
        try:
            call()
        except Exception as exc:
            self.signature.clear_password()
            self._show(describe(exc), error=True)
            if classify(exc) != "rule":
                show_error(self, exc, action)
            return False
        self.session.signed()
        self.signature.refresh()
        self.signature.clear_password()
        self._show(done, error=False)
        self.session.changed.emit()
        return True

    def _on_user(self, fn: Callable[[Any], tuple[Callable[[], object], str]], action: str) -> None:
        try:
            user = self.selected_user()
            call, done = fn(user)
        except Exception as exc:
            self._show(describe(exc), error=True)
            return
        row = self.users.currentRow()
        if self._run(action, call, done):
            self.load_users()
            self.users.selectRow(row)

    def _set_role(self, user: Any) -> tuple[Callable[[], object], str]:
        from cart_chain.services.accounts import set_role

        role = self.role.currentText()
        creds = self.signature.credentials()
        return (
            lambda: set_role(self.session.db, creds, user.username, role),
            f"{user.username} is now {role.replace('_', ' ')}.",
        )

    def _unlock(self, user: Any) -> tuple[Callable[[], object], str]:
        from cart_chain.services.accounts import unlock_user

        creds = self.signature.credentials()
        return (
            lambda: unlock_user(self.session.db, creds, user.username),
            f"{user.username} is unlocked and can log in again.",
        )

    def _toggle_active(self, user: Any) -> tuple[Callable[[], object], str]:
        from cart_chain.services.accounts import set_active

        creds = self.signature.credentials()
        state = not user.active
        return (
            lambda: set_active(self.session.db, creds, user.username, state),
            f"{user.username} is {'active' if state else 'deactivated'}.",
        )

    def _reset(self, user: Any) -> tuple[Callable[[], object], str]:
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
            self._show(describe(exc), error=True)
            return
        name, full = self.add_name.text(), self.add_full.text()
        role, password = self.add_role.currentText(), self.add_password.text()
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

    # -- shared settings -----------------------------------------------------------------

    def _settings_tab(self) -> QWidget:
        page = QWidget()
        self.facility = QLineEdit(self.session.opened.facility)
        self.facility.setObjectName("Facility")
        self.facility.setMaxLength(5)
        self.inactivity = QSpinBox()
        self.inactivity.setObjectName("Inactivity")
        self.inactivity.setRange(2, 15)
        self.inactivity.setSuffix(" min")
        self.inactivity.setValue(self.session.opened.inactivity_minutes)
        save = QPushButton("Save shared settings")
        save.setObjectName("SaveShared")
        form = QFormLayout(page)
        note = QLabel(
            "Shared by every workstation on this database and recorded in the ledger "
            "with your signature."
        )
        note.setWordWrap(True)
        note.setObjectName("Subtle")
        form.addRow(note)
        form.addRow("Facility identification number (FIN)", self.facility)
        form.addRow("Lock after inactivity", self.inactivity)
        form.addRow(save)
        save.clicked.connect(self._save_shared)
        return page

    def _save_shared(self) -> None:
        from cart_chain.services.settings import get, set_setting

        db = self.session.db
        try:
            creds = self.signature.credentials()
        except Exception as exc:
            self._show(describe(exc), error=True)
            return
        facility = self.facility.text().strip().upper()
        minutes = str(self.inactivity.value())

        def save() -> None:
            if facility != get(db, "facility"):
                set_setting(db, creds, "facility", facility)
            if minutes != get(db, "inactivity_minutes"):
                set_setting(db, creds, "inactivity_minutes", minutes)

        if self._run("save the settings", save, "Shared settings saved."):
            self.inactivity_changed.emit(int(minutes))

    # -- workstation -------------------------------------------------------------------------

    def _workstation_tab(self) -> QWidget:
        from cart_chain.ui.print_label import KIND_NAMES, PDF_CHOICE, available_kinds

        page = QWidget()
        self.printer = QComboBox()
        self.printer.setObjectName("DefaultPrinter")
        self.printer.addItems([*QPrinterInfo.availablePrinterNames(), PDF_CHOICE])
        i = self.printer.findText(prefs.PRINTER_NAME.get())
        self.printer.setCurrentIndex(max(i, 0))
        self.label_kind = QComboBox()
        for k in available_kinds():
            self.label_kind.addItem(KIND_NAMES.get(k, k), k)
        i = self.label_kind.findData(prefs.LABEL_KIND.get())
        self.label_kind.setCurrentIndex(max(i, 0))
        sizes = QLabel(self._label_sizes())
        sizes.setWordWrap(True)
        self.db_location = QLineEdit(prefs.DATABASE_URL.get())
        self.db_location.setObjectName("DatabaseLocation")
        self.db_location.setPlaceholderText(
            "empty: the default file for this user; or a path, or postgresql://…"
        )
        self.scanner = QComboBox()
        self.scanner.setObjectName("Scanner")
        for value, name in SCANNER_CHOICES:
            self.scanner.addItem(name, value)
        self.scanner.setCurrentIndex(max(self.scanner.findData(prefs.scan_source()), 0))
        risk = QLabel(SCANNER_RISK)
        risk.setObjectName("Subtle")
        risk.setWordWrap(True)
        save = QPushButton("Save workstation settings")
        save.setObjectName("SaveWorkstation")
        form = QFormLayout(page)
        note = QLabel("Kept on this computer only (not in the shared database).")
        note.setObjectName("Subtle")
        form.addRow(note)
        form.addRow("Label printer", self.printer)
        form.addRow("Default label", self.label_kind)
        form.addRow("Label sizes", sizes)
        form.addRow("Database location", self.db_location)
        form.addRow("Scanner sends", self.scanner)
        form.addRow("", risk)
        form.addRow(save)
        save.clicked.connect(self._save_workstation)
        return page

    def _label_sizes(self) -> str:
        try:
            from cart_chain.domain.label_layout import KINDS, load_layout
        except ImportError:
            return "label templates are not installed"
        parts = []
        for k in KINDS:
            try:
                lay = load_layout(k)
            except Exception:
                continue
            parts.append(f"{lay.name}: {lay.width_mm:g} × {lay.height_mm:g} mm at {lay.dpi} dpi")
        return "; ".join(parts) + " (from the approved templates)"

    def _save_workstation(self) -> None:
        url = self.db_location.text().strip()
        if url != prefs.DATABASE_URL.get() and url:
            from cart_chain.services.workstation import check_location

            try:
                where = check_location(url)
            except Exception as exc:
                self._show(describe(exc), error=True)
                return
            note = f" The app will use {where} from its next start."
        else:
            note = ""
        prefs.DATABASE_URL.set(url)
        prefs.PRINTER_NAME.set(self.printer.currentText())
        prefs.LABEL_KIND.set(self.label_kind.currentData())
        prefs.SCANNER.set(self.scanner.currentData())
        self._show("Workstation settings saved." + note, error=False)

    def _show(self, text: str, error: bool) -> None:
        self.message.setObjectName("Error" if error else "Success")
        self.message.setStyleSheet("")
        self.message.setText(text)
        self.message.show()
