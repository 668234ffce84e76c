"""Recording steps: order, two-person signatures, roles, one transaction per call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from cart_chain.domain.errors import (
    AuthenticationError,
    InvalidValue,
    NotFound,
    PermissionDenied,
    SignatureError,
    StepOrderError,
)
from cart_chain.services.case_detail import show_case
from cart_chain.services.case_list import list_cases
from cart_chain.services.custody import record_event, split_unit
from cart_chain.store.models import Event, LedgerEntry
from tests.helpers import CONDITION, JOURNEY, creds, enrol, unit_of, walk


def _count(db, model) -> int:  # type: ignore[no-untyped-def]
    return db.read(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one())


def test_each_handoff_carries_two_signatures_with_meanings(ready_any_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_any_db)
    walk(ready_any_db, unit_of(coi))
    unit = show_case(ready_any_db, coi).units[0]
    assert [e.step for e in unit.events] == [s for s, _, _ in JOURNEY]
    for event, (_, by, to) in zip(unit.events, JOURNEY, strict=True):
        assert event.signatures[0].username == by
        if to:
            assert [s.username for s in event.signatures] == [by, to]
    ship = unit.events[1]
    assert [(s.meaning, s.printed_name) for s in ship.signatures] == [
        ("Released by", "Alice Apheresis"),
        ("Received by", "Carl Courier"),
    ]
    assert unit.custodian == "ines" and unit.next_steps == ()
    assert all(s.signed_at.endswith("Z") for e in unit.events for s in e.signatures)


def test_out_of_order_step_is_refused_and_names_the_expected(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db)
    with pytest.raises(StepOrderError, match="expected collection"):
        record_event(
            ready_db, unit_of(coi), "thaw", creds("ines"), creds("ivan"), condition=CONDITION
        )
    walk(ready_db, unit_of(coi), 2)
    with pytest.raises(StepOrderError, match="ship_to_manufacturing or receipt_at_manufacturing"):
        record_event(ready_db, unit_of(coi), "engineering", creds("lena"))


def test_same_person_cannot_sign_both_sides(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db)
    with pytest.raises(SignatureError, match="two different people"):
        record_event(ready_db, unit_of(coi), "collection", creds("alice"), creds("alice"))
    with pytest.raises(SignatureError, match="needs a second signer"):
        record_event(ready_db, unit_of(coi), "collection", creds("alice"))


def test_roles_are_checked_in_the_service(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db)
    with pytest.raises(PermissionDenied, match="Courier"):
        record_event(ready_db, unit_of(coi), "collection", creds("carl"), creds("anna"))
    walk(ready_db, unit_of(coi), 6)
    with pytest.raises(PermissionDenied, match="QA"):
        record_event(ready_db, unit_of(coi), "release", creds("lena"), creds("leo"))


def test_a_failing_call_stores_nothing(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db)
    walk(ready_db, unit_of(coi), 1)
    events = _count(ready_db, Event)
    entries = _count(ready_db, LedgerEntry)
    # The first signer is fine, the second types a wrong password: nothing of the step is kept.
    with pytest.raises(AuthenticationError):
        record_event(
            ready_db,
            unit_of(coi),
            "ship_to_manufacturing",
            creds("alice"),
            creds("carl").__class__("carl", "not-his-password"),
        )
    assert _count(ready_db, Event) == events
    assert _count(ready_db, LedgerEntry) == entries + 1  # the failed attempt, nothing else
    with pytest.raises(InvalidValue):
        record_event(
            ready_db,
            unit_of(coi),
            "ship_to_manufacturing",
            creds("alice"),
            creds("carl"),
            temperature_c=float("nan"),
        )
    assert _count(ready_db, Event) == events


def test_unknown_unit_and_bad_check_character(ready_db) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.domain.errors import IdentifierError
    from cart_chain.domain.identifiers import Coi

    with pytest.raises(NotFound):
        record_event(
            ready_db,
            Coi.build("A9999", 2026, 999).unit(1).full,
            "collection",
            creds("alice"),
            creds("anna"),
        )
    coi = enrol(ready_db)
    typo = unit_of(coi)[:-2] + ("7" if unit_of(coi)[-2] != "7" else "8") + unit_of(coi)[-1]
    with pytest.raises(IdentifierError):
        record_event(ready_db, typo, "collection", creds("alice"), creds("anna"))


def test_times_cannot_be_in_the_future_or_before_the_previous_step(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db)
    now = datetime.now(UTC)
    with pytest.raises(InvalidValue, match="future"):
        record_event(
            ready_db,
            unit_of(coi),
            "collection",
            creds("alice"),
            creds("anna"),
            occurred_at=now + timedelta(hours=1),
        )
    record_event(
        ready_db,
        unit_of(coi),
        "collection",
        creds("alice"),
        creds("anna"),
        occurred_at=now - timedelta(hours=2),
    )
    with pytest.raises(InvalidValue, match="before the unit's previous step"):
        record_event(
            ready_db,
            unit_of(coi),
            "ship_to_manufacturing",
            creds("alice"),
            creds("carl"),
            occurred_at=now - timedelta(hours=3),
        )


def test_split_in_expansion_creates_numbered_bags(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db, bags=1)
    walk(ready_db, unit_of(coi), 4)
    with pytest.raises(InvalidValue, match="only be split while it is in expansion"):
        split_unit(ready_db, unit_of(coi), 3, creds("lena"))
    walk_rest = JOURNEY[4]
    record_event(ready_db, unit_of(coi), walk_rest[0], creds(walk_rest[1]))
    children = split_unit(ready_db, unit_of(coi), 3, creds("lena"))
    assert children == [unit_of(coi, 2), unit_of(coi, 3)]
    detail = show_case(ready_db, coi)
    assert [(u.number, u.of, u.current_step, u.parent) for u in detail.units] == [
        (1, 3, "expansion", None),
        (2, 3, "expansion", unit_of(coi)),
        (3, 3, "expansion", unit_of(coi)),
    ]
    record_event(ready_db, unit_of(coi, 3), "cryopreservation", creds("leo"))
    assert show_case(ready_db, coi).units[2].current_step == "cryopreservation"


def test_case_list_shows_each_units_step(ready_db) -> None:  # type: ignore[no-untyped-def]
    a = enrol(ready_db, "Ann Example", bags=2)
    b = enrol(ready_db, "Bob Example")
    walk(ready_db, unit_of(a, 2), 3)
    cases = {c.coi: c for c in list_cases(ready_db)}
    assert cases[a].unit_steps == (
        (unit_of(a, 1), None),
        (unit_of(a, 2), "receipt_at_manufacturing"),
    )
    assert cases[b].unit_steps == ((unit_of(b, 1), None),)
    assert [c.coi for c in list_cases(ready_db, search="bob")] == [b]
    assert [c.coi for c in list_cases(ready_db)] == [b, a]  # newest first


def test_coi_is_built_from_facility_year_and_sequence_only(ready_db) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.domain.identifiers import Coi
    from cart_chain.services.cases import new_case

    year = datetime.now(UTC).year
    first = new_case(ready_db, creds("alice"), "Zed Quux", "1970-01-01", "MRN-777", "K").subject
    second = new_case(ready_db, creds("alice"), "Zed Quux", "1970-01-01", "MRN-777", "K").subject
    assert first == Coi.build("A9999", year, 1).full
    assert second == Coi.build("A9999", year, 2).full
