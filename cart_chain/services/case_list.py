"""The home screen's case list: keyset-paged, sorted, searched; and open alerts.

Pages are read from the case index (`store.case_index`): each case's values as
corrected and their search keys, with a (key, case entry) index per sort order.
A page starts *after* the last row the caller holds (keyset paging), never at an
offset: a page deep in 1M cases costs what the first one does, and a case another
workstation enrols meanwhile never shifts the rows or shows one twice. Alerts are
computed from the summaries alone (no extra query) so the list can show them for
every row it loads, plus the facts of the few units at a step where a profile clock
can run (collection, fresh transit, thaw).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import Session

from cart_chain.domain.clock import parse_iso, utc_iso
from cart_chain.domain.effective import search_key
from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.identifiers import parse_coi
from cart_chain.domain.steps import Step
from cart_chain.domain.windows import CLOCK_STEPS
from cart_chain.services.deviations import deviations_of
from cart_chain.services.unit_state import live
from cart_chain.services.views import CaseSummary
from cart_chain.services.work_queue import running_windows
from cart_chain.store.database import Database
from cart_chain.store.models import CaseIndex, Event, LedgerEntry, Unit

#: Orders the case list can be sorted in, and the index column each sorts by.
SORT_COLUMNS: dict[str, Any] = {
    "created": CaseIndex.seq,
    "coi": CaseIndex.coi,
    "mrn": CaseIndex.mrn_key,
    "patient": CaseIndex.name_key,
    "product": CaseIndex.product_key,
    "last_event": CaseIndex.last_event_at,
}
SORT_KEYS: tuple[str, ...] = tuple(SORT_COLUMNS)


def sort_value(summary: CaseSummary, sort: str) -> object:
    """The value ``summary`` sorts by under ``sort`` (what the index holds for it)."""
    if sort not in SORT_COLUMNS:
        raise InvalidValue(f"cannot sort cases by {sort!r}; choose one of {', '.join(SORT_KEYS)}")
    return {
        "created": summary.seq,
        "coi": summary.coi,
        "mrn": search_key(summary.mrn),
        "patient": search_key(summary.patient_name),
        "product": search_key(summary.product),
        "last_event": summary.last_event_at or "",
    }[sort]


def _like(text: str) -> str:
    """A LIKE pattern matching ``text`` anywhere, its own % and _ taken literally."""
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _filter(q: Any, search: str) -> Any:
    """Cases whose COI, or MRN, name or product as corrected, contain ``search``.

    Case, accents and spacing do not count (`domain.effective.search_key`).
    """
    term = search.strip()
    if not term:
        return q
    key = _like(search_key(term))
    compact = _like("".join(term.upper().split()))
    return q.where(
        or_(
            CaseIndex.coi.like(compact, escape="\\"),
            CaseIndex.mrn_key.like(key, escape="\\"),
            CaseIndex.name_key.like(key, escape="\\"),
            CaseIndex.product_key.like(key, escape="\\"),
        )
    )


def count_cases(db: Database, search: str = "") -> int:
    return db.read(
        lambda s: s.execute(
            _filter(select(func.count()).select_from(CaseIndex), search)
        ).scalar_one()
    )


def list_cases(
    db: Database,
    search: str = "",
    offset: int = 0,
    limit: int | None = None,
    sort: str = "created",
    descending: bool = True,
    after: CaseSummary | None = None,
) -> list[CaseSummary]:
    """One page of case summaries (newest first unless ``sort`` says otherwise).

    ``after`` is the last row of the page before (keyset paging: the page is the
    rows that sort after it, whatever was enrolled since); ``offset`` skips rows
    from there, for the command line. Search and sort use the values as corrected.
    """
    if sort not in SORT_COLUMNS:
        raise InvalidValue(f"cannot sort cases by {sort!r}; choose one of {', '.join(SORT_KEYS)}")
    column = SORT_COLUMNS[sort]

    def run(session: Session) -> list[CaseSummary]:
        q = _filter(select(*_ROW).join(LedgerEntry, LedgerEntry.seq == CaseIndex.seq), search)
        if after is not None:
            value = sort_value(after, sort)
            if sort == "created":
                q = q.where(column < value if descending else column > value)
            else:
                here = tuple_(column, CaseIndex.seq)
                there = tuple_(value, after.seq)
                q = q.where(here < there if descending else here > there)
        if sort == "created":
            q = q.order_by(column.desc() if descending else column.asc())
        elif descending:
            q = q.order_by(column.desc(), CaseIndex.seq.desc())
        else:
            q = q.order_by(column.asc(), CaseIndex.seq.asc())
        if offset:
            q = q.offset(offset)
        if limit is not None:
            q = q.limit(limit)
        return summaries(session, list(session.execute(q)))

    return db.read(run)


#: What a page reads of each case: its index row and when it was enrolled (plain
#: columns, not ORM objects: a page of 200 is built in a few milliseconds).
_ROW = (
    CaseIndex.coi,
    CaseIndex.seq,
    CaseIndex.mrn,
    CaseIndex.patient_name,
    CaseIndex.patient_dob,
    CaseIndex.product,
    CaseIndex.last_event_at,
    LedgerEntry.recorded_at,
)


def summaries(session: Session, rows: list[Any]) -> list[CaseSummary]:
    """Summaries for already-ordered rows of `_ROW`: a few queries per page."""
    cois = [c.coi for c in rows]
    if not cois:
        return []
    last = (
        select(Event.unit_code, func.max(Event.entry_seq).label("seq"))
        .join(Unit, Unit.unit_code == Event.unit_code)
        .where(Unit.coi.in_(cois), live(Event.entry_seq))
        .group_by(Event.unit_code)
        .subquery()
    )
    steps = dict(
        session.execute(
            select(Event.unit_code, Event.step).join(
                last, (last.c.unit_code == Event.unit_code) & (last.c.seq == Event.entry_seq)
            )
        ).all()
    )
    units: dict[str, list[str]] = defaultdict(list)
    for coi, code in session.execute(
        select(Unit.coi, Unit.unit_code).where(Unit.coi.in_(cois)).order_by(Unit.number)
    ).all():
        units[coi].append(code)
    open_deviations: dict[str, int] = defaultdict(int)
    for d in deviations_of(session, cois=cois):
        if d.blocking:
            open_deviations[d.coi] += 1
    timed = [  # only units at a clock step are read further
        (coi, code)
        for coi, codes in units.items()
        for code in codes
        if (step := steps.get(code)) is not None and Step(step) in CLOCK_STEPS
    ]
    clocks: dict[str, list[tuple[str, str, str]]] = defaultdict(list)
    running = running_windows(session, timed)
    for coi, code in timed:
        clocks[coi] += [(code, w.name, utc_iso(w.ends)) for w in running[code]]
    return [
        CaseSummary(
            coi=c.coi,
            grouped=parse_coi(c.coi).grouped(),
            mrn=c.mrn,
            patient_name=c.patient_name,
            patient_dob=c.patient_dob,
            product=c.product,
            unit_steps=tuple((u, steps.get(u)) for u in units[c.coi]),
            last_event_at=c.last_event_at or None,
            created_at=c.recorded_at,
            open_deviations=open_deviations.get(c.coi, 0),
            seq=c.seq,
            windows=tuple(clocks.get(c.coi, ())),
        )
        for c in rows
    ]


def list_case_page(
    db: Database,
    search: str = "",
    sort: str = "created",
    descending: bool = True,
    after: CaseSummary | None = None,
    limit: int = 200,
) -> list[CaseSummary]:
    """The page of case summaries after ``after`` in the requested order (see `list_cases`)."""
    return list_cases(db, search, 0, limit, sort, descending, after)


def alerts(summary: CaseSummary, now: datetime | None = None) -> tuple[str, ...]:
    """Open alerts of a case: deviations awaiting QA, and each clock of its product
    profile (`domain.windows.live_windows`: fresh transit, post-thaw limits) that has run
    out on a unit. The windows are the profile's, never constants: Carvykti's 150 min
    post-thaw is not Kymriah's 30, and a cryopreserved apheresis has no transit clock.
    """
    out: list[str] = []
    if summary.open_deviations:
        n = summary.open_deviations
        out.append(f"{n} deviation{'s' if n > 1 else ''} awaiting QA")
    now = now or datetime.now(UTC)
    for unit, name, ends in summary.windows:
        late = now - parse_iso(ends)
        if late > timedelta(0):
            out.append(f"U{unit[16:18]} {name} window overdue by {_span(late)}")
    return tuple(out)


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours = minutes // 60
    return f"{hours} h" if hours < 72 else f"{hours // 24} days"
