"""A case and its bags as a scan shows them, read at scanner speed.

Every scan (the home search, the record and bedside dialogs, ``cart-chain scan``)
answers with the patient to compare with the wristband, the bag, who holds it and
what may follow. The case view (`case_detail.load_case`) reads far more: events
with signatures, windows, deviations, links. A scan reads only its answer, with
statements built once, and folds the steps with the case view's own
`steps.held_after` and `domain.effective`, so the two cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cart_chain.domain.effective import CASE_FIELDS, effective, voided
from cart_chain.domain.errors import NotFound
from cart_chain.domain.identifiers import Coi, UnitId
from cart_chain.domain.steps import held_after, next_steps, ordered
from cart_chain.services.views import BagState
from cart_chain.store import batch
from cart_chain.store.fixes import fixes_query, group_fixes
from cart_chain.store.models import Case, Event, Unit, User

_CASE = select(Case.entry_seq, *(getattr(Case, f) for f in CASE_FIELDS)).where(
    Case.coi == bindparam("coi")
)
_CASE_FIXES = fixes_query(bindparam("seqs", expanding=True), CASE_FIELDS)
_UNITS = (
    select(Unit.unit_code, Unit.number, Unit.parent_unit)
    .where(Unit.coi == bindparam("coi"))
    .order_by(Unit.number)
)
#: By the bags' own codes and the steps' own numbers, as read just before: a join
#: from the case would leave the plan to table statistics, and PostgreSQL without
#: ANALYZE (autovacuum off) hash-joins the whole events table, 25 ms at 100k entries.
_STEPS = (
    select(Event.entry_seq, Event.unit_code, Event.step, Event.by_user, Event.to_user)
    .add_columns(Event.location)
    .where(Event.unit_code.in_(bindparam("units", expanding=True)))
    .order_by(Event.entry_seq)
)
#: A step's void and its corrected location are what change who holds a bag and where.
_STEP_FIXES = fixes_query(bindparam("seqs", expanding=True), ("void", "location"))
_NAMES = select(User.username, User.full_name).where(
    User.username.in_(bindparam("names", expanding=True))
)


@dataclass(frozen=True, slots=True)
class CaseBags:
    """The case a scan names: its patient as corrected, and every bag's state."""

    coi: str
    grouped: str
    patient_name: str
    patient_dob: str
    product: str
    units: tuple[BagState, ...]


def case_reads(coi: str) -> list[batch.Read]:
    """The reads `case_bags` starts with, which need only the COI (`batch.read_ahead`)."""
    return [(_CASE, {"coi": coi}), (_UNITS, {"coi": coi})]


def case_bags(session: Session, coi: Coi) -> CaseBags:
    conn = session.connection()
    case = next(iter(batch.rows(session, _CASE, {"coi": coi.full})), None)
    if case is None:
        raise NotFound(f"case {coi.grouped()} is not known in this database")
    seq, *values = case
    fixes = group_fixes(conn.execute(_CASE_FIXES, {"seqs": [seq]}))
    patient = effective(dict(zip(CASE_FIELDS, values, strict=True)), fixes.get(seq, ()))
    units = batch.rows(session, _UNITS, {"coi": coi.full})
    steps = conn.execute(_STEPS, {"units": [u[0] for u in units]}).all() if units else []
    seqs = [row[0] for row in steps]
    step_fixes = group_fixes(conn.execute(_STEP_FIXES, {"seqs": seqs})) if seqs else {}
    live: dict[str, list[tuple[str, str, str | None, str | None]]] = defaultdict(list)
    for event_seq, unit, step, by, to, location in steps:
        fixed = step_fixes.get(event_seq, ())
        if not voided(fixed):
            where = effective({"location": location}, fixed)["location"]
            live[unit].append((step, by, to, where))  # type: ignore[arg-type]
    held = {u[0]: held_after(live.get(u[0], ())) for u in units}
    holders = sorted({h.custodian for h in held.values() if h.custodian})
    names = dict(conn.execute(_NAMES, {"names": holders}).all()) if holders else {}
    bags = tuple(
        BagState(
            unit=code,
            grouped=UnitId(code[:-1]).grouped(),
            number=number,
            of=len(units),
            parent=parent,
            current_step=held[code].step.value if held[code].step else None,
            next_steps=tuple(s.value for s in ordered(next_steps(held[code].step))),
            custodian=held[code].custodian,
            custodian_name=names.get(held[code].custodian) if held[code].custodian else None,
            location=held[code].location,
        )
        for code, number, parent in units
    )
    return CaseBags(
        coi.full,
        coi.grouped(),
        str(patient["patient_name"]),
        str(patient["patient_dob"]),
        str(patient["product"]),
        bags,
    )
