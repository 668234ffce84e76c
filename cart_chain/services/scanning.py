"""Checking a scan against the case: the gate at every handoff.

`scan` is read-only: it parses the code, compares it with the case the user is
working on, looks up the unit and the label, and checks the step about to be
recorded. Each refusal is its own exception type (see `REFUSALS`) so the CLI
and the GUI show it distinctly. The order of the checks is deliberate: a bag of
another patient is refused as *wrong patient* before anything else is looked
up, because that is the refusal that must never be softened into "not found".

`record_refused_scan` is for the GUI: when a scan is refused in the middle of a
recording, the refusal itself is evidence (a wrong-patient scan at the bedside
is a near miss) and goes into the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from cart_chain.domain.errors import (
    AuthenticationError,
    CartChainError,
    CheckFailed,
    IdentifierError,
    InvalidValue,
    MalformedScan,
    StepNotAllowed,
    StepOrderError,
    UnknownLabel,
    UnknownUnit,
    VoidedLabel,
    WrongPatient,
)
from cart_chain.domain.identifiers import Coi, parse_any
from cart_chain.domain.labelcode import Scanned, parse_scan, to_base36
from cart_chain.domain.steps import Step, check_transition, parse_step
from cart_chain.domain.text import REASON_LIMIT, clean_reason
from cart_chain.services.accounts import (
    Credentials,
    authenticate_in,
    load_user,
    signed_write,
)
from cart_chain.services.cases import load_case
from cart_chain.services.labels import LabelPrintView, labels_in
from cart_chain.services.views import Receipt, UnitView
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import Case, LabelPrint, Unit

#: Refusal code per exception type, most specific first (for JSON and the ledger).
REFUSALS: tuple[tuple[type[CartChainError], str], ...] = (
    (MalformedScan, "malformed"),
    (CheckFailed, "check_failed"),
    (UnknownLabel, "unknown_label"),
    (UnknownUnit, "unknown_unit"),
    (WrongPatient, "wrong_patient"),
    (StepNotAllowed, "step_not_allowed"),
    (VoidedLabel, "voided_label"),
)
MAX_SCANNED = 200
MAX_REASON = REASON_LIMIT


def refusal_code(exc: BaseException) -> str | None:
    for cls, code in REFUSALS:
        if isinstance(exc, cls):
            return code
    return None


@dataclass(frozen=True, slots=True)
class ScanResult:
    """What a scan names, and the state it was checked against."""

    scanned: str  # "label", "unit" or "coi"
    coi: str
    coi_grouped: str
    patient_name: str
    patient_dob: str
    product: str
    unit: UnitView | None  # None when a COI was scanned
    units: tuple[UnitView, ...]  # every unit of the case
    label: LabelPrintView | None  # the printed label, when a label payload was scanned
    step: str | None  # the step checked against (allowed next), if one was given


def _expected(text: str | None) -> Coi | None:
    if text is None:
        return None
    try:
        ident = parse_any(text)
    except IdentifierError as err:
        raise InvalidValue(f"the expected COI is not valid: {err}") from None
    return ident if isinstance(ident, Coi) else ident.coi


def _wrong_patient(scanned: Scanned, expected: Coi) -> WrongPatient:
    what = f"unit {scanned.unit.grouped()}" if scanned.unit else f"case {scanned.coi.grouped()}"
    return WrongPatient(
        f"WRONG PATIENT - STOP: the scanned {what} belongs to COI {scanned.coi.grouped()}, "
        f"not to the expected COI {expected.grouped()}. Do not use this bag; "
        "set it aside and report it"
    )


def _check_step(unit: UnitView, step_text: str) -> Step:
    step = parse_step(step_text)
    current = Step(unit.current_step) if unit.current_step else None
    try:
        check_transition(current, step)
    except StepOrderError as err:
        raise StepNotAllowed(
            f"unit {unit.grouped} is at {current.value if current else 'no step yet'}: {err}"
        ) from None
    return step


def scan_in(
    session: Session, text: str, expect: str | None = None, step: str | None = None
) -> ScanResult:
    expected = _expected(expect)
    if step is not None:
        parse_step(step)  # an unknown step name is the caller's error, whatever was scanned
    scanned = parse_scan(text)
    if expected is not None and scanned.coi != expected:
        raise _wrong_patient(scanned, expected)
    if session.get(Case, scanned.coi.full) is None:
        what = f"unit {scanned.unit.grouped()}" if scanned.unit else "case"
        raise UnknownUnit(f"{what} of COI {scanned.coi.grouped()} is not known in this database")
    unit_view = None
    label = None
    case = load_case(session, scanned.coi.full)
    if scanned.unit is not None:
        code = scanned.unit.full
        if session.get(Unit, code) is None:
            raise UnknownUnit(f"unit {scanned.unit.grouped()} is not known in this database")
        unit_view = next(u for u in case.units if u.unit == code)
        if scanned.serial is not None:
            if session.get(LabelPrint, (code, scanned.serial)) is None:
                raise UnknownLabel(
                    f"label {to_base36(scanned.serial)} of unit {scanned.unit.grouped()} was "
                    "never printed by this system: do not use it"
                )
            prints = labels_in(session, code)
            label = next(p for p in prints if p.serial == scanned.serial)
            if label.voided:
                live = [p.serial_text for p in prints if p.kind == label.kind and not p.voided]
                hint = (
                    f"the valid {label.kind} label is {', '.join(live)}"
                    if live
                    else f"no {label.kind} label of this unit is valid; print a new one"
                )
                raise VoidedLabel(
                    f"label {label.serial_text} of unit {scanned.unit.grouped()} is VOID "
                    f"({label.void_reason}); {hint}"
                )
    checked = None
    if step is not None:
        if unit_view is None:
            if len(case.units) != 1:
                raise MalformedScan(
                    f"COI {scanned.coi.grouped()} names a case of {len(case.units)} bags; "
                    "scan the bag's own label to check a step"
                )
            unit_view = case.units[0]
        checked = _check_step(unit_view, step).value
    return ScanResult(
        scanned=scanned.kind,
        coi=case.coi,
        coi_grouped=case.grouped,
        patient_name=case.patient_name,
        patient_dob=case.patient_dob,
        product=case.product,
        unit=unit_view,
        units=case.units,
        label=label,
        step=checked,
    )


def scan(
    db: Database, text: str, *, expect: str | None = None, step: str | None = None
) -> ScanResult:
    """Resolve a scanned or typed code, or raise the refusal; never writes anything."""
    return db.read(lambda s: scan_in(s, text, expect, step))


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)[:MAX_SCANNED]


def record_refused_scan(
    db: Database,
    by: Credentials | str,
    expected_coi: str | None,
    scanned_text: str,
    reason: str,
) -> Receipt:
    """Append a ``scan_refused`` entry: who scanned what, against which case, and why.

    ``by`` is the signer's credentials, or the user name of a session that is
    already authenticated (the GUI's logged-in user).
    """
    why = clean_reason(reason, required=False)
    if not why:
        raise InvalidValue(f"a refused scan needs a reason of 1 to {MAX_REASON} characters")
    expected = _expected(expected_coi)
    try:
        scanned_coi: str | None = parse_scan(scanned_text).coi.full
    except IdentifierError:
        scanned_coi = None

    def run(session: Session) -> Receipt:
        if isinstance(by, Credentials):
            username = authenticate_in(session, by).username
        else:
            user = load_user(session, by.strip().lower())
            if not user.active or user.locked:
                raise AuthenticationError(f"account {user.username!r} may not record scans")
            username = user.username
        entry = ledger.append(
            session,
            "scan_refused",
            username,
            {
                "by": username,
                "expected_coi": expected.full if expected else None,
                "scanned": _printable(scanned_text),
                "scanned_coi": scanned_coi,
                "reason": why,
            },
        )
        return Receipt(entry.seq, entry.hash, entry.recorded_at, entry.kind, why)

    return signed_write(db, run)
