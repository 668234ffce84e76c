"""Enter moves to the next field in a signing dialog; only the last password signs.

A keyboard-wedge scanner ends what it types with Enter, into whatever field has
the focus; staff press Enter out of habit after a location or a temperature.
In a dialog whose default button signs, each of those Enters would sign and save
a half-filled record. So Enter in a line edit, combo box or spin box moves the
focus on instead, except in the signing field - the last password, where Enter
after typing it is what users expect to sign with. The scan field keeps its own
handling (`stop_scan.ScanKeys` ends the scan with Enter); a multi-line note
takes Enter as a new line.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QDialog, QLineEdit, QWidget

ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)


class EnterMovesOn(QObject):
    """Event filter: Enter in a field moves the focus to the next field and is used up."""

    def __init__(self, dialog: QDialog, signs: Callable[[], QWidget | None]) -> None:
        super().__init__(dialog)
        self.signs = signs  # the field where Enter signs, asked at the time of the key

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() != QEvent.Type.KeyPress
            or not isinstance(event, QKeyEvent)
            or event.key() not in ENTER_KEYS
            or not isinstance(watched, QWidget)
            or watched is self.signs()
        ):
            return False
        watched.setFocus()
        watched.focusNextChild()
        return True


def enter_moves_on(dialog: QDialog, signs: Callable[[], QWidget | None], *skip: QWidget) -> None:
    """Make Enter move on in every field of ``dialog`` but ``signs()`` and ``skip``.

    Call once the dialog's fields exist; ``skip`` is for fields with their own
    Enter (the scan field).
    """
    keys = EnterMovesOn(dialog, signs)
    fields: list[QWidget] = [
        *dialog.findChildren(QLineEdit),
        *dialog.findChildren(QComboBox),
        *dialog.findChildren(QAbstractSpinBox),
    ]
    for field in fields:
        if not any(field is s for s in skip):
            field.installEventFilter(keys)
