"""The infusion checklist: every gate, the premedication and the product's warnings.

`thaw_outlook` is the same gates asked before a thaw: what infusion will still
need if the bag is thawed now, and whether it could start before the post-thaw
limit ends (the lymphodepletion window must open in time); the record dialog
shows both before anyone types a password.

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
from cart_chain.domain.windows import StepFact, post_thaw_window
from cart_chain.services import profiles
from cart_chain.services.bags import resolve_bag
from cart_chain.services.infusion_gates import infusion_gates, unit_facts
from cart_chain.services.unit_state import UnitRef
from cart_chain.store.database import Database
from cart_chain.store.models import PatientEvent

PREMEDICATION = "premedication"


@dataclass(frozen=True, slots=True)
class ChecklistItem:
    name: str  # a gate name, or "premedication"
    ok: bool
    blocking: bool  # a closed gate refuses the infusion; other items are shown only
    text: str
    until: str | None = None  # post-thaw window: when it ends (UTC), for "N min left"


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


#: What an open gate means, in words (a closed gate says why it is closed).
OPEN_TEXT = {
    "released_and_received": "released by QA and received at the site",
    "lymphodepletion": "infusion falls in the window after lymphodepletion",
    "bedside_check": "the bedside identity check passed after the thaw",
    "post_thaw_window": "not thawed yet: the post-thaw limit starts at the thaw",
}


def _closed(
    session: Session, profile: Profile, u: UnitRef, history: list[StepFact], at: datetime
) -> dict[str, str]:
    """The closed gates (name -> why) of an infusion starting at ``at``."""
    fact = StepFact(Step.INFUSION, at, at)
    return {
        text.split(":", 1)[0]: text.split(":", 1)[1].strip()
        for text in infusion_gates(session, profile, u.coi, u.unit_code, history, fact)
    }


def _minutes_left(ends: datetime, at: datetime) -> str:
    m = round((ends - at).total_seconds() / 60)
    return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min"


def infusion_checklist(db: Database, unit: str, at: datetime | None = None) -> InfusionChecklist:
    """The checklist for infusing ``unit`` at ``at`` (default: now)."""
    when = at or datetime.now(UTC)

    def run(session: Session) -> InfusionChecklist:
        u = resolve_bag(session, unit)
        profile = profiles.of_case(session, u.coi)
        history = unit_facts(session, u.unit_code)
        closed = _closed(session, profile, u, history, when)
        items = [
            ChecklistItem(g, g not in closed, True, closed.get(g, OPEN_TEXT[g])) for g in GATES
        ]
        window = post_thaw_window(profile, history)
        if window is not None and "post_thaw_window" not in closed:
            i = GATES.index("post_thaw_window")
            left = _minutes_left(window.ends, when)
            items[i] = ChecklistItem(
                "post_thaw_window",
                True,
                True,
                f"{left} left of {window.name}",
                utc_iso(window.ends),
            )
        items.append(premedication_item(session, profile, u.coi, when))
        return InfusionChecklist(
            u.coi, u.unit_code, utc_iso(when), tuple(items), profile.warnings, profile.unconfirmed
        )

    return db.read(run)


@dataclass(frozen=True, slots=True)
class ThawOutlook:
    """Before a thaw: what infusion will still need, and whether it can start in time."""

    unit: str
    at: str  # the thaw time it was worked out for (UTC)
    items: tuple[ChecklistItem, ...]
    infuse_by: str | None  # a thaw at ``at``: the latest infusion start (UTC); None: no limit
    warnings: tuple[str, ...]  # why infusion could not start in time; empty: it can

    @property
    def in_time(self) -> bool:
        return not self.warnings


def thaw_outlook(db: Database, unit: str, at: datetime | None = None) -> ThawOutlook:
    """The infusion gates for a thaw of ``unit`` at ``at`` (default: now).

    Infusion could start at once after the thaw or as late as the profile's first
    post-thaw limit allows; a gate closed at both ends of that span (release and
    receipt missing, the lymphodepletion window not open in time or already past)
    cannot open in time: the thaw is warned, not refused (the service records what
    staff decide). The bedside check is still to do after the thaw.
    """
    when = at or datetime.now(UTC)

    def run(session: Session) -> ThawOutlook:
        u = resolve_bag(session, unit)
        profile = profiles.of_case(session, u.coi)
        after = [*unit_facts(session, u.unit_code), StepFact(Step.THAW, when, when)]
        window = post_thaw_window(profile, after)
        deadline = window.ends if window is not None else when
        now_closed = _closed(session, profile, u, after, when)
        late_closed = _closed(session, profile, u, after, deadline)
        items, warnings = [], []
        for gate in ("released_and_received", "lymphodepletion"):
            never = gate in now_closed and gate in late_closed
            text = late_closed[gate] if never else OPEN_TEXT[gate]
            if not never and gate in now_closed:
                text = f"open before the post-thaw limit ends (now: {now_closed[gate]})"
            items.append(ChecklistItem(gate, not never, True, text))
            if never:
                warnings.append(text)  # each says what it is about
        items.append(
            ChecklistItem(
                "bedside_check",
                False,
                True,
                "to do after the thaw: two people check wristband and bag at the bedside",
            )
        )
        if window is not None:
            text = (
                f"a thaw now starts {window.name} ({_minutes_left(window.ends, when)}): "
                "infusion must start by its end"
            )
            items.append(ChecklistItem("post_thaw_window", True, True, text, utc_iso(window.ends)))
        else:
            items.append(
                ChecklistItem("post_thaw_window", True, True, "the profile sets no post-thaw limit")
            )
        return ThawOutlook(
            u.unit_code,
            utc_iso(when),
            tuple(items),
            utc_iso(window.ends) if window else None,
            tuple(warnings),
        )

    return db.read(run)
