"""A file dropped anywhere on a dialog goes to its one file field, never into another.

The receiver at a receipt drags the shipper's logger file from the file manager
onto whatever part of the dialog is nearest. Without this, a drop on the
Location or Note field would type the file's URL into that field, and a drop on
a label would do nothing. With it, every drop of local files on the dialog (any
of its fields included) fills the file field while that field is shown, and is
refused while it is not, so a dropped file never becomes a location or a note.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QLineEdit, QPlainTextEdit, QTextEdit, QWidget

_DRAG = (QEvent.Type.DragEnter, QEvent.Type.DragMove, QEvent.Type.Drop)


def _files(event: QDropEvent) -> list[str]:
    return [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]


class FileDrop(QObject):
    """Routes file drops on ``dialog`` (and on its text fields) to ``field``.

    ``shown`` is the widget whose visibility says whether a file is asked now (the
    field's row); the field itself by default.
    """

    def __init__(self, dialog: QWidget, field: QLineEdit, shown: QWidget | None = None) -> None:
        super().__init__(dialog)
        self.dialog, self.field, self.shown = dialog, field, shown or field
        dialog.setAcceptDrops(True)
        dialog.installEventFilter(self)
        # Text fields accept drops themselves, so they are watched too; the rest of
        # the dialog's children pass drags up to the dialog.
        for child in dialog.findChildren(QWidget):
            if isinstance(child, (QLineEdit, QPlainTextEdit, QTextEdit)):
                child.installEventFilter(self)

    def asked(self) -> bool:
        return self.field.isEnabled() and self.shown.isVisibleTo(self.dialog)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() not in _DRAG or not isinstance(event, QDropEvent):
            return False  # (drag enter and move events are drop events too)
        if not event.mimeData().hasUrls():
            return False  # plain text dragged between fields: Qt's own business
        files = _files(event)
        if not files or not self.asked():
            event.ignore()
            return True  # never typed into the field under the cursor
        if event.type() == QEvent.Type.Drop:
            self.field.setText(files[0])
            self.field.setFocus()
        event.acceptProposedAction()
        return True
