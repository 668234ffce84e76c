"""Times typed at a workstation (`clock.parse_local_time`), without Qt.

The thaw and infusion start times are typed by staff in local time; a wrong
hour around a clock change moves a 30-minute window by an hour, so a time a
clock change skips or repeats is refused rather than guessed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from cart_chain.domain.clock import parse_local_time
from cart_chain.domain.errors import InvalidValue
from cart_chain.services.case_detail import show_case
from cart_chain.services.cases import new_case
from cart_chain.services.custody import record_event
from cart_chain.store.database import Database
from tests.helpers import CONDITION, TEMPERATURES, creds, unit_of, walk

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
NOW = datetime(2026, 12, 1, 13, 0, tzinfo=UTC)  # 14:00 in Berlin (CET, UTC+1)


def test_hh_mm_is_today_in_the_workstations_zone() -> None:
    assert parse_local_time("13:30", NOW, BERLIN) == datetime(2026, 12, 1, 12, 30, tzinfo=UTC)
    assert parse_local_time(" 9:05 ", NOW, BERLIN) == datetime(2026, 12, 1, 8, 5, tzinfo=UTC)
    # 23:30 UTC on 1 December is already 2 December in Berlin: "today" is Berlin's.
    late = datetime(2026, 12, 1, 23, 30, tzinfo=UTC)
    assert parse_local_time("00:10", late, BERLIN) == datetime(2026, 12, 1, 23, 10, tzinfo=UTC)
    # ...and still 1 December in New York (UTC-5).
    assert parse_local_time("18:00", late, NEW_YORK) == datetime(2026, 12, 1, 23, 0, tzinfo=UTC)


def test_a_full_date_and_time_names_the_day() -> None:
    moment = parse_local_time("2026-11-30 23:45", NOW, BERLIN)
    assert moment == datetime(2026, 11, 30, 22, 45, tzinfo=UTC)
    assert moment.tzinfo is not None
    assert parse_local_time("2026-07-01T10:00", NOW, BERLIN) == datetime(
        2026, 7, 1, 8, 0, tzinfo=UTC
    )  # summer time: UTC+2


def test_a_later_time_today_is_returned_as_typed_the_service_judges_the_future() -> None:
    assert parse_local_time("15:00", NOW, BERLIN) == NOW + timedelta(hours=1)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "14",
        "14.30",
        "1430",
        "24:00",
        "13:60",
        "2026-02-30 10:00",
        "2026-13-01 10:00",
        "yesterday 10:00",
        "10:00 pm",
        "2026-12-01 10:00 +25:00",
    ],
)
def test_malformed_times_are_refused_with_the_accepted_forms(text: str) -> None:
    with pytest.raises(InvalidValue) as err:
        parse_local_time(text, NOW, BERLIN)
    assert "HH:MM" in str(err.value) or "real date" in str(err.value) or "offset" in str(err.value)


def test_a_time_the_clocks_skip_does_not_exist() -> None:
    # Berlin, 29 March 2026: 02:00 CET becomes 03:00 CEST.
    with pytest.raises(InvalidValue, match="does not exist in Europe/Berlin"):
        parse_local_time("2026-03-29 02:30", NOW, BERLIN)
    assert parse_local_time("2026-03-29 01:59", NOW, BERLIN) == datetime(
        2026, 3, 29, 0, 59, tzinfo=UTC
    )
    assert parse_local_time("2026-03-29 03:00", NOW, BERLIN) == datetime(
        2026, 3, 29, 1, 0, tzinfo=UTC
    )


def test_a_time_the_clocks_repeat_needs_its_offset() -> None:
    # Berlin, 25 October 2026: 03:00 CEST becomes 02:00 CET; 02:30 happens twice.
    with pytest.raises(InvalidValue, match=r"happened twice.*\+02:00.*\+01:00"):
        parse_local_time("2026-10-25 02:30", NOW, BERLIN)
    first = parse_local_time("2026-10-25 02:30 +02:00", NOW, BERLIN)
    second = parse_local_time("2026-10-25 02:30 +01:00", NOW, BERLIN)
    assert first == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert second - first == timedelta(hours=1)
    # An offset the zone does not have at that time is a typing error.
    with pytest.raises(InvalidValue, match="not at UTC"):
        parse_local_time("2026-12-01 10:00 +02:00", NOW, BERLIN)
    assert parse_local_time("2026-12-01 10:00 Z", NOW, BERLIN) == datetime(
        2026, 12, 1, 10, 0, tzinfo=UTC
    )


def test_an_unambiguous_time_with_its_offset_is_accepted() -> None:
    assert parse_local_time("2026-12-01 10:00 +01:00", NOW, BERLIN) == datetime(
        2026, 12, 1, 9, 0, tzinfo=UTC
    )


def test_a_naive_now_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_local_time("10:00", datetime(2026, 12, 1, 10, 0), BERLIN)


def test_the_service_refuses_a_thaw_start_in_the_future(ready_db: Database) -> None:
    """A typed time later today parses; recording it is refused, nothing written."""
    coi = new_case(ready_db, creds("alice"), "F", "1970-01-01", "M", "Breyanzi", 1).subject
    unit = unit_of(coi)
    walk(ready_db, unit, 10)
    before = len(show_case(ready_db, coi).units[0].events)
    for started, message in (
        (datetime.now(UTC) + timedelta(minutes=20), "cannot start after it was complete"),
        (datetime.now(UTC) - timedelta(days=400), "before the unit's previous step"),
    ):
        with pytest.raises(InvalidValue, match=message):
            record_event(
                ready_db,
                unit,
                "thaw",
                creds("ines"),
                creds("ivan"),
                location="Ward 7",
                temperature_c=TEMPERATURES["thaw"],
                started_at=started,
                condition=CONDITION,
            )
    assert len(show_case(ready_db, coi).units[0].events) == before
