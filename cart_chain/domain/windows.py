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

from cart_chain.domain.errors import MissingStartTime
from cart_chain.domain.profiles import LimitFrom, LimitTo, Profile
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
    if new.step is Step.THAW:
        found += thaw_overrun(profile, new)
    return found


def thaw_overrun(profile: Profile, thaw: StepFact) -> list[Breach]:
    """The limits a thaw has already overrun when it is complete.

    A limit counted from the thaw's start (or removal from frozen storage) that
    has run out by the end of the thaw cannot be kept by any infusion: that is
    a deviation now, recorded with the thaw, not only a refusal at the bedside.
    """
    found = []
    for limit in profile.time_limits:
        start = _moment(limit.start, thaw, None)
        if start is None:
            continue  # not known yet (infusion start) or not recorded (the gate says so)
        ends = start + timedelta(minutes=limit.minutes)
        if thaw.occurred_at <= ends:
            continue
        what = limit.end.value.replace("_", " ")
        found.append(
            Breach(
                "post_thaw_time",
                f"{limit.name}: the thaw was complete {_fmt(thaw.occurred_at - start)} after "
                f"{limit.start.value.replace('_', ' ')}, {_fmt(thaw.occurred_at - ends)} past "
                f"the {limit.minutes:g} min limit to {what}",
                f"<= {limit.minutes:g} min",
                _fmt(thaw.occurred_at - start),
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


def _moment(
    kind: LimitFrom | LimitTo, thaw: StepFact, infusion: StepFact | None
) -> datetime | None:
    """The time a limit runs from or to; None when it is not (yet) known."""
    if kind in (LimitFrom.THAW_START, LimitFrom.REMOVAL_FROM_FROZEN_STORAGE):
        return thaw.started_at
    if kind is LimitFrom.THAW_END:
        return thaw.occurred_at
    if infusion is None:
        return None
    if kind in (LimitFrom.INFUSION_START, LimitTo.INFUSION_START):
        return infusion.began
    return infusion.occurred_at


def limit_windows(profile: Profile, history: Sequence[StepFact]) -> list[Window]:
    """The clocks started by the last thaw (limits from infusion start run only at infusion)."""
    thaw = _last(history, Step.THAW)
    if thaw is None:
        return []
    out = []
    for limit in profile.time_limits:
        start = _moment(limit.start, thaw, None)
        if start is not None:
            out.append(Window(limit.name, start, start + timedelta(minutes=limit.minutes)))
    return out


def post_thaw_window(profile: Profile, history: Sequence[StepFact]) -> Window | None:
    """The first clock started by the thaw (the product's main post-thaw limit)."""
    windows = limit_windows(profile, history)
    return windows[0] if windows else None


def time_limit_breaches(
    profile: Profile, history: Sequence[StepFact], infusion: StepFact
) -> list[Breach]:
    """Every time limit the infusion overran; a limit whose start was not recorded
    counts as overrun (it cannot be shown to be kept)."""
    thaw = _last(history, Step.THAW)
    if thaw is None:
        return []
    found = []
    for limit in profile.time_limits:
        start = _moment(limit.start, thaw, infusion)
        if limit.start is LimitFrom.INFUSION_START and infusion.started_at is None:
            start = None  # not its end: that would make the infusion take no time at all
        end = _moment(limit.end, thaw, infusion)
        what = limit.end.value.replace("_", " ")
        if start is None:
            step = "infusion" if limit.start is LimitFrom.INFUSION_START else "thaw"
            found.append(
                Breach(
                    "post_thaw_time",
                    f"{limit.name}: the {limit.start.value.replace('_', ' ')} was not recorded "
                    f"(the {step} step's start time); the {limit.minutes:g} min limit to "
                    f"{what} cannot be checked",
                    f"<= {limit.minutes:g} min",
                    "unknown",
                )
            )
            continue
        assert end is not None
        ends = start + timedelta(minutes=limit.minutes)
        if end <= ends:
            continue
        found.append(
            Breach(
                "post_thaw_time",
                f"{limit.name}: {what} {_fmt(end - start)} after "
                f"{limit.start.value.replace('_', ' ')}, {_fmt(end - ends)} past the "
                f"{limit.minutes:g} min limit",
                f"<= {limit.minutes:g} min",
                _fmt(end - start),
            )
        )
    return found


def post_thaw_breach(
    profile: Profile, history: Sequence[StepFact], infusion: StepFact
) -> Breach | None:
    """None when the infusion keeps every time limit, else the first it overran."""
    found = time_limit_breaches(profile, history, infusion)
    return found[0] if found else None


#: The steps after which `live_windows` can have a clock running (a reader may skip
#: the facts of a unit at any other step: no clock runs on it).
CLOCK_STEPS = frozenset({Step.COLLECTION, Step.SHIP_TO_MANUFACTURING, Step.THAW})


def live_windows(profile: Profile, history: Sequence[StepFact]) -> list[Window]:
    """The clocks running on a unit now, given its steps so far."""
    if not history:
        return []
    current = history[-1].step
    out: list[Window] = []
    if current not in CLOCK_STEPS:
        return out
    if current in (Step.COLLECTION, Step.SHIP_TO_MANUFACTURING):
        w = fresh_transit_window(profile, history)
        if w is not None:
            out.append(w)
    if current is Step.THAW:
        out.extend(limit_windows(profile, history))
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


def dose_schedule_ok(
    profile: Profile, first_infusion: datetime, infusion: datetime, dose: int
) -> str | None:
    """For a split dose: None when dose number ``dose`` (2, 3...) falls on its day, else why.

    The label's days count from the first infusion (day 1); the tolerance is the
    profile's (Aucatzyl: day 10 ± 2 days).
    """
    if dose > len(profile.dose_days):
        return f"the profile has {len(profile.dose_days)} dose(s); this would be dose {dose}"
    day = profile.dose_days[dose - 1] - profile.dose_days[0]
    tol = profile.dose_tolerance_days
    gap = infusion - first_infusion
    if timedelta(days=day - tol) <= gap <= timedelta(days=day + tol):
        return None
    return (
        f"dose {dose} is due on day {profile.dose_days[dose - 1]} (± {tol:g} days) after the "
        f"first infusion; this infusion would be {_fmt(gap)} after it"
    )


@dataclass(frozen=True, slots=True)
class StartTime:
    """How to ask when a thaw or infusion began, from what the profile's limits need."""

    label: str  # e.g. "Removed from frozen storage at"
    required: bool  # a limit counts from (or to) this moment
    limits: tuple[str, ...]  # the limits that use it, described


_THAW_LABELS = {
    LimitFrom.REMOVAL_FROM_FROZEN_STORAGE: "Removed from frozen storage at",
    LimitFrom.THAW_START: "Thaw started at",
}


def start_time(profile: Profile, step: Step) -> StartTime | None:
    """What the start time of ``step`` means for ``profile`` (None: the step has none).

    A thaw always asks it (FACT-JACIE records the thaw's start; several labels
    count from it), worded after the anchor the profile names. An infusion asks
    it, required, when a limit runs from or to the start of infusion; otherwise
    it may be given.
    """
    if step is Step.THAW:
        uses = [t for t in profile.time_limits if t.start in _THAW_LABELS]
        anchors = {t.start for t in uses}
        if len(anchors) == 1:
            label = _THAW_LABELS[anchors.pop()]
        else:
            label = "Removed from storage / thaw started at"
        return StartTime(label, True, tuple(t.describe() for t in uses))
    if step is Step.INFUSION:
        uses = [
            t
            for t in profile.time_limits
            if t.start is LimitFrom.INFUSION_START or t.end is LimitTo.INFUSION_START
        ]
        return StartTime("Infusion started at", bool(uses), tuple(t.describe() for t in uses))
    return None


def check_start(profile: Profile, step: Step, started_at: datetime | None) -> None:
    """Refuse a thaw or infusion without the start a limit of ``profile`` counts from (or to).

    The same limits `start_time` shows the GUI user: a thaw's start when a limit
    runs from thaw start or removal from frozen storage, an infusion's when one
    runs from or to the start of infusion. Without it the limit cannot be kept
    or shown to be kept, so the step is not recorded at all.
    """
    asked = start_time(profile, step)
    if started_at is not None or asked is None or not asked.limits:
        return
    raise MissingStartTime(
        f"{profile.name} (profile {profile.id} v{profile.version}): the {step.value} step "
        f"needs its start time ({asked.label.lower()}), which was not given; "
        + "; ".join(asked.limits)
        + f". Record the {step.value} again with when it began"
    )
