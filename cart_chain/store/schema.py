"""Schema version: upgrade through Alembic, refuse a database newer than this code.

Alembic is imported only when a migration must actually run: reading the
version is one query, and start-up should not pay for Alembic's import.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from cart_chain.domain.errors import DatabaseUnavailable, SchemaTooNew
from cart_chain.store.database import Database, translate

#: Every revision this code knows, oldest first; the last is the head.
REVISIONS: tuple[str, ...] = ("0001", "0002", "0003")
HEAD = REVISIONS[-1]
MIGRATIONS = Path(__file__).with_name("migrations")

State = Literal["empty", "current", "outdated"]


def state(db: Database) -> State:
    """Where the database stands; raises `SchemaTooNew` or `DatabaseUnavailable`."""
    try:
        with db.engine.connect() as conn:
            names = set(inspect(conn).get_table_names())
            if "alembic_version" not in names:
                if names & {"ledger_entries", "cases"}:
                    raise DatabaseUnavailable(
                        f"{db.where} has tables but no schema version; "
                        "it was not created by cart-chain"
                    )
                return "empty"
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DBAPIError as err:
        problem = translate(err, db.where)
        if problem is not None:
            raise problem from err
        raise
    if version == HEAD:
        return "current"
    if version in REVISIONS:
        return "outdated"
    raise SchemaTooNew(
        f"{db.where} has schema version {version!r}, newer than this cart-chain knows "
        f"({HEAD}); install the newer cart-chain that wrote it"
    )


def sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite database (online backup API), written atomically."""
    import sqlite3

    tmp = target.with_name(f".{target.name}.partial")
    tmp.unlink(missing_ok=True)
    try:
        with (
            sqlite3.connect(f"file:{source}?mode=ro", uri=True) as src,
            sqlite3.connect(str(tmp)) as dst,
        ):
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        dst.close()
        src.close()
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        tmp.unlink(missing_ok=True)
        raise DatabaseUnavailable(f"cannot copy {source}: {exc}") from exc
    except OSError:
        tmp.unlink(missing_ok=True)
        raise


def upgrade(db: Database) -> Path | None:
    """Bring the schema to the head revision (a no-op when it is already there).

    An existing SQLite database is first copied beside itself
    (``<name>.pre-<revision>-<UTC time>.sqlite3``), so an upgrade that goes wrong
    can be undone from the copy; the path of the copy is returned.
    """
    current = state(db)
    if current == "current":
        return None
    saved = None
    if current == "outdated" and db.path is not None:
        from datetime import UTC, datetime

        with db.engine.connect() as conn:
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        saved = db.path.with_name(f"{db.path.stem}.pre-{HEAD}-from-{version}-{stamp}.sqlite3")
        sqlite_copy(db.path, saved)
    from alembic import command
    from alembic.config import Config

    if db.path is not None:
        db.path.parent.mkdir(parents=True, exist_ok=True)
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    try:
        with db.engine.begin() as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except DBAPIError as err:
        problem = translate(err, db.where)
        if problem is not None:
            raise problem from err
        raise
    return saved
