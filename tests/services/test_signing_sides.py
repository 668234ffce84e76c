"""Each person signs as what they are: the sides of a two-person step follow the roles.

A receiver records a receipt at their own log-in, naming themself first: the service
gives the courier "Released by" and the receiver "Received by" because of their roles,
whatever order they were named in. Only when both orders fit does the order decide.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cart_chain.domain.errors import PermissionDenied
from cart_chain.domain.roles import Role
from cart_chain.domain.steps import Step, meanings_for, sides_swapped, steps_for
from cart_chain.services.case_detail import show_case
from cart_chain.services.custody import record_event
from cart_chain.services.verification import verify_ledger
from cart_chain.store.models import LedgerEntry
from tests.helpers import CONDITION, creds, enrol, unit_of, walk


def _signed(db, coi: str) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    event = show_case(db, coi).units[0].events[-1]
    return [(s.meaning, s.username, s.printed_name) for s in event.signatures]


def test_the_lab_records_a_receipt_at_its_own_log_in(ready_any_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_any_db)
    unit = unit_of(coi)
    walk(ready_any_db, unit, 2)  # shipped: Carl the courier holds the bag
    # Lena is logged in at the lab: she names herself first, the courier second.
    record_event(
        ready_any_db,
        unit,
        "receipt_at_manufacturing",
        creds("lena"),
        creds("carl"),
        condition=CONDITION,
    )
    assert _signed(ready_any_db, coi) == [
        ("Released by", "carl", "Carl Courier"),
        ("Received by", "lena", "Lena Labtech"),
    ]
    u = show_case(ready_any_db, coi).units[0]
    event = u.events[-1]
    assert (event.by, event.to) == ("carl", "lena")
    assert u.custodian == "lena"  # custody went to the receiver, not to whoever logged in
    assert verify_ledger(ready_any_db).ok  # verify checks the sides against the roles again


def test_the_centre_records_receipt_and_a_lab_tech_verifies_release(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db)
    unit = unit_of(coi)
    walk(ready_db, unit, 6)
    record_event(ready_db, unit, "release", creds("lena"), creds("quinn"))
    assert [m for m, _, _ in _signed(ready_db, coi)] == ["Released by", "Verified by"]
    assert [u for _, u, _ in _signed(ready_db, coi)] == ["quinn", "lena"]
    record_event(ready_db, unit, "storage", creds("leo"))
    record_event(ready_db, unit, "ship_to_site", creds("cora"), creds("leo"))
    assert [(m, u) for m, u, _ in _signed(ready_db, coi)] == [
        ("Released by", "leo"),
        ("Received by", "cora"),
    ]
    record_event(
        ready_db, unit, "receipt_at_site", creds("ines"), creds("cora"), condition=CONDITION
    )
    assert [(m, u) for m, u, _ in _signed(ready_db, coi)] == [
        ("Released by", "cora"),
        ("Received by", "ines"),
    ]
    assert show_case(ready_db, coi).units[0].custodian == "ines"
    assert verify_ledger(ready_db).ok


def test_when_both_orders_fit_the_order_named_decides(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db)
    unit = unit_of(coi)
    walk(ready_db, unit, 2)  # alice released to carl
    record_event(ready_db, unit, "ship_to_manufacturing", creds("carl"), creds("cora"))
    assert [(m, u) for m, u, _ in _signed(ready_db, coi)] == [
        ("Released by", "carl"),
        ("Received by", "cora"),
    ]


def test_signers_whose_roles_fit_neither_side_are_refused_and_nothing_is_written(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db)
    unit = unit_of(coi)
    walk(ready_db, unit, 2)

    def count() -> int:
        return ready_db.read(
            lambda s: s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one()
        )

    before = count()
    # Two lab technicians: no courier released the bag, in either order.
    with pytest.raises(PermissionDenied, match="needs Courier"):
        record_event(
            ready_db,
            unit,
            "receipt_at_manufacturing",
            creds("lena"),
            creds("leo"),
            condition=CONDITION,
        )
    # A QA user cannot receive for the lab, whichever side they are named on.
    with pytest.raises(PermissionDenied, match="needs Cell lab"):
        record_event(
            ready_db,
            unit,
            "receipt_at_manufacturing",
            creds("quinn"),
            creds("carl"),
            condition=CONDITION,
        )
    assert count() == before
    assert show_case(ready_db, coi).units[0].custodian == "carl"


def test_sides_and_meanings_follow_the_roles() -> None:
    assert sides_swapped(Step.RECEIPT_AT_MANUFACTURING, Role.CELL_LAB, Role.COURIER)
    assert not sides_swapped(Step.RECEIPT_AT_MANUFACTURING, Role.COURIER, Role.CELL_LAB)
    assert not sides_swapped(Step.THAW, Role.INFUSION, Role.CELL_LAB)  # both orders fit
    assert not sides_swapped(Step.ENGINEERING, Role.QA, Role.CELL_LAB)  # one-person step
    assert meanings_for(Step.RECEIPT_AT_SITE, Role.INFUSION, None) == ("Received by", "Released by")
    assert meanings_for(Step.RECEIPT_AT_SITE, Role.COURIER, None) == ("Released by", "Received by")
    # A courier at the first shipment: receiving from apheresis, releasing to a courier.
    assert meanings_for(Step.SHIP_TO_MANUFACTURING, Role.COURIER, Role.APHERESIS)[0] == (
        "Received by"
    )
    assert meanings_for(Step.SHIP_TO_MANUFACTURING, Role.COURIER, Role.COURIER)[0] == (
        "Released by"
    )
    # Not known yet: a courier who does not hold the bag is receiving it.
    assert meanings_for(Step.SHIP_TO_MANUFACTURING, Role.COURIER, None, holds=False)[0] == (
        "Received by"
    )
    assert meanings_for(Step.SHIP_TO_MANUFACTURING, Role.COURIER, None, holds=True)[0] == (
        "Released by"
    )
    assert meanings_for(Step.EXPANSION, Role.CELL_LAB, None) == ("Performed by", None)


def test_the_step_offered_first_is_the_users_own() -> None:
    after_shipment = ("ship_to_manufacturing", "receipt_at_manufacturing")
    # The lab does not hold the bag: it receives it.
    assert steps_for(Role.CELL_LAB, after_shipment, False)[0] is Step.RECEIPT_AT_MANUFACTURING
    # The courier holding it may hand it on to another courier first (journey order);
    # a second courier takes it over.
    assert steps_for(Role.COURIER, after_shipment, True)[0] is Step.SHIP_TO_MANUFACTURING
    assert steps_for(Role.COURIER, after_shipment, False)[0] is Step.SHIP_TO_MANUFACTURING
    after_release = ("storage", "ship_to_site")
    assert steps_for(Role.COURIER, after_release, False)[0] is Step.SHIP_TO_SITE
    assert steps_for(Role.CELL_LAB, after_release, True)[0] is Step.STORAGE
    to_site = ("ship_to_site", "receipt_at_site")
    assert steps_for(Role.INFUSION, to_site, False)[0] is Step.RECEIPT_AT_SITE
    assert steps_for(Role.CELL_LAB, to_site, False)[0] is Step.RECEIPT_AT_SITE
    # Steps a role signs no side of stay, last, in journey order.
    assert steps_for(Role.QA, to_site, False) == [Step.SHIP_TO_SITE, Step.RECEIPT_AT_SITE]
    assert steps_for(Role.APHERESIS, to_site, False) == [Step.SHIP_TO_SITE, Step.RECEIPT_AT_SITE]
