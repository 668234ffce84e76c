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
    QHeaderView,
    QLabel,
    QProgressBar,
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
from cart_chain.ui.first_run_pages import (
    PAGE_ADMIN,
    PAGE_CHOICE,
    PAGE_CREATE,
    PAGE_LOCATION,
    AdminPage,
    ChoicePage,
    LocationPage,
    message_label,
    show_message,
)

if TYPE_CHECKING:
    from cart_chain.services.demo import DemoResult
    from cart_chain.services.workstation import FirstAdministrator, OpenedDatabase


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
        self.message = message_label()
        self.success = message_label("Success")
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
        show_message(
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
        show_message(self.success, text)
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
