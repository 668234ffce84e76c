"""Corrections: a new signed entry naming the entry it corrects, the old and new value,
and why. The original is never touched (Part 11 / Annex 11: never obscure the earlier value).

Who may correct what comes from `cart_chain.domain.authority`: the roles that sign a
step correct it, QA's entries only QA, and a patient's identity only an enrolling
role with a second person verifying it in the same entry.
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.authority import (
    WITNESS_ROLES,
    correctors,
    needs_witness,
    rule_for,
)
from cart_chain.domain.clock import (
    check_after_enrolment,
    parse_iso,
    stated_time,
)
from cart_chain.domain.effective import VOID, effective_value
from cart_chain.domain.errors import InvalidValue, NotFound, SignatureError
from cart_chain.domain.manufacturer import CASE_LINKED, LINK_KINDS
from cart_chain.domain.text import clean_reason
from cart_chain.services import links
from cart_chain.services.accounts import Credentials, authenticate_in, require_role, signed_write
from cart_chain.services.effective import fixes_of
from cart_chain.services.signing import PERFORMED, VERIFIED, receipt, signature
from cart_chain.services.unit_state import enrolled_at, entry_payload, live
from cart_chain.services.views import Receipt
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.kinds import all_kinds
from cart_chain.store.kinds.corrections import CORRECTION
from cart_chain.store.kinds.registry import Checker
from cart_chain.store.models import Event, Unit


def fields_for(kind: str, variant: str | None) -> tuple[str, ...]:
    """The fields a correction may change in an entry of ``kind`` (and step or patient
    event kind ``variant``), in the order its declaration lists them: the kind declares
    how each is checked, the authority table whether this variant has it and who may."""
    declared = all_kinds().get(kind)
    rule = rule_for(kind, {"step": variant, "kind": variant})
    if declared is None or rule is None:
        return ()
    return tuple(f for f in declared.correctable if f in rule.corrections)


def _allowed(kind: str, payload: Mapping[str, object]) -> dict[str, Checker]:
    declared = all_kinds().get(kind)
    rule = rule_for(kind, payload)
    if declared is None or rule is None:
        return {}
    return {f: c for f, c in declared.correctable.items() if f in rule.corrections}


def _current(session: Session, seq: int, payload: dict[str, object], field: str) -> str | None:
    """The field's value in force: the original as the earlier corrections leave it."""
    value = effective_value(_original(payload, field), field, fixes_of(session, [seq]).get(seq, ()))
    return None if value is None else str(value)


def _original(payload: dict[str, object], field: str) -> object:
    """The field's value as the entry recorded it."""
    if field.startswith("patient_"):
        value = payload["patient"][field.removeprefix("patient_")]  # type: ignore[index]
    elif field == "mrn":
        value = payload["patient"]["mrn"]  # type: ignore[index]
    elif field == VOID:
        value = None
    elif field in LINK_KINDS:
        value = payload["links"].get(field)  # type: ignore[attr-defined]
    else:
        value = payload.get(field)
    return value


def correct(
    db: Database,
    seq: int,
    changes: dict[str, str],
    reason: str,
    by: Credentials,
    witness: Credentials | None = None,
) -> Receipt:
    """Correct fields of ledger entry ``seq`` (or void an event with field ``void``).

    ``witness`` is the second person who verifies a correction of the patient's
    identity (name, date of birth, MRN); it is required then, and refused otherwise.
    """
    reason = clean_reason(reason, required=False)
    if not reason:
        raise InvalidValue("a correction needs a reason")
    if not changes:
        raise InvalidValue("a correction needs at least one field to change (or --void)")
    if needs_witness(changes):
        if witness is None:
            raise SignatureError(
                "correcting a patient's name, date of birth or MRN needs a second person "
                "to verify it: give the witness"
            )
        if witness.username.strip().lower() == by.username.strip().lower():
            raise SignatureError(
                f"an identity correction needs two different people: {by.username} "
                "cannot sign and verify it"
            )
    elif witness is not None:
        raise InvalidValue("a second signer is only taken for corrections of patient identity")

    def run(session: Session) -> Receipt:
        found = entry_payload(session, seq)
        if found is None:
            raise NotFound(f"no ledger entry {seq}")
        kind, payload = found
        allowed = _allowed(kind, payload)
        rule = rule_for(kind, payload)
        if not allowed or rule is None:
            raise InvalidValue(
                f"entry {seq} is a {kind} entry, which cannot be corrected"
                + ("; correct the original entry" if kind == CORRECTION else "")
            )
        what = f"{kind} entry" + (f" ({rule.variant})" if rule.variant else "")
        for field in changes:
            if field not in allowed:
                raise InvalidValue(
                    f"field {field!r} of a {what} cannot be corrected; "
                    f"correctable: {', '.join(allowed)}"
                )
        user = authenticate_in(session, by)
        require_role(user, correctors(rule, changes), f"correct {', '.join(changes)} of a {what}")
        sigs = [signature(user, PERFORMED)]
        if witness is not None:
            second = authenticate_in(session, witness)
            require_role(second, WITNESS_ROLES, "verify a correction of patient identity")
            sigs.append(signature(second, VERIFIED))
        rows = []
        for field, new in changes.items():
            value = allowed[field](new)
            old = _current(session, seq, payload, field)
            if field == VOID:
                _check_void(session, seq, payload)
            elif old == value:
                raise InvalidValue(f"{field} is already {value!r}")
            rows.append({"field": field, "old": old, "new": value})
        if "occurred_at" in changes:
            _check_chronology(session, seq, payload, rows)
        if kind == CASE_LINKED:
            links.check_correction(session, seq, str(payload["coi"]), rows)
        entry = ledger.append(
            session,
            CORRECTION,
            user.username,
            {
                "target_seq": seq,
                "target_kind": kind,
                "coi": payload.get("coi"),
                "unit": payload.get("unit"),
                "changes": rows,
                "reason": reason,
                "signatures": sigs,
            },
        )
        return receipt(entry, str(seq))

    return signed_write(db, run)


def _check_void(session: Session, seq: int, payload: dict[str, object]) -> None:
    unit = payload.get("unit")
    last = session.execute(
        select(Event.entry_seq)
        .where(Event.unit_code == unit, live(Event.entry_seq))
        .order_by(Event.entry_seq.desc())
        .limit(1)
    ).scalar()
    if last is None or last != seq:
        raise InvalidValue(
            f"entry {seq} is not the unit's latest step; void later steps first "
            "(a step in the middle of the chain cannot disappear)"
        )
    # Bags split from this one inherit its custody up to the split: the step it was
    # in then is in the middle of their chains, and voiding it would orphan them.
    children = (
        session.execute(
            select(Unit.unit_code)
            .where(Unit.parent_unit == unit, Unit.entry_seq > seq)
            .order_by(Unit.number)
        )
        .scalars()
        .all()
    )
    if children:
        raise InvalidValue(
            f"entry {seq} is the step unit {unit} was in when it was split into "
            f"{', '.join(children)}: their custody starts from it, so it cannot be voided "
            "(its fields can still be corrected)"
        )


def _check_chronology(
    session: Session, seq: int, payload: dict[str, object], rows: list[dict[str, str | None]]
) -> None:
    new = next(r["new"] for r in rows if r["field"] == "occurred_at")
    unit = payload.get("unit")
    times = session.execute(
        select(Event.entry_seq, Event.occurred_at)
        .where(Event.unit_code == unit)
        .order_by(Event.entry_seq)
    ).all()
    before = [t for s, t in times if s < seq]
    after = [t for s, t in times if s > seq]
    if (before and new < max(before)) or (after and new > min(after)):
        raise InvalidValue("the corrected time would put the step out of order with its neighbours")
    # The checks `record_event` made on the original time hold for the corrected one.
    moment = stated_time(parse_iso(str(new)), "the corrected step")
    started = payload.get("started_at")
    if started is not None and parse_iso(str(started)) > moment:
        raise InvalidValue("the corrected time would put the step's end before its start")
    check_after_enrolment(moment, enrolled_at(session, str(payload["coi"])), "the corrected step")
