"""The chain of condition: a leg's logger samples checked against the product profile.

Pure rules over what a logger file said (`logger_parse.LoggerRecord`) and when the
leg began and ended (the handoff and the receipt). The limits come from the
product profile: the fresh-transport range for a fresh apheresis leg, the storage
maximum for a cryopreserved one. A run of samples outside the limits is one
excursion; it lasts from its first sample outside to the first sample back inside
(or its last sample, when the file ends outside), which for a regular logger is
the number of samples outside times the interval, as logger vendors count it. A
profile may tolerate excursions up to a duration: exactly that duration passes,
a second more does not. Gaps longer than three sampling intervals are flagged,
and so is a logger that started after the handoff or stopped before the receipt.
Mean kinetic temperature (USP <1160>, ΔH/R = 10 000 K) is given for 2-8 °C legs;
it means nothing at LN2 temperatures and is not computed there.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import pairwise

from cart_chain.domain.logger_parse import LoggerRecord
from cart_chain.domain.profiles import Profile
from cart_chain.domain.steps import Step
from cart_chain.domain.windows import Breach

#: Transport steps: each recorded one is a leg that a logger may cover.
TRANSPORT_STEPS = frozenset({Step.SHIP_TO_MANUFACTURING, Step.SHIP_TO_SITE})
#: ΔH/R for mean kinetic temperature: 83.144 kJ/mol over 8.3144 J/(mol K).
MKT_DH_OVER_R = 10000.0
GAP_INTERVALS = 3


@dataclass(frozen=True, slots=True)
class Limits:
    low_c: float | None
    high_c: float | None
    tolerated_s: float | None  # excursions up to this long pass; None: none tolerated
    mkt: bool  # mean kinetic temperature is meaningful (a 2-8 °C leg)
    what: str  # "fresh transport" or "cryopreserved storage"

    def describe(self) -> str:
        if self.low_c is not None and self.high_c is not None:
            return f"{self.low_c:g} to {self.high_c:g} °C"
        return f"<= {self.high_c:g} °C" if self.high_c is not None else f">= {self.low_c:g} °C"


def limits_for(profile: Profile, step: Step) -> Limits:
    """The limits a leg is held to: fresh apheresis on its way to manufacturing travels
    in the fresh-transport range; everything else frozen, at most the storage maximum."""
    tolerated = profile.excursion_tolerance_minutes
    tol = None if tolerated is None else tolerated * 60.0
    if step is Step.SHIP_TO_MANUFACTURING and profile.ships_fresh:
        return Limits(
            profile.fresh_transit_min_c, profile.fresh_transit_max_c, tol, True, "fresh transport"
        )
    return Limits(None, profile.storage_max_c, tol, False, "cryopreserved storage")


@dataclass(frozen=True, slots=True)
class Excursion:
    start: float  # POSIX seconds
    end: float
    extreme_c: float
    samples: int
    tolerated: bool

    @property
    def duration_s(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Gap:
    start: float
    end: float

    @property
    def duration_s(self) -> float:
        return self.end - self.start


@dataclass(frozen=True, slots=True)
class Assessment:
    """Everything the checks found in one logger file for one leg."""

    samples: int
    min_c: float
    max_c: float
    mkt_c: float | None
    interval_s: float
    excursions: tuple[Excursion, ...]
    gaps: tuple[Gap, ...]
    started_late: bool  # the logger started after the handoff
    stopped_early: bool  # the logger stopped before the receipt

    def breaches(self, limits: Limits, handoff: datetime, receipt: datetime | None) -> list[Breach]:
        """What QA must review: untolerated excursions, gaps, a logger not covering the leg."""
        out = []
        for e in self.excursions:
            if e.tolerated:
                continue
            allowed = (
                f"{limits.describe()}"
                if limits.tolerated_s is None
                else f"{limits.describe()}, excursions up to {_duration(limits.tolerated_s)}"
            )
            out.append(
                Breach(
                    "condition_excursion",
                    f"temperature outside {limits.describe()} from {_at(e.start)} to "
                    f"{_at(e.end)} UTC ({_duration(e.duration_s)}, extreme {e.extreme_c:g} °C)",
                    allowed,
                    f"{e.extreme_c:g} °C for {_duration(e.duration_s)}",
                )
            )
        for g in self.gaps:
            out.append(
                Breach(
                    "condition_gap",
                    f"no samples from {_at(g.start)} to {_at(g.end)} UTC "
                    f"({_duration(g.duration_s)})",
                    f"<= {GAP_INTERVALS} x {_duration(self.interval_s)}",
                    _duration(g.duration_s),
                )
            )
        if self.started_late:
            out.append(
                Breach(
                    "logger_started_late",
                    f"the logger started after the handoff ({_iso(handoff)} UTC)",
                    f"started by {_iso(handoff)}",
                    "started later",
                )
            )
        if self.stopped_early and receipt is not None:
            out.append(
                Breach(
                    "logger_stopped_early",
                    f"the logger stopped before the receipt ({_iso(receipt)} UTC)",
                    f"running until {_iso(receipt)}",
                    "stopped earlier",
                )
            )
        return out


def mean_kinetic_temperature(temps_c: tuple[float, ...] | list[float]) -> float:
    """MKT in °C: ΔH/R over -ln(mean(exp(-ΔH/(R T)))) with T in kelvin."""
    k = MKT_DH_OVER_R
    mean = math.fsum(math.exp(-k / (t + 273.15)) for t in temps_c) / len(temps_c)
    return k / -math.log(mean) - 273.15


def assess(
    record: LoggerRecord, limits: Limits, handoff: datetime, receipt: datetime | None
) -> Assessment:
    """Check a logger's samples against a leg's limits and its handoff and receipt times."""
    times, temps = record.times, record.temps
    lo, hi = limits.low_c, limits.high_c
    excursions: list[Excursion] = []
    run_start: int | None = None
    for i, t in enumerate(temps):
        outside = (lo is not None and t < lo) or (hi is not None and t > hi)
        if outside and run_start is None:
            run_start = i
        elif not outside and run_start is not None:
            excursions.append(_excursion(record, run_start, i, i, limits))
            run_start = None
    if run_start is not None:
        excursions.append(_excursion(record, run_start, len(temps), len(temps) - 1, limits))
    interval = record.sampling_interval_s
    gaps = []
    if interval > 0:
        longest = GAP_INTERVALS * interval
        gaps = [Gap(a, b) for a, b in pairwise(times) if b - a > longest]
    started = record.started or record.first
    stopped = record.stopped or record.last
    return Assessment(
        samples=len(temps),
        min_c=min(temps),
        max_c=max(temps),
        mkt_c=round(mean_kinetic_temperature(temps), 2) if limits.mkt else None,
        interval_s=interval,
        excursions=tuple(excursions),
        gaps=tuple(gaps),
        started_late=started > handoff,
        stopped_early=receipt is not None and stopped < receipt,
    )


def _excursion(
    record: LoggerRecord, first: int, stop: int, end_index: int, limits: Limits
) -> Excursion:
    """Samples ``first`` to ``stop - 1`` are outside; ``end_index`` ends the excursion."""
    run = record.temps[first:stop]
    hi = limits.high_c
    if limits.low_c is not None and hi is not None:
        mid = (limits.low_c + hi) / 2
        extreme = max(run, key=lambda t: abs(t - mid))
    else:
        extreme = max(run) if hi is not None else min(run)
    start, end = record.times[first], record.times[end_index]
    tolerated = limits.tolerated_s is not None and end - start <= limits.tolerated_s
    return Excursion(start, end, extreme, len(run), tolerated)


def _at(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")


def _duration(seconds: float) -> str:
    s = round(seconds)
    h, rest = divmod(s, 3600)
    m, sec = divmod(rest, 60)
    if h:
        return f"{h} h {m:02d} min {sec:02d} s" if sec else f"{h} h {m:02d} min"
    return f"{m} min {sec:02d} s" if sec else f"{m} min"
