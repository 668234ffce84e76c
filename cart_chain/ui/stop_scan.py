"""What both scanning dialogs (record a step, the bedside check) share.

`ScanKeys` makes Enter or Tab end a scan in a scan field, as a keyboard-wedge
scanner sends it, instead of moving on or saving (a code typed by hand; a
scan at scanner speed is routed by `scan_router` wherever the focus is). The
red alert both raise is `alarm.stop_alert`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit

from cart_chain.domain.errors import IdentifierError
from cart_chain.ui import prefs
from cart_chain.ui.errors import describe

if TYPE_CHECKING:
    from cart_chain.ui.session import Session


def not_a_code(session: Session, text: str) -> str | None:
    """Why a scan names no bag at all (a shelf's or a wristband's barcode, a misread), or
    None when it may name one (read through the scanning service, which writes nothing).

    A scan routed into a dialog that already has its bag lets that bag go only for a
    code that names something: a stray barcode is refused and changes nothing.
    """
    from cart_chain.services.scanning import scan

    try:
        scan(session.db, text, source=prefs.scan_source())
    except IdentifierError as exc:
        return describe(exc)
    except Exception:  # any other refusal is the scan check's to show
        return None
    return None


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
