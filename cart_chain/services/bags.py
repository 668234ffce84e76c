"""Which bag a scan or a typed code names, checked inside the transaction that uses it.

Every service that acts on a bag (recording a step, splitting, printing or
voiding a label, the bedside check, a patient event named by a bag, a QA
override) resolves its input here, in its own write transaction, so the case,
the label and the step it was checked against are the ones it writes to. The
checks run in a deliberate order: the text is parsed (`parse_scan`: malformed,
check failed), then a bag of another case than the expected one is refused as
*wrong patient* before anything is looked up (so it is never softened into "not
found"), then the unit and the label must be known, and the label not void.

`bag_write` wraps such a transaction: when it is refused for one of these
reasons (`REFUSALS`), nothing of it is kept, and the refusal itself is then
appended as a ``scan_refused`` entry in a transaction of its own (a wrong
patient's bag at a handoff is a near miss that must stay on record), exactly
as `signed_write` records a wrong password after rolling back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import bindparam, select
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
from cart_chain.domain.labelcode import Scanned, ScanSource, parse_scan, to_base36
from cart_chain.domain.steps import Step, check_transition
from cart_chain.domain.text import REASON_LIMIT, clean_reason
from cart_chain.services import links
from cart_chain.services.accounts import Credentials, authenticate_in, load_user, signed_write
from cart_chain.services.unit_state import UnitRef
from cart_chain.services.views import Receipt
from cart_chain.store import batch, ledger
from cart_chain.store.database import Database
from cart_chain.store.models import Case, LabelPrint, LabelVoid, Unit

log = logging.getLogger("cart_chain.scan")
T = TypeVar("T")

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
    """The scan refusal ``exc`` is (``"wrong_patient"``...), or None for any other error."""
    for cls, code in REFUSALS:
        if isinstance(exc, cls):
            return code
    return None


def expected_coi(text: str | None) -> Coi | None:
    """The case the caller is working on (a COI, or a unit id of it), checked."""
    if text is None:
        return None
    try:
        ident = parse_any(text)
    except IdentifierError as err:
        raise InvalidValue(f"the expected COI is not valid: {err}") from None
    return ident if isinstance(ident, Coi) else ident.coi


def _wrong_patient(scanned: Scanned, expected: Coi) -> WrongPatient:
    what = f"unit {scanned.unit.grouped()}" if scanned.unit else f"case {scanned.coi.grouped()}"
    if scanned.linked:
        what = scanned.linked
    return WrongPatient(
        f"WRONG PATIENT - STOP: the scanned {what} belongs to COI {scanned.coi.grouped()}, "
        f"not to the expected COI {expected.grouped()}. Do not use this bag; "
        "set it aside and report it"
    )


#: A scan's reads, built once and run on the connection (no ORM identity map: every
#: writer appends with Core statements, so nothing is pending in the session).
_CASE_KNOWN = select(Case.coi).where(Case.coi == bindparam("coi"))
_UNIT_ROW = select(Unit.unit_code, Unit.coi, Unit.number, Unit.parent_unit).where(
    Unit.unit_code == bindparam("unit")
)
_PRINTED_KIND = select(LabelPrint.kind).where(
    LabelPrint.unit_code == bindparam("unit"), LabelPrint.serial == bindparam("serial")
)
_VOIDS = select(LabelVoid.serial, LabelVoid.reason).where(LabelVoid.unit_code == bindparam("unit"))


def unit_reads(text: str, source: ScanSource) -> list[batch.Read]:
    """The read `resolve_bag` makes of a unit id or label ``text`` (`batch.read_ahead`)."""
    try:
        scanned = parse_scan(text, source=source)
    except MalformedScan:
        return []  # a DIN or a manufacturer's code: found through its link
    return [] if scanned.unit is None else [(_UNIT_ROW, {"unit": scanned.unit.full})]


def _case_known(session: Session, coi: Coi) -> bool:
    return session.connection().execute(_CASE_KNOWN, {"coi": coi.full}).first() is not None


def _check_label(session: Session, unit_code: str, scanned: Scanned, refuse_void: bool) -> None:
    assert scanned.unit is not None and scanned.serial is not None
    conn = session.connection()
    kind = conn.execute(_PRINTED_KIND, {"unit": unit_code, "serial": scanned.serial}).scalar()
    if kind is None:
        raise UnknownLabel(
            f"label {to_base36(scanned.serial)} of unit {scanned.unit.grouped()} was "
            "never printed by this system: do not use it"
        )
    if not refuse_void:
        return
    voids = dict(conn.execute(_VOIDS, {"unit": unit_code}).all())
    if scanned.serial not in voids:
        return
    same_kind = session.execute(
        select(LabelPrint.serial)
        .where(LabelPrint.unit_code == unit_code, LabelPrint.kind == kind)
        .order_by(LabelPrint.serial)
    ).scalars()
    live = [to_base36(s) for s in same_kind if s not in voids]
    hint = (
        f"the valid {kind} label is {', '.join(live)}"
        if live
        else f"no {kind} label of this unit is valid; print a new one"
    )
    replaced = session.execute(
        select(LabelVoid.replaced_by).where(
            LabelVoid.unit_code == unit_code, LabelVoid.serial == scanned.serial
        )
    ).scalar()
    why = voids[scanned.serial]
    if replaced is not None:
        why = f"replaced by reprint {to_base36(replaced)}: {why}"
    raise VoidedLabel(
        f"label {to_base36(scanned.serial)} of unit {scanned.unit.grouped()} is VOID "
        f"({why}); {hint}"
    )


def _read(session: Session, text: str, source: ScanSource, expected: Coi | None) -> Scanned:
    """Our own codes first; then a DIN or a manufacturer's identifier linked to a case."""
    try:
        scanned = parse_scan(text, source=source)
    except MalformedScan:
        links.check_product(session, text, expected)
        found = links.resolve(session, text, source)
        if found is None:
            raise
        return found
    if scanned.kind == "coi" and not _case_known(session, scanned.coi):
        return links.resolve_coi(session, scanned.coi) or scanned
    return scanned


def identify(
    session: Session,
    text: str,
    *,
    expect: str | Coi | None = None,
    source: ScanSource = "keyboard",
    refuse_void: bool = True,
) -> Scanned:
    """What ``text`` names in this database, or the refusal, in the documented order.

    ``expect`` is the case at hand: a code of any other case is `WrongPatient`.
    A label payload must name a label this system printed and (unless
    ``refuse_void`` is False, for voiding it) one that is not void.
    """
    return _identified(session, text, expect, source, refuse_void)[0]


def _identified(
    session: Session,
    text: str,
    expect: str | Coi | None,
    source: ScanSource,
    refuse_void: bool,
) -> tuple[Scanned, UnitRef | None]:
    """`identify`, with the unit's row when a unit was named (read once)."""
    expected = expect if isinstance(expect, Coi) else expected_coi(expect)
    scanned = _read(session, text, source, expected)
    if expected is not None and scanned.coi != expected:
        raise _wrong_patient(scanned, expected)
    if scanned.unit is None:
        if not _case_known(session, scanned.coi):
            raise UnknownUnit(f"case of COI {scanned.coi.grouped()} is not known in this database")
        return scanned, None
    # A unit row names its case (a foreign key), so a known unit's case is known: the
    # case is looked up only to say which of the two is unknown (one round trip saved).
    found = next(iter(batch.rows(session, _UNIT_ROW, {"unit": scanned.unit.full})), None)
    if found is None:
        whose = "" if _case_known(session, scanned.coi) else f" of COI {scanned.coi.grouped()}"
        raise UnknownUnit(f"unit {scanned.unit.grouped()}{whose} is not known in this database")
    if scanned.serial is not None:
        _check_label(session, scanned.unit.full, scanned, refuse_void)
    return scanned, UnitRef(*found)


def resolve_bag(
    session: Session,
    text: str,
    *,
    expect: str | Coi | None = None,
    source: ScanSource = "keyboard",
    refuse_void: bool = True,
) -> UnitRef:
    """The one unit (bag) ``text`` names: a unit id or a label payload, never a bare COI."""
    scanned, row = _identified(session, text, expect, source, refuse_void)
    if row is None:
        raise InvalidValue(f"{scanned.coi.full} is a COI; name one unit (bag) of it")
    return row


def check_step(unit_code: str, current: Step | None, step: Step) -> Step:
    """Refuse, as `StepNotAllowed`, a step that may not follow the unit's current one."""
    try:
        check_transition(current, step)
    except StepOrderError as err:
        grouped = parse_any(unit_code)
        raise StepNotAllowed(
            f"unit {grouped.grouped()} is at {current.value if current else 'no step yet'}: {err}"
        ) from None
    return step


def _printable(text: str) -> str:
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)[:MAX_SCANNED]


def _named(session: Session, text: str, source: ScanSource) -> tuple[str | None, str | None]:
    """The case and bag a refused scan named, read as the scan gate reads it, or Nones.

    Through the same reading as `identify`, so a manufacturer's identifier or a
    DIN is put on record with the case (and bag) it is linked to, like our labels.
    """
    try:
        found = _read(session, text, source, None)
    except CartChainError:
        return None, None
    return found.coi.full, found.unit.full if found.unit else None


def record_refused_scan(
    db: Database,
    by: Credentials | str,
    expected_coi_text: str | None,
    scanned_text: str,
    reason: str,
    source: ScanSource = "keyboard",
) -> Receipt:
    """Append a ``scan_refused`` entry: who scanned what, against which case, and why.

    ``by`` is the signer's credentials, or the user name of a session that is
    already authenticated (the GUI's logged-in user). ``source`` is what the
    workstation's scanner sends, to read the scan as the refusal read it.
    """
    why = clean_reason(reason, "the refused scan's reason", required=False)
    if not why:
        raise InvalidValue(f"a refused scan needs a reason of 1 to {MAX_REASON} characters")
    expected = expected_coi(expected_coi_text)

    def run(session: Session) -> Receipt:
        scanned_coi, scanned_unit = _named(session, scanned_text, source)
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
                "scanned_unit": scanned_unit,
                "reason": why,
            },
        )
        return Receipt(entry.seq, entry.hash, entry.recorded_at, entry.kind, why)

    return signed_write(db, run)


def bag_write(
    db: Database,
    fn: Callable[[Session], T],
    *,
    by: Credentials,
    scanned: str,
    expect: str | None,
    source: ScanSource = "keyboard",
    signers: tuple[Credentials | None, ...] = (),
    ahead: Callable[[Session], list[batch.Read]] | None = None,
) -> T:
    """`signed_write` for an action on a bag: a scan refusal is rolled back, then recorded.

    ``by`` signs the ``scan_refused`` entry (authenticated in its own
    transaction; a wrong password is recorded as a failed attempt instead). The
    original refusal is always re-raised: that is what the user must see.
    ``signers`` are the people who sign ``fn``, when known, and ``ahead`` the reads
    it makes (`signed_write`).
    """
    try:
        return signed_write(db, fn, signers, ahead)
    except CartChainError as exc:
        code = refusal_code(exc)
        if code is None:
            raise
        reason = f"{code}: {exc}"[:MAX_REASON]
        try:
            record_refused_scan(db, by, expect, scanned, reason, source)
        except CartChainError as failed:  # the refusal matters more than its record
            log.warning("refused scan (%s) not recorded: %s", code, type(failed).__name__)
        raise
