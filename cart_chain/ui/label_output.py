"""Putting a rendered label on a Qt printer: a page of exactly the label's size, 1:1.

No widgets here, so the print path is the same for the print dialog, scripts and
the tests that print through a real CUPS queue: a label drawn 1:1 onto a page of
its own size comes out the right size whatever the printer (the most common
complaint about label printing).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QImage, QPageLayout, QPageSize, QPainter
from PySide6.QtPrintSupport import QPrinter

from cart_chain.domain.errors import InvalidValue


@dataclass(frozen=True)
class RenderedLabel:
    """A label at printer resolution, with its physical size."""

    image: QImage
    width_mm: float
    height_mm: float
    dpi: int
    serial: str | None  # None: a preview, not an issued label


def label_from_png(
    png: bytes, width_mm: float, height_mm: float, dpi: int, serial: str | None
) -> RenderedLabel:
    """The PNG the labels package rendered, as an image Qt can paint."""
    image = QImage.fromData(png, "PNG")
    if image.isNull():
        raise InvalidValue("the rendered label is not a readable PNG")
    return RenderedLabel(image, width_mm, height_mm, dpi, serial)


def configure_printer(printer: QPrinter, label: RenderedLabel) -> None:
    """A page exactly the label's size, no margins, at the label's resolution."""
    size = QPageSize(
        QSizeF(label.width_mm, label.height_mm), QPageSize.Unit.Millimeter, "cart-chain label"
    )
    orientation = QPageLayout.Orientation.Portrait
    printer.setPageLayout(
        QPageLayout(size, orientation, QMarginsF(0, 0, 0, 0), QPageLayout.Unit.Millimeter)
    )
    printer.setFullPage(True)
    printer.setResolution(label.dpi)


def paint_label(printer: QPrinter, label: RenderedLabel) -> None:
    """Draw the label 1:1 onto the printer page."""
    painter = QPainter()
    if not painter.begin(printer):
        raise InvalidValue(f"cannot start printing on {printer.printerName() or 'the printer'}")
    try:
        target = printer.pageLayout().fullRectPixels(printer.resolution())
        painter.drawImage(target, label.image)
    finally:
        painter.end()


def print_on_printer(printer: QPrinter, label: RenderedLabel, document: str) -> None:
    """Size the page for the label, name the job and print it on ``printer``."""
    printer.setDocName(document)
    configure_printer(printer, label)
    paint_label(printer, label)


def print_to_queue(queue: str, label: RenderedLabel, document: str) -> None:
    """Print on the system printer (CUPS queue) named ``queue``."""
    printer = QPrinter(QPrinter.PrinterMode.HighResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.NativeFormat)
    printer.setPrinterName(queue)
    if printer.printerName() != queue or not printer.isValid():
        raise InvalidValue(f"there is no printer called {queue!r} on this computer")
    print_on_printer(printer, label, document)
