"""The home screen's case list: sorted pages and open alerts.

Pages come from `cases.list_cases`, which sorts in the database so 100,000
cases stay quick. Alerts are computed from the summaries alone (no extra query)
so the list can show them for every row it loads.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cart_chain.domain.clock import parse_iso
from cart_chain.domain.steps import Step
from cart_chain.services import cases
from cart_chain.services.views import CaseSummary
from cart_chain.store.database import Database

SORT_KEYS = cases.SORT_KEYS

#: Alert thresholds. Conservative defaults from the handling windows in DOMAIN.md:
#: thawed product must be infused within 30 min (the shortest label window), fresh
#: apheresis reaches manufacturing within 24-48 h.
THAW_WINDOW = timedelta(minutes=30)
COLLECTION_WINDOW = timedelta(hours=24)
TRANSIT_WINDOW = timedelta(hours=48)


def list_case_page(
    db: Database,
    search: str = "",
    sort: str = "created",
    descending: bool = True,
    offset: int = 0,
    limit: int = 200,
) -> list[CaseSummary]:
    """One page of case summaries in the requested order (see `cases.list_cases`)."""
    return cases.list_cases(db, search, offset, limit, sort, descending)


def alerts(summary: CaseSummary, now: datetime | None = None) -> tuple[str, ...]:
    """Open alerts of a case: a unit waiting longer than its handling window allows.

    Uses the case's last event time, which is the time the waiting unit's step
    was recorded whenever only one unit moved last (the usual case).
    """
    out: list[str] = []
    if summary.open_deviations:
        n = summary.open_deviations
        out.append(f"{n} deviation{'s' if n > 1 else ''} awaiting QA")
    if summary.last_event_at is None:
        return tuple(out)
    now = now or datetime.now(UTC)
    waited = now - parse_iso(summary.last_event_at)
    for unit, step in summary.unit_steps:
        label = f"U{unit[16:18]}"
        if step == Step.THAW and waited > THAW_WINDOW:
            out.append(f"{label} thawed {_span(waited)} ago and not infused")
        elif step == Step.COLLECTION and waited > COLLECTION_WINDOW:
            out.append(f"{label} collected {_span(waited)} ago and not shipped")
        elif step in (Step.SHIP_TO_MANUFACTURING, Step.SHIP_TO_SITE) and waited > TRANSIT_WINDOW:
            out.append(f"{label} in transit for {_span(waited)}")
    return tuple(out)


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 72 else f"{hours // 24} days"
