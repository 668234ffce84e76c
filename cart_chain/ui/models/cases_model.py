"""The home screen's table of cases, loaded a page at a time.

A view asks `canFetchMore`/`fetchMore` as the user scrolls, so with 100,000
cases only the rows on screen (plus a page) are ever read. Sorting and search
go to the service: the database orders and filters, the model just pages, each
page asked for as "the rows after the last one I hold" (keyset paging), so a case
enrolled meanwhile on another workstation never shifts or repeats a row.
The model gets its data through two callables, so it is unit-tested with
plain lists as well as with a real database.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt

from cart_chain.domain.clock import local_display, parse_iso
from cart_chain.domain.steps import Step
from cart_chain.services.views import CaseSummary
from cart_chain.ui.models.rows import RowsModel

#: fetch(search, sort_key, descending, after, limit) -> the page of summaries that sorts
#: after ``after`` (the last row loaded; None for the first page)
Fetch = Callable[[str, str, bool, CaseSummary | None, int], list[CaseSummary]]
#: count(search) -> number of matching cases
Count = Callable[[str], int]
#: alerts(summary) -> open alerts of the case
Alerts = Callable[[CaseSummary], tuple[str, ...]]

COI, MRN, NAME, PRODUCT, STEPS, SINCE, ALERTS = range(7)
HEADERS = ("COI", "MRN", "Patient", "Product", "Units: current step", "Last event", "Alerts")
#: The service sort key of each column (None: the column is not sortable).
SORT_KEYS: dict[int, str | None] = {
    COI: "coi",
    MRN: "mrn",
    NAME: "patient",
    PRODUCT: "product",
    STEPS: None,
    SINCE: "last_event",
    ALERTS: None,
}
#: Custom role returning the row's backing `CaseSummary`.
SummaryRole = Qt.ItemDataRole.UserRole + 1

PAGE = 200


def _no_alerts(_: CaseSummary) -> tuple[str, ...]:
    return ()


def step_text(step: str | None) -> str:
    return "not started" if step is None else Step(step).label


def since(moment: str | None, now: datetime) -> str:
    """Elapsed time since ``moment``, short enough for a table cell."""
    if moment is None:
        return "—"
    minutes = int((now - parse_iso(moment)).total_seconds() // 60)
    if minutes < 1:
        return "just now"
    if minutes < 60:
        return f"{minutes} min ago"
    if minutes < 48 * 60:
        return f"{minutes // 60} h {minutes % 60:02d} min ago"
    return f"{minutes // (24 * 60)} days ago"


class CasesModel(RowsModel):
    """Lazy, service-sorted table of `CaseSummary` rows."""

    headers = HEADERS
    item_role = SummaryRole

    def __init__(
        self,
        fetch: Fetch,
        count: Count,
        alerts: Alerts = _no_alerts,
        page: int = PAGE,
        parent: Any = None,
    ) -> None:
        super().__init__(parent)
        self._fetch, self._count, self._alerts = fetch, count, alerts
        self.page = page
        self.search = ""
        self.sort_key = "created"
        self.descending = True
        self.rows: list[CaseSummary] = []
        self._alert_cache: dict[str, tuple[str, ...]] = {}
        self.total = 0
        self.now = datetime.now(UTC)

    # -- loading ------------------------------------------------------------------

    def reload(self) -> None:
        """Start again from the first page (after a search, a sort or a new record)."""
        self.beginResetModel()
        self.now = datetime.now(UTC)
        self.total = self._count(self.search)
        self.rows = []
        self._alert_cache = {}
        self._append(self._fetch(self.search, self.sort_key, self.descending, None, self.page))
        self.endResetModel()

    #: The most rows `refresh` reads again (the rest load again as the user scrolls).
    REFRESH_PAGES = 5

    def refresh(self) -> None:
        """Read the list again, as many rows as are loaded (at most `REFRESH_PAGES`
        pages): new cases from other workstations appear, relative times and alerts
        are re-rendered against the present."""
        keep = min(max(len(self.rows), self.page), self.REFRESH_PAGES * self.page)
        total = self._count(self.search)
        rows = self._fetch(self.search, self.sort_key, self.descending, None, keep)
        self.beginResetModel()
        self.now = datetime.now(UTC)
        self.total = total
        self.rows = []
        self._alert_cache = {}
        self._append(rows)
        self.endResetModel()

    def _append(self, page: list[CaseSummary]) -> None:
        self.rows.extend(page)
        for s in page:
            self._alert_cache[s.coi] = self._alerts(s)

    def set_search(self, text: str) -> None:
        if text.strip() != self.search:
            self.search = text.strip()
            self.reload()

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self.rows) < self.total

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: B008
        if parent.isValid():
            return
        after = self.rows[-1] if self.rows else None
        page = self._fetch(self.search, self.sort_key, self.descending, after, self.page)
        if len(page) < self.page:
            self.total = len(self.rows) + len(page)  # the end of the list: stop asking
        if not page:
            return
        first = len(self.rows)
        self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
        self._append(page)
        self.endInsertRows()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = SORT_KEYS.get(column)
        if key is None:
            return
        self.sort_key = key
        self.descending = order == Qt.SortOrder.DescendingOrder
        self.reload()

    # -- what the rows show (`ui.models.rows`) -------------------------------------

    def summary(self, row: int) -> CaseSummary:
        return self.rows[row]

    def _items(self) -> Sequence[CaseSummary]:
        return self.rows

    def _tooltip(self, s: CaseSummary, col: int) -> str | None:
        if col == SINCE and s.last_event_at:
            return local_display(s.last_event_at)
        if col == ALERTS:
            return "\n".join(self._alert_cache.get(s.coi, ())) or None
        if col == STEPS:
            return "\n".join(f"{u}: {step_text(st)}" for u, st in s.unit_steps)
        return None

    def _alarm(self, s: CaseSummary, col: int) -> bool:
        return col == ALERTS and bool(self._alert_cache.get(s.coi))

    def _display(self, s: CaseSummary, col: int) -> str:
        if col == COI:
            return s.grouped
        if col == MRN:
            return s.mrn
        if col == NAME:
            return s.patient_name
        if col == PRODUCT:
            return s.product
        if col == STEPS:
            if len(s.unit_steps) == 1:
                return step_text(s.unit_steps[0][1])
            return "; ".join(f"U{u[16:18]} {step_text(st)}" for u, st in s.unit_steps)
        if col == SINCE:
            return since(s.last_event_at, self.now)
        if col == ALERTS:
            found = self._alert_cache.get(s.coi, ())
            return (
                ""
                if not found
                else f"⚠ {found[0]}" + (f" (+{len(found) - 1})" if len(found) > 1 else "")
            )
        return ""
