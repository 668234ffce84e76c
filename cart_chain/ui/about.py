"""About cart-chain: the version (from the package metadata, the one source), where the
data lives, and the versions of what it runs on, for an IT or QA question."""

from __future__ import annotations

import platform
import sys

from PySide6 import __version__ as pyside_version
from PySide6.QtCore import qVersion
from PySide6.QtWidgets import QMessageBox, QWidget

from cart_chain.services.workstation import OpenedDatabase


def about_text(opened: OpenedDatabase) -> str:
    from cart_chain import __version__
    from cart_chain.logs import log_path

    return (
        f"<h2>cart-chain {__version__}</h2>"
        "<p>Chain-of-custody logger for CAR-T cell therapy: signed handoffs, "
        "hash-chained audit trail, QR labels and custody reports.</p>"
        f"<p><b>Database:</b> {opened.where}<br>"
        f"<b>Facility:</b> {opened.facility}<br>"
        f"<b>Log file:</b> {log_path()}</p>"
        f"<p>Python {platform.python_version()} · Qt {qVersion()} · "
        f"PySide6 {pyside_version} · {platform.system()} {platform.machine()}</p>"
        f"<p><small>{sys.executable}</small></p>"
    )


def show_about(parent: QWidget, opened: OpenedDatabase) -> QMessageBox:
    """Non-blocking (``open``), so the inactivity lock and tests keep running."""
    box = QMessageBox(QMessageBox.Icon.Information, "About cart-chain", "", parent=parent)
    box.setWindowIcon(parent.windowIcon())
    box.setIconPixmap(parent.windowIcon().pixmap(64, 64))
    box.setText(about_text(opened))
    box.open()
    return box
