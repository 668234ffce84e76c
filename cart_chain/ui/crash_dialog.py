"""The window a nurse sees when cart-chain itself fails: whose fault, what is safe, where to look.

The exception hook may run on any thread; the dialog must be built on the GUI
thread, so the hook emits a signal of an object living there (a queued call).
The text names the error's class only: its message may quote a record.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox

from cart_chain.crash import NOT_SAVED
from cart_chain.logs import log_path


def crash_text(error_class: str, crash_log: Path) -> str:
    return (
        f"This is a bug in cart-chain ({error_class}), not something you did.\n\n"
        f"{NOT_SAVED}\n\n"
        f"Please report it with the time it happened. The details are in\n{crash_log}\n"
        f"and {log_path()}."
    )


class CrashNotifier(QObject):
    """Lives on the GUI thread; `report` may be called from any thread."""

    crashed = Signal(str, str)

    def __init__(self) -> None:
        super().__init__()
        self.shown: list[QMessageBox] = []
        self.crashed.connect(self._show, Qt.ConnectionType.QueuedConnection)

    def report(self, exc: BaseException, crash_log: Path) -> None:
        self.crashed.emit(type(exc).__name__, str(crash_log))

    def _show(self, error_class: str, crash_log: str) -> None:
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "cart-chain hit a bug",
            crash_text(error_class, Path(crash_log)),
            QMessageBox.StandardButton.Close,
            QApplication.activeWindow(),
        )
        box.setObjectName("crash-dialog")
        box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _=0, b=box: self.shown.remove(b) if b in self.shown else None)
        self.shown.append(box)
        box.open()
