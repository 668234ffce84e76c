"""The home screen's table of cases, loaded a page at a time.

A view asks `canFetchMore`/`fetchMore` as the user scrolls, so with 100,000
cases only the rows on screen (plus a page) are ever read. Sorting and search
go to the service: the database orders and filters, the model just pages, each
page asked for as "the rows after the last one I hold" (keyset paging), so a case
enrolled meanwhile on another workstation never shifts or repeats a row.
The model gets its data through two callables, so it is unit-tested with
plain lists as well as with a real database. They run through a
`ui.background.Runner`: in the app off the GUI thread (`run_in_pool`), the rows
shown when read; every search, sort or refresh is numbered and a result overtaken
by a newer request is dropped, so a slow read never overwrites a newer one.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from shiboken6 import isValid

from cart_chain.domain.clock import local_display, parse_iso
from cart_chain.domain.steps import Step
from cart_chain.services.views import CaseSummary
from cart_chain.ui.background import Runner, run_now
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


def units_at_steps(unit_steps: tuple[tuple[str, str | None], ...]) -> str:
    """Bags at the same step named once: "U01, U02 Receipt at treatment centre".

    One "U01 step; U02 step" per bag took three lines of the 195 px column for a case
    of two bags at one step, and the two-line row cut it with an ellipsis (seen at
    1280x720 and 1920x1080); the tooltip keeps one line per bag.
    """
    groups: dict[str | None, list[str]] = {}
    for unit, step in unit_steps:
        groups.setdefault(step, []).append(f"U{unit[16:18]}")
    return "; ".join(f"{', '.join(units)} {step_text(step)}" for step, units in groups.items())


class CasesModel(RowsModel):
    """Lazy, service-sorted table of `CaseSummary` rows."""

    headers = HEADERS
    item_role = SummaryRole

    #: A load (first page, refresh, next page) is shown: its request number.
    loaded = Signal(int)
    #: A load failed (the exception); what is shown stays.
    failed = Signal(object)

    def __init__(
        self,
        fetch: Fetch,
        count: Count,
        alerts: Alerts = _no_alerts,
        page: int = PAGE,
        parent: Any = None,
        run: Runner = run_now,
    ) -> None:
        super().__init__(parent)
        self._fetch, self._count, self._alerts, self._run = fetch, count, alerts, run
        self.page = page
        self.search = ""
        self.sort_key = "created"
        self.descending = True
        self.rows: list[CaseSummary] = []
        self._alert_cache: dict[str, tuple[str, ...]] = {}
        self.total = 0
        self.now = datetime.now(UTC)
        #: The number of the latest list asked for (a search, sort, reload or refresh);
        #: a result for an older number is stale and dropped.
        self.request = 0
        self._list_pending = False
        self._page_pending = False

    # -- loading ------------------------------------------------------------------

    @property
    def loading(self) -> bool:
        """Whether a read asked for has not been shown (or failed) yet."""
        return self._list_pending or self._page_pending

    def reload(self) -> None:
        """Start again from the first page (after a search, a sort or a new record)."""
        self._read_list(self.page)

    #: The most rows `refresh` reads again (the rest load again as the user scrolls).
    REFRESH_PAGES = 5

    def refresh(self) -> None:
        """Read the list again, as many rows as are loaded (at most `REFRESH_PAGES`
        pages): new cases from other workstations appear, relative times and alerts
        are re-rendered against the present."""
        self._read_list(min(max(len(self.rows), self.page), self.REFRESH_PAGES * self.page))

    def _read_list(self, limit: int) -> None:
        """Ask for the count and the first ``limit`` rows; shown when read, if still the
        latest request (a page asked for before it is dropped too)."""
        self.request += 1
        request = self.request
        self._list_pending, self._page_pending = True, False
        search, key, desc = self.search, self.sort_key, self.descending

        def job() -> tuple[int, list[tuple[CaseSummary, tuple[str, ...]]]]:
            total = self._count(search)
            return total, self._with_alerts(self._fetch(search, key, desc, None, limit))

        self._run(job, lambda result: self._show_list(request, *result), self._fail(request))

    def _with_alerts(self, page: list[CaseSummary]) -> list[tuple[CaseSummary, tuple[str, ...]]]:
        return [(s, self._alerts(s)) for s in page]

    def _latest(self, request: int) -> bool:
        """Whether ``request`` is the newest one and this model still exists."""
        return isValid(self) and request == self.request

    def _show_list(
        self, request: int, total: int, page: list[tuple[CaseSummary, tuple[str, ...]]]
    ) -> None:
        if not self._latest(request):
            return  # stale: a newer search, sort or refresh is on its way
        self._list_pending = False
        self.beginResetModel()
        self.now = datetime.now(UTC)
        self.total = total
        self.rows = []
        self._alert_cache = {}
        self._append(page)
        self.endResetModel()
        self.loaded.emit(request)

    def _fail(self, request: int) -> Callable[[Exception], None]:
        def failed(exc: Exception) -> None:
            if self._latest(request):
                self._list_pending = self._page_pending = False
                self.failed.emit(exc)

        return failed

    def _append(self, page: list[tuple[CaseSummary, tuple[str, ...]]]) -> None:
        for s, found in page:
            self.rows.append(s)
            self._alert_cache[s.coi] = found

    def set_search(self, text: str) -> None:
        if text.strip() != self.search:
            self.search = text.strip()
            self.reload()

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> bool:  # noqa: B008
        return not parent.isValid() and len(self.rows) < self.total

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> None:  # noqa: B008
        """Ask for the page after the last row held (one at a time: the view asks again
        while it waits, and a second request would read the same page)."""
        if parent.isValid() or self.loading:
            return
        request = self.request
        self._page_pending = True
        search, key, desc, size = self.search, self.sort_key, self.descending, self.page
        after = self.rows[-1] if self.rows else None

        def job() -> list[tuple[CaseSummary, tuple[str, ...]]]:
            return self._with_alerts(self._fetch(search, key, desc, after, size))

        self._run(job, lambda page: self._show_page(request, page), self._fail(request))

    def _show_page(self, request: int, page: list[tuple[CaseSummary, tuple[str, ...]]]) -> None:
        if not self._latest(request) or not self._page_pending:
            return  # the list was asked for again meanwhile: this page belongs to the old one
        self._page_pending = False
        if len(page) < self.page:
            self.total = len(self.rows) + len(page)  # the end of the list: stop asking
        if page:
            first = len(self.rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
            self._append(page)
            self.endInsertRows()
        self.loaded.emit(request)

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
            return units_at_steps(s.unit_steps)
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
