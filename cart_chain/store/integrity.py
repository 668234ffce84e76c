"""The guards around the ledger that `verify` checks besides the records themselves.

A chain that verifies proves nothing about tomorrow if the triggers that refuse
UPDATE and DELETE were dropped or disabled, and a schema version row that does
not match the tables sends upgrades astray. Each check here reads the database
catalogue in one query and returns the first `Problem`, or None.
"""

from __future__ import annotations

import re

from sqlalchemy import inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from cart_chain.store.db_errors import is_corruption
from cart_chain.store.models import APPEND_ONLY_TABLES, Base
from cart_chain.store.schema import HEAD, version_mismatch
from cart_chain.store.verify import Problem

#: SQLite: one trigger per action, as `migrations/append_only.py` creates them.
_SQLITE_GUARD = re.compile(
    r"CREATE\s+TRIGGER\s+\S+\s+BEFORE\s+(UPDATE|DELETE)\s+ON\s+[\"`\[]?(\w+)[\"`\]]?\s+"
    r"(?:FOR\s+EACH\s+ROW\s+)?BEGIN\s+SELECT\s+RAISE\s*\(\s*ABORT\b",
    re.IGNORECASE,
)
_PG_TRIGGERS = text(
    "SELECT c.relname, t.tgtype, p.prosrc FROM pg_trigger t "
    "JOIN pg_class c ON c.oid = t.tgrelid "
    "JOIN pg_namespace n ON n.oid = c.relnamespace "
    "JOIN pg_proc p ON p.oid = t.tgfoid "
    "WHERE n.nspname = current_schema() AND NOT t.tgisinternal AND t.tgenabled IN ('O', 'A')"
)
# pg_trigger.tgtype bits (src/include/catalog/pg_trigger.h)
_ROW, _BEFORE, _DELETE, _UPDATE, _TRUNCATE = 1, 2, 8, 16, 32


def _guarded_sqlite(session: Session) -> dict[str, set[str]]:
    rows = session.execute(text("SELECT sql FROM sqlite_master WHERE type = 'trigger'"))
    guarded: dict[str, set[str]] = {}
    for (sql,) in rows:
        m = _SQLITE_GUARD.match(sql or "")
        if m:
            guarded.setdefault(m.group(2).lower(), set()).add(m.group(1).upper())
    return guarded


def _guarded_pg(session: Session) -> dict[str, set[str]]:
    guarded: dict[str, set[str]] = {}
    for table, tgtype, source in session.execute(_PG_TRIGGERS):
        if not tgtype & _BEFORE or "raise exception" not in (source or "").lower():
            continue
        actions = guarded.setdefault(table, set())
        if tgtype & _ROW:
            actions.update(
                a for bit, a in ((_UPDATE, "UPDATE"), (_DELETE, "DELETE")) if tgtype & bit
            )
        elif tgtype & _TRUNCATE:
            actions.add("TRUNCATE")
    return guarded


def trigger_problem(session: Session) -> Problem | None:
    """The first append-only table whose UPDATE, DELETE (or TRUNCATE) guard is missing."""
    if session.get_bind().dialect.name == "sqlite":
        guarded, needed = _guarded_sqlite(session), ("UPDATE", "DELETE")
    else:
        guarded, needed = _guarded_pg(session), ("UPDATE", "DELETE", "TRUNCATE")
    for table in APPEND_ONLY_TABLES:
        missing = [a for a in needed if a not in guarded.get(table, set())]
        if missing:
            return Problem(
                0,
                table,
                f"no enabled trigger refuses {' or '.join(missing)}: the append-only guard "
                "was removed, so records could be changed without a trace",
            )
    return None


def schema_problem(session: Session) -> Problem | None:
    """The version row must be exactly one, name this code's head, and match the tables."""
    found = list(session.execute(text("SELECT version_num FROM alembic_version")).scalars())
    if len(found) != 1:
        return Problem(0, "alembic_version", f"{len(found)} schema version rows instead of one")
    version = found[0]
    tables = set(inspect(session.connection()).get_table_names())
    mismatch = version_mismatch(version, tables)
    if mismatch is not None:
        return Problem(0, "alembic_version", mismatch)
    if version != HEAD:
        return Problem(
            0,
            "alembic_version",
            f"schema version {version!r} is not this cart-chain's ({HEAD!r})",
        )
    return None


def missing_table(session: Session) -> Problem | None:
    """A table the models need and the database lacks (then the chain cannot be read)."""
    missing = sorted(
        set(Base.metadata.tables) - set(inspect(session.connection()).get_table_names())
    )
    if not missing:
        return None
    return Problem(0, missing[0], "table is missing (dropped, or the schema is not cart-chain's)")


def storage_problem(session: Session) -> Problem | None:
    """SQLite's own check of every page (``PRAGMA quick_check``), or None when sound.

    The records check reads only the pages that hold them: a damaged index or
    free page passes it, yet the file is not sound and the next write may land
    on it. PostgreSQL guards its own pages (and reports damage as an error).
    """
    if session.get_bind().dialect.name != "sqlite":
        return None
    try:
        rows = session.execute(text("PRAGMA quick_check"))
        found = [" ".join(str(r[0]).split()) for r in rows]  # one line each
    except DBAPIError as err:
        if not is_corruption(err):
            raise
        found = [f"SQLite error {getattr(err.orig, 'sqlite_errorname', 'SQLITE_CORRUPT')}"]
    if found == ["ok"]:
        return None
    return Problem(
        0,
        "database file",
        f"SQLite's integrity check (PRAGMA quick_check) reports {len(found)} problem(s), "
        f"first: {found[0][:200]}; the file is corrupt even where every hash checks: "
        "restore the latest backup with 'cart-chain restore BACKUP_FILE --replace'",
    )
