"""The core refuses a thaw or infusion without the start its profile's limits count from.

Before, only the GUI asked: the CLI or a script could record a Breyanzi thaw with no
"removed from frozen storage" time, and the gap surfaced only at the infusion gate,
with the bag already thawed. `custody.record_event` now refuses it inside its write.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cart_chain.domain.errors import MissingStartTime
from cart_chain.services.case_detail import show_case
from cart_chain.services.cases import new_case
from cart_chain.services.custody import record_event
from cart_chain.store.database import Database
from cart_chain.store.ledger import head
from tests.cli.helpers import one_line_error, run
from tests.helpers import CONDITION, TEMPERATURES, creds, prepare_patient, unit_of, walk


def _at_step(db: Database, product: str, step: str) -> tuple[str, str]:
    """A case of ``product`` whose bag is ready for ``step`` (thaw or infusion)."""
    coi = new_case(db, creds("alice"), "S", "1970-01-01", "M", product, 1).subject
    unit = unit_of(coi)
    walk(db, unit, 10)  # up to receipt at site
    if step == "infusion":
        _thaw(db, unit, started_at=datetime.now(UTC))
        _ready_for_infusion(db, coi, unit)
    return coi, unit


def _ready_for_infusion(db: Database, coi: str, unit: str) -> None:
    """Lymphodepletion ended 2.5 days ago (inside every shipped window), bedside check."""
    from cart_chain.services.readiness import record_patient_event

    now = datetime.now(UTC)
    for kind, days in (("lymphodepletion_start", 5.5), ("lymphodepletion_end", 2.5)):
        record_patient_event(
            db, coi, kind, creds("ines"), occurred_at=now - timedelta(days=days), detail="Flu/Cy"
        )
    prepare_patient(db, unit)  # the bedside check; lymphodepletion is recorded already


def _thaw(db: Database, unit: str, started_at: datetime | None) -> None:
    record_event(
        db,
        unit,
        "thaw",
        creds("ines"),
        creds("ivan"),
        location="Ward 7",
        temperature_c=TEMPERATURES["thaw"],
        started_at=started_at,
        condition=CONDITION,
    )


def _record(db: Database, unit: str, step: str, started_at: datetime | None) -> None:
    if step == "thaw":
        _thaw(db, unit, started_at)
        return
    record_event(
        db,
        unit,
        "infusion",
        creds("ines"),
        creds("ivan"),
        location="bed 4",
        started_at=started_at,
        condition=CONDITION,
    )


@pytest.mark.parametrize(
    ("product", "step", "profile", "asked", "limit"),
    [
        ("Breyanzi", "thaw", "breyanzi v2", "removed from frozen storage at", "removal to"),
        ("Abecma", "thaw", "abecma v2", "thaw started at", "post-thaw: <= 60 min from thaw"),
        ("Investigational", "infusion", "generic v2", "infusion started at", "infusion duration"),
        ("Yescarta", "infusion", "yescarta v2", "infusion started at", "infusion duration"),
    ],
)
def test_a_step_without_the_start_its_limit_counts_from_is_refused(
    ready_any_db: Database, product: str, step: str, profile: str, asked: str, limit: str
) -> None:
    db = ready_any_db
    coi, unit = _at_step(db, product, step)
    before = db.read(head)
    with pytest.raises(MissingStartTime) as refused:
        _record(db, unit, step, started_at=None)
    message = str(refused.value)
    assert f"(profile {profile})" in message
    assert f"the {step} step needs its start time ({asked})" in message
    assert limit in message
    assert db.read(head) == before  # nothing written, not even a refusal entry
    assert (
        show_case(db, coi).units[0].current_step == ("receipt_at_site", "thaw")[step == "infusion"]
    )
    _record(db, unit, step, started_at=datetime.now(UTC))  # with its start: recorded
    assert show_case(db, coi).units[0].current_step == step


def test_a_profile_counting_from_the_thaw_end_needs_no_start(ready_any_db: Database) -> None:
    """Kymriah's only limit runs from thaw end to infusion end: neither start is needed."""
    db = ready_any_db
    coi, unit = _at_step(db, "Kymriah", "thaw")
    _thaw(db, unit, started_at=None)
    _ready_for_infusion(db, coi, unit)
    _record(db, unit, "infusion", started_at=None)
    assert show_case(db, coi).units[0].current_step == "infusion"


def test_the_cli_refuses_a_breyanzi_thaw_without_its_removal_time(ready_db: Database) -> None:
    coi, unit = _at_step(ready_db, "Breyanzi", "thaw")
    before = ready_db.read(head)
    assert ready_db.path is not None
    path: Path = ready_db.path
    ready_db.dispose()
    result = run(
        path,
        "event",
        "record",
        unit,
        "--step",
        "thaw",
        "--by",
        "ines",
        "--to",
        "ivan",
        "--location",
        "Ward 7",
        "--temperature",
        "37",
        stdin="ines-secret-1\nivan-secret-1\n",
    )
    line = one_line_error(result, 1)
    assert "Breyanzi" in line and "(profile breyanzi v2)" in line
    assert "needs its start time (removed from frozen storage at)" in line
    assert result.stdout == ""
    assert ready_db.read(head) == before
    assert show_case(ready_db, coi).units[0].current_step == "receipt_at_site"
