"""Handling windows and temperature limits: what a recorded step breaches, and how
long a unit has left in its current window.

Pure functions over a unit's steps so the same rules serve recording (deviations,
the infusion gate), `case show`, the GUI and the reports. Limits are inclusive:
exactly at the limit is inside; one minute past is outside.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from cart_chain.domain.profiles import Anchor, Profile
from cart_chain.domain.steps import Step

COLD_STEPS = frozenset(
    {Step.CRYOPRESERVATION, Step.STORAGE, Step.SHIP_TO_SITE, Step.RECEIPT_AT_SITE}
)
FRESH_TRANSIT_STEPS = frozenset({Step.SHIP_TO_MANUFACTURING, Step.RECEIPT_AT_MANUFACTURING})


@dataclass(frozen=True, slots=True)
class StepFact:
    """One recorded (not voided) step of a unit, as the window rules need it."""

    step: Step
    occurred_at: datetime  # when it was complete
    started_at: datetime | None = None  # when it began (thaw, infusion), if recorded
    temperature_c: float | None = None

    @property
    def began(self) -> datetime:
        return self.started_at or self.occurred_at


@dataclass(frozen=True, slots=True)
class Breach:
    rule: str
    detail: str
    limit: str
    actual: str


@dataclass(frozen=True, slots=True)
class Window:
    """A running clock on a unit (fresh transit, post-thaw)."""

    name: str
    started: datetime
    ends: datetime

    def remaining(self, now: datetime) -> timedelta:
        return self.ends - now

    def overdue(self, now: datetime) -> bool:
        return now > self.ends


def _last(facts: Sequence[StepFact], step: Step) -> StepFact | None:
    return next((f for f in reversed(facts) if f.step is step), None)


def _fmt(delta: timedelta) -> str:
    minutes = round(delta.total_seconds() / 60)
    sign = "-" if minutes < 0 else ""
    h, m = divmod(abs(minutes), 60)
    return f"{sign}{h} h {m:02d} min"


def breaches(profile: Profile, history: Sequence[StepFact], new: StepFact) -> list[Breach]:
    """What recording ``new`` after ``history`` breaches (each becomes a deviation)."""
    found: list[Breach] = []
    t = new.temperature_c
    if new.step in COLD_STEPS and t is not None and t > profile.storage_max_c:
        found.append(
            Breach(
                "storage_temperature",
                f"{new.step.value} at {t:g} °C, warmer than {profile.storage_max_c:g} °C "
                f"by {t - profile.storage_max_c:g} °C",
                f"<= {profile.storage_max_c:g} °C",
                f"{t:g} °C",
            )
        )
    if profile.ships_fresh and new.step in FRESH_TRANSIT_STEPS and t is not None:
        lo, hi = profile.fresh_transit_min_c, profile.fresh_transit_max_c
        if lo is not None and hi is not None and not lo <= t <= hi:
            by = lo - t if t < lo else t - hi
            found.append(
                Breach(
                    "transit_temperature",
                    f"fresh apheresis at {t:g} °C during {new.step.value}, outside "
                    f"{lo:g} to {hi:g} °C by {by:g} °C",
                    f"{lo:g} to {hi:g} °C",
                    f"{t:g} °C",
                )
            )
    if profile.ships_fresh and new.step is Step.RECEIPT_AT_MANUFACTURING:
        window = fresh_transit_window(profile, history)
        if window is not None and new.occurred_at > window.ends:
            late = new.occurred_at - window.ends
            found.append(
                Breach(
                    "fresh_transit_time",
                    f"fresh apheresis received {_fmt(new.occurred_at - window.started)} after "
                    f"collection, {_fmt(late)} past the "
                    f"{profile.fresh_transit_max_hours:g} h limit",
                    f"<= {profile.fresh_transit_max_hours:g} h",
                    _fmt(new.occurred_at - window.started),
                )
            )
    return found


def fresh_transit_window(profile: Profile, history: Sequence[StepFact]) -> Window | None:
    if not profile.ships_fresh or profile.fresh_transit_max_hours is None:
        return None
    collected = _last(history, Step.COLLECTION)
    if collected is None:
        return None
    return Window(
        "fresh transit",
        collected.occurred_at,
        collected.occurred_at + timedelta(hours=profile.fresh_transit_max_hours),
    )


def post_thaw_window(profile: Profile, history: Sequence[StepFact]) -> Window | None:
    """The clock from thaw; its end is compared with infusion start or end per the anchor."""
    thaw = _last(history, Step.THAW)
    if thaw is None:
        return None
    from_start = profile.post_thaw_anchor is Anchor.FROM_START_OF_THAW
    start = thaw.began if from_start else thaw.occurred_at
    return Window("post-thaw", start, start + timedelta(minutes=profile.post_thaw_limit_minutes))


def post_thaw_breach(
    profile: Profile, history: Sequence[StepFact], infusion: StepFact
) -> Breach | None:
    """None when the infusion is inside the post-thaw window, else what it overran."""
    window = post_thaw_window(profile, history)
    if window is None:
        return None
    measured = (
        infusion.began
        if profile.post_thaw_anchor is Anchor.FROM_END_OF_THAW
        else infusion.occurred_at
    )
    if measured <= window.ends:
        return None
    what = "start" if profile.post_thaw_anchor is Anchor.FROM_END_OF_THAW else "end"
    return Breach(
        "post_thaw_time",
        f"infusion {what} {_fmt(measured - window.started)} after thaw, "
        f"{_fmt(measured - window.ends)} past the {profile.post_thaw_limit_minutes:g} min limit "
        f"({profile.post_thaw_anchor.value.replace('_', ' ')})",
        f"<= {profile.post_thaw_limit_minutes:g} min",
        _fmt(measured - window.started),
    )


def live_windows(profile: Profile, history: Sequence[StepFact]) -> list[Window]:
    """The clocks running on a unit now, given its steps so far."""
    if not history:
        return []
    current = history[-1].step
    out = []
    if current in (Step.COLLECTION, Step.SHIP_TO_MANUFACTURING):
        w = fresh_transit_window(profile, history)
        if w is not None:
            out.append(w)
    if current is Step.THAW:
        w = post_thaw_window(profile, history)
        if w is not None:
            out.append(w)
    return out


def lymphodepletion_ok(profile: Profile, ld_end: datetime | None, infusion: datetime) -> str | None:
    """None when infusion falls in the window after lymphodepletion ended, else why not."""
    lo, hi = profile.lymphodepletion_to_infusion_days
    if ld_end is None:
        return "lymphodepleting chemotherapy has no recorded end"
    gap = infusion - ld_end
    if gap < timedelta(days=lo):
        return (
            f"lymphodepletion ended {_fmt(gap)} before infusion; at least {lo:g} days are required"
        )
    if gap > timedelta(days=hi):
        return f"lymphodepletion ended {_fmt(gap)} before infusion; at most {hi:g} days are allowed"
    return None
