"""Corrections are new signed entries; the original value stays in the record."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from cart_chain.domain.errors import InvalidValue, NotFound, PermissionDenied
from cart_chain.services.case_detail import show_case
from cart_chain.services.case_list import list_cases
from cart_chain.services.corrections import correct
from cart_chain.services.custody import record_event
from cart_chain.services.verification import verify_ledger
from cart_chain.store.models import Event
from tests.helpers import CONDITION, creds, enrol, unit_of, walk


def test_correction_keeps_the_original_and_shows_both(ready_any_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_any_db)
    seqs = walk(ready_any_db, unit_of(coi), 2)
    r = correct(
        ready_any_db,
        seqs[1],
        {"location": "Dock 4", "temperature_c": "5.5"},
        "wrong dock typed",
        creds("alice"),
    )
    event = show_case(ready_any_db, coi).units[0].events[1]
    assert (event.location, event.temperature_c) == ("Dock 4", 5.5)
    assert [(c.field, c.old_value, c.new_value) for c in event.corrections] == [
        ("location", "ship_to_manufacturing room", "Dock 4"),
        ("temperature_c", "4.0", "5.5"),
    ]
    assert event.corrections[0].reason == "wrong dock typed"
    assert event.corrections[0].signatures[0].printed_name == "Alice Apheresis"
    assert event.corrections[0].seq == r.seq
    stored = ready_any_db.read(
        lambda s: s.execute(select(Event.location).where(Event.entry_seq == seqs[1])).scalar()
    )
    assert stored == "ship_to_manufacturing room"
    # a second correction of the same field starts from the corrected value
    correct(ready_any_db, seqs[1], {"location": "Dock 5"}, "still wrong", creds("carl"))
    event = show_case(ready_any_db, coi).units[0].events[1]
    assert event.location == "Dock 5" and event.corrections[-1].old_value == "Dock 4"
    assert verify_ledger(ready_any_db).ok


def test_patient_fields_are_corrected_on_the_case(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db, "Jon Smith")
    seq = show_case(ready_db, coi).seq
    correct(
        ready_db,
        seq,
        {"patient_name": "John Smith"},
        "misspelt at enrolment",
        creds("quinn"),
        creds("alice"),
    )
    assert show_case(ready_db, coi).patient_name == "John Smith"
    assert list_cases(ready_db)[0].patient_name == "John Smith"
    with pytest.raises(InvalidValue):
        correct(ready_db, seq, {"patient_dob": "31/12/1970"}, "x", creds("quinn"), creds("alice"))


def test_void_only_the_latest_step_and_the_unit_goes_back(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db)
    seqs = walk(ready_db, unit_of(coi), 3)
    with pytest.raises(InvalidValue, match="not the unit's latest step"):
        correct(ready_db, seqs[1], {"void": "x"}, "wrong", creds("lena"))
    correct(ready_db, seqs[2], {"void": "recorded on the wrong bag"}, "wrong bag", creds("lena"))
    unit = show_case(ready_db, coi).units[0]
    assert unit.current_step == "ship_to_manufacturing"
    assert unit.events[2].voided
    record_event(
        ready_db,
        unit_of(coi),
        "receipt_at_manufacturing",
        creds("carl"),
        creds("leo"),
        condition=CONDITION,
    )
    assert show_case(ready_db, coi).units[0].current_step == "receipt_at_manufacturing"
    assert verify_ledger(ready_db).ok


def test_correction_rules(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db)
    seqs = walk(ready_db, unit_of(coi), 1)
    with pytest.raises(InvalidValue, match="needs a reason"):
        correct(ready_db, seqs[0], {"location": "A"}, "  ", creds("alice"))
    with pytest.raises(PermissionDenied):
        correct(ready_db, seqs[0], {"location": "A"}, "r", creds("admin"))
    with pytest.raises(NotFound):
        correct(ready_db, 9999, {"location": "A"}, "r", creds("alice"))
    with pytest.raises(InvalidValue, match="cannot be corrected"):
        correct(ready_db, seqs[0], {"step": "thaw"}, "r", creds("alice"))
    with pytest.raises(InvalidValue, match="cannot be corrected"):
        correct(ready_db, 1, {"location": "A"}, "r", creds("alice"))  # a user entry
    r = correct(ready_db, seqs[0], {"note": "ok"}, "r", creds("alice"))
    with pytest.raises(InvalidValue, match="correct the original"):
        correct(ready_db, r.seq, {"note": "x"}, "r", creds("alice"))


def test_a_corrected_time_is_checked_like_the_original(ready_any_db) -> None:  # type: ignore[no-untyped-def]
    """Regression: a correction could date a unit's first step years before enrolment,
    a time `record_event` refuses (more than 60 days before the case was enrolled)."""
    from datetime import UTC, datetime, timedelta

    from cart_chain.domain.clock import utc_iso
    from cart_chain.services.unit_state import enrolled_at

    db = ready_any_db
    coi = enrol(db)
    (seq,) = walk(db, unit_of(coi), 1)
    enrolled = db.read(lambda s: enrolled_at(s, coi))
    too_early = utc_iso(enrolled - timedelta(days=61))
    with pytest.raises(InvalidValue, match="more than 60 days before the case was enrolled"):
        correct(db, seq, {"occurred_at": too_early}, "typed the wrong year", creds("alice"))
    with pytest.raises(InvalidValue, match="future"):
        ahead = utc_iso(datetime.now(UTC) + timedelta(hours=1))
        correct(db, seq, {"occurred_at": ahead}, "typed the wrong hour", creds("alice"))
    assert show_case(db, coi).units[0].events[0].corrections == ()
    late_entry = utc_iso(enrolled - timedelta(days=59))
    correct(db, seq, {"occurred_at": late_entry}, "entered late", creds("alice"))
    assert show_case(db, coi).units[0].events[0].corrections[0].new_value == late_entry
    assert verify_ledger(db).ok


def test_a_split_parents_step_before_the_split_cannot_be_voided(ready_any_db) -> None:  # type: ignore[no-untyped-def]
    """Regression: voiding the expansion step a bag was split in took the parent back to
    engineering while its split bags stayed in expansion, custody inherited from a void step."""
    from cart_chain.services.custody import split_unit

    coi = enrol(ready_any_db)
    seqs = walk(ready_any_db, unit_of(coi), 5)  # ... engineering, expansion
    children = split_unit(ready_any_db, unit_of(coi), 2, creds("lena"))
    with pytest.raises(InvalidValue, match=f"was split into {children[0]}"):
        correct(ready_any_db, seqs[-1], {"void": "x"}, "wrong", creds("lena"))
    assert not show_case(ready_any_db, coi).units[0].events[-1].voided
    # The parent's own steps after the split stay its own to void.
    after = record_event(ready_any_db, unit_of(coi), "cryopreservation", creds("leo")).seq
    correct(ready_any_db, after, {"void": "wrong bag"}, "wrong bag", creds("lena"))
    assert show_case(ready_any_db, coi).units[0].current_step == "expansion"
    assert verify_ledger(ready_any_db).ok
