"""The case list's search field passes the window's shortcuts and Down on.

A QLineEdit claims Ctrl+E for itself (the X11 key binding "end of line"), so the
window's Export shortcut did nothing while the search field - where the focus
starts - had it. Down in a one-line field does nothing either; users expect it to
move into the list below, onto its first row.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtGui import QKeyEvent, QKeySequence

#: Window shortcuts the search field must not take for its own editing.
PASSED_ON = (QKeySequence("Ctrl+E"),)


class SearchKeys(QObject):
    """Event filter on the search field: ``down`` is called on Down (and the key is
    consumed); the shortcuts in `PASSED_ON` reach the window."""

    def __init__(self, down: Callable[[], None], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.down = down

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if not isinstance(event, QKeyEvent):
            return False
        if event.type() == QEvent.Type.ShortcutOverride:
            # Not accepted here, so the shortcut map triggers the window's action.
            pressed = QKeySequence(event.keyCombination())
            return any(
                pressed.matches(s) == QKeySequence.SequenceMatch.ExactMatch for s in PASSED_ON
            )
        if (
            event.type() == QEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Down
            and event.modifiers() == Qt.KeyboardModifier.NoModifier
        ):
            self.down()
            return True
        return False
