"""Print a label: preview, printer choice (remembered), label kind; reprints ask why.

Labels are rendered by `cart_chain.labels` at the template's true size and
resolution and drawn 1:1 onto a page of exactly the label's size, so the label
comes out the right size whatever the printer (the most common complaint about
label printing). Any Qt printer works, including a PDF file for tests and
archiving. The printer choice is a workstation preference (QSettings).
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPixmap
from PySide6.QtPrintSupport import QPrintDialog, QPrinter, QPrinterInfo, QPrintPreviewDialog
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.steps import Step
from cart_chain.ui import prefs
from cart_chain.ui.errors import classify, describe, error_label, show_error
from cart_chain.ui.fit import WINDOW_FRAME, keep_on_screen, layout_height
from cart_chain.ui.label_output import (
    RenderedLabel,
    configure_printer,
    label_from_png,
    paint_label,
    print_on_printer,
)
from cart_chain.ui.signature import SignatureBlock
from cart_chain.ui.titles import set_title

if TYPE_CHECKING:
    from cart_chain.services.accounts import Credentials
    from cart_chain.services.views import CaseDetail
    from cart_chain.ui.session import Session

log = logging.getLogger("cart_chain.ui.labels")

PDF_CHOICE = "PDF file"
KIND_NAMES = {
    "bag": "Bag label",
    "transport": "Transport (shipper) label",
    "tube": "Tube / sample label",
    "container": "Product container label (ISBT 128)",
    "collection": "Collection label (ISBT 128 ST-018)",
}


def available_kinds() -> tuple[str, ...]:
    from cart_chain.domain.label_layout import KINDS

    return KINDS


def _step_of(case: CaseDetail, unit: str, step: str | None) -> Step:
    view = next(u for u in case.units if u.unit == unit)
    if step:
        return Step(step)
    if view.current_step:
        return Step(view.current_step)
    return Step(view.next_steps[0])


def render_label(
    session: Session,
    case: CaseDetail,
    unit: str,
    kind: str,
    step: str | None,
    previous: list[Any],
) -> RenderedLabel:
    """A preview exactly as the label will print (serial = the next one); records nothing."""
    from cart_chain.domain.clock import now_iso
    from cart_chain.domain.identifiers import parse_unit
    from cart_chain.domain.label_layout import load_layout
    from cart_chain.domain.labelcode import LabelCode
    from cart_chain.labels.render import render
    from cart_chain.services.labels import is_reprint, label_data

    layout = load_layout(kind)
    view = next(u for u in case.units if u.unit == unit)
    serial = max((p.serial for p in previous), default=0) + 1
    code = LabelCode(parse_unit(unit), serial)
    data = label_data(
        case,
        view,
        code,
        kind,
        _step_of(case, unit, step),
        now_iso(),
        session.user.username,
        layout,
        is_reprint(previous, kind),
    )
    png = render(layout, data, "png")
    return label_from_png(png, layout.width_mm, layout.height_mm, layout.dpi, None)


def issue_label(
    session: Session,
    unit: str,
    kind: str,
    step: str | None,
    by: Credentials,
    reason: str | None,
    destination: str,
) -> RenderedLabel:
    """Issue the label through the labels service: it gets its serial, voids the label
    it replaces (a reprint) and is recorded in the ledger before it is printed."""
    from cart_chain.domain.label_layout import load_layout
    from cart_chain.labels.printing import print_label

    printed = print_label(
        session.db,
        unit,
        kind,
        by,
        fmt="png",
        reason=reason,
        step=step,
        destination=destination,
    )
    layout = load_layout(kind)
    return label_from_png(
        printed.output, layout.width_mm, layout.height_mm, printed.dpi, str(printed.serial)
    )


class PrintLabelDialog(QDialog):
    """Kind, preview, printer and (for a reprint) the reason; sign; then print.

    Whether this is a reprint is the ledger's answer (an earlier label of this
    kind exists for the bag), not the caller's guess.
    """

    printed = Signal(str)  # where it went

    def __init__(
        self,
        session: Session,
        case: CaseDetail,
        unit: str,
        step: str | None = None,
        parent: QWidget | None = None,
        kind: str | None = None,
    ) -> None:
        super().__init__(parent)
        from cart_chain.services.labels import list_labels

        self.session, self.case, self.unit, self.step = session, case, unit, step
        self.previous = list_labels(session.db, unit)
        self.label: RenderedLabel | None = None
        self.printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        # No fixed minimum width: a widget's own minimum replaces its layout's, so with
        # one the dialog stayed ~850 px wide when the PDF file and reprint rows were
        # shown, and squeezed the form over the preview and its rows into each other.
        # The layout's minimum (the preview and the form beside it) grows it instead.

        view = next(u for u in case.units if u.unit == unit)
        intro = QLabel(
            f"<b>{case.patient_name}</b> · bag {view.number} of {view.of} · "
            + (f"for the next holder after {Step(step).label}" if step else "current step")
        )
        intro.setObjectName("Banner")
        self.kind = QComboBox()
        self.kind.setObjectName("LabelKind")
        for k in available_kinds():
            self.kind.addItem(KIND_NAMES.get(k, k), k)
        # Offered after a step: the kind the next holder needs; else the last one used.
        chosen = self.kind.findData(kind or prefs.LABEL_KIND.get())
        if chosen >= 0:
            self.kind.setCurrentIndex(chosen)
        self.preview = QLabel()
        self.preview.setObjectName("LabelPreview")
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setMinimumSize(520, 330)
        self.preview.setStyleSheet("background: white; border: 1px solid #c9d3da;")
        self.destination = QComboBox()
        self.destination.setObjectName("Printer")
        self.destination.addItems([*QPrinterInfo.availablePrinterNames(), PDF_CHOICE])
        chosen = self.destination.findText(prefs.PRINTER_NAME.get())
        if chosen < 0 and QPrinterInfo.defaultPrinterName():
            chosen = self.destination.findText(QPrinterInfo.defaultPrinterName())
        self.destination.setCurrentIndex(max(chosen, 0))
        self.pdf_path = QLineEdit()
        self.pdf_path.setObjectName("PdfPath")
        self.pdf_path.setText(
            str(Path(prefs.LAST_EXPORT_DIR.get() or Path.home()) / f"label-{unit}.pdf")
        )
        self.reason = QLineEdit()
        self.reason.setObjectName("ReprintReason")
        self.reason.setPlaceholderText("damaged, smudged or lost?")  # the row says why
        self.signature = SignatureBlock("Printed by", session)
        self.error = error_label()
        setup = QPushButton("Printer settings…")
        setup.setAutoDefault(False)
        preview = QPushButton("Print preview…")
        preview.setAutoDefault(False)
        self.print_button = QPushButton("Sign and print")
        self.print_button.setObjectName("Primary")
        self.print_button.setDefault(True)
        skip = QPushButton("Not now")
        skip.setAutoDefault(False)

        self.form = QFormLayout()
        self.form.addRow("Label", self.kind)
        self.form.addRow("Printer", self.destination)
        self.form.addRow("PDF file", self.pdf_path)
        self.form.addRow("Reprint reason", self.reason)
        right = QVBoxLayout()
        right.addLayout(self.form)
        right.addWidget(self.signature)
        right.addStretch(1)
        middle = QHBoxLayout()
        middle.addWidget(self.preview, 1)
        middle.addLayout(right, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(setup)
        buttons.addWidget(preview)
        buttons.addStretch(1)
        buttons.addWidget(skip)
        buttons.addWidget(self.print_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(middle, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

        self.kind.currentIndexChanged.connect(self.refresh_preview)
        self.destination.currentIndexChanged.connect(self._destination_changed)
        setup.clicked.connect(self._printer_settings)
        preview.clicked.connect(self._print_preview)
        self.print_button.clicked.connect(self.print_label)
        skip.clicked.connect(self.reject)
        self._destination_changed()
        self.refresh_preview()
        (self.reason if self.is_reprint() else self.signature.first_field()).setFocus()

    def is_reprint(self) -> bool:
        from cart_chain.services.labels import is_reprint

        return is_reprint(self.previous, self.kind.currentData())

    # -- preview and printer -----------------------------------------------------------

    def refresh_preview(self) -> None:
        reprint = self.is_reprint()
        self.form.setRowVisible(self.reason, reprint)
        self._fit()
        verb = "Reprint" if reprint else "Print"
        what = self.kind.currentText().lower()
        set_title(self, f"{verb} {what} for {self.unit} — cart-chain")
        try:
            self.label = render_label(
                self.session,
                self.case,
                self.unit,
                self.kind.currentData(),
                self.step,
                self.previous,
            )
        except Exception as exc:
            self._error(exc, "render the label")
            return
        pix = QPixmap.fromImage(self.label.image)
        self.preview.setPixmap(
            pix.scaled(
                self.preview.minimumSize(),
                Qt.AspectRatioMode.KeepAspectRatio,
                Qt.TransformationMode.SmoothTransformation,
            )
        )

    def _destination_changed(self) -> None:
        self.form.setRowVisible(self.pdf_path, self.destination.currentText() == PDF_CHOICE)
        self._fit()

    def _fit(self) -> None:
        """As tall as the rows now shown (PDF file, reprint reason, an error) ask, within
        the screen: a row shown only raised the dialog to its minimum, rows touching.
        Worst case about 570 px with its frame, so it fits a 1280x720 screen unscrolled."""
        height = layout_height(self)
        screen = self.screen()
        if screen is not None:
            room = screen.availableGeometry()
            height = max(self.minimumSizeHint().height(), min(height, room.height() - WINDOW_FRAME))
            self.resize(max(self.width(), self.sizeHint().width()), height)
            keep_on_screen(self)
        else:
            self.resize(self.width(), height)

    def _apply_destination(self) -> str:
        if self.destination.currentText() == PDF_CHOICE:
            path = self.pdf_path.text().strip()
            if not path:
                raise InvalidValue("choose the PDF file to print to")
            self.printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)
            self.printer.setOutputFileName(path)
            where = f"PDF file {path}"
        else:
            self.printer.setOutputFormat(QPrinter.OutputFormat.NativeFormat)
            self.printer.setPrinterName(self.destination.currentText())
            where = f"printer {self.destination.currentText()}"
        if self.label is not None:
            configure_printer(self.printer, self.label)
        return where

    def _printer_settings(self) -> None:
        try:
            self._apply_destination()
        except Exception as exc:
            self._error(exc, "set up the printer")
            return
        dialog = QPrintDialog(self.printer, self)
        dialog.setWindowTitle("Label printer — cart-chain")
        if dialog.exec() == QDialog.DialogCode.Accepted:
            i = self.destination.findText(self.printer.printerName())
            if i >= 0:
                self.destination.setCurrentIndex(i)

    def _print_preview(self) -> None:
        if self.label is None:
            return
        try:
            self._apply_destination()
        except Exception as exc:
            self._error(exc, "preview")
            return
        dialog = QPrintPreviewDialog(self.printer, self)
        label = self.label
        dialog.paintRequested.connect(lambda p: paint_label(p, label))
        dialog.exec()

    # -- printing -----------------------------------------------------------------------

    def print_label(self) -> None:
        reprint = self.is_reprint()
        reason = self.reason.text().strip() if reprint else None
        try:
            if reprint and not reason:
                raise InvalidValue("a reprint needs a reason (it is kept with the label record)")
            where = self._apply_destination()
            label = issue_label(
                self.session,
                self.unit,
                self.kind.currentData(),
                self.step,
                self.signature.credentials(),
                reason,
                where,
            )
            print_on_printer(self.printer, label, f"cart-chain label {self.unit} {label.serial}")
        except Exception as exc:
            self.signature.clear_password()
            self._error(exc, "print the label")
            return
        self.session.signed()
        prefs.PRINTER_NAME.set(self.destination.currentText())
        prefs.LABEL_KIND.set(self.kind.currentData())
        self.session.changed.emit()
        self.printed.emit(where)
        self.accept()

    def _error(self, exc: BaseException, action: str) -> None:
        self.error.setText(describe(exc))
        self.error.show()
        self._fit()
        if classify(exc) != "rule":
            show_error(self, exc, action)
