"""Handling windows and limits at their boundaries: one minute inside, one minute outside."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from cart_chain.domain.billing import MEDICARE_NOTE, billing_lines
from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.profiles import LimitFrom, LimitTo, parse_profile
from cart_chain.domain.steps import Step
from cart_chain.domain.windows import (
    StepFact,
    breaches,
    live_windows,
    lymphodepletion_ok,
    post_thaw_breach,
)
from cart_chain.services.profiles import all_profiles, for_product, get_profile

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
CET = timezone(timedelta(hours=1))
NEW_YORK_WINTER = timezone(timedelta(hours=-5))


def fact(
    step: Step, at: datetime, temp: float | None = None, began: datetime | None = None
) -> StepFact:
    return StepFact(step, at, began, temp)


def test_every_shipped_profile_is_valid_and_marks_what_is_unconfirmed() -> None:
    profiles = all_profiles()
    assert {"generic", "kymriah", "tecartus", "abecma", "carvykti", "yescarta", "breyanzi"} <= set(
        profiles
    )
    assert "storage_max_c" in profiles["yescarta"].unconfirmed
    assert profiles["kymriah"].apheresis == "cryopreserved"
    (abecma,) = profiles["abecma"].time_limits
    assert (abecma.start, abecma.end) == (LimitFrom.THAW_START, LimitTo.INFUSION_END)
    assert for_product("Carvykti (ciltacabtagene autoleucel)").id == "carvykti"
    assert for_product("Investigational CAR-T 19").id == "generic"
    with pytest.raises(InvalidValue):
        bad = get_profile("kymriah").to_dict()
        bad["time_limits"][0]["value"]["from"] = "whenever"
        parse_profile(bad)


def test_a_site_profile_overrides_a_shipped_one(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    data = {**get_profile("kymriah").to_dict(), "version": 3}
    data["time_limits"][0]["value"]["minutes"] = 45
    (tmp_path / "kymriah.json").write_text(__import__("json").dumps(data))
    monkeypatch.setenv("CART_CHAIN_PROFILES", str(tmp_path))
    assert get_profile("kymriah").version == 3
    assert get_profile("kymriah").time_limits[0].minutes == 45


@pytest.mark.parametrize("offset", [UTC, CET, NEW_YORK_WINTER])
def test_fresh_transit_time_at_its_boundary(offset) -> None:  # type: ignore[no-untyped-def]
    p = get_profile("abecma")  # fresh, 48 h
    collected = T0.astimezone(offset)
    history = [
        fact(Step.COLLECTION, collected, 22),
        fact(Step.SHIP_TO_MANUFACTURING, collected + timedelta(hours=1), 4),
    ]
    limit = collected + timedelta(hours=48)
    inside = fact(Step.RECEIPT_AT_MANUFACTURING, (limit - MIN).astimezone(UTC), 5)
    at_limit = fact(Step.RECEIPT_AT_MANUFACTURING, limit.astimezone(NEW_YORK_WINTER), 5)
    outside = fact(Step.RECEIPT_AT_MANUFACTURING, (limit + MIN).astimezone(CET), 5)
    assert breaches(p, history, inside) == []
    assert breaches(p, history, at_limit) == []
    found = breaches(p, history, outside)
    assert [b.rule for b in found] == ["fresh_transit_time"]
    assert "0 h 01 min past the 48 h limit" in found[0].detail


def test_cryopreserved_apheresis_has_no_fresh_window() -> None:
    p = get_profile("kymriah")
    history = [fact(Step.COLLECTION, T0, 22), fact(Step.SHIP_TO_MANUFACTURING, T0, -150)]
    late = fact(Step.RECEIPT_AT_MANUFACTURING, T0 + timedelta(days=5), -150)
    assert breaches(p, history, late) == []
    assert live_windows(p, history) == []


@pytest.mark.parametrize(
    ("temp", "rules"),
    [
        (-150.0, []),
        (-130.0, []),
        (-129.9, ["storage_temperature"]),
        (-80.0, ["storage_temperature"]),
    ],
)
def test_storage_temperature_limit_is_inclusive(temp: float, rules: list[str]) -> None:
    p = get_profile("abecma")  # <= -130 °C
    assert [b.rule for b in breaches(p, [], fact(Step.STORAGE, T0, temp))] == rules
    assert [b.rule for b in breaches(p, [], fact(Step.RECEIPT_AT_SITE, T0, temp))] == rules


@pytest.mark.parametrize(
    ("temp", "broken"), [(2.0, False), (8.0, False), (1.9, True), (8.1, True), (25.0, True)]
)
def test_fresh_transit_temperature_range(temp: float, broken: bool) -> None:
    p = get_profile("carvykti")
    found = breaches(p, [], fact(Step.SHIP_TO_MANUFACTURING, T0, temp))
    assert bool(found) is broken


def _thawed(p_id: str, thaw_start: datetime, thaw_end: datetime):  # type: ignore[no-untyped-def]
    return get_profile(p_id), [
        fact(Step.RECEIPT_AT_SITE, T0 - timedelta(days=1), -160),
        fact(Step.THAW, thaw_end, 37, began=thaw_start),
    ]


def test_post_thaw_from_end_of_thaw_measures_to_infusion_start() -> None:
    p, history = _thawed("tecartus", T0, T0 + timedelta(minutes=10))  # start within 30 min
    ok = fact(Step.INFUSION, T0 + timedelta(minutes=60), 22, began=T0 + timedelta(minutes=40) - MIN)
    late = fact(
        Step.INFUSION, T0 + timedelta(minutes=60), 22, began=T0 + timedelta(minutes=40) + MIN
    )
    assert post_thaw_breach(p, history, ok) is None
    assert post_thaw_breach(p, history, late) is not None


def test_post_thaw_from_start_of_thaw_measures_to_infusion_end() -> None:
    p, history = _thawed("abecma", T0, T0 + timedelta(minutes=10))  # 60 min from thaw start
    assert post_thaw_breach(p, history, fact(Step.INFUSION, T0 + timedelta(minutes=59))) is None
    assert post_thaw_breach(p, history, fact(Step.INFUSION, T0 + timedelta(minutes=61)))


def test_post_thaw_to_end_of_infusion_in_other_time_zones() -> None:
    p, history = _thawed("carvykti", T0, (T0 + timedelta(minutes=10)).astimezone(CET))  # 150 min
    end = T0 + timedelta(minutes=160)
    assert (
        post_thaw_breach(p, history, fact(Step.INFUSION, (end - MIN).astimezone(NEW_YORK_WINTER)))
        is None
    )
    assert post_thaw_breach(p, history, fact(Step.INFUSION, (end + MIN).astimezone(CET)))


def test_live_windows_count_down_and_go_overdue() -> None:
    p, history = _thawed("kymriah", T0, T0 + timedelta(minutes=10))
    (w,) = live_windows(p, history)
    assert w.name == "post-thaw" and w.ends == T0 + timedelta(minutes=40)
    assert w.remaining(T0 + timedelta(minutes=20)) == timedelta(minutes=20)
    assert not w.overdue(w.ends) and w.overdue(w.ends + MIN)


def test_lymphodepletion_window_boundaries() -> None:
    p = get_profile("carvykti")  # 2 to 4 days (issue 12: it was 5 to 7)
    end = T0
    assert lymphodepletion_ok(p, end, end + timedelta(days=2)) is None
    assert lymphodepletion_ok(p, end, end + timedelta(days=4)) is None
    assert "at least 2 days" in lymphodepletion_ok(p, end, end + timedelta(days=2) - MIN)
    assert "at most 4 days" in lymphodepletion_ok(p, end, end + timedelta(days=4) + MIN)
    assert "no recorded end" in lymphodepletion_ok(p, None, end)


def test_billing_once_per_day_per_code() -> None:
    day1 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    events = [
        ("U01", Step.COLLECTION, day1),
        ("U02", Step.COLLECTION, day1 + timedelta(days=1)),  # 2-day apheresis
        ("U02", Step.SHIP_TO_MANUFACTURING, day1 + timedelta(days=1, hours=2)),
        ("U01", Step.THAW, day1 + timedelta(days=30)),
        ("U02", Step.THAW, day1 + timedelta(days=30, hours=1)),
        ("U01", Step.INFUSION, day1 + timedelta(days=30, hours=1)),
        ("U02", Step.INFUSION, day1 + timedelta(days=30, hours=2)),  # second bag, same day
        ("U01", Step.RECEIPT_AT_SITE, day1 + timedelta(days=28)),  # not billed on its own
    ]
    lines = [
        (b.code, b.date_of_service.isoformat(), b.units, b.events)
        for b in billing_lines(events, UTC)
    ]
    assert lines == [
        ("38225", "2026-03-02", 1, 1),
        ("38225", "2026-03-03", 1, 1),
        ("38226", "2026-03-03", 1, 1),
        ("38227", "2026-04-01", 1, 2),
        ("38228", "2026-04-01", 1, 2),
    ]


def test_billing_dates_are_local_dates() -> None:
    late_evening_utc = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)
    (line,) = billing_lines([("U01", Step.INFUSION, late_evening_utc)], CET)
    assert line.date_of_service.isoformat() == "2026-03-03"


def test_38226_once_per_preparation_not_per_courier_leg_or_bag() -> None:
    prepared = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)
    events = [
        ("U01", Step.COLLECTION, prepared - timedelta(hours=6)),
        ("U02", Step.COLLECTION, prepared - timedelta(hours=5)),
        # both bags prepared and handed to the first courier the same afternoon
        ("U01", Step.SHIP_TO_MANUFACTURING, prepared),
        ("U02", Step.SHIP_TO_MANUFACTURING, prepared + timedelta(minutes=5)),
        # later legs: courier to airline overnight, airline to lab the next day
        ("U01", Step.SHIP_TO_MANUFACTURING, prepared + timedelta(hours=9)),
        ("U02", Step.SHIP_TO_MANUFACTURING, prepared + timedelta(hours=9)),
        ("U01", Step.SHIP_TO_MANUFACTURING, prepared + timedelta(days=1, hours=2)),
        ("U02", Step.SHIP_TO_MANUFACTURING, prepared + timedelta(days=1, hours=2)),
    ]
    lines = [
        (b.code, b.date_of_service.isoformat(), b.units, b.events)
        for b in billing_lines(events, UTC)
    ]
    assert lines == [("38225", "2026-03-02", 1, 2), ("38226", "2026-03-02", 1, 2)]


def test_split_dose_bills_one_administration_per_date_whatever_the_bags() -> None:
    day1 = datetime(2026, 5, 4, 10, 0, tzinfo=UTC)  # Aucatzyl: day 1 and day 10
    day10 = day1 + timedelta(days=9)
    events = [
        ("U01", Step.THAW, day1),
        ("U01", Step.INFUSION, day1 + timedelta(minutes=20)),
        ("U02", Step.THAW, day10),
        ("U02", Step.INFUSION, day10 + timedelta(minutes=20)),
        ("U03", Step.THAW, day10 + timedelta(minutes=30)),
        ("U03", Step.INFUSION, day10 + timedelta(minutes=50)),
    ]
    administered = [
        (b.date_of_service.isoformat(), b.units, b.events)
        for b in billing_lines(events, UTC)
        if b.code == "38228"
    ]
    assert administered == [("2026-05-04", 1, 1), ("2026-05-13", 1, 2)]


def test_billing_output_says_pre_infusion_codes_are_for_tracking() -> None:
    assert "tracking only" in MEDICARE_NOTE and "ICD-10-PCS" in MEDICARE_NOTE
