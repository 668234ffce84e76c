"""A scan's answer (`bag_state`) is the case view's, read with a fraction of the work.

The scan reads its own few columns so that it answers at scanner speed; these
tests hold it to what the case view (`case_detail.load_case`) says of the same
bags after the corrections that move a bag's state: a voided step, a corrected
location and a corrected patient name.
"""

from __future__ import annotations

from cart_chain.services.case_detail import show_case
from cart_chain.services.corrections import correct
from cart_chain.services.scanning import scan
from cart_chain.store.database import Database
from tests.conftest import creds, enrol, unit_of, walk

SHOWN = ("unit", "grouped", "number", "of", "parent", "current_step", "next_steps")
HELD = ("custodian", "custodian_name", "location")


def _same(db: Database, coi: str) -> None:
    case = show_case(db, coi)
    result = scan(db, coi)
    assert (result.patient_name, result.patient_dob, result.product) == (
        case.patient_name,
        case.patient_dob,
        case.product,
    )
    assert len(result.units) == len(case.units)
    for bag, unit in zip(result.units, case.units, strict=True):
        for name in (*SHOWN, *HELD):
            assert getattr(bag, name) == getattr(unit, name), name


def test_a_scan_says_what_the_case_view_says_after_corrections(ready_any_db: Database) -> None:
    ready_db = ready_any_db
    coi = enrol(ready_db, "Jon Smith", bags=2)
    seqs = walk(ready_db, unit_of(coi, 1), 3)
    walk(ready_db, unit_of(coi, 2), 2)
    _same(ready_db, coi)
    correct(ready_db, seqs[1], {"location": "Dock 4"}, "wrong dock", creds("carl"))
    correct(ready_db, seqs[2], {"void": "wrong bag"}, "recorded on the wrong bag", creds("lena"))
    correct(
        ready_db,
        show_case(ready_db, coi).seq,
        {"patient_name": "John Smith"},
        "misspelt at enrolment",
        creds("quinn"),
        creds("alice"),
    )
    scanned = scan(ready_db, unit_of(coi, 1))
    assert scanned.patient_name == "John Smith"
    assert scanned.unit is not None
    assert scanned.unit.current_step == "ship_to_manufacturing"
    assert scanned.unit.location == "Dock 4"  # the voided receipt's room no longer counts
    _same(ready_db, coi)


def test_a_case_with_no_steps_yet(ready_db: Database) -> None:
    coi = enrol(ready_db, bags=3)
    _same(ready_db, coi)
    bag = scan(ready_db, unit_of(coi, 2)).unit
    assert bag is not None and bag.current_step is None and bag.custodian is None
    assert bag.next_steps == ("collection",) and (bag.number, bag.of) == (2, 3)
