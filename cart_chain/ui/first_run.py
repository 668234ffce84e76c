"""First run: no database yet, so a wizard creates one before anyone can log in.

Shown by the start-up controller instead of the login window when the chosen
location holds no database (or an empty one). Four pages: where the records
are kept, a new database or the demo, the facility and first administrator
(new database only), and creation. Creating hashes passwords with argon2 and
the demo walks five cases through the services, a few seconds in all, so it
runs in a worker thread while the page shows that it is busy; on failure the
service removes whatever it had created, so the user can simply try again.

Only Qt is imported here at module level: the services are imported inside the
methods, when the loader thread has already paid for them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QThread, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from cart_chain.domain.roles import role_name
from cart_chain.ui import prefs, theme
from cart_chain.ui.errors import classify, describe

if TYPE_CHECKING:
    from cart_chain.services.demo import DemoResult
    from cart_chain.services.workstation import FirstAdministrator, OpenedDatabase

PAGE_LOCATION, PAGE_CHOICE, PAGE_ADMIN, PAGE_CREATE = range(4)

NETWORK_NOTE = (
    "Keep the file on this computer's own disk. A file on a network share is refused: "
    "SQLite's locking is unsafe there and records can be lost. For several workstations "
    "sharing one database, use a PostgreSQL server."
)


def _message_label(kind: str = "Error") -> QLabel:
    """A hidden message label styled as ``kind`` (Error, Success, Info: see theme).

    One label per kind, named once: a label renamed later is not fully re-styled
    inside a wizard page (its padding stays unapplied).
    """
    label = QLabel()
    label.setObjectName(kind)
    label.setWordWrap(True)
    label.hide()
    return label


def _show(label: QLabel, text: str) -> None:
    label.setText(text)
    label.show()


def _note(text: str) -> QLabel:
    label = QLabel(text)
    label.setWordWrap(True)
    label.setObjectName("Subtle")
    return label


class Creator(QThread):
    """Creates the database through the services; never touches a widget."""

    succeeded = Signal(object, object)  # OpenedDatabase, DemoResult | None
    failed = Signal(object)

    def __init__(self, url: str, admin: FirstAdministrator | None) -> None:
        super().__init__()
        self.url = url
        self.admin = admin
        #: Kept here too, for `FirstRunWizard.shutdown` if the signal is never delivered.
        self.opened: OpenedDatabase | None = None

    def run(self) -> None:
        from cart_chain.services import workstation

        try:
            if self.admin is None:
                opened, demo = workstation.create_demo(self.url)
            else:
                opened, demo = workstation.create_database(self.url, self.admin), None
        except Exception as exc:  # shown on the last page
            self.failed.emit(exc)
            return
        self.opened = opened
        self.succeeded.emit(opened, demo)


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
        self.message = _message_label()
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
        layout.addWidget(_note(NETWORK_NOTE))
        layout.addSpacing(8)
        layout.addWidget(self.server_choice)
        layout.addWidget(self.server)
        layout.addWidget(
            _note("The server's administrator creates an empty database and gives you its URL.")
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
            _show(self.message, describe(exc))
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
            _note(
                "Next you give your facility's identification number and create the first "
                "administrator, who then adds the other users."
            )
        )
        layout.addSpacing(12)
        layout.addWidget(self.demo)
        layout.addWidget(
            _note(
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
        self.message = _message_label()
        form = QFormLayout()
        form.addRow("Facility identification number (FIN)", self.facility)
        form.addRow(
            "", _note("ISBT 128: A-N, P-Z or 1-9, then four digits, as issued to your site.")
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
        _show(self.message, text)
        field.setFocus()
        field.selectAll()


class CreatePage(QWizardPage):
    """What will be created; Finish creates it (off the GUI thread), then opens log-in."""

    def __init__(self) -> None:
        super().__init__()
        self.setTitle("Create the database")
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.users = QTableWidget(0, 4)
        self.users.setObjectName("DemoUsers")
        self.users.setHorizontalHeaderLabels(["User name", "Printed name", "Role", "Password"])
        self.users.verticalHeader().setVisible(False)
        self.users.verticalHeader().setDefaultSectionSize(26)
        self.users.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.users.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.users.setTabKeyNavigation(False)
        self.progress = QProgressBar()
        self.progress.setRange(0, 0)  # busy: the services report no steps
        self.progress.hide()
        self.message = _message_label()
        self.success = _message_label("Success")
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.success)
        layout.addWidget(self.users, 1)
        layout.addWidget(self.progress)
        layout.addWidget(self.message)

    def _wizard(self) -> FirstRunWizard:
        wizard = self.wizard()
        assert isinstance(wizard, FirstRunWizard)
        return wizard

    def initializePage(self) -> None:
        from cart_chain.services.demo import DEMO_USERS

        wizard = self._wizard()
        self.message.hide()
        self.success.hide()
        where = wizard.location_page.url()
        if wizard.demo:
            self.setSubTitle("A demo database, for trying cart-chain only.")
            self.summary.setText(
                f"Finish creates a demo database in <b>{where}</b>, with the users below and "
                "five demo patients. Note a user's password to log in: the demo passwords "
                "are shown on purpose and must never protect real records."
            )
            self.users.setRowCount(len(DEMO_USERS))
            for i, user in enumerate(DEMO_USERS):
                name, full, role, password = user
                for j, text in enumerate((name, full, role_name(role), password)):
                    self.users.setItem(i, j, QTableWidgetItem(text))
            self.users.show()
        else:
            admin = wizard.admin_page.admin
            assert admin is not None
            self.setSubTitle("A new, empty database for real records.")
            self.summary.setText(
                f"Finish creates a new database in <b>{where}</b> for facility "
                f"<b>{admin.facility}</b>, with <b>{admin.username}</b> ({admin.full_name}) "
                "as its first administrator. Then log in as that administrator to add the "
                "other users."
            )
            self.users.hide()
        wizard.setButtonText(QWizard.WizardButton.FinishButton, "&Create database")

    def isComplete(self) -> bool:
        return not self._wizard().busy

    def validatePage(self) -> bool:
        wizard = self._wizard()
        if wizard.opened is not None:
            return True  # created: Finish now goes on to log-in
        wizard.create()
        return False

    def show_busy(self) -> None:
        self.message.hide()
        self.progress.show()
        self.completeChanged.emit()

    def show_failed(self, exc: BaseException) -> None:
        self.progress.hide()
        _show(
            self.message,
            f"{describe(exc)}\nNothing new was left behind; correct the problem and press "
            "Create again, or go Back to change your choices.",
        )
        self.completeChanged.emit()

    def show_created(self, opened: OpenedDatabase, demo: DemoResult | None) -> None:
        self.progress.hide()
        self.message.hide()
        self.setSubTitle("Done.")
        text = f"Created {opened.where}."
        if demo is not None:
            self.summary.setText(
                "The demo passwords are shown on purpose: never let them protect real records."
            )
            text += (
                f" {len(demo.cases)} demo cases are in it. Log in with one of the users "
                "below; their role decides what they may record."
            )
        else:
            self.summary.hide()
            text += " Log in as the administrator you just created."
        _show(self.success, text)
        self.completeChanged.emit()


class FirstRunWizard(QWizard):
    """Creates the first database; ``opened`` holds it once created (else None).

    The caller reads ``opened`` when the wizard is accepted; a wizard closed
    before creation leaves ``opened`` None and nothing on disk.
    """

    #: Emitted with the `OpenedDatabase` as soon as creation succeeded.
    created = Signal(object)

    def __init__(self, url: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("FirstRun")
        self.setWindowTitle("Set up cart-chain")
        self.setWindowIcon(theme.app_icon())
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.busy = False
        self.opened: OpenedDatabase | None = None
        self.demo_result: DemoResult | None = None
        self.worker: Creator | None = None
        self.location_page = LocationPage(url)
        self.choice_page = ChoicePage()
        self.admin_page = AdminPage()
        self.create_page = CreatePage()
        self.setPage(PAGE_LOCATION, self.location_page)
        self.setPage(PAGE_CHOICE, self.choice_page)
        self.setPage(PAGE_ADMIN, self.admin_page)
        self.setPage(PAGE_CREATE, self.create_page)
        self.setStartId(PAGE_LOCATION)
        # Wide enough for "Create database" and "Go to log in" once the text changes.
        self.button(QWizard.WizardButton.FinishButton).setMinimumWidth(190)
        self.resize(960, 700)

    @property
    def demo(self) -> bool:
        return self.choice_page.demo.isChecked()

    @property
    def location(self) -> str:
        """The location chosen on the first page (a path or a PostgreSQL URL)."""
        return self.location_page.url()

    def create(self) -> None:
        """Start creating the database in a worker thread."""
        if self.busy or self.opened is not None:
            return
        admin = None if self.demo else self.admin_page.admin
        self.busy = True
        self._lock_buttons(True)
        self.create_page.show_busy()
        self.worker = Creator(self.location, admin)
        self.worker.succeeded.connect(self._created)
        self.worker.failed.connect(self._failed)
        self.worker.start()

    def _lock_buttons(self, locked: bool) -> None:
        self.setOption(QWizard.WizardOption.DisabledBackButtonOnLastPage, locked)
        self.button(QWizard.WizardButton.CancelButton).setEnabled(not locked)

    def _created(self, opened: OpenedDatabase, demo: DemoResult | None) -> None:
        if self.worker is not None:
            self.worker.wait()
        self.busy = False
        self.opened, self.demo_result = opened, demo
        # Remembered at once: the database exists now, whatever the user does next.
        prefs.DATABASE_URL.set(self.location)
        self.setButtonText(QWizard.WizardButton.FinishButton, "Go to &log in")
        self.create_page.show_created(opened, demo)
        self.button(QWizard.WizardButton.FinishButton).setFocus()
        self.created.emit(opened)

    def _failed(self, exc: BaseException) -> None:
        if self.worker is not None:
            self.worker.wait()
        self.busy = False
        if classify(exc) == "bug":
            import logging

            logging.getLogger("cart_chain.ui").error("first-run creation failed", exc_info=exc)
        self._lock_buttons(False)
        self.create_page.show_failed(exc)

    def reject(self) -> None:
        """Cancel/Esc: ignored while creating; after creation it means "go on"."""
        if self.busy:
            return
        if self.opened is not None:
            self.accept()
            return
        super().reject()

    def shutdown(self) -> None:
        """Wait for a creation in progress and close a database nobody took (end of
        run, or a test)."""
        if self.worker is not None:
            self.worker.wait()
            if self.opened is None and self.worker.opened is not None:
                self.worker.opened.db.dispose()

    def done(self, result: Any) -> None:
        if self.busy:
            return
        super().done(result)
