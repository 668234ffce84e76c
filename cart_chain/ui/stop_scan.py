"""What both scanning dialogs (record a step, the bedside check) share.

`ScanKeys` makes Enter or Tab end a scan in a scan field, as a keyboard-wedge
scanner sends it, instead of moving on or saving; `stop_alert` is the red,
blocking, audible alert reserved for "do not go on".
"""

from __future__ import annotations

from typing import Protocol

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QIcon, QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QMessageBox, QWidget

from cart_chain.ui import theme


def stop_alert(
    parent: QWidget,
    title: str,
    lead: str,
    detail: str,
    advice: str,
    ack: str = "I have put the bag aside",
) -> QMessageBox:
    """The red, application-modal, audible alert reserved for "do not go on":
    a wrong patient's bag, a failed bedside check. Shown without blocking the
    event loop (tests and the inactivity lock keep working); nothing behind it
    can be used until it is acknowledged."""
    QApplication.beep()
    box = QMessageBox(parent)
    box.setObjectName("StopAlert")
    box.setIcon(QMessageBox.Icon.Critical)
    box.setWindowTitle(title)
    box.setText(title)
    detail = detail[:1].upper() + detail[1:]
    box.setInformativeText(f"{lead}\n\n{detail}.\n\n{advice}")
    box.setStyleSheet(theme.WRONG_PATIENT_STYLE)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    ok = box.button(QMessageBox.StandardButton.Ok)
    ok.setText(ack)
    ok.setIcon(QIcon())
    box.setWindowModality(Qt.WindowModality.ApplicationModal)
    box.show()  # application-modal, not window-modal as open() would make it
    box.raise_()
    return box


class ScansBags(Protocol):
    """A dialog with a scan field whose scans it resolves (record step, bedside check)."""

    scan: QLineEdit

    def scan_entered(self) -> None: ...


class ScanKeys(QObject):
    """Enter or Tab ends a scan in the scan field (instead of moving on or saving)."""

    def __init__(self, dialog: ScansBags) -> None:
        super().__init__(dialog)  # type: ignore[arg-type]  # always a QDialog too
        self.dialog = dialog

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        ends_scan = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab)
        if (
            event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in ends_scan
        ):
            if self.dialog.scan.text().strip():
                self.dialog.scan_entered()
                return True
            return event.key() != Qt.Key.Key_Tab  # an empty Enter must not save
        return False
