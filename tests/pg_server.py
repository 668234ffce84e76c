"""The PostgreSQL server the tests use, and a fresh schema on it for each test.

It is $CART_CHAIN_TEST_PG (default: the local server, database ``test``); under
pytest-xdist each worker makes a database of its own there, `_WORKER_DB`. The
fixtures ``any_db`` and ``any_db_postgresql`` (tests/conftest.py, which also drops the
worker's database when the session ends) take their schemas from here, and so does
tests/services/test_custody_stateful.py, whose state machine needs one per sequence
rather than per test and so calls `make_pg_schema` itself: a plain module, since
pytest discourages importing from a conftest module.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass

from sqlalchemy.engine import make_url

PG_SERVER_URL = os.environ.get(
    "CART_CHAIN_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
#: A pytest-xdist worker's own database on that server, made on first use and dropped
#: when the worker ends; named by the worker and the run, so two runs never share one.
#: Each test's schema is its own anyway, but the ledger's advisory lock
#: (`store.database`) is one per database: in a shared database every write of one
#: worker waited for the other's (pg_locks showed it), which a serial run never does.
_WORKER_DB = (
    f"{make_url(PG_SERVER_URL).database}_{os.environ['PYTEST_XDIST_WORKER']}"
    f"_{os.environ.get('PYTEST_XDIST_TESTRUNUID', uuid.uuid4().hex)[:8]}"
    if os.environ.get("PYTEST_XDIST_WORKER")
    else None
)
PG_URL = (
    make_url(PG_SERVER_URL).set(database=_WORKER_DB).render_as_string(hide_password=False)
    if _WORKER_DB
    else PG_SERVER_URL
)

_pg_error: str | None = None
_worker_db_made = False


def _libpq(url: str) -> str:
    return url.replace("postgresql+psycopg", "postgresql")


def _make_worker_database() -> None:
    """This worker's database (`_WORKER_DB`), on first use; none outside pytest-xdist."""
    global PG_URL, _worker_db_made
    if _WORKER_DB is None or _worker_db_made:
        return
    import psycopg

    with psycopg.connect(_libpq(PG_SERVER_URL), autocommit=True, connect_timeout=3) as conn:
        try:
            conn.execute(f'CREATE DATABASE "{_WORKER_DB}"')
            _worker_db_made = True
        except psycopg.errors.InsufficientPrivilege:  # no CREATEDB: share the database
            PG_URL = PG_SERVER_URL


def drop_worker_database() -> None:
    """Drop this worker's database, with any connection a test left open."""
    if _worker_db_made:
        import psycopg

        with psycopg.connect(_libpq(PG_SERVER_URL), autocommit=True, connect_timeout=3) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{_WORKER_DB}" WITH (FORCE)')


def pg_available() -> bool:
    global _pg_error
    if _pg_error is not None:
        return _pg_error == ""
    try:
        import psycopg

        _make_worker_database()
        with psycopg.connect(_libpq(PG_URL), connect_timeout=3):
            _pg_error = ""
    except Exception as exc:  # any failure to connect means: skip, and say why
        _pg_error = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return _pg_error == ""


def unreachable() -> str:
    """Why `pg_available` said no: the skip message of a PostgreSQL test."""
    return f"PostgreSQL not reachable at {PG_URL}: {_pg_error}"


@dataclass
class PgSchema:
    url: str
    schema: str


def make_pg_schema() -> PgSchema:
    import psycopg

    _make_worker_database()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(PG_URL), autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    sep = "&" if "?" in PG_URL else "?"
    return PgSchema(f"{PG_URL}{sep}options=-csearch_path%3D{schema}", schema)


def drop_pg_schema(schema: str) -> None:
    import psycopg

    with psycopg.connect(_libpq(PG_URL), autocommit=True) as conn:
        conn.execute(f"DROP SCHEMA IF EXISTS {schema} CASCADE")
