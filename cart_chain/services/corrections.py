"""Corrections: a new signed entry naming the entry it corrects, the old and new value,
and why. The original is never touched (Part 11 / Annex 11: never obscure the earlier value).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import parse_user_time, utc_iso
from cart_chain.domain.errors import InvalidValue, NotFound
from cart_chain.domain.roles import CORRECTION_ROLES
from cart_chain.services.accounts import Credentials, authenticate_in, require_role, signed_write
from cart_chain.services.cases import entry_payload, live, parse_dob
from cart_chain.services.custody import MAX_LOCATION, MAX_NOTE, check_temperature
from cart_chain.services.signing import PERFORMED, receipt, signature
from cart_chain.services.views import Receipt
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import Correction, Event

VOID = "void"


def _limit(limit: int):  # type: ignore[no-untyped-def]
    def check(value: str) -> str:
        v = value.strip()
        if len(v) > limit:
            raise InvalidValue(f"value is longer than {limit} characters")
        return v

    return check


def _temperature(value: str) -> str:
    try:
        t = check_temperature(float(value))
    except ValueError:
        raise InvalidValue(f"temperature {value!r} is not a number") from None
    return str(t)


def _time(value: str) -> str:
    return utc_iso(parse_user_time(value))


def _required(value: str) -> str:
    v = " ".join(value.split())
    if not v:
        raise InvalidValue("the corrected value cannot be empty")
    return v


#: Which fields of which entry kinds may be corrected, with the validator of the new value.
CORRECTABLE = {
    "event_recorded": {
        "location": _limit(MAX_LOCATION),
        "temperature_c": _temperature,
        "note": _limit(MAX_NOTE),
        "occurred_at": _time,
        VOID: _limit(MAX_NOTE),
    },
    "unit_split": {"note": _limit(MAX_NOTE), "location": _limit(MAX_LOCATION)},
    "case_created": {
        "patient_name": _required,
        "patient_dob": parse_dob,
        "mrn": _required,
        "product": _required,
    },
}


def _current(session: Session, seq: int, payload: dict[str, object], field: str) -> str | None:
    previous = session.execute(
        select(Correction.new_value)
        .where(Correction.target_seq == seq, Correction.field == field)
        .order_by(Correction.entry_seq.desc())
        .limit(1)
    ).scalar()
    if previous is not None:
        return previous
    if field.startswith("patient_"):
        value = payload["patient"][field.removeprefix("patient_")]  # type: ignore[index]
    elif field == "mrn":
        value = payload["patient"]["mrn"]  # type: ignore[index]
    elif field == VOID:
        value = None
    else:
        value = payload.get(field)
    return None if value is None else str(value)


def correct(
    db: Database, seq: int, changes: dict[str, str], reason: str, by: Credentials
) -> Receipt:
    """Correct fields of ledger entry ``seq`` (or void an event with field ``void``)."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidValue("a correction needs a reason")
    if not changes:
        raise InvalidValue("a correction needs at least one field to change (or --void)")

    def run(session: Session) -> Receipt:
        found = entry_payload(session, seq)
        if found is None:
            raise NotFound(f"no ledger entry {seq}")
        kind, payload = found
        allowed = CORRECTABLE.get(kind)
        if allowed is None:
            raise InvalidValue(
                f"entry {seq} is a {kind} entry, which cannot be corrected"
                + ("; correct the original entry" if kind == "correction" else "")
            )
        user = authenticate_in(session, by)
        require_role(user, CORRECTION_ROLES, "sign a correction")
        rows = []
        for field, new in changes.items():
            if field not in allowed:
                raise InvalidValue(
                    f"field {field!r} of a {kind} entry cannot be corrected; "
                    f"correctable: {', '.join(allowed)}"
                )
            value = allowed[field](new)
            old = _current(session, seq, payload, field)
            if field == VOID:
                _check_void(session, seq, payload)
            elif old == value:
                raise InvalidValue(f"{field} is already {value!r}")
            rows.append({"field": field, "old": old, "new": value})
        if "occurred_at" in changes:
            _check_chronology(session, seq, payload, rows)
        sig = signature(user, PERFORMED)
        entry = ledger.append(
            session,
            "correction",
            user.username,
            {
                "target_seq": seq,
                "target_kind": kind,
                "coi": payload.get("coi"),
                "unit": payload.get("unit"),
                "changes": rows,
                "reason": reason,
                "signatures": [sig],
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
    if new > utc_iso(datetime.now().astimezone()):
        raise InvalidValue("a step cannot be dated in the future")
