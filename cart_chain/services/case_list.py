"""The home screen's case list: sorted pages and open alerts.

Pages come from `list_cases`, which sorts in the database so 100,000
cases stay quick. Alerts are computed from the summaries alone (no extra query)
so the list can show them for every row it loads.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import parse_iso
from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.identifiers import parse_coi
from cart_chain.domain.steps import Step
from cart_chain.services.deviations import deviations_of
from cart_chain.services.effective import case_fields, effective_column, effective_of
from cart_chain.services.unit_state import live
from cart_chain.services.views import (
    CaseSummary,
)
from cart_chain.store.database import Database
from cart_chain.store.models import (
    Case,
    Event,
    LedgerEntry,
    Unit,
)


def count_cases(db: Database, search: str = "") -> int:
    return db.read(
        lambda s: s.execute(_filter(select(func.count()).select_from(Case), search)).scalar_one()
    )


def _filter(q, search: str):  # type: ignore[no-untyped-def]
    term = search.strip()
    if not term:
        return q
    like = f"%{term}%"
    compact = "".join(term.upper().split())
    return q.where(
        or_(
            Case.coi.like(f"%{compact}%"),
            effective_column(Case.entry_seq, "mrn", Case.mrn).ilike(like),
            effective_column(Case.entry_seq, "patient_name", Case.patient_name).ilike(like),
            effective_column(Case.entry_seq, "product", Case.product).ilike(like),
        )
    )


#: Orders the case list can be sorted in (the database sorts, so 100,000 cases page fast).
SORT_KEYS: tuple[str, ...] = ("created", "coi", "mrn", "patient", "product", "last_event")


def list_cases(
    db: Database,
    search: str = "",
    offset: int = 0,
    limit: int | None = None,
    sort: str = "created",
    descending: bool = True,
) -> list[CaseSummary]:
    """One page of case summaries (newest first unless ``sort`` says otherwise).

    Search and sort use the values as corrected (`domain.effective`).
    """
    if sort not in SORT_KEYS:
        raise InvalidValue(f"cannot sort cases by {sort!r}; choose one of {', '.join(SORT_KEYS)}")

    def run(session: Session) -> list[CaseSummary]:
        q = _filter(
            select(Case, LedgerEntry.recorded_at).join(
                LedgerEntry, LedgerEntry.seq == Case.entry_seq
            ),
            search,
        )
        if sort == "last_event":
            last = (
                select(Unit.coi.label("coi"), func.max(Event.occurred_at).label("last"))
                .join(Event, Event.unit_code == Unit.unit_code)
                .group_by(Unit.coi)
                .subquery()
            )
            q = q.outerjoin(last, last.c.coi == Case.coi)
            column = func.coalesce(last.c.last, "")
        else:
            column = {
                "created": Case.entry_seq,
                "coi": Case.coi,
                "mrn": effective_column(Case.entry_seq, "mrn", Case.mrn),
                "patient": effective_column(Case.entry_seq, "patient_name", Case.patient_name),
                "product": effective_column(Case.entry_seq, "product", Case.product),
            }[sort]
        order = column.desc() if descending else column.asc()
        tie = Case.entry_seq.desc() if descending else Case.entry_seq.asc()
        q = q.order_by(order, tie).offset(offset)
        if limit is not None:
            q = q.limit(limit)
        return summaries(session, [(c, at) for c, at in session.execute(q)])

    return db.read(run)


def summaries(session: Session, rows: list[tuple[Case, str]]) -> list[CaseSummary]:
    """Summaries for already-ordered (case, enrolled at) rows: a few queries per page."""
    cois = [c.coi for c, _ in rows]
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
    latest = dict(
        session.execute(
            select(Unit.coi, func.max(Event.occurred_at))
            .join(Event, Event.unit_code == Unit.unit_code)
            .where(Unit.coi.in_(cois))
            .group_by(Unit.coi)
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
    fixed = effective_of(session, {c.entry_seq: case_fields(c) for c, _ in rows})
    out = []
    for c, at in rows:
        f = fixed[c.entry_seq]
        out.append(
            CaseSummary(
                coi=c.coi,
                grouped=parse_coi(c.coi).grouped(),
                mrn=f["mrn"],
                patient_name=f["patient_name"],
                patient_dob=f["patient_dob"],
                product=f["product"],
                unit_steps=tuple((u, steps.get(u)) for u in units[c.coi]),
                last_event_at=latest.get(c.coi),
                created_at=at,
                open_deviations=open_deviations.get(c.coi, 0),
            )
        )
    return out


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
    """One page of case summaries in the requested order (see `list_cases`)."""
    return list_cases(db, search, offset, limit, sort, descending)


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
