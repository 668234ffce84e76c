"""The work queue panel under the case list: what waits at this site, most urgent first.

Read-only; activating a row (Enter, double-click) opens that unit's case, as a row
of the case list does. The home page reloads it with the list on its refresh timer,
off the GUI thread (`ui.background`).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from cart_chain.services.views import QueueItem
from cart_chain.ui.background import Runner, run_now
from cart_chain.ui.models.queue_model import CASE, LEFT, UNIT, ItemRole, QueueModel


def queue_height(screen_height: int) -> int:
    """The queue's most height: 200 px at 1280×720, so the case list keeps the room,
    and a quarter of a taller screen (270 px at 1080), so more waiting units show."""
    return max(200, screen_height // 4)


class WorkQueuePanel(QWidget):
    """A heading with the number of items, and the queue table."""

    open_case = Signal(str)

    def __init__(
        self,
        fetch: Callable[[], list[QueueItem]],
        parent: QWidget | None = None,
        run: Runner = run_now,
    ) -> None:
        super().__init__(parent)
        self.model = QueueModel(fetch, self, run)
        self.model.loaded.connect(self._update_heading)
        self.heading = QLabel()
        self.heading.setObjectName("Subtle")
        self.table = QTableView()
        self.table.setObjectName("WorkQueue")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for col, width in ((LEFT, 150), (CASE, 235), (UNIT, 260)):
            self.table.setColumnWidth(col, width)
        self.table.setMaximumHeight(queue_height(self.screen().availableGeometry().height()))
        # A deviation's detail is longer than its column at 1280 px: the row grows to
        # the wrapped text (the table scrolls) instead of cutting it with an ellipsis.
        self.table.setWordWrap(True)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.activated.connect(self._activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.heading)
        layout.addWidget(self.table)

    def reload(self) -> None:
        """Read the queue again (one short read); the heading says how much waits once
        it is read (a failure is the model's `failed` signal, shown by the home page)."""
        self.model.reload()

    def _update_heading(self) -> None:
        n = self.model.rowCount()
        self.heading.setText(
            f"Work queue: {n} item{'s' if n != 1 else ''} waiting"
            if n
            else "Work queue: nothing waiting"
        )

    def _activated(self, index: QModelIndex) -> None:
        item = self.model.data(index, ItemRole)
        if item is not None:
            self.open_case.emit(item.unit)
