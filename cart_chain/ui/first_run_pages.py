"""The first-run wizard's questions: where the records live, new or demo, the first administrator.

Kept apart from `first_run` (creation, in a worker thread, and the wizard itself).
Only Qt is imported at module level; services are imported when a page needs them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWizardPage,
)

from cart_chain.ui.errors import describe

if TYPE_CHECKING:
    from cart_chain.services.workstation import FirstAdministrator

PAGE_LOCATION, PAGE_CHOICE, PAGE_ADMIN, PAGE_CREATE = range(4)

NETWORK_NOTE = (
    "Keep the file on this computer's own disk. A file on a network share is refused: "
    "SQLite's locking is unsafe there and records can be lost. For several workstations "
    "sharing one database, use a PostgreSQL server."
)


def message_label(kind: str = "Error") -> QLabel:
    """A hidden message label styled as ``kind`` (Error, Success, Info: see theme).

    One label per kind, named once: a label renamed later is not fully re-styled
    inside a wizard page (its padding stays unapplied).
    """
    label = QLabel()
    label.setObjectName(kind)
    label.setWordWrap(True)
    label.hide()
    return label


def show_message(label: QLabel, text: str) -> None:
    label.setText(text)
    label.show()


def note_label(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setObjectName("Subtle")
    return label


class LocationPage(QWizardPage):
    """Where the records are kept: a local SQLite file or a PostgreSQL server."""

    def __init__(self, url: str | None) -> None:
        super().__init__()
        self.setTitle("Where the records are kept")
        self.setSubTitle("There is no cart-chain database here yet. Choose where to create it.")
        from cart_chain.services import workstation

        resolved = workstation.describe(url)
        is_file = resolved.startswith("sqlite")
        self.file_choice = QRadioButton("A &file on this computer (one workstation)")
        self.file_choice.setObjectName("FileChoice")
        self.path = QLineEdit(
            resolved.split(":///", 1)[1] if is_file else workstation.default_location()
        )
        self.path.setObjectName("DatabaseFile")
        self.browse = QPushButton("&Browse…")
        self.browse.setAutoDefault(False)
        self.server_choice = QRadioButton("A shared Postgre&SQL server (several workstations)")
        self.server_choice.setObjectName("ServerChoice")
        self.server = QLineEdit("" if is_file else (url or ""))
        self.server.setObjectName("ServerUrl")
        self.server.setPlaceholderText("postgresql://user@server/cart_chain")
        self.message = message_label()
        group = QButtonGroup(self)
        group.addButton(self.file_choice)
        group.addButton(self.server_choice)
        (self.file_choice if is_file else self.server_choice).setChecked(True)

        file_row = QHBoxLayout()
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.browse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.file_choice)
        layout.addLayout(file_row)
        layout.addWidget(note_label(NETWORK_NOTE))
        layout.addSpacing(8)
        layout.addWidget(self.server_choice)
        layout.addWidget(self.server)
        layout.addWidget(
            note_label(
                "The server's administrator creates an empty database and gives you its URL."
            )
        )
        layout.addWidget(self.message)
        layout.addStretch(1)

        self.browse.clicked.connect(self._browse)
        self.file_choice.toggled.connect(self._update)
        self.path.textEdited.connect(lambda _: self.file_choice.setChecked(True))
        self.server.textEdited.connect(lambda _: self.server_choice.setChecked(True))
        self._update()

    def _update(self) -> None:
        self.message.hide()
        self.completeChanged.emit()

    def _browse(self) -> None:
        name, _ = QFileDialog.getSaveFileName(
            self,
            "Database file",
            self.path.text(),
            "cart-chain database (*.sqlite3);;All files (*)",
            options=QFileDialog.Option.DontConfirmOverwrite,
        )
        if name:
            self.path.setText(name)
            self.file_choice.setChecked(True)

    def url(self) -> str:
        """The location as the services take it: a file path or a PostgreSQL URL."""
        return (self.path if self.file_choice.isChecked() else self.server).text().strip()

    def validatePage(self) -> bool:
        from cart_chain.domain.errors import InvalidValue
        from cart_chain.services import workstation

        url = self.url()
        try:
            if self.server_choice.isChecked() and not url.startswith(("postgresql", "postgres:")):
                raise InvalidValue(
                    "a shared database is a PostgreSQL URL, like postgresql://user@server/name"
                )
            workstation.check_new_location(url)
        except Exception as exc:
            show_message(self.message, describe(exc))
            return False
        self.message.hide()
        return True


class ChoicePage(QWizardPage):
    """A new database for real use, or the demo to try cart-chain."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("A new database, or the demo")
        self.setSubTitle("Real records need a new database. The demo is for trying cart-chain.")
        self.new = QRadioButton("Start a &new database")
        self.new.setObjectName("NewChoice")
        self.demo = QRadioButton("Load &demo data to try cart-chain")
        self.demo.setObjectName("DemoChoice")
        self.new.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.new)
        group.addButton(self.demo)
        layout = QVBoxLayout(self)
        layout.addWidget(self.new)
        layout.addWidget(
            note_label(
                "Next you give your facility's identification number and create the first "
                "administrator, who then adds the other users."
            )
        )
        layout.addSpacing(12)
        layout.addWidget(self.demo)
        layout.addWidget(
            note_label(
                "Ten demo users of every role (their passwords are shown at the end) and five "
                "patients at different steps of the chain. For training only: never record a "
                "real patient in a demo database."
            )
        )
        layout.addStretch(1)

    def nextId(self) -> int:
        return PAGE_ADMIN if self.new.isChecked() else PAGE_CREATE


class AdminPage(QWizardPage):
    """Facility code and first administrator, checked by the services before Next."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Facility and first administrator")
        self.setSubTitle(
            "The administrator adds the other users. The printed name appears on every "
            "signature they give."
        )
        self.admin: FirstAdministrator | None = None
        self.facility = QLineEdit()
        self.facility.setObjectName("Facility")
        self.facility.setMaxLength(5)
        self.facility.setPlaceholderText("e.g. W1234")
        self.username = QLineEdit()
        self.username.setObjectName("AdminUser")
        self.username.setPlaceholderText("e.g. jsmith")
        self.full_name = QLineEdit()
        self.full_name.setObjectName("AdminFullName")
        self.full_name.setPlaceholderText("e.g. Jane Smith")
        self.password = QLineEdit()
        self.password.setObjectName("AdminPassword")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("at least 12 characters, not a common password")
        self.repeat = QLineEdit()
        self.repeat.setObjectName("AdminPasswordRepeat")
        self.repeat.setEchoMode(QLineEdit.EchoMode.Password)
        self.message = message_label()
        form = QFormLayout()
        form.addRow("Facility identification number (FIN)", self.facility)
        form.addRow(
            "", note_label("ISBT 128: A-N, P-Z or 1-9, then four digits, as issued to your site.")
        )
        form.addRow("Administrator's user name", self.username)
        form.addRow("Printed full name", self.full_name)
        form.addRow("Password", self.password)
        form.addRow("Password again", self.repeat)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.message)
        layout.addStretch(1)
        for edit in (self.facility, self.username, self.full_name, self.password, self.repeat):
            edit.textEdited.connect(lambda _: self.message.hide())

    def validatePage(self) -> bool:
        from cart_chain.services.workstation import check_first_administrator

        if self.password.text() != self.repeat.text():
            self._refuse("The two passwords differ; type the same password twice.", self.repeat)
            return False
        try:
            self.admin = check_first_administrator(
                self.username.text(),
                self.full_name.text(),
                self.password.text(),
                self.facility.text(),
            )
        except Exception as exc:
            text = describe(exc)
            # The services' messages start with the field they refuse.
            low = text.lower()
            field = self.full_name
            for start, edit in (
                ("facility", self.facility),
                ("password", self.password),
                ("user name", self.username),
            ):
                if low.startswith(start):
                    field = edit
            self._refuse(text, field)
            return False
        self.facility.setText(self.admin.facility)
        self.username.setText(self.admin.username)
        self.message.hide()
        return True

    def _refuse(self, text: str, field: QLineEdit) -> None:
        self.admin = None
        if field in (self.password, self.repeat):
            self.password.clear()
            self.repeat.clear()
            field = self.password
        show_message(self.message, text)
        field.setFocus()
        field.selectAll()
