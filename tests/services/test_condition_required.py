"""The core refuses a receipt, thaw or infusion without the bag's condition.

Before, only the GUI asked (its "Condition" row, folded into the note): the CLI or a
script could record a receipt of a bag nobody said anything about. `custody.record_event`
now refuses it inside its write transaction, before anything is appended, with a
message naming the step and the CLI option that gives it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cart_chain.domain.errors import InvalidValue, MissingCondition, WrongPatient
from cart_chain.domain.steps import CONDITION_STEPS, Step
from cart_chain.services.case_detail import show_case
from cart_chain.services.custody import record_event
from cart_chain.store.database import Database
from cart_chain.store.ledger import head
from tests.cli.helpers import ok, one_line_error, run
from tests.helpers import (
    CONDITION,
    JOURNEY,
    TEMPERATURES,
    creds,
    enrol,
    prepare_patient,
    unit_of,
    walk,
)


def _before(db: Database, step: str) -> tuple[str, str, str | None]:
    """A new case whose bag is ready for ``step``: (coi, by, to) for recording it."""
    coi = enrol(db)
    index = [s for s, _, _ in JOURNEY].index(step)
    walk(db, unit_of(coi), index)
    if step == "infusion":
        prepare_patient(db, unit_of(coi))
    _, by, to = JOURNEY[index]
    return coi, by, to


def _record(db: Database, coi: str, step: str, condition: str | None, **kw: object) -> object:
    _, by, to = JOURNEY[[s for s, _, _ in JOURNEY].index(step)]
    return record_event(
        db,
        unit_of(coi),
        step,
        creds(by),
        creds(to) if to else None,
        location="Ward 7",
        temperature_c=TEMPERATURES[step],
        condition=condition,
        **kw,  # type: ignore[arg-type]
    )


def test_the_steps_that_handle_the_bag_need_a_condition() -> None:
    assert {s.value for s in CONDITION_STEPS} == {
        "receipt_at_manufacturing",
        "receipt_at_site",
        "thaw",
        "infusion",
    }


@pytest.mark.parametrize(
    "step", ["receipt_at_manufacturing", "receipt_at_site", "thaw", "infusion"]
)
def test_a_step_without_the_condition_is_refused_and_nothing_is_written(
    ready_db: Database, step: str
) -> None:
    coi, _, _ = _before(ready_db, step)
    before = ready_db.read(head)
    for missing in (None, "   "):  # blank is no condition either
        with pytest.raises(MissingCondition) as refused:
            _record(ready_db, coi, step, missing)
        assert isinstance(refused.value, InvalidValue)  # shown like any bad field value
        message = str(refused.value)
        assert f"the {step} step needs the bag's condition" in message
        assert "--condition TEXT" in message
        assert ready_db.read(head) == before  # nothing written, not even a refusal entry
    _record(ready_db, coi, step, CONDITION)  # with it: recorded, in its own field
    event = show_case(ready_db, coi).units[0].events[-1]
    assert (event.step, event.condition, event.note) == (step, CONDITION, None)


def test_a_step_that_handles_no_bag_needs_none(ready_db: Database) -> None:
    coi = enrol(ready_db)
    walk(ready_db, unit_of(coi), 1)
    assert Step.SHIP_TO_MANUFACTURING not in CONDITION_STEPS
    _record(ready_db, coi, "ship_to_manufacturing", None)
    assert show_case(ready_db, coi).units[0].current_step == "ship_to_manufacturing"


def test_a_wrong_patient_is_still_stopped_first_and_recorded(ready_db: Database) -> None:
    """The condition is checked after the scan: a wrong bag is what the user must see."""
    coi, other = enrol(ready_db, "A"), enrol(ready_db, "B")
    walk(ready_db, unit_of(coi), 2)
    before = ready_db.read(head)
    with pytest.raises(WrongPatient):
        _record(ready_db, coi, "receipt_at_manufacturing", None, expect=other)
    assert ready_db.read(head) != before  # the near miss is on record (scan_refused)


def test_the_cli_refuses_a_receipt_without_condition_with_one_line(ready_db: Database) -> None:
    coi, by, to = _before(ready_db, "receipt_at_manufacturing")
    unit = unit_of(coi)
    before = ready_db.read(head)
    assert ready_db.path is not None and to is not None
    path: Path = ready_db.path
    ready_db.dispose()
    args = ("event", "record", unit, "--step", "receipt_at_manufacturing", "--by", by, "--to", to)
    args += ("--location", "Cleanroom B", "--temperature", "5")
    stdin = f"{by}-secret-1\n{to}-secret-1\n"
    result = run(path, *args, stdin=stdin)
    line = one_line_error(result, 1)
    assert "the receipt_at_manufacturing step needs the bag's condition" in line
    assert "--condition TEXT" in line
    assert result.stdout == ""
    assert ready_db.read(head) == before
    ok(run(path, *args, "--condition", CONDITION, stdin=stdin))
    event = show_case(ready_db, coi).units[0].events[-1]
    assert (event.step, event.condition) == ("receipt_at_manufacturing", CONDITION)
