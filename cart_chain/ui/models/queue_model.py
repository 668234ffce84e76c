"""The work queue table: what waits, for whom, and how long is left.

The model gets its items through a callable (`services.work_queue.work_queue` in
the app), so it is tested with plain lists as well as a real database. `rerender`
re-draws the time left against a new "now" without reading the database again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt

from cart_chain.domain.clock import local_display, utc_iso
from cart_chain.services.views import QueueItem
from cart_chain.ui.models.rows import RowsModel

#: fetch() -> the queue items, most urgent first
FetchQueue = Callable[[], list[QueueItem]]

LEFT, CASE, UNIT, WAITING = range(4)
HEADERS = ("Time left", "Case (COI)", "Unit", "Waiting for")
#: Custom role returning the row's backing `QueueItem`.
ItemRole = Qt.ItemDataRole.UserRole + 2


class QueueModel(RowsModel):
    """Read-only table of `QueueItem` rows, in the service's order."""

    headers = HEADERS
    item_role = ItemRole

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

    def _items(self) -> Sequence[QueueItem]:
        return self.items

    def _tooltip(self, item: QueueItem, col: int) -> str | None:
        if col == LEFT and item.ends is not None:
            return f"ends {local_display(utc_iso(item.ends))}"
        return item.waiting if col == WAITING else None

    def _alarm(self, item: QueueItem, col: int) -> bool:
        return col == LEFT and item.overdue(self.now)

    def _display(self, item: QueueItem, col: int) -> str:
        if col == LEFT:
            return item.time_left(self.now)
        if col == CASE:
            return item.grouped_coi
        if col == UNIT:
            return item.grouped_unit
        return item.waiting
