"""Schema version: upgrade through Alembic, refuse a database newer than this code.

Alembic is imported only when a migration must actually run: reading the
version is one query, and start-up should not pay for Alembic's import.
"""

from __future__ import annotations

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


def upgrade(db: Database) -> None:
    """Bring the schema to the head revision (a no-op when it is already there)."""
    if state(db) == "current":
        return
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
