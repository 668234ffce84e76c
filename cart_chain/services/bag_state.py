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
# A scan of a bag's code names its COI before anything is read, and every read below
# but the steps' corrections is by the COI alone, so they go in one batch
# (`case_reads`). Each is an index lookup on its own: the case by its key, its
# corrections by the case's sequence number (a scalar subquery, evaluated once), the
# bags by their COI, their steps by the bags' code range (every bag code of a case is
# in `Coi.unit_code_range`). A join left to table statistics went wrong
# before: PostgreSQL without ANALYZE (autovacuum off) hash-joined the whole events
# table, 25 ms at 100k entries (tests/services/test_bag_state.py explains every
# statement of a scan to check that none does).
_CASE_SEQ = select(Case.entry_seq).where(Case.coi == bindparam("coi")).scalar_subquery()
_CASE_FIXES = fixes_query(_CASE_SEQ, CASE_FIELDS, one=True)
_UNITS = (
    select(Unit.unit_code, Unit.number, Unit.parent_unit)
    .where(Unit.coi == bindparam("coi"))
    .order_by(Unit.number)
)
_OF_CASE = (Event.unit_code >= bindparam("first"), Event.unit_code < bindparam("after"))
_STEPS = (
    select(Event.entry_seq, Event.unit_code, Event.step, Event.by_user, Event.to_user)
    .add_columns(Event.location)
    .where(*_OF_CASE)
    .order_by(Event.entry_seq)
)
#: A step's void and its corrected location are what change who holds a bag and where.
_STEP_FIXES = fixes_query(bindparam("seqs", expanding=True), ("void", "location"))
#: Everyone a step of the case names: its holders are among them.
_NAMES = select(User.username, User.full_name).where(
    User.username.in_(
        select(Event.by_user).where(*_OF_CASE).union(select(Event.to_user).where(*_OF_CASE))
    )
)


def _keys(coi: Coi) -> tuple[dict[str, str], dict[str, str]]:
    """The parameters of the case's reads, and of its steps' (the range of its bags)."""
    first, after = coi.unit_code_range()
    return {"coi": coi.full}, {"first": first, "after": after}


@dataclass(frozen=True, slots=True)
class CaseBags:
    """The case a scan names: its patient as corrected, and every bag's state."""

    coi: str
    grouped: str
    patient_name: str
    patient_dob: str
    product: str
    units: tuple[BagState, ...]


def case_reads(coi: Coi) -> list[batch.Read]:
    """The reads `case_bags` makes that need only the COI (`batch.read_ahead`)."""
    case, bags = _keys(coi)
    return [(_CASE, case), (_CASE_FIXES, case), (_UNITS, case), (_STEPS, bags), (_NAMES, bags)]


def case_bags(session: Session, coi: Coi) -> CaseBags:
    conn = batch.connection(session)
    key, bags = _keys(coi)
    case = next(iter(batch.rows(session, _CASE, key)), None)
    if case is None:
        raise NotFound(f"case {coi.grouped()} is not known in this database")
    seq, *values = case
    fixes = group_fixes(batch.rows(session, _CASE_FIXES, key))
    patient = effective(dict(zip(CASE_FIELDS, values, strict=True)), fixes.get(seq, ()))
    units = batch.rows(session, _UNITS, key)
    steps = batch.rows(session, _STEPS, bags)
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
    names = dict(batch.rows(session, _NAMES, bags)) if holders else {}
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
