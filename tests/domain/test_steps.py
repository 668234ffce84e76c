"""The journey's state machine."""

from __future__ import annotations

import pytest

from cart_chain.domain.errors import StepOrderError
from cart_chain.domain.steps import HANDOFFS, ORDER, TRANSITIONS, Step, check_transition, parse_step


def test_the_whole_journey_is_allowed_in_order() -> None:
    current = None
    for step in ORDER:
        check_transition(current, step)
        current = step


def test_every_other_transition_is_refused_naming_what_may_follow() -> None:
    refused = 0
    for current in (None, *ORDER):
        for step in Step:
            if step in TRANSITIONS[current]:
                continue
            refused += 1
            with pytest.raises(StepOrderError) as info:
                check_transition(current, step)
            for allowed in TRANSITIONS[current]:
                assert allowed.value in str(info.value)
    assert refused > 100


def test_repeats_and_the_end() -> None:
    check_transition(Step.SHIP_TO_MANUFACTURING, Step.SHIP_TO_MANUFACTURING)
    check_transition(Step.STORAGE, Step.STORAGE)
    check_transition(Step.SHIP_TO_SITE, Step.SHIP_TO_SITE)
    with pytest.raises(StepOrderError, match="nothing may follow infusion"):
        check_transition(Step.INFUSION, Step.INFUSION)
    with pytest.raises(StepOrderError, match="expected collection"):
        check_transition(None, Step.THAW)


def test_handoffs_are_the_two_person_steps() -> None:
    assert {s.value for s in HANDOFFS} == {
        "collection",
        "ship_to_manufacturing",
        "receipt_at_manufacturing",
        "release",
        "ship_to_site",
        "receipt_at_site",
        "thaw",
        "infusion",
    }


def test_parse_step_is_forgiving_about_spelling_but_not_names() -> None:
    assert parse_step("Ship-To-Site") is Step.SHIP_TO_SITE
    with pytest.raises(StepOrderError, match="unknown step"):
        parse_step("teleport")
