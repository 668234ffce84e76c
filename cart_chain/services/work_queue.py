"""The work queue of this site: what is waiting for someone, most urgent first.

Units waiting for QA (an open or quarantined deviation; a cryopreserved unit
awaiting release) and running clocks (fresh transit, post-thaw limits) with the
time left, each naming the case and the unit. The clocks are the case's own
product profile's windows (`domain.windows.live_windows`), read from the same
projections as the case view, so the queue and the case view never disagree.
One read transaction: the home screen refreshes it on a timer.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cart_chain.domain.identifiers import UnitId, parse_coi
from cart_chain.domain.steps import Step, next_steps
from cart_chain.domain.windows import CLOCK_STEPS, Window, live_windows
from cart_chain.services import profiles
from cart_chain.services.deviations import deviations_of
from cart_chain.services.infusion_gates import units_facts
from cart_chain.services.unit_state import live
from cart_chain.services.views import QueueItem
from cart_chain.store.database import Database
from cart_chain.store.models import Event, Unit


def sort_key(item: QueueItem) -> tuple[int, datetime, int]:
    """Overdue and least time left first (earliest end), then untimed QA work, oldest first."""
    if item.ends is None:
        return (1, datetime.max.replace(tzinfo=UTC), item.seq)
    return (0, item.ends, item.seq)


def running_windows(session: Session, units: Sequence[tuple[str, str]]) -> dict[str, list[Window]]:
    """The clocks running now on each (coi, unit): its case's profile's windows over its
    live steps as corrected (the facts the infusion gate and the case view read), in
    three queries however many units."""
    if not units:
        return {}
    profile_of = profiles.of_cases(session, sorted({coi for coi, _ in units}))
    facts = units_facts(session, [code for _, code in units])
    return {code: live_windows(profile_of[coi], facts[code]) for coi, code in units}


def _grouped_unit(code: str) -> str:
    return UnitId(code[:-1]).grouped()


def _current_steps(session: Session) -> list[tuple[str, str, Step, int]]:
    """(coi, unit, current step, its entry) for every unit with a step.

    Every case of this database, as the case list shows: the site is the database.
    Not filtered by the facility code (FIN) now set: cases enrolled before it was
    changed keep their old FIN in their COI, and their clocks must not vanish.
    """
    last = (
        select(Event.unit_code, func.max(Event.entry_seq).label("seq"))
        .where(live(Event.entry_seq))
        .group_by(Event.unit_code)
        .subquery()
    )
    rows = session.execute(
        select(Unit.coi, Unit.unit_code, Event.step, Event.entry_seq)
        .join(last, last.c.unit_code == Unit.unit_code)
        .join(Event, Event.entry_seq == last.c.seq)
        .order_by(Unit.coi, Unit.number)
    ).all()
    return [(coi, code, Step(step), seq) for coi, code, step, seq in rows]


def queue_in(session: Session) -> list[QueueItem]:
    """The site's work queue (every case of this database), sorted (see `sort_key`).

    A unit QA rejected goes no further (`deviations.check_no_open_deviation`): nothing
    of it waits for anyone, so none of its items is listed.
    """
    current = _current_steps(session)
    cois = sorted({coi for coi, _, _, _ in current})
    deviations = deviations_of(session, cois=cois) if cois else []
    rejected = {d.unit for d in deviations if d.decision == "reject"}
    current = [row for row in current if row[1] not in rejected]
    clocks = running_windows(
        session, [(coi, code) for coi, code, step, _ in current if step in CLOCK_STEPS]
    )
    items: list[QueueItem] = []
    for coi, code, step, seq in current:
        grouped = parse_coi(coi).grouped()
        if Step.RELEASE in next_steps(step):
            items.append(
                QueueItem(coi, grouped, code, _grouped_unit(code), "release",
                          "QA release pending", None, seq)
            )  # fmt: skip
        for w in clocks.get(code, ()):
            items.append(
                QueueItem(coi, grouped, code, _grouped_unit(code), "window",
                          f"{w.name} window ({step.label})", w.ends, seq)
            )  # fmt: skip
    for d in deviations:
        if d.decision in (None, "quarantine") and d.unit not in rejected:
            state = "in quarantine" if d.decision else "awaiting QA review"
            items.append(
                QueueItem(d.coi, parse_coi(d.coi).grouped(), d.unit, _grouped_unit(d.unit),
                          "deviation", f"deviation #{d.seq} {state}: {d.detail}", None, d.seq)
            )  # fmt: skip
    return sorted(items, key=sort_key)


def work_queue(db: Database) -> list[QueueItem]:
    """The work queue of this database's site, in one read transaction."""
    return db.read(queue_in)
