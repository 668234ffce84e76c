"""What a signed handoff asks the database, once its signers' passwords are checked.

Every statement is a round trip on PostgreSQL, and the handoff is the commonest
write. These tests watch the driver itself (SQLite's trace callback, libpq's
protocol trace), so statements sent in a batch (`store.batch`) are seen too, and
time nothing. The regressions they guard: the whole write used to be rehearsed in a
read transaction first (every check ran twice), the head was read twice, each read
and each row written was a round trip of its own, and every read transaction ended
with a ROLLBACK, after which psycopg deallocated its prepared statements (one more
round trip, and every statement parsed afresh).
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import event, text

from cart_chain.services.custody import record_event
from cart_chain.store.database import Database
from tests.helpers import CONDITION, creds, enrol, populate, unit_of, walk


@contextmanager
def _on_each_connection(
    db: Database, on: Callable[[Any], None], off: Callable[[Any], None]
) -> Iterator[None]:
    """Run ``on`` at each checkout of a driver connection and ``off`` at its checkin."""

    def checkout(dbapi: Any, record: Any, proxy: Any) -> None:
        on(dbapi)

    def checkin(dbapi: Any, record: Any) -> None:
        off(dbapi)

    event.listen(db.engine, "checkout", checkout)
    event.listen(db.engine, "checkin", checkin)
    try:
        yield
    finally:
        event.remove(db.engine, "checkout", checkout)
        event.remove(db.engine, "checkin", checkin)


@contextmanager
def _sqlite_statements(db: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def on(dbapi: Any) -> None:
        dbapi.set_trace_callback(lambda sql: seen.append(" ".join(sql.split())))

    with _on_each_connection(db, on, lambda dbapi: dbapi.set_trace_callback(None)):
        yield seen


@contextmanager
def _pg_messages(db: Database) -> Iterator[list[list[str]]]:
    """What the client sent, as libpq traces it: one list of fields per message."""
    fd, path = tempfile.mkstemp(suffix=".pqtrace")
    out: list[list[str]] = []

    def on(dbapi: Any) -> None:
        dbapi.pgconn.trace(fd)
        dbapi.pgconn.set_trace_flags(1 | 2)  # no timestamps, stable output

    try:
        with _on_each_connection(db, on, lambda dbapi: dbapi.pgconn.untrace()):
            yield out
    finally:
        os.close(fd)
        with open(path, encoding="utf-8", errors="replace") as fh:
            out.extend(line.split("\t") for line in fh.read().splitlines())
        os.unlink(path)


def _handoff(db: Database) -> Callable[[], object]:
    unit = unit_of(enrol(db))
    walk(db, unit, 1)
    return lambda: record_event(db, unit, "ship_to_manufacturing", creds("alice"), creds("carl"))


def test_each_check_of_a_handoff_reads_once(ready_db) -> None:  # type: ignore[no-untyped-def]
    handoff = _handoff(ready_db)
    with _sqlite_statements(ready_db) as sent:
        handoff()
    assert len([s for s in sent if s.startswith("SELECT units.unit_code")]) == 1
    # Each signer's history: once before the write (their password), once in it.
    assert len([s for s in sent if "FROM users JOIN user_changes" in s]) == 4
    assert len([s for s in sent if re.search(r"ORDER BY ledger_entries.seq DESC LIMIT", s)]) == 1
    assert len(sent) <= 23, "\n".join(sent)  # transaction control included


def test_signers_who_signed_before_are_read_only_in_the_write(ready_db) -> None:  # type: ignore[no-untyped-def]
    handoff, again = _handoff(ready_db), _handoff(ready_db)
    handoff()
    with _sqlite_statements(ready_db) as sent:
        again()
    # Their states kept from the handoff before (`services.signer_cache`): no read
    # transaction ahead of the write, whose own read of them decides.
    assert len([s for s in sent if "FROM users JOIN user_changes" in s]) == 2
    assert len([s for s in sent if s.startswith("BEGIN")]) == 1, "\n".join(sent)


@pytest.mark.postgres
def test_a_handoff_is_a_few_round_trips_on_postgresql(any_db_postgresql) -> None:  # type: ignore[no-untyped-def]
    db = populate(any_db_postgresql)
    handoff = _handoff(db)
    handoff_again = _handoff(db)
    handoff()  # warm: the prepared statements of this connection
    with _pg_messages(db) as messages:
        handoff_again()
    sent = [m for m in messages if m and m[0] == "F"]
    # A round trip ends at each Sync (extended protocol) or simple Query.
    trips = [m for m in sent if len(m) > 2 and m[2] in ("Sync", "Query")]
    assert not [m for m in sent if "DEALLOCATE" in "\t".join(m)]
    commit = max(i for i, m in enumerate(sent) if len(m) > 3 and '"COMMIT"' in m[3])
    # Everything before the COMMIT is the write: its BEGIN is the first statement sent
    # (by its text, or by name once psycopg has prepared it), and nothing precedes it.
    in_write = [m for m in sent[:commit] if len(m) > 2 and m[2] in ("Sync", "Query")]
    # BEGIN with the lock and every read of the checks; the rows; then COMMIT. The Merkle
    # tree's siblings come from the frontier the warm-up append left (`store.tree`).
    assert len(in_write) == 2, in_write
    # Nothing before the write: the signers' states for their passwords are those kept
    # from the warm-up (`services.signer_cache`; the write reads them again). This was
    # 35 round trips, then 8, then 5.
    assert len(trips) == 3, trips


@pytest.mark.postgres
def test_signers_not_seen_before_are_read_before_the_write(any_db_postgresql) -> None:  # type: ignore[no-untyped-def]
    db = populate(any_db_postgresql)
    handoff = _handoff(db)
    handoff()  # warm: the prepared statements, alice's and carl's states
    unit = unit_of(enrol(db, "Other Signers"))
    walk(db, unit, 2)
    with _pg_messages(db) as messages:
        record_event(
            db, unit, "receipt_at_manufacturing", creds("cora"), creds("leo"), condition=CONDITION
        )
    sent = [m for m in messages if m and m[0] == "F"]
    trips = [m for m in sent if len(m) > 2 and m[2] in ("Sync", "Query")]
    # The signers' states with their BEGIN, COMMIT; the write's 2; COMMIT.
    assert len(trips) == 5, trips


@pytest.mark.postgres
def test_a_scan_is_three_round_trips_on_postgresql(any_db_postgresql) -> None:  # type: ignore[no-untyped-def]
    """The bag, its case, the case's corrections, its bags, their steps and the names of
    their holders in one batch (all by the COI the code names); the steps' corrections,
    which need the steps; COMMIT. This was 6."""
    from cart_chain.services.scanning import scan

    db = populate(any_db_postgresql)
    first, second = unit_of(enrol(db)), unit_of(enrol(db))
    walk(db, first, 2)
    walk(db, second, 2)
    scan(db, first)  # warm
    with _pg_messages(db) as messages:
        result = scan(db, second, step="receipt_at_manufacturing")
    assert result.step == "receipt_at_manufacturing"
    assert result.unit is not None and result.unit.custodian == "carl"
    assert result.unit.custodian_name == "Carl Courier"
    sent = [m for m in messages if m and m[0] == "F"]
    trips = [m for m in sent if len(m) > 2 and m[2] in ("Sync", "Query")]
    assert len(trips) == 3, trips


@pytest.mark.postgres
def test_a_read_that_ends_in_an_exception_keeps_the_prepared_statements(any_db_postgresql) -> None:  # type: ignore[no-untyped-def]
    """A read transaction an exception ended (an enrolment's rehearsal, which stops at
    its first append; a case that is not known) used to end with ROLLBACK, after which
    psycopg deallocated every prepared statement of the connection: a DEALLOCATE ALL
    round trip, and the next handoff parsed its statements afresh. A read-only
    transaction changes nothing either way, so it now ends with COMMIT; one the server
    failed still ends with ROLLBACK, and the connection goes on."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from cart_chain.domain.errors import NotFound
    from cart_chain.domain.identifiers import Coi
    from cart_chain.services.case_detail import show_case

    db = populate(any_db_postgresql)
    handoff = _handoff(db)
    handoff()
    known = enrol(db, "Known Patient")
    unknown = Coi(known[:-7] + "999999").full
    with _pg_messages(db) as messages:
        enrol(db, "Rehearsed Patient")
        with pytest.raises(NotFound):
            show_case(db, unknown)
    sent = ["\t".join(m) for m in messages if m and m[0] == "F"]
    assert not [m for m in sent if "DEALLOCATE" in m or '"ROLLBACK"' in m], sent
    assert any('"COMMIT"' in m for m in sent)
    # A statement the server refused: that transaction is rolled back, and the next works.
    with _pg_messages(db) as messages, pytest.raises(DBAPIError):
        db.read(lambda s: s.execute(text("SELECT 1 / 0")).all())
    assert any('"ROLLBACK"' in "\t".join(m) for m in messages if m and m[0] == "F")
    assert db.read(lambda s: s.execute(text("SELECT 41 + 1")).scalar()) == 42


def test_the_last_checkpoint_read_keeps_one_plan_on_postgresql(any_db_postgresql) -> None:  # type: ignore[no-untyped-def]
    """Every signed write asks when the last checkpoint was. That read bound its
    constants (the 0 of ``max(seq + 0)``, the kinds) as parameters, and PostgreSQL may
    plan such a statement afresh at each execution: at 10k entries it did, 0.29 ms of
    every handoff in the server's log. With its constants in its SQL, the prepared
    statement takes no parameter and keeps its one plan."""
    db = populate(any_db_postgresql)
    for n in range(3):
        walk(db, unit_of(enrol(db, f"Patient {n}")), 4)  # over a dozen signed writes

    def plans(session) -> list[tuple[Any, ...]]:  # type: ignore[no-untyped-def]
        return [
            tuple(r)
            for r in session.execute(
                text(
                    "SELECT parameter_types::text, generic_plans, custom_plans "
                    "FROM pg_prepared_statements WHERE statement LIKE :read"
                ),
                {"read": "%max(ledger_entries.seq +%"},
            )
        ]

    found = db.read(plans)
    assert found, "the read of the last checkpoint was never prepared on this connection"
    assert found == [("{}", found[0][1], 0)] and found[0][1] > 0, found
