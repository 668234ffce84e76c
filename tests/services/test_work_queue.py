"""The work queue service, without Qt: what waits, in what order, and what leaves it."""

from __future__ import annotations

from datetime import timedelta

from cart_chain.domain.clock import parse_iso
from cart_chain.services.case_detail import show_case
from cart_chain.services.custody import record_event
from cart_chain.services.readiness import review_deviation
from cart_chain.services.work_queue import work_queue
from cart_chain.store.database import Database
from tests.helpers import creds, enrol, unit_of, walk


def test_queue_orders_clocks_by_time_left_then_qa_work(ready_db: Database) -> None:
    late = enrol(ready_db, "Early Thaw")
    walk(ready_db, unit_of(late), 11)  # thawed first: its clock ends first
    warm = enrol(ready_db, "Warm Freeze")
    walk(ready_db, unit_of(warm), 5)
    record_event(ready_db, unit_of(warm), "cryopreservation", creds("leo"), temperature_c=-20.0)
    soon = enrol(ready_db, "Later Thaw")
    walk(ready_db, unit_of(soon), 11)
    idle = enrol(ready_db, "Nothing Waiting")  # enrolled, no step: nothing to queue
    walk(ready_db, unit_of(idle), 3)

    items = work_queue(ready_db)
    assert [(i.coi, i.kind) for i in items] == [
        (late, "window"),
        (soon, "window"),
        (warm, "release"),
        (warm, "deviation"),
    ]
    # The clock is the profile's (Kymriah: 30 min from the end of the thaw), as the case view.
    (window,) = show_case(ready_db, late).units[0].windows
    assert items[0].ends == parse_iso(window.ends)
    thawed = parse_iso(show_case(ready_db, late).units[0].events[-1].occurred_at)
    assert items[0].ends == thawed + timedelta(minutes=30)
    assert items[0].unit == unit_of(late) and "post-thaw" in items[0].waiting
    assert items[0].time_left(thawed + timedelta(minutes=10)) == "20 min left"
    assert items[0].time_left(thawed + timedelta(minutes=95)) == "1 h 05 min overdue"
    assert items[2].time_left(thawed) == "—"
    assert "awaiting QA review" in items[3].waiting and "warmer than" in items[3].waiting


def test_a_reviewed_deviation_leaves_the_queue(ready_db: Database) -> None:
    coi = enrol(ready_db)
    walk(ready_db, unit_of(coi), 5)
    record_event(ready_db, unit_of(coi), "cryopreservation", creds("leo"), temperature_c=-20.0)
    (dev,) = [i for i in work_queue(ready_db) if i.kind == "deviation"]
    review_deviation(ready_db, dev.seq, "quarantine", "awaiting logger data", creds("quinn"))
    (still,) = [i for i in work_queue(ready_db) if i.kind == "deviation"]
    assert "in quarantine" in still.waiting
    review_deviation(ready_db, dev.seq, "accept", "logger shows -150 °C", creds("quinn"))
    assert [i.kind for i in work_queue(ready_db)] == ["release"]
    record_event(ready_db, unit_of(coi), "release", creds("quinn"), creds("lena"))
    assert work_queue(ready_db) == []


def test_the_batch_read_of_facts_is_the_per_unit_read(ready_db: Database) -> None:
    """The list and the queue read many units at once; the infusion gate one at a time:
    both must see the same steps (voided ones left out)."""
    from cart_chain.services.corrections import correct
    from cart_chain.services.infusion_gates import unit_facts, units_facts

    a, b = enrol(ready_db, "Batch A"), enrol(ready_db, "Batch B", bags=2)
    walk(ready_db, unit_of(a), 11)
    seqs = walk(ready_db, unit_of(b), 2)
    correct(ready_db, seqs[-1], {"void": "recorded on the wrong bag"}, "wrong bag", creds("lena"))
    codes = [unit_of(a), unit_of(b), unit_of(b, 2)]
    batch = ready_db.read(lambda s: units_facts(s, codes))
    single = {code: ready_db.read(lambda s, c=code: unit_facts(s, c)) for code in codes}
    assert batch == single
    assert [f.step.value for f in batch[unit_of(b)]] == ["collection"]
    assert batch[unit_of(b, 2)] == [] and len(batch[unit_of(a)]) == 11


def test_a_changed_facility_code_hides_no_running_clock(ready_db: Database) -> None:
    """The queue is the database's, as the case list is: a case enrolled under the FIN
    set before (the default, say) keeps its clock in the queue after the FIN changes."""
    from cart_chain.services.settings import set_setting

    coi = enrol(ready_db)
    walk(ready_db, unit_of(coi), 11)
    set_setting(ready_db, creds("admin"), "facility", "B1234")
    assert [(i.coi, i.kind) for i in work_queue(ready_db)] == [(coi, "window")]


def test_a_rejected_unit_waits_for_nobody(ready_db: Database) -> None:
    coi = enrol(ready_db)
    walk(ready_db, unit_of(coi), 5)
    record_event(ready_db, unit_of(coi), "cryopreservation", creds("leo"), temperature_c=-20.0)
    assert [i.kind for i in work_queue(ready_db)] == ["release", "deviation"]
    (dev,) = show_case(ready_db, coi).units[0].deviations
    review_deviation(ready_db, dev.seq, "reject", "product compromised", creds("quinn"))
    assert work_queue(ready_db) == []  # no "release pending" for a unit that may not go on
