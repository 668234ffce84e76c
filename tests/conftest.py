"""Shared fixtures: a fresh database per test, on SQLite and (when reachable) PostgreSQL.

``db`` is a fresh SQLite file; ``any_db`` runs the test on SQLite and again on a
fresh PostgreSQL schema. PostgreSQL comes from $CART_CHAIN_TEST_PG (default: the
local server, database ``test``; under pytest-xdist each worker makes a database of
its own there, `_WORKER_DB`); when none can be reached its tests are skipped with a
message saying so.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy.engine import make_url

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

from cart_chain.domain.steps import CONDITION_STEPS, Step
from cart_chain.services import passwords, setup
from cart_chain.services.accounts import Credentials
from cart_chain.services.demo import JOURNEY as DEMO_JOURNEY
from cart_chain.services.demo import add_user_with_own_password
from cart_chain.store.database import Database

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

ADMIN = ("admin", "Ada Administrator", "administrator", "admin-secret-1")
#: Test users: one or two per role, so every handoff has two distinct signers.
USERS = (
    ("alice", "Alice Apheresis", "apheresis"),
    ("anna", "Anna Apheresis", "apheresis"),
    ("carl", "Carl Courier", "courier"),
    ("cora", "Cora Courier", "courier"),
    ("lena", "Lena Labtech", "cell_lab"),
    ("leo", "Leo Labtech", "cell_lab"),
    ("quinn", "Quinn Quality", "qa"),
    ("ines", "Ines Infusion", "infusion"),
    ("ivan", "Ivan Infusion", "infusion"),
)


def password(username: str) -> str:
    return f"{username}-secret-1"


def creds(username: str) -> Credentials:
    return Credentials(username, ADMIN[3] if username == ADMIN[0] else password(username))


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


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Drop this worker's database, with any connection a test left open."""
    if _worker_db_made:
        import psycopg

        with psycopg.connect(_libpq(PG_SERVER_URL), autocommit=True, connect_timeout=3) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{_WORKER_DB}" WITH (FORCE)')


def _pg_available() -> bool:
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
    if not _pg_available():
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {_pg_error}")
    pg = make_pg_schema()
    database = Database(pg.url)
    try:
        yield database
    finally:
        database.dispose()
        drop_pg_schema(pg.schema)


@pytest.fixture
def any_db_postgresql() -> Iterator[Database]:
    """A fresh PostgreSQL schema (skipped, saying why, when no server is reachable)."""
    if not _pg_available():
        pytest.skip(f"PostgreSQL not reachable at {PG_URL}: {_pg_error}")
    pg = make_pg_schema()
    database = Database(pg.url)
    try:
        yield database
    finally:
        database.dispose()
        drop_pg_schema(pg.schema)


def populate(database: Database) -> Database:
    """Initialise ``database`` with the administrator and every test user."""
    setup.init_database(database, ADMIN[0], ADMIN[1], ADMIN[3])
    for username, full, role in USERS:
        add_user_with_own_password(
            database, creds("admin"), username, full, role, password(username)
        )
    return database


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


#: The whole journey in order: step, signer, second signer.
JOURNEY = (
    ("collection", "alice", "anna"),
    ("ship_to_manufacturing", "alice", "carl"),
    ("receipt_at_manufacturing", "carl", "lena"),
    ("engineering", "lena", None),
    ("expansion", "lena", None),
    ("cryopreservation", "leo", None),
    ("release", "quinn", "lena"),
    ("storage", "leo", None),
    ("ship_to_site", "leo", "cora"),
    ("receipt_at_site", "cora", "ines"),
    ("thaw", "ines", "ivan"),
    ("infusion", "ines", "ivan"),
)


#: The bag's condition as a receiver states it (both receipts, thaw, infusion need one).
CONDITION = "intact, no leaks"


def condition_for(step: str) -> str | None:
    """`CONDITION` for a step that must state one (`steps.CONDITION_STEPS`), else None."""
    return CONDITION if Step(step) in CONDITION_STEPS else None


def enrol(database: Database, name: str = "Test Patient", bags: int = 1) -> str:
    from cart_chain.services.cases import new_case

    return new_case(database, creds("alice"), name, "1970-01-01", "MRN-1", "Kymriah", bags).subject


#: A temperature for each step inside every shipped profile's limits: the demo journey's.
TEMPERATURES = {step: temp for step, _by, _to, _where, temp, _hours in DEMO_JOURNEY}


def prepare_patient(database: Database, unit: str) -> None:
    """What must be true before infusion: lymphodepletion in its window, a bedside check."""
    from datetime import UTC, datetime, timedelta

    from cart_chain.services.case_detail import show_case
    from cart_chain.services.readiness import bedside_check, record_patient_event

    detail = show_case(database, unit)
    ld = [e.kind for e in detail.patient_events]
    now = datetime.now(UTC)
    if "lymphodepletion_end" not in ld:
        record_patient_event(
            database,
            detail.coi,
            "lymphodepletion_start",
            creds("ines"),
            occurred_at=now - timedelta(days=6),
            detail="Flu/Cy",
        )
        record_patient_event(
            database,
            detail.coi,
            "lymphodepletion_end",
            creds("ines"),
            occurred_at=now - timedelta(days=3),
            detail="Flu/Cy",
        )
    bedside_check(
        database, unit, detail.patient_name, detail.patient_dob, creds("ines"), creds("ivan")
    )


def walk(database: Database, unit: str, steps: int = len(JOURNEY)) -> list[int]:
    """Record the first ``steps`` steps of the journey for ``unit``; returns entry numbers.

    Temperatures are inside the profile's limits, and before infusion the patient
    is made ready (lymphodepletion ended 3 days ago, bedside check passed).
    """
    from cart_chain.services.custody import record_event

    seqs = []
    for step, by, to in JOURNEY[:steps]:
        if step == "infusion":
            prepare_patient(database, unit)
        r = record_event(
            database,
            unit,
            step,
            creds(by),
            creds(to) if to else None,
            location=f"{step} room",
            temperature_c=TEMPERATURES[step],
            condition=condition_for(step),
        )
        seqs.append(r.seq)
    return seqs


def unit_of(coi: str, number: int = 1) -> str:
    from cart_chain.domain.identifiers import parse_coi

    return parse_coi(coi).unit(number).full
