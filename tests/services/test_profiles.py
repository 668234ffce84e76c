"""Product profiles (issue 12): sources, anchors, corrected values and their boundaries.

Every time limit and lymphodepletion window of every shipped profile is checked one
minute inside and one minute outside, measured from and to the moments the profile
names; the values the issue found wrong are pinned to their corrected form.
"""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.profiles import LimitFrom, LimitTo, Profile, parse_profile
from cart_chain.domain.steps import Step
from cart_chain.domain.windows import (
    StepFact,
    breaches,
    dose_schedule_ok,
    lymphodepletion_ok,
    time_limit_breaches,
)
from cart_chain.services.profiles import all_profiles, get_profile, show_profile

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)
THAW_START, THAW_END = T0, T0 + timedelta(minutes=10)
SHIPPED = sorted(all_profiles())
LIMITS = [(pid, i) for pid in SHIPPED for i in range(len(get_profile(pid).time_limits))]


def _moment(kind: LimitFrom | LimitTo, inf_start: datetime, inf_end: datetime) -> datetime:
    return {
        LimitFrom.THAW_START: THAW_START,
        LimitFrom.REMOVAL_FROM_FROZEN_STORAGE: THAW_START,
        LimitFrom.THAW_END: THAW_END,
        LimitFrom.INFUSION_START: inf_start,
        LimitTo.INFUSION_START: inf_start,
        LimitTo.INFUSION_END: inf_end,
    }[kind]


def _infusion_for(p: Profile, index: int, offset: timedelta) -> StepFact:
    """An infusion that meets limit ``index`` of ``p`` exactly at its end plus ``offset``."""
    limit = p.time_limits[index]
    start = THAW_END + MIN  # a minute after the thaw ends
    end = start + MIN  # a two-minute infusion keeps every other limit
    target = _moment(limit.start, start, end) + timedelta(minutes=limit.minutes) + offset
    if limit.end is LimitTo.INFUSION_START:
        start, end = target, target + MIN
    else:
        end = target
        if limit.start is LimitFrom.INFUSION_START:
            start = end - timedelta(minutes=limit.minutes) - offset
    return StepFact(Step.INFUSION, end, start, 22.0)


HISTORY = [
    StepFact(Step.RECEIPT_AT_SITE, T0 - timedelta(days=1), None, -170.0),
    StepFact(Step.THAW, THAW_END, THAW_START, 37.0),
]


@pytest.mark.parametrize(("pid", "index"), LIMITS)
@pytest.mark.parametrize("offset", [-MIN, timedelta(0), MIN])
def test_every_time_limit_at_its_boundary(pid: str, index: int, offset: timedelta) -> None:
    p = get_profile(pid)
    limit = p.time_limits[index]
    found = [
        b
        for b in time_limit_breaches(p, HISTORY, _infusion_for(p, index, offset))
        if b.detail.split(":")[0] == limit.name  # another limit may bind first (generic)
    ]
    if offset <= timedelta(0):
        assert found == [], (pid, limit.describe())
    else:
        assert len(found) == 1 and "0 h 01 min past" in found[0].detail, (pid, limit.describe())


@pytest.mark.parametrize("pid", SHIPPED)
def test_a_limit_from_the_thaw_start_needs_the_start_recorded(pid: str) -> None:
    p = get_profile(pid)
    history = [HISTORY[0], StepFact(Step.THAW, THAW_END, None, 37.0)]  # no start time
    needs_start = [
        t
        for t in p.time_limits
        if t.start in (LimitFrom.THAW_START, LimitFrom.REMOVAL_FROM_FROZEN_STORAGE)
    ]
    found = time_limit_breaches(p, history, StepFact(Step.INFUSION, THAW_END + MIN, THAW_END))
    assert len(found) == len(needs_start)
    assert all("was not recorded" in b.detail for b in found)


LD = [(pid, ind) for pid in SHIPPED for ind in (None, *get_profile(pid).indications)]


@pytest.mark.parametrize(("pid", "indication"), LD)
def test_every_lymphodepletion_window_at_its_boundaries(pid: str, indication: str | None) -> None:
    p = get_profile(pid).with_indication(indication)
    lo, hi = p.lymphodepletion_to_infusion_days
    end = T0
    assert lymphodepletion_ok(p, end, end + timedelta(days=lo)) is None
    assert lymphodepletion_ok(p, end, end + timedelta(days=hi)) is None
    assert f"at least {lo:g} days" in str(
        lymphodepletion_ok(p, end, end + timedelta(days=lo) - MIN)
    )
    assert f"at most {hi:g} days" in str(lymphodepletion_ok(p, end, end + timedelta(days=hi) + MIN))


def test_the_values_issue_12_found_wrong_are_corrected() -> None:
    carvykti, breyanzi, kymriah = (get_profile(p) for p in ("carvykti", "breyanzi", "kymriah"))
    assert carvykti.lymphodepletion_to_infusion_days == (2, 4)
    (b,) = breyanzi.time_limits
    assert (b.minutes, b.start, b.end) == (
        120,
        LimitFrom.REMOVAL_FROM_FROZEN_STORAGE,
        LimitTo.INFUSION_END,
    )
    (k,) = kymriah.time_limits
    assert (k.minutes, k.start, k.end) == (30, LimitFrom.THAW_END, LimitTo.INFUSION_END)
    assert "including any interruption" in k.cited.quote
    assert kymriah.with_indication("ALL").lymphodepletion_to_infusion_days == (2, 14)
    assert kymriah.with_indication("fl").lymphodepletion_to_infusion_days == (2, 6)
    assert kymriah.lymphodepletion_to_infusion_days == (2, 6)  # none given: the strictest
    for p in all_profiles().values():
        if p.ships_fresh:
            assert (p.fresh_transit_min_c, p.fresh_transit_max_c) == (2, 8), p.id
    fresh = get_profile("abecma")
    on_ice = StepFact(Step.SHIP_TO_MANUFACTURING, T0, None, 4.0)
    room = StepFact(Step.SHIP_TO_MANUFACTURING, T0, None, 20.0)
    assert breaches(fresh, [], on_ice) == []
    assert [x.rule for x in breaches(fresh, [], room)] == ["transit_temperature"]


def test_the_generic_profile_is_the_most_conservative() -> None:
    generic = get_profile("generic")
    others = [p for p in all_profiles().values() if p.id != "generic"]
    assert generic.storage_max_c <= min(p.storage_max_c for p in others)
    shortest = min(t.minutes for p in others for t in p.time_limits)
    assert min(t.minutes for t in generic.time_limits) <= shortest
    assert generic.time_limits[0].start is LimitFrom.THAW_START  # the earliest start
    assert generic.time_limits[0].end is LimitTo.INFUSION_END  # the latest end
    glo, ghi = generic.lymphodepletion_to_infusion_days
    for p in others:
        for ind in p.indications:
            lo, hi = p.with_indication(ind).lymphodepletion_to_infusion_days
            assert lo <= glo and ghi <= hi, (p.id, ind)
        if p.ships_fresh:
            assert generic.fresh_transit_max_hours <= p.fresh_transit_max_hours  # type: ignore[operator]
    assert (generic.fresh_transit_min_c, generic.fresh_transit_max_c) == (2, 8)


def test_every_value_has_a_full_source_or_says_why_not() -> None:
    for p in all_profiles().values():
        for name, c in p.provenance():
            if c.unconfirmed:
                assert c.why, (p.id, name)
            else:
                assert c.source is not None and c.source.section and c.source.revised
        assert set(p.unconfirmed) == {n for n, c in p.provenance() if c.unconfirmed}
    kymriah = get_profile("kymriah")
    assert "lymphodepletion_to_infusion_days.ALL" not in kymriah.unconfirmed
    assert "lymphodepletion_to_infusion_days.DLBCL" in kymriah.unconfirmed
    with pytest.raises(InvalidValue, match="revision date"):
        data = kymriah.to_dict()
        data["lymphodepletion_to_infusion_days"]["ALL"]["source"]["revised"] = "recent"
        parse_profile(data)
    with pytest.raises(InvalidValue, match="must say why"):
        data = kymriah.to_dict()
        data["storage_max_c"] = {"value": -120, "unconfirmed": True}
        parse_profile(data)


def test_aucatzyl_split_dose_and_product_warnings_are_profile_data() -> None:
    auc = get_profile("aucatzyl")
    assert auc.dose_days == (1, 10) and auc.dose_tolerance_days == 2
    assert auc.leukodepleting_filter is False
    first = T0
    assert dose_schedule_ok(auc, first, first + timedelta(days=7), 2) is None
    assert dose_schedule_ok(auc, first, first + timedelta(days=11), 2) is None
    assert "day 10" in str(dose_schedule_ok(auc, first, first + timedelta(days=7) - MIN, 2))
    assert "day 10" in str(dose_schedule_ok(auc, first, first + timedelta(days=11) + MIN, 2))
    assert "this would be dose 3" in str(dose_schedule_ok(auc, first, first, 3))
    assert any("irradiat" in w for w in get_profile("tecartus").warnings)


def test_a_version_1_profile_copy_keeps_its_meaning() -> None:
    """Cases enrolled before schema 2 hold the old flat form in their ledger entry."""
    old = {
        "id": "kymriah",
        "name": "Kymriah (tisagenlecleucel)",
        "version": 1,
        "storage_max_c": -120,
        "apheresis": "cryopreserved",
        "fresh_transit_max_hours": None,
        "fresh_transit_min_c": None,
        "fresh_transit_max_c": None,
        "thaw_method": "37 °C water bath",
        "post_thaw_limit_minutes": 30,
        "post_thaw_anchor": "from_end_of_thaw",
        "lymphodepletion_to_infusion_days": [2, 14],
        "unconfirmed": ["lymphodepletion_to_infusion_days"],
    }
    p = parse_profile(old)
    (limit,) = p.time_limits
    assert (limit.start, limit.end, limit.minutes) == (
        LimitFrom.THAW_END,
        LimitTo.INFUSION_START,
        30,
    )
    assert p.lymphodepletion_to_infusion_days == (2, 14) and p.version == 1
    assert "storage_max_c" in p.unconfirmed  # no source was ever recorded
    assert parse_profile(p.to_dict()) == p  # and it round-trips as schema 2
    for shipped in all_profiles().values():
        assert parse_profile(shipped.to_dict()) == shipped


def test_profile_show_prints_every_value_with_its_source() -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cart_chain", *args], capture_output=True, text=True
        )

    out = run("profile", "show", "kymriah")
    assert out.returncode == 0, out.stderr
    assert "EU SmPC 4.2 (revised 2024)" in out.stdout
    assert "30 min from thaw end to infusion end" in out.stdout
    assert "Unconfirmed handling values:" in out.stdout
    data = json.loads(run("profile", "show", "aucatzyl", "--json").stdout)
    assert data["view"]["dose_days"] == [1, 10]
    assert data["profile"]["leukodepleting_filter"]["value"] is False
    assert run("profile", "show", "nosuch").returncode == 1
    view = show_profile("breyanzi")
    assert any(v.name == "time_limits.removal to administration" for v in view.values)


def test_indication_at_enrolment_and_premedication_in_the_checklist(ready_db) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.services.case_detail import show_case
    from cart_chain.services.cases import new_case
    from cart_chain.services.checklist import infusion_checklist
    from cart_chain.services.profiles import case_profile, profile_warnings
    from cart_chain.services.readiness import record_patient_event
    from tests.helpers import creds, unit_of, walk

    with pytest.raises(InvalidValue, match="no indication 'CLL'"):
        new_case(ready_db, creds("alice"), "P", "1970-01-01", "M", "Kymriah", indication="CLL")
    coi = new_case(
        ready_db, creds("alice"), "P", "1970-01-01", "M", "Kymriah", indication="FL"
    ).subject
    assert case_profile(ready_db, coi).lymphodepletion_days == (2, 6)
    assert show_case(ready_db, coi).profile_indication == "FL"
    tec = new_case(ready_db, creds("alice"), "T", "1970-01-01", "M2", "Tecartus").subject
    assert any("irradiat" in w for w in profile_warnings(ready_db, tec))
    unit = unit_of(coi)
    walk(ready_db, unit, 11)  # through thaw
    now = datetime.now(UTC)
    before = infusion_checklist(ready_db, unit, now)
    premed = next(i for i in before.items if i.name == "premedication")
    assert not premed.ok and not premed.blocking and "not recorded" in premed.text
    assert not before.ready  # lymphodepletion and the bedside check are still open
    record_patient_event(
        ready_db, coi, "premedication", creds("ines"), occurred_at=now - timedelta(minutes=30)
    )
    after = infusion_checklist(ready_db, unit, now)
    assert next(i for i in after.items if i.name == "premedication").ok
    late = infusion_checklist(ready_db, unit, now + timedelta(minutes=31))
    assert "given 61 min before" in next(i for i in late.items if i.name == "premedication").text
    assert "storage_max_c" in after.unconfirmed
