"""Recording custody steps: the heart of the chain.

Every check happens inside the write transaction that stores the step, under
the ledger's write lock, so the state a step was checked against is the state
it is appended to: which bag the scan names and whether it is the expected
patient's (`bags.resolve_bag`), the step order, open deviations, the gates.
A refused identification is recorded as a ``scan_refused`` entry after the
rollback (`bags.bag_write`).
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from cart_chain.domain.clock import check_after_enrolment, stated_time, utc_iso
from cart_chain.domain.collection import check_collection_facts, check_volume, clean_anticoagulant
from cart_chain.domain.errors import GateClosed, InvalidValue, PermissionDenied, SignatureError
from cart_chain.domain.identifiers import UnitId
from cart_chain.domain.labelcode import ScanSource
from cart_chain.domain.roles import Role, role_name
from cart_chain.domain.steps import (
    HANDOFFS,
    RULES,
    Step,
    check_condition,
    parse_step,
    sides_swapped,
)
from cart_chain.domain.temperature import check_temperature
from cart_chain.domain.text import clean_location, clean_note
from cart_chain.domain.windows import StepFact, breaches, check_start
from cart_chain.services import bags, profiles
from cart_chain.services.accounts import Credentials, UserState, authenticate_in
from cart_chain.services.bags import bag_write, check_step, resolve_bag
from cart_chain.services.checkpoints import due_reads
from cart_chain.services.deviations import (
    check_no_open_deviation,
    open_deviation_reads,
    open_deviations,
)
from cart_chain.services.infusion_gates import fact_reads, infusion_gates, unit_facts
from cart_chain.services.shared_settings import setting_reads
from cart_chain.services.signing import VERIFIED, receipt, signature
from cart_chain.services.unit_state import current_step, next_unit_number
from cart_chain.services.user_fold import user_reads
from cart_chain.services.views import Receipt
from cart_chain.store import batch, ledger
from cart_chain.store.database import Database


def _check_signer(user: UserState, roles: frozenset[Role], step: Step, meaning: str) -> None:
    if user.role is Role.ADMINISTRATOR:
        raise PermissionDenied(
            f"{user.username} is an administrator; administrators sign no custody record"
        )
    if user.role not in roles:
        names = " or ".join(sorted(role_name(r) for r in roles))
        raise PermissionDenied(
            f"{user.username} ({role_name(user.role)}) may not sign '{meaning}' for {step.value}; "
            f"needs {names}"
        )


def _when(last: datetime | None, occurred_at: datetime | None) -> datetime:
    moment = stated_time(occurred_at, "a step")
    if last is not None and moment < last:
        raise InvalidValue(
            f"a step cannot be dated before the unit's previous step ({utc_iso(last)} UTC)"
        )
    return moment


def _signers(
    session: Session, step: Step, by: Credentials, to: Credentials | None
) -> tuple[UserState, UserState | None, list[dict[str, str]]]:
    """Authenticate both people and give each the side their role holds.

    ``by`` and ``to`` are the two people as named (the GUI names the logged-in
    user first); when only the other order fits their roles, the second person
    signs the first side (`steps.sides_swapped`): a receiver records a receipt at
    their own log-in. The roles are then checked side by side as before.
    """
    rule = RULES[step]
    if to is not None and to.username.strip().lower() == by.username.strip().lower():
        raise SignatureError(
            f"{step.label} needs two different people: {by.username} cannot sign both "
            f"'{rule.by_meaning}' and '{rule.to_meaning or VERIFIED}'"
        )
    if step in HANDOFFS and to is None:
        raise SignatureError(
            f"{step.value} is a handoff and needs a second signer ({rule.to_meaning}): "
            "give the receiver or witness"
        )
    first = authenticate_in(session, by)
    second = authenticate_in(session, to) if to is not None else None
    if second is not None and sides_swapped(step, first.role, second.role):
        first, second = second, first
    _check_signer(first, rule.by_roles, step, rule.by_meaning)
    sigs = [signature(first, rule.by_meaning)]
    if second is not None:
        if rule.to_meaning is not None:
            _check_signer(second, rule.to_roles, step, rule.to_meaning)
            sigs.append(signature(second, rule.to_meaning))
        else:  # an optional witness on a one-person step
            _check_signer(second, frozenset(Role) - {Role.ADMINISTRATOR}, step, VERIFIED)
            sigs.append(signature(second, VERIFIED))
    return first, second, sigs


def _step_reads(
    session: Session, unit: str, source: ScanSource, by: Credentials, to: Credentials | None
) -> list[batch.Read]:
    """The reads a step makes before it appends, sent with the write lock (`batch`):
    on PostgreSQL one round trip instead of a dozen. Only a time saving: a read left
    out here, or a bag that is not what it seems, is simply read when asked."""
    reads = bags.unit_reads(unit, source)
    if not reads:
        return []
    code = str(reads[0][1]["unit"])
    coi = UnitId(code[:-1]).coi.full
    signers = [c.username.strip().lower() for c in (by, to) if c is not None]
    return [
        *reads,
        *fact_reads(code),
        *open_deviation_reads(code),
        *profiles.case_reads(coi),
        *user_reads(signers),
        *setting_reads("password_expiry_days"),
        *due_reads(),
        *ledger.head_reads(session),
    ]


def record_event(
    db: Database,
    unit: str,
    step: str | Step,
    by: Credentials,
    to: Credentials | None = None,
    *,
    location: str | None = None,
    temperature_c: float | None = None,
    note: str | None = None,
    occurred_at: datetime | None = None,
    started_at: datetime | None = None,
    condition: str | None = None,
    expect: str | None = None,
    source: ScanSource = "keyboard",
    volume_ml: float | None = None,
    anticoagulant: str | None = None,
) -> Receipt:
    """Record one custody step of one unit, signed by one or two people.

    ``unit`` is what was scanned or typed: a unit id or a label payload (a void or
    unknown label is refused). ``expect`` is the case at hand (its COI): a bag of
    any other case is refused as wrong patient. ``occurred_at`` is when the step
    was complete; ``started_at`` when it began (thaw, infusion), for the post-thaw
    window; a thaw or infusion whose profile has a limit counted from (or to) its
    start is refused without it (`windows.check_start`). A breach of the product
    profile is stored as a deviation beside the step; infusion is refused while a
    gate is closed. ``volume_ml`` and ``anticoagulant`` are taken at the collection
    step only, for its label (`domain.collection`). ``condition`` is the bag's, as
    seen by whoever handles it; both receipts, the thaw and the infusion are refused
    without it (`steps.check_condition`), after the scan checks so that a wrong
    patient's bag is still stopped and recorded as such.
    """
    the_step = step if isinstance(step, Step) else parse_step(step)
    volume_ml = check_volume(volume_ml)
    anticoagulant = clean_anticoagulant(anticoagulant)
    check_collection_facts(the_step, volume_ml, anticoagulant)
    collected = {
        k: v
        for k, v in (("volume_ml", volume_ml), ("anticoagulant", anticoagulant))
        if v is not None
    }
    location = clean_location(location, "location")
    note = clean_note(note, "note")
    condition = clean_location(condition, "condition")
    temperature_c = check_temperature(temperature_c)

    def run(session: Session) -> Receipt:
        u = resolve_bag(session, unit, expect=expect, source=source)
        history = unit_facts(session, u.unit_code)
        check_step(u.unit_code, history[-1].step if history else None, the_step)
        check_no_open_deviation(session, u.unit_code)
        when = _when(history[-1].occurred_at if history else None, occurred_at)
        profile, enrolled = profiles.of_case_enrolled(session, u.coi)
        check_after_enrolment(when, enrolled, "the step")
        began = None
        if started_at is not None:
            if started_at.tzinfo is None:
                raise InvalidValue("the start time of a step needs a time zone")
            if started_at > when:
                raise InvalidValue("a step cannot start after it was complete")
            if history and started_at < history[-1].occurred_at:
                raise InvalidValue("a step cannot start before the unit's previous step")
            check_after_enrolment(started_at, enrolled, "the start of the step")
            began = started_at
        check_start(profile, the_step, began)
        check_condition(the_step, condition)
        fact = StepFact(the_step, when, began, temperature_c)
        if the_step is Step.INFUSION:
            closed = infusion_gates(session, profile, u.coi, u.unit_code, history, fact)
            if closed:
                raise GateClosed("infusion refused: " + "; ".join(closed))
        first, second, sigs = _signers(session, the_step, by, to)
        entry = ledger.append(
            session,
            "event_recorded",
            first.username,
            {
                "unit": u.unit_code,
                "coi": u.coi,
                "step": the_step.value,
                "occurred_at": utc_iso(when),
                "started_at": utc_iso(began) if began else None,
                "location": location,
                "temperature_c": temperature_c,
                "condition": condition,
                "note": note,
                "by": first.username,
                "to": second.username if second else None,
                "signatures": sigs,
                **collected,  # only when recorded: other steps' payloads are unchanged
            },
        )
        found = breaches(profile, history, fact)
        open_deviations(session, entry, u.unit_code, u.coi, the_step, found)
        return receipt(entry, u.unit_code, tuple(b.detail for b in found))

    return bag_write(
        db,
        run,
        by=by,
        scanned=unit,
        expect=expect,
        source=source,
        signers=(by, to),
        ahead=lambda session: _step_reads(session, unit, source, by, to),
    )


def split_unit(
    db: Database,
    unit: str,
    into: int,
    by: Credentials,
    *,
    note: str | None = None,
    location: str | None = None,
    expect: str | None = None,
    source: ScanSource = "keyboard",
) -> list[str]:
    """Split one bag into ``into`` bags during expansion; the original stays as one of them.

    ``unit`` and ``expect`` are checked as for `record_event`.
    """
    if not 2 <= into <= 20:
        raise InvalidValue("a bag splits into 2 to 20 bags")
    note = clean_note(note, "note")
    location = clean_location(location, "location")

    def run(session: Session) -> list[str]:
        u = resolve_bag(session, unit, expect=expect, source=source)
        if current_step(session, u.unit_code) is not Step.EXPANSION:
            raise InvalidValue("a bag can only be split while it is in expansion")
        check_no_open_deviation(session, u.unit_code)
        user = authenticate_in(session, by)
        _check_signer(user, RULES[Step.EXPANSION].by_roles, Step.EXPANSION, "Performed by")
        coi = UnitId(u.unit_code[:-1]).coi
        first = next_unit_number(session, u.coi)
        children = [{"unit": coi.unit(n).full, "number": n} for n in range(first, first + into - 1)]
        when = utc_iso(datetime.now(UTC))
        ledger.append(
            session,
            "unit_split",
            user.username,
            {
                "coi": u.coi,
                "parent": u.unit_code,
                "children": children,
                "step": Step.EXPANSION.value,
                "occurred_at": when,
                "location": location,
                "temperature_c": None,
                "by": user.username,
                "to": None,
                "note": note or f"split from {u.unit_code}",
                "signatures": [signature(user, "Performed by")],
            },
        )
        return [c["unit"] for c in children]

    return bag_write(db, run, by=by, scanned=unit, expect=expect, source=source, signers=(by,))
