"""Import a shipper's temperature-logger file at receipt: pick or drop the file, sign.

The dialog only gathers the file, the answers a file may need (its time zone
and temperature unit) and the receiver's signature; the service reads, checks
and records it (`services.condition.import_condition`). A file that cannot be
read is refused with the line named, and nothing is recorded.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.errors import InvalidValue
from cart_chain.ui.errors import classify, describe, error_label, show_error
from cart_chain.ui.file_drop import FileDrop
from cart_chain.ui.signature import SignatureBlock
from cart_chain.ui.titles import set_title

if TYPE_CHECKING:
    from cart_chain.services.views import Receipt
    from cart_chain.ui.session import Session

UNITS = {"": "as the file says", "C": "°C", "F": "°F", "K": "K"}


class ImportLoggerDialog(QDialog):
    """One logger file for the latest transport leg of one unit, signed by the receiver."""

    saved = Signal(object)  # Receipt

    def __init__(
        self, session: Session, unit: str, parent: QWidget | None = None, path: str = ""
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.unit = unit
        set_title(self, f"Import logger file for {unit} — cart-chain")
        self.setMinimumWidth(640)
        banner = QLabel(
            f"The shipper's temperature logger for the latest transport leg of <b>{unit}</b>: "
            "its CSV export or PDF report. Choose the file or drop it here. Excursions and "
            "gaps become deviations for QA."
        )
        banner.setObjectName("Banner")
        banner.setWordWrap(True)
        self.path = QLineEdit(path)  # prefilled when picked in the receipt dialog
        self.path.setPlaceholderText("logger file (.csv, .txt or .pdf)")
        choose = QPushButton("Choose file…")
        choose.setAutoDefault(False)
        choose.clicked.connect(self.choose)
        self.tz = QLineEdit()
        self.tz.setPlaceholderText("only if the file states none, e.g. Europe/Berlin")
        self.temperature_unit = QComboBox()
        for value, text in UNITS.items():
            self.temperature_unit.addItem(text, value)
        self.signature = SignatureBlock("Performed by", session)
        self.error = error_label()
        self.save = QPushButton("Import and sign")
        self.save.setObjectName("Primary")
        self.save.setDefault(True)
        cancel = QPushButton("Cancel")
        cancel.setAutoDefault(False)
        row = QHBoxLayout()
        row.addWidget(self.path, 1)
        row.addWidget(choose)
        form = QFormLayout()
        form.addRow("File", row)
        form.addRow("Time zone", self.tz)
        form.addRow("Unit", self.temperature_unit)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(banner)
        layout.addLayout(form)
        layout.addWidget(self.signature)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.save.clicked.connect(self.submit)
        cancel.clicked.connect(self.reject)
        FileDrop(self, self.path)  # dropped anywhere on the dialog, into File

    def choose(self) -> None:
        name, _ = QFileDialog.getOpenFileName(
            self, "Logger file", "", "Logger files (*.csv *.txt *.tsv *.pdf);;All files (*)"
        )
        if name:
            self.path.setText(name)

    def store(self) -> Receipt:
        from cart_chain.services.condition import import_condition

        text = self.path.text().strip()
        if not text:
            raise InvalidValue("choose the logger file first")
        try:
            data = Path(text).read_bytes()
        except OSError as exc:
            raise InvalidValue(f"cannot read {text}: {exc.strerror or exc}") from None
        return import_condition(
            self.session.db,
            self.unit,
            data,
            self.signature.credentials(),
            tz=self.tz.text().strip() or None,
            temperature_unit=self.temperature_unit.currentData() or None,
            filename=Path(text).name,
        )

    def submit(self) -> None:
        try:
            receipt = self.store()
        except Exception as exc:
            self.signature.clear_password()
            self.error.setText(describe(exc))
            self.error.show()
            if classify(exc) != "rule":
                show_error(self, exc, "import the logger file")
            return
        self.session.signed()
        self.saved.emit(receipt)
        self.session.changed.emit()
        self.accept()
