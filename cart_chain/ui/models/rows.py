"""What the home screen's two tables share: one row per item, a text per cell.

The case list and the work queue show their rows the same way: the header, the
cell's text (also read out by a screen reader), a tooltip, red text where something
is overdue, and a role handing back the row's own object. Each model says only what
its columns hold (`_display`, `_tooltip`, `_alarm`); the Qt plumbing lives here once.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

#: The text colour of an overdue clock or an open alert.
ALARM_COLOUR = "#b3001b"


class RowsModel(QAbstractTableModel):
    """A read-only table of ``_items()``, one object per row, laid out by subclasses."""

    #: Column headings, one per column.
    headers: tuple[str, ...] = ()
    #: The role returning a row's backing object.
    item_role: int = Qt.ItemDataRole.UserRole

    def _items(self) -> Sequence[Any]:
        raise NotImplementedError

    def _display(self, item: Any, col: int) -> str:
        raise NotImplementedError

    def _tooltip(self, item: Any, col: int) -> str | None:
        return None

    def _alarm(self, item: Any, col: int) -> bool:
        """Whether the cell is drawn in the alarm colour."""
        return False

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._items())

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        items = self._items()
        if not index.isValid() or index.row() >= len(items):
            return None
        item = items[index.row()]
        col = index.column()
        if role == self.item_role:
            return item
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._display(item, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(item, col)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(ALARM_COLOUR)) if self._alarm(item, col) else None
        return None
