"""The infusion gates: the unit's live steps as corrected, and what keeps infusion closed.

Read inside the write transaction of the infusion step (`custody.record_event`) and
by the bedside checklist, so both see the same gates.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import parse_iso
from cart_chain.domain.effective import effective
from cart_chain.domain.gates import BEDSIDE
from cart_chain.domain.profiles import Profile
from cart_chain.domain.steps import Step
from cart_chain.domain.windows import (
    StepFact,
    dose_schedule_ok,
    lymphodepletion_ok,
    post_thaw_breach,
)
from cart_chain.services.unit_state import live
from cart_chain.store import batch
from cart_chain.store.fixes import fixes_query, group_fixes
from cart_chain.store.models import (
    Event,
    GateOverride,
    PatientEvent,
    Unit,
)

# -- facts ------------------------------------------------------------------------

_FACTS = (
    select(Event.entry_seq, Event.step, Event.occurred_at, Event.started_at, Event.temperature_c)
    .where(Event.unit_code == bindparam("code"), live(Event.entry_seq))
    .order_by(Event.entry_seq)
)
_FIXES = fixes_query(
    select(Event.entry_seq).where(Event.unit_code == bindparam("code")),
    ("occurred_at", "temperature_c"),
)


def _fact(step: str, occurred: str, started: str | None, temp: object, fixes: list) -> StepFact:  # type: ignore[type-arg]
    """One step as the window rules need it, its corrected time and temperature applied."""
    fixed = effective({"occurred_at": occurred, "temperature_c": temp}, fixes)
    t = fixed["temperature_c"]
    return StepFact(
        Step(step),
        parse_iso(str(fixed["occurred_at"])),
        parse_iso(started) if started else None,
        None if t is None else float(t),  # type: ignore[arg-type]
    )


def unit_facts(session: Session, unit_code: str) -> list[StepFact]:
    """The unit's live steps with corrected times and temperatures applied."""
    fixes = group_fixes(batch.rows(session, _FIXES, {"code": unit_code}))
    return [
        _fact(step, occurred, started, temp, fixes.get(seq, []))
        for seq, step, occurred, started, temp in batch.rows(session, _FACTS, {"code": unit_code})
    ]


def fact_reads(unit_code: str) -> list[batch.Read]:
    """The reads `unit_facts` makes (`batch.read_ahead`)."""
    return [(_FIXES, {"code": unit_code}), (_FACTS, {"code": unit_code})]


def units_facts(session: Session, unit_codes: Sequence[str]) -> dict[str, list[StepFact]]:
    """`unit_facts` of several units in two queries (a page of the case list, the queue)."""
    if not unit_codes:
        return {}
    codes = list(unit_codes)
    fixes = group_fixes(
        session.execute(
            fixes_query(
                select(Event.entry_seq).where(Event.unit_code.in_(codes)),
                ("occurred_at", "temperature_c"),
            )
        )
    )
    out: dict[str, list[StepFact]] = {code: [] for code in codes}
    rows = session.execute(
        select(
            Event.unit_code,
            Event.entry_seq,
            Event.step,
            Event.occurred_at,
            Event.started_at,
            Event.temperature_c,
        )
        .where(Event.unit_code.in_(codes), live(Event.entry_seq))
        .order_by(Event.entry_seq)
    )
    for code, seq, step, occurred, started, temp in rows:
        out[code].append(_fact(step, occurred, started, temp, fixes.get(seq, [])))
    return out


def infusion_gates(
    session: Session,
    profile: Profile,
    coi: str,
    unit_code: str,
    history: Sequence[StepFact],
    infusion: StepFact,
) -> list[str]:
    """Why infusion must not happen now (empty when every gate is open or overridden)."""
    steps = {f.step for f in history}
    closed: dict[str, str] = {}
    if Step.RELEASE not in steps or Step.RECEIPT_AT_SITE not in steps:
        closed["released_and_received"] = "the unit was not released and received at the site"
    ld_end = session.execute(
        select(PatientEvent.occurred_at)
        .where(PatientEvent.coi == coi, PatientEvent.kind == "lymphodepletion_end")
        .order_by(PatientEvent.entry_seq.desc())
        .limit(1)
    ).scalar()
    why = lymphodepletion_ok(profile, parse_iso(ld_end) if ld_end else None, infusion.began)
    earlier = (
        session.execute(
            select(Event.occurred_at)
            .join(Unit, Unit.unit_code == Event.unit_code)
            .where(Unit.coi == coi, Event.step == Step.INFUSION.value, live(Event.entry_seq))
            .order_by(Event.entry_seq)
        )
        .scalars()
        .all()
        if len(profile.dose_days) > 1
        else []
    )
    if earlier:  # a later split dose: its day counts from the first infusion, not from LD
        why = dose_schedule_ok(profile, parse_iso(earlier[0]), infusion.began, len(earlier) + 1)
    if why:
        closed["lymphodepletion"] = why
    thaw = next((f for f in reversed(history) if f.step is Step.THAW), None)
    check = session.execute(
        select(PatientEvent.occurred_at, PatientEvent.detail)
        .where(PatientEvent.unit_code == unit_code, PatientEvent.kind == BEDSIDE)
        .order_by(PatientEvent.entry_seq.desc())
        .limit(1)
    ).first()
    if check is None:
        closed["bedside_check"] = "no bedside identity check was recorded for this bag"
    elif check[1] != "pass":
        closed["bedside_check"] = f"the bedside identity check failed ({check[1]})"
    elif thaw is not None and parse_iso(check[0]) < thaw.occurred_at:
        closed["bedside_check"] = "the bedside check was done before the thaw; repeat it"
    breach = post_thaw_breach(profile, history, infusion)
    if breach is not None:
        closed["post_thaw_window"] = breach.detail
    overridden = set(
        session.execute(
            select(GateOverride.gate).where(GateOverride.unit_code == unit_code)
        ).scalars()
    )
    return [f"{gate}: {text}" for gate, text in closed.items() if gate not in overridden]
