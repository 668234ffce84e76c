"""A scan's answer (`bag_state`) is the case view's, read with a fraction of the work.

The scan reads its own few columns so that it answers at scanner speed; these
tests hold it to what the case view (`case_detail.load_case`) says of the same
bags after the corrections that move a bag's state: a voided step, a corrected
location and a corrected patient name.
"""

from __future__ import annotations

import pytest

from cart_chain.domain.errors import UnknownUnit
from cart_chain.domain.identifiers import Coi
from cart_chain.services.case_detail import show_case
from cart_chain.services.corrections import correct
from cart_chain.services.scanning import scan
from cart_chain.store.database import Database
from tests.helpers import creds, enrol, populate, unit_of, walk
from tests.pg_plans import rows_touched, statements_of

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


#: 10,000 other cases of one bag and 9 steps each, as bare rows (no hashes, no tree:
#: `verify` would refuse them; only the plans are looked at), the ledger's shape at
#: 100k entries where the benchmark saw the hash join.
_BULK = """
INSERT INTO ledger_entries (seq, recorded_at, kind, actor, payload, prev_hash, hash)
SELECT b + s, '2026-01-01T00:00:00.000000Z', 'bulk', 'alice', '{}', 'p' || s, 'h' || s
FROM (SELECT max(seq) AS b FROM ledger_entries) AS head, generate_series(1, 100000) AS s;
INSERT INTO cases (coi, entry_seq, facility, year, patient_name, patient_dob, mrn, product)
SELECT 'X' || seq, seq, 'B0001', 26, 'Other', '1970-01-01', 'M', 'K'
FROM ledger_entries WHERE kind = 'bulk' AND seq %% 10 = 0;
INSERT INTO units (unit_code, entry_seq, coi, number)
SELECT 'U' || entry_seq, entry_seq, coi, 1 FROM cases WHERE coi LIKE 'X%%';
INSERT INTO events (entry_seq, unit_code, step, occurred_at, by_user)
SELECT seq, 'U' || (seq - seq %% 10 + 10), 'engineering', recorded_at, 'alice'
FROM ledger_entries WHERE kind = 'bulk' AND seq %% 10 <> 0
  AND seq - seq %% 10 + 10 <= (SELECT max(seq) FROM ledger_entries);
"""


@pytest.mark.postgres
def test_a_scan_touches_only_its_own_case_rows_on_postgresql(any_db_postgresql: Database) -> None:
    """Without table statistics (autovacuum off) PostgreSQL hash-joined the whole
    events table for a scan's steps: 25 ms at 100k entries. Every statement of a scan
    is explained with ANALYZE beside 10,000 other cases, and the rows each
    plan node touched are counted."""
    db = populate(any_db_postgresql)
    coi = enrol(db, "Jon Smith")
    walk(db, unit_of(coi, 1), 3)
    with db.engine.begin() as conn:
        conn.exec_driver_sql(_BULK)
    selects = statements_of(db, lambda: scan(db, unit_of(coi, 1), step="engineering"))
    assert len(selects) >= 6
    for sql, params in selects:
        assert rows_touched(db, sql, params) < 100, sql


def test_a_unit_scan_reads_its_case_row_once(ready_any_db: Database) -> None:
    """The unit row names its case (a foreign key): asking first whether the case is
    known cost a round trip per scan (8 on PostgreSQL, now 7)."""
    db = ready_any_db
    coi = enrol(db, "Jon Smith")
    walk(db, unit_of(coi, 1), 2)
    selects = statements_of(db, lambda: scan(db, unit_of(coi, 1)))
    from_cases = [sql for sql, _ in selects if sql.startswith("SELECT cases.")]
    assert len(from_cases) == 1, from_cases
    with pytest.raises(UnknownUnit, match="is not known in this database") as bag:
        scan(db, unit_of(coi, 3))  # a bag the case does not have
    assert "of COI" not in str(bag.value)
    body = coi[:-1]
    stranger = Coi(body[:-1] + ("2" if body[-1] == "1" else "1")).unit(1).full
    with pytest.raises(UnknownUnit, match=r"of COI .* is not known in this database"):
        scan(db, stranger)  # a bag of a case this database does not have
