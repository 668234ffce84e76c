"""Schema version: upgrade through Alembic, refuse a database newer than this code.

Alembic is imported only when a migration must actually run: reading the
version is one query, and start-up should not pay for Alembic's import.

The version row is trusted only when the tables agree with it: a row changed by
hand (or left behind by a broken upgrade) would otherwise send every command
into a migration that fails, each leaving one more pre-upgrade copy. Such a
database is refused (`SchemaMismatch`) until `verify` and a restore sort it out.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError

from cart_chain.domain.errors import DatabaseUnavailable, SchemaMismatch, SchemaTooNew
from cart_chain.store.database import Database
from cart_chain.store.db_errors import translate

#: Every revision this code knows, oldest first; the last is the head.
REVISIONS: tuple[str, ...] = (
    "0001",
    "0002",
    "0003",
    "0004",
    "0005",
    "0006",
    "0007",
    "0008",
    "0009",
    "0010",
)
HEAD = REVISIONS[-1]
MIGRATIONS = Path(__file__).with_name("migrations")
#: The tables each revision creates (tests/store/test_schema.py proves it against the migrations).
TABLES_ADDED: dict[str, frozenset[str]] = {
    "0001": frozenset(
        {
            "ledger_entries",
            "users",
            "user_changes",
            "settings",
            "cases",
            "units",
            "events",
            "signatures",
            "corrections",
        }
    ),
    "0002": frozenset({"label_prints", "label_voids"}),
    "0003": frozenset({"patient_events", "deviations", "deviation_reviews", "gate_overrides"}),
    "0004": frozenset({"dins", "case_links"}),
    "0005": frozenset({"tree_hashes"}),
    "0007": frozenset({"condition_logs", "condition_files"}),
    "0008": frozenset({"case_index"}),
    "0009": frozenset({"case_profiles"}),
    "0010": frozenset({"refused_scans"}),
}
_OURS = frozenset().union(*TABLES_ADDED.values())

State = Literal["empty", "current", "outdated"]


def tables_at(revision: str) -> frozenset[str]:
    """The cart-chain tables a database at ``revision`` has."""
    upto = REVISIONS[: REVISIONS.index(revision) + 1]
    return frozenset().union(*(TABLES_ADDED.get(r, frozenset()) for r in upto))


def version_mismatch(version: str | None, tables: set[str]) -> str | None:
    """Why the version row cannot be trusted for these tables, or None when it can."""
    if version not in REVISIONS:
        return None  # unknown: a newer cart-chain, see `state`
    present = tables & _OURS
    want = tables_at(version)
    if present == want:
        return None
    missing, extra = sorted(want - present), sorted(present - want)
    return (
        f"the schema version row says {version!r} but the tables do not match it"
        + (f" (missing: {', '.join(missing)})" if missing else "")
        + (f" (tables of a later version: {', '.join(extra)})" if extra else "")
    )


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
            versions = conn.execute(text("SELECT version_num FROM alembic_version")).scalars()
            found = list(versions)
    except DBAPIError as err:
        problem = translate(err, db.where)
        if problem is not None:
            raise problem from err
        raise
    if len(found) != 1:
        raise SchemaMismatch(
            f"{db.where} has {len(found)} schema version rows instead of one; "
            "run 'cart-chain verify', and restore from a backup if it fails"
        )
    version = found[0]
    problem = version_mismatch(version, names)
    if problem is not None:
        raise SchemaMismatch(
            f"{db.where}: {problem}; the row was changed or an upgrade broke, and nothing "
            "was upgraded. Run 'cart-chain verify', and restore from a backup if it fails"
        )
    if version == HEAD:
        return "current"
    if version in REVISIONS:
        return "outdated"
    raise SchemaTooNew(
        f"{db.where} has schema version {version!r}, newer than this cart-chain knows "
        f"({HEAD}): install the newer cart-chain that wrote it (if none did, the version "
        "row was changed: run 'cart-chain verify' and restore from a backup)"
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
