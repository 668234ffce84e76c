"""Which start time a thaw or infusion asks for, from the case's profile (`start_time`)."""

from __future__ import annotations

import pytest

from cart_chain.domain.steps import Step
from cart_chain.domain.windows import start_time
from cart_chain.services.cases import new_case
from cart_chain.services.profiles import get_profile, step_start_time
from cart_chain.store.database import Database
from tests.helpers import CONDITION, creds, unit_of


@pytest.mark.parametrize(
    ("profile", "label", "counts_from_it"),
    [
        ("breyanzi", "Removed from frozen storage at", True),
        ("abecma", "Thaw started at", True),
        ("aucatzyl", "Thaw started at", True),
        ("generic", "Thaw started at", True),
        ("kymriah", "Removed from storage / thaw started at", False),  # from thaw end
        ("carvykti", "Removed from storage / thaw started at", False),
    ],
)
def test_a_thaw_asks_its_start_worded_after_the_profiles_anchor(
    profile: str, label: str, counts_from_it: bool
) -> None:
    asked = start_time(get_profile(profile), Step.THAW)
    assert asked is not None
    assert asked.label == label
    assert asked.required  # a thaw's start is always recorded
    assert bool(asked.limits) is counts_from_it


@pytest.mark.parametrize(
    ("profile", "required"),
    [
        ("generic", True),
        ("tecartus", True),
        ("yescarta", True),
        ("breyanzi", False),
        ("kymriah", False),
    ],
)
def test_an_infusion_needs_its_start_when_a_limit_uses_it(profile: str, required: bool) -> None:
    asked = start_time(get_profile(profile), Step.INFUSION)
    assert asked is not None and asked.label == "Infusion started at"
    assert asked.required is required
    assert bool(asked.limits) is required


def test_other_steps_ask_no_start() -> None:
    assert start_time(get_profile("breyanzi"), Step.STORAGE) is None


def test_the_service_answers_from_the_cases_enrolment_copy(ready_db: Database) -> None:
    coi = new_case(ready_db, creds("alice"), "S", "1970-01-01", "M", "Abecma", 1).subject
    for ident in (coi, unit_of(coi)):
        asked = step_start_time(ready_db, ident, "thaw")
        assert asked is not None and asked.label == "Thaw started at"
        assert asked.limits == ("post-thaw: <= 60 min from thaw start to infusion end",)


def test_an_infusion_duration_limit_needs_the_infusion_start_recorded() -> None:
    """Without its start, the infusion was taken to begin when it ended: any
    infusion kept a 30-minute duration limit, however long it ran."""
    from datetime import UTC, datetime, timedelta

    from cart_chain.domain.windows import StepFact, time_limit_breaches

    p = get_profile("generic")
    t0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    history = [StepFact(Step.THAW, t0 + timedelta(minutes=5), t0, 37.0)]
    end = t0 + timedelta(minutes=25)
    unknown = time_limit_breaches(p, history, StepFact(Step.INFUSION, end, None, 22.0))
    assert [b.detail.split(":")[0] for b in unknown] == ["infusion duration"]
    assert "the infusion start was not recorded (the infusion step's start time)" in (
        unknown[0].detail
    )
    began = StepFact(Step.INFUSION, end, t0 + timedelta(minutes=10), 22.0)
    assert time_limit_breaches(p, history, began) == []


def test_the_service_refuses_an_infusion_without_its_start_when_a_limit_needs_it(
    ready_db: Database,
) -> None:
    from datetime import UTC, datetime, timedelta

    from cart_chain.domain.errors import MissingStartTime
    from cart_chain.services.case_detail import show_case
    from cart_chain.services.custody import record_event
    from tests.helpers import JOURNEY, TEMPERATURES, condition_for, prepare_patient

    coi = new_case(ready_db, creds("alice"), "G", "1970-01-01", "M", "Investigational", 1).subject
    unit = unit_of(coi)
    early = datetime.now(UTC) - timedelta(hours=8)
    for i, (step, by, to) in enumerate(JOURNEY[:10]):
        record_event(
            ready_db,
            unit,
            step,
            creds(by),
            creds(to) if to else None,
            location="room",
            temperature_c=TEMPERATURES[step],
            occurred_at=early + timedelta(minutes=i),
            condition=condition_for(step),
        )
    now = datetime.now(UTC)
    record_event(
        ready_db,
        unit,
        "thaw",
        creds("ines"),
        creds("ivan"),
        location="Ward 7",
        temperature_c=TEMPERATURES["thaw"],
        started_at=now - timedelta(minutes=20),
        occurred_at=now - timedelta(minutes=15),
        condition=CONDITION,
    )
    prepare_patient(ready_db, unit)
    before = len(show_case(ready_db, coi).units[0].events)
    with pytest.raises(MissingStartTime, match=r"profile generic v2\): the infusion step needs"):
        record_event(
            ready_db,
            unit,
            "infusion",
            creds("ines"),
            creds("ivan"),
            location="bed 4",
            condition=CONDITION,
        )
    assert len(show_case(ready_db, coi).units[0].events) == before
    record_event(
        ready_db,
        unit,
        "infusion",
        creds("ines"),
        creds("ivan"),
        location="bed 4",
        started_at=now - timedelta(minutes=5),
        condition=CONDITION,
    )
    assert show_case(ready_db, coi).units[0].current_step == "infusion"


@pytest.mark.parametrize(
    ("pid", "minutes"), [("breyanzi", 120), ("abecma", 60), ("generic", 30), ("aucatzyl", 30)]
)
def test_a_thaw_complete_past_its_limit_is_a_deviation_at_the_thaw(pid: str, minutes: int) -> None:
    """One minute past: no infusion can keep the limit any more, so the thaw itself
    opens the deviation; at the limit exactly it is still (just) inside."""
    from datetime import UTC, datetime, timedelta

    from cart_chain.domain.windows import StepFact, breaches

    p = get_profile(pid)
    removed = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    at_limit = removed + timedelta(minutes=minutes)
    assert breaches(p, [], StepFact(Step.THAW, at_limit, removed, 37.0)) == []
    late = breaches(p, [], StepFact(Step.THAW, at_limit + timedelta(minutes=1), removed, 37.0))
    assert [b.rule for b in late] == ["post_thaw_time"]
    assert "0 h 01 min past" in late[0].detail and "the thaw was complete" in late[0].detail
    # Not recorded, or counted from the thaw's end: nothing to judge at the thaw.
    assert breaches(p, [], StepFact(Step.THAW, at_limit + timedelta(hours=9), None, 37.0)) == []
    kymriah = get_profile("kymriah")
    assert breaches(kymriah, [], StepFact(Step.THAW, at_limit, removed, 37.0)) == []
