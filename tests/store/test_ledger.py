"""The append-only, hash-chained ledger and `verify`: tampering of any kind is found."""

from __future__ import annotations

import sqlite3
from itertools import pairwise

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from cart_chain.services import settings
from cart_chain.services.corrections import correct
from cart_chain.services.verification import parse_checkpoint, verify_ledger
from cart_chain.store.database import Database
from cart_chain.store.models import APPEND_ONLY_TABLES
from cart_chain.store.verify import Report
from tests.helpers import creds, enrol, populate, unit_of, walk
from tests.tamper import tamper


def build_chain(database: Database) -> Report:
    """A case with at least one row in every projection table, so every trigger is tried."""
    from cart_chain.labels.printing import print_label
    from cart_chain.services.custody import record_event
    from cart_chain.services.links import link_case
    from cart_chain.services.readiness import override_gate, review_deviation
    from cart_chain.services.scanning import record_refused_scan

    populate(database)
    coi = enrol(database, bags=2)
    walk(database, unit_of(coi, 1))  # incl. lymphodepletion and bedside check
    seqs = walk(database, unit_of(coi, 2), 3)
    settings.set_setting(database, creds("admin"), "facility", "W1234")
    correct(database, seqs[-1], {"note": "checked"}, "added note", creds("lena"))
    print_label(database, unit_of(coi, 2), "bag", creds("lena"))
    print_label(database, unit_of(coi, 2), "bag", creds("lena"), reason="smudged")
    record_event(database, unit_of(coi, 2), "engineering", creds("lena"), temperature_c=37.0)
    record_event(database, unit_of(coi, 2), "expansion", creds("lena"))
    hot = record_event(
        database, unit_of(coi, 2), "cryopreservation", creds("leo"), temperature_c=-80.0
    )
    assert hot.deviations
    review_deviation(database, hot.seq + 1, "accept", "within validated range", creds("quinn"))
    override_gate(database, unit_of(coi, 2), "bedside_check", "documented on paper", creds("quinn"))
    link_case(database, coi, creds("alice"), lot="LOT-1", rfic="RFIC-1")
    other = enrol(database, "Other Patient")
    record_refused_scan(database, "alice", coi, unit_of(other), "WRONG PATIENT")  # refused_scans
    # a logger file for unit 2's leg to manufacturing (condition_logs, condition_files)
    from datetime import UTC, datetime, timedelta

    from cart_chain.services.condition import import_condition
    from tests.logger_files import delimited, regular

    now = datetime.now(UTC).replace(microsecond=0)
    data = delimited(regular(now - timedelta(hours=1), 5, [-180.0] * 14))
    import_condition(database, unit_of(coi, 2), data, creds("lena"))
    report = verify_ledger(database)
    assert report.ok, report.problem
    return report


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory):  # type: ignore[no-untyped-def]
    database = Database(str(tmp_path_factory.mktemp("template") / "chain.sqlite3"))
    report = build_chain(database)
    database.dispose()
    return database.path, report


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def chain(request, sqlite_template, tmp_path):  # type: ignore[no-untyped-def]
    """The built chain: SQLite copied from a template built once, PostgreSQL built anew."""
    if request.param == "sqlite":
        path, report = sqlite_template
        copy = tmp_path / "chain.sqlite3"
        with sqlite3.connect(str(path)) as src, sqlite3.connect(str(copy)) as dst:
            src.backup(dst)
        database = Database(str(copy))
        yield database, report
        database.dispose()
        return
    pg_db = request.getfixturevalue("any_db_postgresql")
    yield pg_db, build_chain(pg_db)


def test_the_database_refuses_update_and_delete(chain) -> None:  # type: ignore[no-untyped-def]
    db, _ = chain
    for table in APPEND_ONLY_TABLES:
        for sql in (
            f"UPDATE {table} SET entry_seq = entry_seq"
            if table != "ledger_entries"
            else "UPDATE ledger_entries SET kind = kind",
            f"DELETE FROM {table}",
        ):
            with pytest.raises(DBAPIError, match="append-only"), db.engine.begin() as conn:
                conn.execute(text(sql))
    assert verify_ledger(db).ok


def _event_seq(db: Database, n: int = 3) -> int:
    with db.engine.connect() as conn:
        return conn.execute(
            text("SELECT entry_seq FROM events ORDER BY entry_seq LIMIT 1 OFFSET :n"), {"n": n}
        ).scalar_one()


@pytest.mark.parametrize(
    ("change", "table", "words"),
    [
        ("UPDATE events SET location = 'elsewhere' WHERE entry_seq = {seq}", "events", "location"),
        ("UPDATE events SET temperature_c = 25 WHERE entry_seq = {seq}", "events", "temperature_c"),
        (
            "UPDATE signatures SET printed_name = 'Mallory' WHERE entry_seq = {seq}",
            "signatures",
            "printed_name",
        ),
        ("UPDATE events SET by_user = 'leo' WHERE entry_seq = {seq}", "events", "by_user"),
        ("DELETE FROM signatures WHERE entry_seq = {seq} AND ordinal = 1", "signatures", "missing"),
        ("DELETE FROM events WHERE entry_seq = {seq}", "events", "missing"),
        (
            "INSERT INTO signatures VALUES ({seq}, 9, 'leo', 'Leo Labtech', 'Verified by', "
            "'2026-01-01T00:00:00.000000Z')",
            "signatures",
            "inserted",
        ),
        (
            "UPDATE ledger_entries SET payload = replace(payload, 'room', 'ROOM') "
            "WHERE seq = {seq}",
            "ledger_entries",
            "altered",
        ),
        ("DELETE FROM ledger_entries WHERE seq = {seq}", "ledger_entries", "deleted"),
        (
            "UPDATE users SET full_name = 'Someone Else' WHERE username = 'lena'",
            "users",
            "full_name",
        ),
        (
            "UPDATE user_changes SET value = 'x' WHERE change = 'password' AND username = 'carl'",
            "user_changes",
            "value",
        ),
    ],
)
def test_verify_finds_the_first_tampered_entry(chain, change: str, table: str, words: str) -> None:  # type: ignore[no-untyped-def]
    db, _ = chain
    seq = _event_seq(db)
    tamper(db, change.format(seq=seq))
    report = verify_ledger(db)
    assert not report.ok
    assert report.problem.table == table
    assert words in report.problem.message
    if "ledger_entries" not in change and "users" not in change and "user_changes" not in change:
        assert report.problem.seq == seq


def test_reordered_entries_are_found(chain) -> None:  # type: ignore[no-untyped-def]
    db, _ = chain
    seq = _event_seq(db)
    tamper(
        db,
        f"UPDATE ledger_entries SET seq = -1 WHERE seq = {seq}",
        f"UPDATE ledger_entries SET seq = {seq} WHERE seq = {seq + 1}",
        f"UPDATE ledger_entries SET seq = {seq + 1} WHERE seq = -1",
    )
    report = verify_ledger(db)
    assert not report.ok and report.problem.seq == seq


def test_a_rehashed_forgery_is_caught_by_the_printed_checkpoint(chain) -> None:  # type: ignore[no-untyped-def]
    db, before = chain
    printed = str(before.checkpoint)
    # Cut the last entry off and its projection rows: the chain itself is still consistent...
    last = before.checkpoint.seq
    tamper(
        db,
        *(f"DELETE FROM {t} WHERE entry_seq = {last}" for t in APPEND_ONLY_TABLES[1:]),
        f"DELETE FROM ledger_entries WHERE seq = {last}",
    )
    assert verify_ledger(db).ok
    # ...but not with the checkpoint printed on an earlier report.
    report = verify_ledger(db, parse_checkpoint(printed))
    assert not report.ok and "cut off" in report.problem.message


def test_checkpoint_of_an_intact_ledger_verifies(chain) -> None:  # type: ignore[no-untyped-def]
    db, before = chain
    walk_more = verify_ledger(db, before.checkpoint)
    assert walk_more.ok and walk_more.checkpoint == before.checkpoint
    fake = parse_checkpoint(f"{before.checkpoint.seq}:{'0' * 64}")
    assert "rewritten" in verify_ledger(db, fake).problem.message


def test_a_head_read_for_the_next_time_serves_one_append_only(ready_any_db) -> None:  # type: ignore[no-untyped-def]
    """`next_recorded_at` keeps the head it read for the append after it (a signed write
    asks whether a checkpoint is due, then appends); every later append reads afresh,
    so entries written in one transaction still chain, in order, with times that never
    go back."""
    from cart_chain.store import ledger

    db = ready_any_db

    def write(session) -> list[ledger.Entry]:  # type: ignore[no-untyped-def]
        at = ledger.next_recorded_at(session)
        assert ledger.next_recorded_at(session) >= at  # asked twice: still the same head
        made = [ledger.append(session, "setting_changed", "admin", _setting("a"), recorded_at=at)]
        made.append(ledger.append(session, "setting_changed", "admin", _setting("b")))
        ledger.next_recorded_at(session)
        made.append(ledger.append(session, "setting_changed", "admin", _setting("c")))
        made.append(ledger.append(session, "setting_changed", "admin", _setting("d")))
        return made

    before = db.read(ledger.head)
    made = db.write(write)
    assert [e.seq for e in made] == list(range(before.seq + 1, before.seq + 5))
    assert made[0].prev_hash == before.hash
    assert all(b.prev_hash == a.hash for a, b in pairwise(made))
    assert [e.recorded_at for e in made] == sorted(e.recorded_at for e in made)
    assert verify_ledger(db).ok


def _setting(value: str) -> dict[str, str]:
    return {"key": "site_name", "value": f"Site {value}"}
