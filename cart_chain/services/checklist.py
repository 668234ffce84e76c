"""The infusion checklist: every gate, the premedication and the product's warnings.

What the bedside team reads before infusing one bag. The gates are the same
ones `record_event` enforces (they block); premedication and the product's
warnings are shown but do not block: the label's premedication timing is
"approximately 30 to 60 minutes", a missing record does not prove a missing
dose, and refusing the infusion of a thawed bag over it would let the
post-thaw clock run out, which harms the patient more. Unconfirmed profile
values are listed so nobody mistakes them for label values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import parse_iso, utc_iso
from cart_chain.domain.gates import GATES
from cart_chain.domain.profiles import Profile
from cart_chain.domain.steps import Step
from cart_chain.domain.windows import StepFact
from cart_chain.services import profiles
from cart_chain.services.bags import resolve_bag
from cart_chain.services.infusion_gates import infusion_gates, unit_facts
from cart_chain.store.database import Database
from cart_chain.store.models import PatientEvent

PREMEDICATION = "premedication"


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    name: str  # a gate name, or "premedication"
    ok: bool
    blocking: bool  # a closed gate refuses the infusion; other items are shown only
    text: str


@dataclass(frozen=True, slots=True)
class InfusionChecklist:
    coi: str
    unit: str
    at: str  # the infusion time the checklist was worked out for (UTC)
    items: tuple[ChecklistItem, ...]
    warnings: tuple[str, ...]  # the product's handling warnings (profile data)
    unconfirmed: tuple[str, ...]  # profile values no label source supports

    @property
    def ready(self) -> bool:
        """True when nothing blocking is open (warnings may remain)."""
        return all(i.ok or not i.blocking for i in self.items)


def premedication_item(
    session: Session, profile: Profile, coi: str, infusion_start: datetime
) -> ChecklistItem:
    """Whether the latest premedication falls in the profile's window before infusion."""
    window = profile.premedication_minutes_before
    if window is None:
        return ChecklistItem(PREMEDICATION, True, False, "the profile sets no premedication window")
    lo, hi = window
    given = session.execute(
        select(PatientEvent.occurred_at)
        .where(PatientEvent.coi == coi, PatientEvent.kind == PREMEDICATION)
        .order_by(PatientEvent.entry_seq.desc())
        .limit(1)
    ).scalar()
    want = f"premedicate {lo:g} to {hi:g} min before infusion"
    if given is None:
        return ChecklistItem(PREMEDICATION, False, False, f"not recorded; {want}")
    before = infusion_start - parse_iso(given)
    minutes = before.total_seconds() / 60
    if timedelta(minutes=lo) <= before <= timedelta(minutes=hi):
        return ChecklistItem(PREMEDICATION, True, False, f"given {minutes:.0f} min before; {want}")
    when = f"{minutes:.0f} min before" if minutes >= 0 else f"{-minutes:.0f} min after"
    return ChecklistItem(PREMEDICATION, False, False, f"given {when} infusion; {want}")


def infusion_checklist(db: Database, unit: str, at: datetime | None = None) -> InfusionChecklist:
    """The checklist for infusing ``unit`` at ``at`` (default: now)."""
    when = at or datetime.now(UTC)

    def run(session: Session) -> InfusionChecklist:
        u = resolve_bag(session, unit)
        profile = profiles.of_case(session, u.coi)
        history = unit_facts(session, u.unit_code)
        fact = StepFact(Step.INFUSION, when, when)
        closed = {
            text.split(":", 1)[0]: text.split(":", 1)[1].strip()
            for text in infusion_gates(session, profile, u.coi, u.unit_code, history, fact)
        }
        items = [ChecklistItem(g, g not in closed, True, closed.get(g, "open")) for g in GATES]
        items.append(premedication_item(session, profile, u.coi, when))
        return InfusionChecklist(
            u.coi, u.unit_code, utc_iso(when), tuple(items), profile.warnings, profile.unconfirmed
        )

    return db.read(run)
