"""Opening the database for an interactive workstation.

The GUI may not import the store (layers are one-way), yet it has to open a
database, bring its schema up to date and tell an empty file from a ready one.
These functions are that seam. They are imported only after the login window is
on screen, because SQLAlchemy and Alembic cost about a second to import.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from cart_chain.domain.errors import (
    AlreadyExists,
    DatabaseUnavailable,
    InvalidValue,
    StorageFull,
)
from cart_chain.domain.identifiers import validate_fin
from cart_chain.domain.text import clean_name
from cart_chain.services import settings
from cart_chain.services.setup import init_database, is_initialised
from cart_chain.store.database import Database, default_path, resolve_url
from cart_chain.store.schema import state, upgrade

if TYPE_CHECKING:
    from cart_chain.services.demo import DemoResult

__all__ = [
    "Database",
    "FirstAdministrator",
    "OpenedDatabase",
    "check_first_administrator",
    "check_new_location",
    "create_database",
    "create_demo",
    "default_location",
    "describe",
    "location_exists",
    "open_database",
]

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class OpenedDatabase:
    """A database ready for log-in, with what the workstation shows about it."""

    db: Database
    where: str
    initialised: bool
    facility: str
    inactivity_minutes: int
    #: The copy of the database made before an upgrade of its schema (SQLite), if any.
    backup: Path | None = None


def default_location() -> str:
    """Where the per-user SQLite file lives when no location was configured."""
    return str(default_path())


def describe(url: str | None) -> str:
    """The resolved URL a location setting stands for (for the administration screen)."""
    return resolve_url(url)


def open_database(url: str | None) -> OpenedDatabase:
    """Open ``url``, upgrade an outdated schema, and read what log-in needs.

    An empty database is reported (``initialised`` False) rather than created:
    creating the first administrator is a deliberate act done with
    ``cart-chain init``, not a side effect of starting the app.
    """
    return _open(Database(url))


def _open(db: Database) -> OpenedDatabase:
    """`open_database` on an already constructed `Database` (disposed on failure)."""
    backup = None
    try:
        found = state(db)
        if found == "empty":
            return OpenedDatabase(db, db.where, False, settings.DEFAULT_FACILITY, 5)
        if found == "outdated":
            backup = upgrade(db)
        ready = is_initialised(db)
        facility = settings.get(db, "facility")
        minutes = int(settings.get(db, "inactivity_minutes"))
    except Exception:
        db.dispose()
        raise
    return OpenedDatabase(db, db.where, ready, facility, minutes, backup)


def check_location(url: str) -> str:
    """Validate a new database location before an administrator saves it.

    Opening it proves the path is local, reachable and a cart-chain database
    (or empty); the connection is closed again at once.
    """
    opened = open_database(url)
    opened.db.dispose()
    if not opened.initialised:
        raise DatabaseUnavailable(
            f"{opened.where} holds no cart-chain records yet; initialise it with "
            "'cart-chain init' first"
        )
    return opened.where


# -- first run ----------------------------------------------------------------------


def location_exists(url: str | None) -> bool:
    """Whether ``url`` may already hold a database, without creating anything.

    A SQLite file that is missing (or empty, as a bare connection leaves it) is a
    first run: the GUI offers the set-up wizard instead of opening it, since
    opening would create the file (or fail when its folder does not exist yet).
    A PostgreSQL location always "exists"; whether it is empty is known only
    once `open_database` has connected.
    """
    db = Database(url)
    db.dispose()
    if db.path is None:
        return True
    try:
        return db.path.stat().st_size > 0
    except OSError:
        return False


def check_new_location(url: str) -> str:
    """Validate where a new database would go, creating nothing; returns its description.

    Refuses what `Database` refuses (SQLite on a network share, in memory) and a
    SQLite file that already has users, so the wizard never writes into someone's
    records. PostgreSQL is not contacted here (that can take a network
    timeout); creation reports an initialised server database instead.
    """
    if not url.strip():
        raise InvalidValue("give the database file, or a PostgreSQL URL for shared use")
    db = Database(url)
    try:
        if db.path is not None and db.path.exists():
            if db.path.is_dir():
                raise InvalidValue(f"{db.path} is a folder; give a file name inside it")
            # A schema without users (an interrupted 'cart-chain init') may still be
            # given its first administrator; a database with users is someone's records.
            if db.path.stat().st_size > 0 and state(db) != "empty" and is_initialised(db):
                raise AlreadyExists(
                    f"{db.where} already holds cart-chain records; choose a new file name"
                )
    finally:
        db.dispose()
    return db.where


@dataclass(frozen=True, slots=True)
class FirstAdministrator:
    """The first administrator and facility of a new database, already validated."""

    username: str
    full_name: str
    password: str = field(repr=False)
    facility: str = ""


def check_first_administrator(
    username: str, full_name: str, password: str, facility: str
) -> FirstAdministrator:
    """Apply every rule `init_database` applies, before anything is written.

    `init_database` creates the schema before it checks the password, so a
    refused value found that late would leave a half-made database behind.
    """
    from cart_chain.services.accounts import validate_username
    from cart_chain.services.passwords import check_policy

    fin = validate_fin(facility)
    name = validate_username(username)
    if not full_name.strip():
        raise InvalidValue("a user needs a printed full name (it appears on every signature)")
    full = clean_name(full_name, "full name")
    check_policy(password, name)
    return FirstAdministrator(name, full, password, fin)


def create_database(url: str, admin: FirstAdministrator) -> OpenedDatabase:
    """Create a new database with its first administrator, and open it for log-in.

    On failure nothing new is left behind (see `creating`).
    """
    admin = check_first_administrator(
        admin.username, admin.full_name, admin.password, admin.facility
    )
    return creating(
        url,
        lambda db: init_database(
            db, admin.username, admin.full_name, admin.password, admin.facility
        ),
    )[0]


def create_demo(url: str) -> tuple[OpenedDatabase, DemoResult]:
    """Create a new database filled with the demo users and cases, and open it."""
    from cart_chain.services.demo import build_demo

    return creating(url, build_demo)


def creating(url: str, fill: Callable[[Database], T]) -> tuple[OpenedDatabase, T]:
    """Run ``fill`` on a new database at ``url``; on any failure remove what it created.

    The SQLite file (with its journal files) and the folders made for it are
    deleted when they did not exist before, so a refused or interrupted first
    run can simply be tried again. A PostgreSQL database is the server
    administrator's to clean; nothing is dropped there.
    """
    db = Database(url)
    new_files: list[Path] = []
    new_dirs: list[Path] = []
    if db.path is not None:
        if not db.path.exists():
            new_files = [Path(f"{db.path}{s}") for s in ("", "-wal", "-shm", "-journal")]
        folder = db.path.parent
        while not folder.exists() and folder != folder.parent:
            new_dirs.append(folder)
            folder = folder.parent
    try:
        try:
            if db.path is not None:
                db.path.parent.mkdir(parents=True, exist_ok=True)
            result = fill(db)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                full = f"the disk holding {db.where} is full; nothing was saved"
                raise StorageFull(full) from exc
            problem = f"cannot create {db.where}: {exc.strerror or exc}"
            raise DatabaseUnavailable(problem) from exc
        return _open(db), result
    except BaseException:
        db.dispose()
        for f in new_files:
            with contextlib.suppress(OSError):  # best effort: the error raised matters more
                f.unlink(missing_ok=True)
        for d in new_dirs:  # innermost first
            try:
                os.rmdir(d)
            except OSError:
                break
        raise
