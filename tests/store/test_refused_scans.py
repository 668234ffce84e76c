"""Refused scans are projected (``refused_scans``): read by key, checked by `verify`.

The custody report used to find a case's refused scans by a text search of every
ledger payload; it now reads one row per case a refusal concerns, which `verify`
recomputes from the entry and migration 0010 wrote for refusals recorded before.
"""

from __future__ import annotations

from sqlalchemy import text

from cart_chain.services.custody_data import custody_report_data
from cart_chain.services.scanning import record_refused_scan
from cart_chain.store import schema
from cart_chain.store.database import Database
from cart_chain.store.verify import verify
from tests.helpers import enrol, unit_of
from tests.tamper import tamper


def _refusals(db: Database, coi: str) -> list[tuple[int, str | None, str | None, str]]:
    data = custody_report_data(db, coi, "quinn")
    return [(r.seq, r.unit, r.scanned, r.reason) for r in data.refused_scans]


def test_a_refusal_shows_on_both_cases_it_concerns(ready_any_db: Database) -> None:
    db = ready_any_db
    anna, bert, carl = enrol(db, "Anna Alpha"), enrol(db, "Bert Beta"), enrol(db, "Carl Gamma")
    seq = record_refused_scan(db, "alice", anna, unit_of(bert), "WRONG PATIENT").seq
    shown = [(seq, unit_of(bert), unit_of(bert), "WRONG PATIENT")]
    assert _refusals(db, anna) == shown  # the case at hand
    assert _refusals(db, bert) == shown  # the case of the bag scanned
    assert _refusals(db, carl) == []
    assert db.read(verify).ok


def test_verify_names_a_changed_refusal_row(ready_db: Database) -> None:
    anna, bert = enrol(ready_db, "Anna Alpha"), enrol(ready_db, "Bert Beta")
    record_refused_scan(ready_db, "alice", anna, unit_of(bert), "WRONG PATIENT")
    tamper(ready_db, "UPDATE refused_scans SET reason = 'label smudged'")
    report = ready_db.read(verify)
    assert report.problem is not None and report.problem.table == "refused_scans"


def test_migration_0010_projects_the_refusals_recorded_before(ready_any_db: Database) -> None:
    """A database at 0009 (no refused_scans table) gets its rows from the upgrade."""
    db = ready_any_db
    anna, bert = enrol(db, "Anna Alpha"), enrol(db, "Bert Beta")
    seq = record_refused_scan(db, "alice", anna, unit_of(bert), "WRONG PATIENT").seq
    record_refused_scan(db, "alice", anna, "not a code", "not a bag's code")
    with db.engine.begin() as conn:  # what 0009 left: 0010 only adds this table
        conn.execute(text("DROP TABLE refused_scans"))
        conn.execute(text("UPDATE alembic_version SET version_num = '0009'"))
    schema.upgrade(db)
    assert db.read(verify).ok
    assert [r[0] for r in _refusals(db, bert)] == [seq]
    assert [r[0] for r in _refusals(db, anna)] == [seq, seq + 1]
