"""Fixtures every folder of tests/ shares: a fresh database per test, on SQLite and
(when reachable) PostgreSQL, and the run's environment.

``db`` is a fresh SQLite file; ``any_db`` runs the test on SQLite and again on a
fresh PostgreSQL schema. PostgreSQL comes from $CART_CHAIN_TEST_PG (tests/pg_server.py:
the local server by default; under pytest-xdist each worker makes a database of its own
there, dropped here when the session ends); when none can be reached its tests are
skipped with a message saying so. ``media`` is a small tmpfs (tests/tmpfs.py) for the
tests of full and read-only media. A fixture that only one folder uses is in that
folder's conftest.py; plain helpers (the test users, `enrol`, `walk`) are in
tests/helpers.py.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# One site key for the whole run, never the user's own (`init` writes it there); the
# CLI subprocesses inherit it. Tests of other keys set their own path.
os.environ["CART_CHAIN_SITE_KEY"] = os.path.join(tempfile.mkdtemp(), "site-key.pem")
os.environ["CART_CHAIN_VERIFY_MARKS"] = os.path.join(tempfile.mkdtemp(), "verified.json")
# The app's state folder too (platformdirs honours XDG_STATE_HOME): every `cli.main` opens
# the crash log there, and a bug is logged there. One per test process, not the user's
# ~/.local/state/cart-chain, which every test process and the user's own app shared.
os.environ["XDG_STATE_HOME"] = tempfile.mkdtemp(prefix="cart-chain-state-")
os.environ.pop("CART_CHAIN_SITE_KEY_PASSPHRASE", None)

from cart_chain.services import passwords
from cart_chain.store.database import Database
from tests import pg_server, tmpfs
from tests.helpers import populate

#: Accounts the tests make in this process get low-cost argon2id hashes. A run checks
#: some 10,000 passwords and makes 3,000 hashes: at the production cost (19 MiB, t=2) that
#: was 40% of the suite. Checking is the real code (argon2 reads the cost from the hash).
#: Hashes at the production cost are still made by tests marked ``real_argon2``, by every
#: CLI and app subprocess, and for an unknown user name (`passwords.DUMMY_HASH`).
CHEAP_ARGON2 = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
PRODUCTION_HASH = passwords.hash_password
passwords.hash_password = CHEAP_ARGON2.hash


@pytest.fixture(autouse=True)
def _production_argon2_when_marked(request: pytest.FixtureRequest, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    if request.node.get_closest_marker("real_argon2") is not None:
        monkeypatch.setattr(passwords, "hash_password", PRODUCTION_HASH)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop this worker's database, with any connection a test left open."""
    pg_server.drop_worker_database()


@pytest.fixture
def db(tmp_path) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    database = Database(str(tmp_path / "cart-chain.sqlite3"))
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def any_db(request, tmp_path) -> Iterator[Database]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        database = Database(str(tmp_path / "cart-chain.sqlite3"))
        yield database
        database.dispose()
        return
    if not pg_server.pg_available():
        pytest.skip(pg_server.unreachable())
    pg = pg_server.make_pg_schema()
    database = Database(pg.url)
    try:
        yield database
    finally:
        database.dispose()
        pg_server.drop_pg_schema(pg.schema)


@pytest.fixture
def any_db_postgresql() -> Iterator[Database]:
    """A fresh PostgreSQL schema (skipped, saying why, when no server is reachable)."""
    if not pg_server.pg_available():
        pytest.skip(pg_server.unreachable())
    pg = pg_server.make_pg_schema()
    database = Database(pg.url)
    try:
        yield database
    finally:
        database.dispose()
        pg_server.drop_pg_schema(pg.schema)


@pytest.fixture(scope="session")
def populated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One SQLite file populated once per run: every user is added by the administrator
    and changes their temporary password (~40 argon2 runs, too slow to repeat per test)."""
    path = tmp_path_factory.mktemp("populated") / "cart-chain.sqlite3"
    database = Database(str(path))
    populate(database)
    with database.engine.connect() as conn:  # fold the WAL in: one file to copy
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    database.dispose()
    return path


@pytest.fixture
def ready_db(db: Database, populated_sqlite: Path) -> Database:
    """A SQLite database with the administrator and all test users (a fresh copy)."""
    assert db.path is not None and not db.path.exists()
    shutil.copy(populated_sqlite, db.path)
    return db


@pytest.fixture
def ready_any_db(any_db: Database) -> Database:
    """Like ``ready_db``, on SQLite and PostgreSQL."""
    return populate(any_db)


@pytest.fixture
def media(tmp_path: Path) -> Iterator[Path]:
    """A small tmpfs to fill, then remount read-only with `tmpfs.make_read_only`."""
    yield from tmpfs.mounted(tmp_path, "media", "8m")
