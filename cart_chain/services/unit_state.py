"""Where a unit stands, for the writers that check it: its live steps and enrolment.

Small reads on the hot path of a scan or a handoff, each one query on an index.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import parse_iso
from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.identifiers import MAX_UNITS
from cart_chain.domain.steps import Step
from cart_chain.store.models import (
    Case,
    Correction,
    Event,
    LedgerEntry,
    Unit,
)


@dataclass(frozen=True, slots=True)
class UnitRef:
    unit_code: str
    coi: str
    number: int
    parent_unit: str | None


def live(event_seq: Any) -> Any:
    """SQL condition: the event was not voided (a correlated EXISTS on the target index:
    NOT IN over all corrections would scan them for every step recorded)."""
    return ~exists().where(Correction.target_seq == event_seq, Correction.field == "void")


_LATEST = (
    select(Event.step, Event.occurred_at)
    .where(Event.unit_code == bindparam("code"), live(Event.entry_seq))
    .order_by(Event.entry_seq.desc())
    .limit(1)
)


def latest_step(session: Session, unit_code: str) -> tuple[Step | None, str | None]:
    """The unit's last step that was not voided, and when it happened."""
    row = session.connection().execute(_LATEST, {"code": unit_code}).first()
    return (None, None) if row is None else (Step(row[0]), row[1])


def current_step(session: Session, unit_code: str) -> Step | None:
    return latest_step(session, unit_code)[0]


def next_unit_number(session: Session, coi: str) -> int:
    n = session.execute(select(func.max(Unit.number)).where(Unit.coi == coi)).scalar() or 0
    if n >= MAX_UNITS:
        raise InvalidValue(f"case {coi} already has {MAX_UNITS} units")
    return n + 1


_ENROLLED_AT = (
    select(LedgerEntry.recorded_at)
    .join(Case, Case.entry_seq == LedgerEntry.seq)
    .where(Case.coi == bindparam("coi"))
)


def enrolled_at(session: Session, coi: str) -> datetime:
    """When the case was enrolled: the time its ``case_created`` entry was recorded."""
    return parse_iso(session.connection().execute(_ENROLLED_AT, {"coi": coi}).scalar_one())


def entry_payload(session: Session, seq: int) -> tuple[str, dict[str, object]] | None:
    row = session.get(LedgerEntry, seq)
    return None if row is None else (row.kind, json.loads(row.payload))
