"""The red stop alert: a wrong patient's bag, a failed bedside check.

It must be read, not dismissed in passing. A keyboard-wedge scanner ends each
code with Enter (some with CR+LF: two), and staff press Enter out of habit; a
message box would take that Enter as "OK" before anyone saw it. So for
`ARM_MS` after it appears every key is ignored, and even then no key
dismisses it on its own: it has no default button, Escape and the window's
close button do nothing, and the acknowledgement is deliberate - a click on
the acknowledgement button (which takes no keyboard focus), or typing
`CONFIRM_WORD` in its field and Enter. Application-modal and shown without
blocking the event loop (the inactivity lock and tests keep working); nothing
behind it can be used until it is acknowledged. One module for both dialogs
that raise it (`record_step`, `bedside`).
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QCloseEvent, QKeyEvent
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cart_chain.ui import theme
from cart_chain.ui.enter_keys import ENTER_KEYS

#: Every key is ignored for this long after the alert appears (milliseconds): the
#: Enter that ended the scan, a scanner's CR+LF, a habitual second Enter.
ARM_MS = 1500
#: Typed (any case) in the alert's field, then Enter, acknowledges it from the keyboard.
CONFIRM_WORD = "STOP"


class StopAlert(QDialog):
    """The alert itself; `acknowledged` tells whether it was closed deliberately."""

    def __init__(
        self, parent: QWidget, title: str, body: str, ack: str, *, arm_ms: int | None = None
    ) -> None:
        super().__init__(parent)
        self.setObjectName("StopAlert")
        self.setWindowTitle(title)
        self.setStyleSheet(theme.WRONG_PATIENT_STYLE)
        self.setWindowModality(Qt.WindowModality.ApplicationModal)
        # A title, and no close, minimise or maximise button: a minimised modal alert
        # would leave the app blocked with nothing to read. Kept above the app's windows.
        self.setWindowFlags(
            Qt.WindowType.Dialog
            | Qt.WindowType.CustomizeWindowHint
            | Qt.WindowType.WindowTitleHint
            | Qt.WindowType.WindowStaysOnTopHint
        )
        self.body = body
        self.acknowledged = False
        self.armed_at = time.monotonic() + (ARM_MS if arm_ms is None else arm_ms) / 1000
        heading = QLabel(title)
        heading.setObjectName("StopTitle")
        text = QLabel(body)
        text.setWordWrap(True)
        self.confirm = QLineEdit()
        self.confirm.setObjectName("StopConfirm")
        self.confirm.setPlaceholderText(f"or type {CONFIRM_WORD} and press Enter")
        self.ack = QPushButton(ack)
        self.ack.setObjectName("StopAck")
        self.ack.setAutoDefault(False)
        self.ack.setDefault(False)
        self.ack.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # Space or Enter cannot press it
        self.ack.clicked.connect(self._acknowledge)
        row = QHBoxLayout()
        row.addWidget(self.confirm, 1)
        row.addWidget(self.ack)
        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(text)
        layout.addLayout(row)
        self.setMinimumWidth(640)
        for w in (self, self.confirm):
            w.installEventFilter(self)
        self.confirm.setFocus()

    def informativeText(self) -> str:
        """The alert's text (what the user must read), named as a message box names it."""
        return self.body

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        if time.monotonic() < self.armed_at or event.key() == Qt.Key.Key_Escape:
            return True
        if event.key() in ENTER_KEYS:
            if watched is self.confirm and self.confirm.text().strip().upper() == CONFIRM_WORD:
                self._acknowledge()
            return True  # never a default button's Enter
        return False

    def changeEvent(self, event: QEvent) -> None:
        """Minimised anyway (a window manager's shortcut): shown again at once."""
        super().changeEvent(event)
        if event.type() == QEvent.Type.WindowStateChange and self.isMinimized():
            self.setWindowState(self.windowState() & ~Qt.WindowState.WindowMinimized)
            self.raise_()
            self.activateWindow()

    def _acknowledge(self) -> None:
        self.acknowledged = True
        self.accept()

    def reject(self) -> None:
        """Escape, or closing the window: not an acknowledgement; the alert stays."""
        if self.acknowledged:
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.acknowledged:
            super().closeEvent(event)
        else:
            event.ignore()


def stop_alert(
    parent: QWidget,
    title: str,
    lead: str,
    detail: str,
    advice: str,
    ack: str = "I have put the bag aside",
) -> StopAlert:
    """Show the red, application-modal, audible alert reserved for "do not go on"."""
    QApplication.beep()
    detail = detail[:1].upper() + detail[1:]
    box = StopAlert(parent, title, f"{lead}\n\n{detail}.\n\n{advice}", ack)
    box.show()  # application-modal, not window-modal as open() would make it
    box.raise_()
    box.activateWindow()
    box.confirm.setFocus()
    return box
