"""Environment errors are told from bugs by the driver's error code, never its wording.

A PostgreSQL server with ``lc_messages = 'de_DE'`` says "konnte Sperre nicht
setzen", not "could not obtain lock"; a matcher on English text then calls a
locked database a bug. These tests give real driver errors and errors worded in
another language, and expect the same classification.
"""

from __future__ import annotations

import sqlite3
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError, OperationalError

from cart_chain.domain.errors import DatabaseLocked, DatabaseUnavailable, StorageFull
from cart_chain.store.database import Database
from cart_chain.store.db_errors import translate


def _sqlite_error(message: str, code: int) -> OperationalError:
    orig = sqlite3.OperationalError(message)
    orig.sqlite_errorcode = code  # type: ignore[attr-defined]
    return OperationalError("INSERT ...", {}, orig)


@pytest.mark.parametrize(
    ("message", "code", "expected"),
    [
        ("Datenbank ist gesperrt", 5, DatabaseLocked),  # SQLITE_BUSY
        ("Tabelle ist gesperrt", 6, DatabaseLocked),  # SQLITE_LOCKED
        ("Datenträger voll", 13, StorageFull),  # SQLITE_FULL
        ("E/A-Fehler", 778, StorageFull),  # SQLITE_IOERR_WRITE (extended code)
        ("kann nicht öffnen", 14, DatabaseUnavailable),  # SQLITE_CANTOPEN
        ("nur lesbar", 8, DatabaseUnavailable),  # SQLITE_READONLY
        ("keine Datenbank", 26, DatabaseUnavailable),  # SQLITE_NOTADB
    ],
)
def test_sqlite_errors_are_classified_by_result_code(
    message: str, code: int, expected: type[Exception]
) -> None:
    assert isinstance(translate(_sqlite_error(message, code), "the database"), expected)


def test_an_english_sqlite_message_without_its_code_is_not_taken_for_the_environment() -> None:
    """The wording alone decides nothing: a code-less error stays a bug, shown as one."""
    err = OperationalError("SELECT", {}, sqlite3.OperationalError("database is locked"))
    assert translate(err, "the database") is None


def test_a_real_sqlite_busy_database_is_locked(tmp_path: Path) -> None:
    path = tmp_path / "busy.sqlite3"
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    engine = create_engine(f"sqlite+pysqlite:///{path}", connect_args={"timeout": 0.05})
    try:
        with pytest.raises(DBAPIError) as info, engine.begin() as conn:
            conn.execute(text("INSERT INTO t VALUES (1)"))
        assert isinstance(translate(info.value, "busy.sqlite3"), DatabaseLocked)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        engine.dispose()


psycopg = pytest.importorskip("psycopg")


@pytest.mark.parametrize(
    ("error", "expected"),
    [
        (psycopg.errors.LockNotAvailable("FEHLER: konnte Sperre nicht setzen"), DatabaseLocked),
        (psycopg.errors.DiskFull("FEHLER: kein Platz mehr auf dem Gerät"), StorageFull),
        (psycopg.errors.AdminShutdown("FATAL: Verbindung wird beendet"), DatabaseUnavailable),
        (psycopg.errors.TooManyConnections("FATAL: zu viele Verbindungen"), DatabaseUnavailable),
        (
            psycopg.errors.InvalidCatalogName("FATAL: Datenbank existiert nicht"),
            DatabaseUnavailable,
        ),
        (psycopg.errors.DataCorrupted("FEHLER: ungültige Seite"), DatabaseUnavailable),
        # No SQLSTATE at all: the client never reached a server.
        (psycopg.OperationalError("Verbindung zum Server fehlgeschlagen"), DatabaseUnavailable),
    ],
)
def test_postgresql_errors_are_classified_by_sqlstate_in_any_language(
    error: Exception, expected: type[Exception]
) -> None:
    assert isinstance(translate(OperationalError("SQL", {}, error), "the server"), expected)


def test_a_postgresql_bug_is_not_the_environment() -> None:
    err = DBAPIError("SELECT", {}, psycopg.errors.UndefinedColumn("Spalte existiert nicht"))
    assert translate(err, "the server") is None


@pytest.mark.postgres
def test_a_real_postgresql_lock_timeout_is_locked(any_db_postgresql: Database) -> None:
    """On a fresh schema of the test server (tests/pg_server.py; skipped, saying why, when
    none is reachable), through an engine of its own: not the app's, which sets its own
    lock timeout on every transaction."""
    engine = create_engine(any_db_postgresql.url)
    table = f"lock_probe_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.execute(text(f"CREATE TABLE {table} (x int)"))
    try:
        with engine.connect() as holder, holder.begin():
            holder.execute(text(f"LOCK TABLE {table} IN ACCESS EXCLUSIVE MODE"))
            with pytest.raises(DBAPIError) as info, engine.connect() as other, other.begin():
                other.execute(text("SET LOCAL lock_timeout = '100ms'"))
                other.execute(text(f"SELECT * FROM {table}"))
        assert info.value.orig.sqlstate == "55P03"
        assert isinstance(translate(info.value, "the server"), DatabaseLocked)
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"DROP TABLE {table}"))
        engine.dispose()
