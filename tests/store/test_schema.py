"""Migrations, schema versions, and databases that must be refused."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
from sqlalchemy import text

from cart_chain.domain.errors import DatabaseLocked, DatabaseUnavailable, SchemaTooNew
from cart_chain.store import database as database_module
from cart_chain.store import schema
from cart_chain.store.database import Database, resolve_url
from cart_chain.store.filesystems import filesystem_type, is_network_path
from cart_chain.store.models import Base
from tests.helpers import creds, enrol, populate


def test_migration_chain_is_linear_and_ends_at_the_known_head() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(schema.MIGRATIONS))
    script = ScriptDirectory.from_config(cfg)
    assert script.get_heads() == [schema.HEAD]
    chain = [rev.revision for rev in script.walk_revisions()]
    assert list(reversed(chain)) == list(schema.REVISIONS)


def test_migrated_schema_matches_the_models(any_db: Database) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    schema.upgrade(any_db)
    with any_db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_sqlite_runs_wal_with_full_sync_and_foreign_keys(db: Database) -> None:
    populate(db)
    with db.engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_a_newer_schema_is_refused(db: Database) -> None:
    populate(db)
    conn = sqlite3.connect(str(db.path))
    conn.execute("UPDATE alembic_version SET version_num = '9999'")
    conn.commit()
    conn.close()
    with pytest.raises(SchemaTooNew, match="newer than this cart-chain"):
        schema.state(db)


def test_a_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite3"
    conn = sqlite3.connect(str(path))
    conn.execute("CREATE TABLE cases (id INTEGER)")
    conn.commit()
    conn.close()
    with pytest.raises(DatabaseUnavailable, match="not created by cart-chain"):
        schema.state(Database(str(path)))


def test_network_share_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    mounts = (
        "/dev/vda / ext4 rw 0 0\n"
        "server:/export /mnt/share nfs4 rw 0 0\n"
        "//nas/lab /mnt/lab\\040share cifs rw 0 0\n"
    )
    assert filesystem_type(Path("/mnt/share/db.sqlite3"), mounts) == "nfs4"
    assert is_network_path(Path("/mnt/share/db.sqlite3"), mounts)
    assert is_network_path(Path("/mnt/lab share/x/db.sqlite3"), mounts)
    assert not is_network_path(Path("/home/nurse/db.sqlite3"), mounts)
    assert is_network_path(Path("//nas/lab/db.sqlite3"))
    with pytest.raises(DatabaseUnavailable, match="network share"):
        Database("//nas/lab/cart-chain.sqlite3")
    monkeypatch.setattr(database_module, "is_network_path", lambda p: is_network_path(p, mounts))
    with pytest.raises(DatabaseUnavailable, match="use PostgreSQL"):
        Database("/mnt/share/cart-chain.sqlite3")
    assert Database(str(tmp_path / "local.sqlite3")).is_sqlite


def test_urls() -> None:
    assert resolve_url("/tmp/x.sqlite3") == "sqlite+pysqlite:////tmp/x.sqlite3"
    assert resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert resolve_url(None).endswith("cart-chain.sqlite3")


def test_a_locked_database_is_an_environment_error_and_keeps_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database_module, "BUSY_TIMEOUT_MS", 300)
    db = Database(str(tmp_path / "locked.sqlite3"))
    populate(db)
    holder = sqlite3.connect(str(db.path), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DatabaseLocked, match="nothing was saved"):
            enrol(db)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    from cart_chain.services.case_list import list_cases

    assert list_cases(db) == []
    enrol(db)
    assert len(list_cases(db)) == 1


def test_writers_queue_instead_of_failing(db: Database) -> None:
    """BEGIN IMMEDIATE: a second writer waits for the first instead of erroring half-way."""
    from cart_chain.services.case_list import list_cases

    populate(db)
    errors: list[BaseException] = []

    def enrol_some() -> None:
        try:
            for _ in range(3):
                enrol(db)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=enrol_some) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(list_cases(db)) == 9
    assert creds("alice").username == "alice"
