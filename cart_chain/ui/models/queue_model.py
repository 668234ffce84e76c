"""The work queue table: what waits, for whom, and how long is left.

The model gets its items through a callable (`services.work_queue.work_queue` in
the app), so it is tested with plain lists as well as a real database. The callable
runs through a `ui.background.Runner`: in the app off the GUI thread, the items
shown once read; a read overtaken by a newer one is dropped. `rerender` re-draws the
time left against a new "now" without reading the database again.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import Qt, Signal
from shiboken6 import isValid

from cart_chain.domain.clock import local_display, utc_iso
from cart_chain.services.views import QueueItem
from cart_chain.ui.background import Runner, run_now
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

    #: The items of a read are shown.
    loaded = Signal()
    #: A read failed (the exception); what is shown stays.
    failed = Signal(object)

    def __init__(self, fetch: FetchQueue, parent: Any = None, run: Runner = run_now) -> None:
        super().__init__(parent)
        self._fetch, self._run = fetch, run
        self.items: list[QueueItem] = []
        self.now = datetime.now(UTC)
        self._request = 0  # the number of the latest read asked for
        self.loading = False

    def reload(self) -> None:
        """Read the queue again (one short read) and show it against the present time."""
        self._request += 1
        request = self._request
        self.loading = True
        self._run(self._fetch, lambda items: self._show(request, items), self._fail(request))

    def _latest(self, request: int) -> bool:
        """Whether ``request`` is the newest read and this model still exists."""
        return isValid(self) and request == self._request

    def _show(self, request: int, items: list[QueueItem]) -> None:
        if not self._latest(request):
            return  # stale: a newer read is on its way
        self.loading = False
        self.beginResetModel()
        self.items = items
        self.now = datetime.now(UTC)
        self.endResetModel()
        self.loaded.emit()

    def _fail(self, request: int) -> Callable[[Exception], None]:
        def failed(exc: Exception) -> None:
            if self._latest(request):
                self.loading = False
                self.failed.emit(exc)

        return failed

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
