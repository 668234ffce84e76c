"""Which start time a thaw or infusion asks for, from the case's profile (`start_time`)."""

from __future__ import annotations

import pytest

from cart_chain.domain.steps import Step
from cart_chain.domain.windows import start_time
from cart_chain.services.cases import new_case
from cart_chain.services.profiles import get_profile, step_start_time
from cart_chain.store.database import Database
from tests.conftest import creds, unit_of


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
