"""Deviations, QA review, patient readiness and the infusion gates.

A breach of the product profile is neither refused nor silently accepted: it
becomes a deviation entry in the same transaction as the step, and the unit
may not go on until QA accepts it. Infusion additionally waits for the patient:
lymphodepletion in its window, a passed bedside check of this bag, and the thaw
window still open; a QA override lets one unit past one gate, with a reason,
and shows on every report.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain import authority
from cart_chain.domain.clock import check_after_enrolment, parse_iso, stated_time, utc_iso
from cart_chain.domain.effective import search_key
from cart_chain.domain.errors import (
    InvalidValue,
    NotFound,
    PermissionDenied,
    SignatureError,
)
from cart_chain.domain.gates import BEDSIDE, DECISIONS, GATES, PATIENT_EVENTS
from cart_chain.domain.labelcode import ScanSource
from cart_chain.domain.roles import role_name
from cart_chain.domain.text import clean_note, clean_reason
from cart_chain.services.accounts import Credentials, authenticate_in, require_role, signed_write
from cart_chain.services.bags import bag_write, identify, resolve_bag
from cart_chain.services.deviations import deviations_of
from cart_chain.services.effective import effective_of
from cart_chain.services.signing import PERFORMED, VERIFIED, receipt, signature
from cart_chain.services.unit_state import enrolled_at
from cart_chain.services.views import Receipt
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import (
    Case,
    Deviation,
    PatientEvent,
)

CLINICAL, BEDSIDE_ROLES = authority.CLINICAL, authority.BEDSIDE_ROLES


# -- use cases ----------------------------------------------------------------------


def _when(occurred_at: datetime | None) -> str:
    return utc_iso(stated_time(occurred_at, "a patient event"))


def record_patient_event(
    db: Database,
    coi: str,
    kind: str,
    by: Credentials,
    *,
    occurred_at: datetime | None = None,
    detail: str | None = None,
    expect: str | None = None,
    source: ScanSource = "keyboard",
) -> Receipt:
    """Bridging therapy or lymphodepleting chemotherapy, start or end (regimen in detail).

    ``coi`` names the case: its COI, or a unit id or label payload of one of its
    bags (checked as a scan, with ``expect`` the case at hand).
    """
    if kind not in PATIENT_EVENTS:
        raise InvalidValue(f"unknown patient event {kind!r}; one of: {', '.join(PATIENT_EVENTS)}")
    when = _when(occurred_at)
    detail = clean_note(detail, "detail")

    def run(session: Session) -> Receipt:
        coi_full = identify(session, coi, expect=expect, source=source).coi.full
        check_after_enrolment(parse_iso(when), enrolled_at(session, coi_full), kind)
        if kind.endswith("_end"):
            start = session.execute(
                select(PatientEvent.occurred_at)
                .where(
                    PatientEvent.coi == coi_full,
                    PatientEvent.kind == kind.replace("_end", "_start"),
                )
                .order_by(PatientEvent.entry_seq.desc())
                .limit(1)
            ).scalar()
            if start is None:
                raise InvalidValue(f"{kind} needs a recorded {kind.replace('_end', '_start')}")
            if when < start:
                raise InvalidValue(f"{kind} cannot be before its start ({start} UTC)")
        user = authenticate_in(session, by)
        require_role(user, CLINICAL, f"record {kind}")
        sig = signature(user, PERFORMED)
        entry = ledger.append(
            session,
            "patient_event",
            user.username,
            {
                "coi": coi_full,
                "kind": kind,
                "occurred_at": when,
                "unit": None,
                "detail": detail,
                "by": user.username,
                "to": None,
                "signatures": [sig],
            },
        )
        return receipt(entry, coi_full)

    return bag_write(db, run, by=by, scanned=coi, expect=expect, source=source, signers=(by,))


@dataclass(frozen=True, slots=True)
class BedsideResult:
    receipt: Receipt
    passed: bool
    mismatches: tuple[str, ...]


def bedside_check(
    db: Database,
    unit: str,
    patient_name: str,
    patient_dob: str,
    by: Credentials,
    witness: Credentials,
    *,
    occurred_at: datetime | None = None,
    expect: str | None = None,
    source: ScanSource = "keyboard",
) -> BedsideResult:
    """Two people compare the wristband's name and date of birth with this bag, together.

    The result is recorded either way: a mismatch is itself a safety event, and it
    keeps the infusion gate closed. ``unit`` (scanned or typed) and ``expect`` are
    checked as for `custody.record_event`.
    """
    if by.username.strip().lower() == witness.username.strip().lower():
        raise SignatureError("the bedside check needs two different people")
    when = _when(occurred_at)

    def run(session: Session) -> BedsideResult:
        u = resolve_bag(session, unit, expect=expect, source=source)
        case = session.get(Case, u.coi)
        assert case is not None
        patient = effective_of(
            session,
            {case.entry_seq: {"patient_name": case.patient_name, "patient_dob": case.patient_dob}},
        )[case.entry_seq]
        name, dob = str(patient["patient_name"]), str(patient["patient_dob"])
        mismatches = []
        if search_key(patient_name) != search_key(name):  # case, accents, spacing
            mismatches.append("name")
        if patient_dob.strip() != dob:
            mismatches.append("date of birth")
        first = authenticate_in(session, by)
        second = authenticate_in(session, witness)
        for user in (first, second):
            if user.role not in BEDSIDE_ROLES:
                raise PermissionDenied(
                    f"{user.username} ({role_name(user.role)}) may not sign a bedside "
                    "identity check"
                )
        sigs = [signature(first, PERFORMED), signature(second, VERIFIED)]
        detail = "pass" if not mismatches else "mismatch: " + ", ".join(mismatches)
        entry = ledger.append(
            session,
            "patient_event",
            first.username,
            {
                "coi": u.coi,
                "kind": BEDSIDE,
                "occurred_at": when,
                "unit": u.unit_code,
                "detail": detail,
                "by": first.username,
                "to": second.username,
                "signatures": sigs,
            },
        )
        return BedsideResult(receipt(entry, u.unit_code), not mismatches, tuple(mismatches))

    return bag_write(
        db, run, by=by, scanned=unit, expect=expect, source=source, signers=(by, witness)
    )


def review_deviation(
    db: Database, deviation_seq: int, decision: str, reason: str, by: Credentials
) -> Receipt:
    """QA's signed decision on a deviation: accept (the unit goes on), reject, quarantine."""
    if decision not in DECISIONS:
        raise InvalidValue(f"decision must be one of: {', '.join(DECISIONS)}")
    reason = clean_reason(reason, required=False)
    if not reason:
        raise InvalidValue("a deviation review needs a reason")

    def run(session: Session) -> Receipt:
        dev = session.get(Deviation, deviation_seq)
        if dev is None:
            raise NotFound(f"no deviation #{deviation_seq}")
        states = {d.seq: d for d in deviations_of(session, unit=dev.unit_code)}
        if states[deviation_seq].decision in ("accept", "reject"):
            raise InvalidValue(
                f"deviation #{deviation_seq} was already {states[deviation_seq].decision}ed"
            )
        user = authenticate_in(session, by)
        require_role(user, authority.QA_ONLY, "review a deviation")
        sig = signature(user, VERIFIED)
        entry = ledger.append(
            session,
            "deviation_reviewed",
            user.username,
            {
                "deviation_seq": deviation_seq,
                "coi": dev.coi,
                "unit": dev.unit_code,
                "decision": decision,
                "reason": reason,
                "signatures": [sig],
            },
        )
        return receipt(entry, dev.unit_code)

    return signed_write(db, run)


def override_gate(
    db: Database,
    unit: str,
    gate: str,
    reason: str,
    by: Credentials,
    *,
    expect: str | None = None,
    source: ScanSource = "keyboard",
) -> Receipt:
    """QA lets one unit past one infusion gate; the override is on every report."""
    if gate not in GATES:
        raise InvalidValue(f"gate must be one of: {', '.join(GATES)}")
    reason = clean_reason(reason, required=False)
    if not reason:
        raise InvalidValue("an override needs a reason")

    def run(session: Session) -> Receipt:
        u = resolve_bag(session, unit, expect=expect, source=source)
        user = authenticate_in(session, by)
        require_role(user, authority.QA_ONLY, "override an infusion gate")
        sig = signature(user, VERIFIED)
        entry = ledger.append(
            session,
            "gate_override",
            user.username,
            {
                "coi": u.coi,
                "unit": u.unit_code,
                "gate": gate,
                "reason": reason,
                "signatures": [sig],
            },
        )
        return receipt(entry, u.unit_code)

    return bag_write(db, run, by=by, scanned=unit, expect=expect, source=source, signers=(by,))
