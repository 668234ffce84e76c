"""The work queue table: what waits, for whom, and how long is left.

The model gets its items through a callable (`services.work_queue.work_queue` in
the app), so it is tested with plain lists as well as a real database. `rerender`
re-draws the time left against a new "now" without reading the database again.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor

from cart_chain.domain.clock import local_display, utc_iso
from cart_chain.services.views import QueueItem

#: fetch() -> the queue items, most urgent first
FetchQueue = Callable[[], list[QueueItem]]

LEFT, CASE, UNIT, WAITING = range(4)
HEADERS = ("Time left", "Case (COI)", "Unit", "Waiting for")
#: Custom role returning the row's backing `QueueItem`.
ItemRole = Qt.ItemDataRole.UserRole + 2


class QueueModel(QAbstractTableModel):
    """Read-only table of `QueueItem` rows, in the service's order."""

    def __init__(self, fetch: FetchQueue, parent: Any = None) -> None:
        super().__init__(parent)
        self._fetch = fetch
        self.items: list[QueueItem] = []
        self.now = datetime.now(UTC)

    def reload(self) -> None:
        """Read the queue again (one short read) and show it against the present time."""
        items = self._fetch()
        self.beginResetModel()
        self.items = items
        self.now = datetime.now(UTC)
        self.endResetModel()

    def rerender(self, now: datetime | None = None) -> None:
        """Re-draw the time left against ``now`` (default: the present), no read."""
        self.now = now or datetime.now(UTC)
        if self.items:
            self.dataChanged.emit(self.index(0, LEFT), self.index(len(self.items) - 1, LEFT))

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.items)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        return None

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        if not index.isValid() or index.row() >= len(self.items):
            return None
        item = self.items[index.row()]
        col = index.column()
        if role == ItemRole:
            return item
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            return self._display(item, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == LEFT and item.ends is not None:
                return f"ends {local_display(utc_iso(item.ends))}"
            return item.waiting if col == WAITING else None
        if role == Qt.ItemDataRole.ForegroundRole and col == LEFT and item.overdue(self.now):
            return QBrush(QColor("#b3001b"))
        return None

    def _display(self, item: QueueItem, col: int) -> str:
        if col == LEFT:
            return item.time_left(self.now)
        if col == CASE:
            return item.grouped_coi
        if col == UNIT:
            return item.grouped_unit
        return item.waiting
