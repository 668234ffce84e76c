"""Administration (administrators only): users, shared settings, this workstation.

Every change to users or shared settings is a signed service call recorded in
the ledger; the administrator confirms each with their password in the
signature block at the bottom. Workstation preferences (printer, label kind and
resolution, database location, what the scanner sends) are stored in QSettings
on this machine only.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtPrintSupport import QPrinterInfo
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cart_chain.ui import prefs
from cart_chain.ui.admin_users import UsersTab
from cart_chain.ui.enter_keys import ENTER_KEYS
from cart_chain.ui.errors import classify, describe, show_error
from cart_chain.ui.signature import SignatureBlock

if TYPE_CHECKING:
    from cart_chain.ui.session import Session

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

FRAMING_NOTE = (
    "What the scanner is set to send before and after each code, if anything (printable "
    "characters, no spaces, up to 8). A scan is told from typing by its speed; a prefix or "
    "suffix also recognises a slow (wireless) scanner's codes, wherever the focus is."
)


class AdminDialog(UsersTab, QDialog):
    """Tabs: Users, Shared settings, This workstation.

    No button is a default and Enter acts nowhere: every change is a click.
    """

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
        for button in self.findChildren(QPushButton):
            button.setAutoDefault(False)
            button.setDefault(False)
        self.load_users()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Enter is used up: it ends scans and typed passwords, and must not act."""
        if event.key() in ENTER_KEYS:
            event.accept()
            return
        super().keyPressEvent(event)

    def _run(self, action: str, call: Callable[[], object], done: str) -> bool:
        """Call a signed service; show its result or its refusal (nothing written)."""
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

    # -- shared settings -----------------------------------------------------------------

    def _settings_tab(self) -> QWidget:
        from cart_chain.services.settings import get

        page = QWidget()
        self.facility = QLineEdit(self.session.opened.facility)
        self.facility.setObjectName("Facility")
        self.facility.setMaxLength(5)
        # Printed beside the FIN on collection and container labels (a write-in line
        # until it is set); the service checks it as it checks any printed name.
        self.facility_name = QLineEdit(get(self.session.db, "facility_name"))
        self.facility_name.setObjectName("FacilityName")
        self.facility_name.setPlaceholderText("printed on labels beside the FIN")
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
        form.addRow("Facility name", self.facility_name)
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
        facility_name = self.facility_name.text().strip()
        minutes = str(self.inactivity.value())

        def save() -> None:
            if facility != get(db, "facility"):
                set_setting(db, creds, "facility", facility)
            if facility_name != get(db, "facility_name"):
                set_setting(db, creds, "facility_name", facility_name)
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
        self.scanner_prefix = QLineEdit(prefs.SCANNER_PREFIX.get())
        self.scanner_prefix.setObjectName("ScannerPrefix")
        self.scanner_prefix.setPlaceholderText("none (AIM identifiers such as ]C0 are read anyway)")
        self.scanner_suffix = QLineEdit(prefs.SCANNER_SUFFIX.get())
        self.scanner_suffix.setObjectName("ScannerSuffix")
        self.scanner_suffix.setPlaceholderText("none (Enter or Tab ends a scan anyway)")
        framing = QLabel(FRAMING_NOTE)
        framing.setObjectName("Subtle")
        framing.setWordWrap(True)
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
        form.addRow("Scanner prefix", self.scanner_prefix)
        form.addRow("Scanner suffix", self.scanner_suffix)
        form.addRow("", framing)
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
        from cart_chain.domain.scan_stream import check_frame
        from cart_chain.ui.scan_router import ScanRouter

        try:
            prefix = check_frame("prefix", self.scanner_prefix.text())
            suffix = check_frame("suffix", self.scanner_suffix.text())
        except Exception as exc:
            self._show(describe(exc), error=True)
            return
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
        prefs.SCANNER_PREFIX.set(prefix)
        prefs.SCANNER_SUFFIX.set(suffix)
        if ScanRouter.current is not None:
            ScanRouter.current.reload()  # the running app reads scans with them at once
        self._show("Workstation settings saved." + note, error=False)

    def _show(self, text: str, error: bool) -> None:
        self.message.setObjectName("Error" if error else "Success")
        self.message.setStyleSheet("")
        self.message.setText(text)
        self.message.show()
