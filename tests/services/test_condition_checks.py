"""The checks of a leg's logger samples: limits, excursions, gaps, coverage, MKT."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from cart_chain.domain.citations import Cited
from cart_chain.domain.condition import assess, limits_for, mean_kinetic_temperature
from cart_chain.domain.logger_parse import LoggerRecord
from cart_chain.domain.steps import Step
from cart_chain.services.profiles import get_profile

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
FRESH = get_profile("generic")  # fresh apheresis, 2-8 °C
KYMRIAH = get_profile("kymriah")


def record(times: list[float], temps: list[float], **kw: object) -> LoggerRecord:
    base = T0.timestamp()
    return LoggerRecord(
        "delimited",
        kw.get("serial", "S1"),  # type: ignore[arg-type]
        kw.get("started"),  # type: ignore[arg-type]
        kw.get("stopped"),  # type: ignore[arg-type]
        kw.get("interval", 60.0),  # type: ignore[arg-type]
        tuple(base + t for t in times),
        tuple(temps),
        "UTC",
    )


def tolerant(minutes: float):  # type: ignore[no-untyped-def]
    return replace(FRESH, excursion_tolerance=Cited(minutes, why="test", quote=""))


def test_the_limits_of_each_kind_of_leg() -> None:
    assert FRESH.ships_fresh
    fresh = limits_for(FRESH, Step.SHIP_TO_MANUFACTURING)
    assert (fresh.low_c, fresh.high_c, fresh.mkt) == (2.0, 8.0, True)
    frozen = limits_for(FRESH, Step.SHIP_TO_SITE)
    assert (frozen.low_c, frozen.high_c, frozen.mkt) == (None, FRESH.storage_max_c, False)
    assert limits_for(KYMRIAH, Step.SHIP_TO_MANUFACTURING).high_c == KYMRIAH.storage_max_c


def test_exactly_the_tolerated_duration_passes_and_one_second_more_fails() -> None:
    limits = limits_for(tolerant(30), Step.SHIP_TO_MANUFACTURING)
    # outside from t=600 to back inside at t=600+1800: exactly 30 min
    exact = record([0, 600, 1200, 2400, 2400 + 1], [5, 9, 9.5, 5, 5], interval=600.0)
    a = assess(exact, limits, T0, None)
    (e,) = a.excursions
    assert e.duration_s == 1800 and e.tolerated and e.extreme_c == 9.5
    assert a.breaches(limits, T0, None) == []
    longer = record([0, 600, 1200, 2401, 2402], [5, 9, 9.5, 5, 5], interval=600.0)
    a = assess(longer, limits, T0, None)
    (e,) = a.excursions
    assert e.duration_s == 1801 and not e.tolerated
    (b,) = a.breaches(limits, T0, None)
    assert b.rule == "condition_excursion" and "30 min 01 s" in b.detail and "9.5 °C" in b.actual


def test_without_a_tolerance_any_excursion_is_a_breach_and_cold_counts_too() -> None:
    limits = limits_for(FRESH, Step.SHIP_TO_MANUFACTURING)
    a = assess(record([0, 60, 120, 180], [5, 1.5, 5, 5]), limits, T0, None)
    (e,) = a.excursions
    assert e.extreme_c == 1.5 and e.duration_s == 60
    assert [b.rule for b in a.breaches(limits, T0, None)] == ["condition_excursion"]


def test_an_excursion_running_to_the_end_of_the_file() -> None:
    limits = limits_for(KYMRIAH, Step.SHIP_TO_SITE)
    a = assess(record([0, 60, 120, 180], [-170, -160, -110, -100]), limits, T0, None)
    (e,) = a.excursions
    assert e.start == T0.timestamp() + 120 and e.end == T0.timestamp() + 180
    assert e.extreme_c == -100 and a.mkt_c is None  # no MKT at LN2 temperatures


def test_gaps_longer_than_three_intervals() -> None:
    limits = limits_for(FRESH, Step.SHIP_TO_MANUFACTURING)
    three = record([0, 60, 240, 300], [5, 5, 5, 5])  # 180 s: exactly three intervals
    assert assess(three, limits, T0, None).gaps == ()
    more = record([0, 60, 241, 300], [5, 5, 5, 5])
    a = assess(more, limits, T0, None)
    (g,) = a.gaps
    assert g.duration_s == 181
    assert [b.rule for b in a.breaches(limits, T0, None)] == ["condition_gap"]


def test_a_logger_that_started_late_or_stopped_early() -> None:
    limits = limits_for(FRESH, Step.SHIP_TO_MANUFACTURING)
    rec = record([0, 60, 120], [5, 5, 5])
    ok = assess(rec, limits, T0, T0 + timedelta(seconds=120))
    assert not ok.started_late and not ok.stopped_early
    late = assess(rec, limits, T0 - timedelta(seconds=1), T0 + timedelta(seconds=121))
    assert late.started_late and late.stopped_early
    rules = [b.rule for b in late.breaches(limits, T0, T0 + timedelta(seconds=121))]
    assert rules == ["logger_started_late", "logger_stopped_early"]
    # the header's own start and stop times win over the first and last samples
    stated = record(
        [0, 60], [5, 5], started=T0 - timedelta(hours=1), stopped=T0 + timedelta(hours=1)
    )
    a = assess(stated, limits, T0 - timedelta(minutes=5), T0 + timedelta(minutes=30))
    assert not a.started_late and not a.stopped_early


def test_mean_kinetic_temperature_against_the_formula() -> None:
    assert mean_kinetic_temperature([5.0] * 10) == pytest.approx(5.0)
    temps = [2.0, 8.0, 5.0, 25.0]
    k = 83.144e3 / 8.3144
    expected = k / -math.log(sum(math.exp(-k / (t + 273.15)) for t in temps) / 4) - 273.15
    assert mean_kinetic_temperature(temps) == pytest.approx(expected)
    assert mean_kinetic_temperature(temps) > sum(temps) / 4  # MKT weighs warm samples more
