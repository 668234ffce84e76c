"""Driver errors told apart by their codes: the environment (typed errors) or a bug.

SQLite extended result codes and PostgreSQL SQLSTATEs, never the message text: a
localised PostgreSQL server (lc_messages) or a new SQLite wording changes nothing.
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

from cart_chain.domain.errors import (
    DatabaseLocked,
    DatabaseUnavailable,
    EnvironmentProblem,
    StorageFull,
)

#: How long a writer waits for another (SQLite busy timeout, PostgreSQL lock timeout).
BUSY_TIMEOUT_MS = 10_000


def sqlstate(err: BaseException) -> str | None:
    """PostgreSQL's SQLSTATE of a driver error, or None."""
    orig = getattr(err, "orig", None)
    return getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)


def _sqlite_code(err: BaseException) -> int | None:
    """SQLite's primary result code (the low byte of the extended code), when SQLite raised."""
    orig = getattr(err, "orig", err)
    code = getattr(orig, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


# SQLite primary result codes (sqlite3.h). Classifying by them, not by the English text,
# keeps working whatever the message says.
SQLITE_PERM, SQLITE_BUSY, SQLITE_LOCKED, SQLITE_READONLY = 3, 5, 6, 8
SQLITE_IOERR, SQLITE_CORRUPT, SQLITE_FULL, SQLITE_CANTOPEN, SQLITE_NOTADB = 10, 11, 13, 14, 26
_SQLITE_CORRUPTION = {SQLITE_CORRUPT, SQLITE_NOTADB}

#: PostgreSQL SQLSTATEs (Appendix A of its manual) and classes: servers localise their
#: messages (lc_messages), never these codes.
PG_LOCK_NOT_AVAILABLE, PG_DISK_FULL, PG_IO_ERROR = "55P03", "53100", "58030"
PG_READ_ONLY_TRANSACTION = "25006"
_PG_CORRUPTION = {"XX001", "XX002"}  # data_corrupted, index_corrupted
#: Classes and codes meaning "the server cannot be used now": connection exceptions (08),
#: insufficient resources (53), operator intervention (57: shut down, starting up),
#: authorisation (28) and a missing database (3D000).
_PG_UNAVAILABLE_CLASSES = ("08", "53", "57", "28")
_PG_UNAVAILABLE = {"3D000"}


def is_corruption(err: BaseException) -> bool:
    """Whether the database reported its file damaged, read from its error code."""
    return _sqlite_code(err) in _SQLITE_CORRUPTION or sqlstate(err) in _PG_CORRUPTION


def corrupt_message(where: str) -> str:
    return (
        f"{where} is corrupt; nothing was saved; restore the latest backup with "
        "'cart-chain restore BACKUP_FILE --replace' (signed by an administrator and QA)"
    )


def _from_psycopg(err: BaseException) -> bool:
    return type(getattr(err, "orig", err)).__module__.startswith("psycopg")


def _first_line(err: BaseException) -> str:
    lines = str(getattr(err, "orig", err)).strip().splitlines()
    return lines[0] if lines else type(err).__name__


def translate(err: DBAPIError, where: str) -> EnvironmentProblem | None:
    """The environment error behind a driver error, or None when it is a bug of ours.

    Decided by the driver's error code alone (SQLite result codes, PostgreSQL
    SQLSTATE), so a localised server or a new SQLite wording changes nothing.
    """
    if is_corruption(err):
        return DatabaseUnavailable(f"{where} is not a cart-chain database or is corrupt")
    code, state = _sqlite_code(err), sqlstate(err)
    if code in (SQLITE_BUSY, SQLITE_LOCKED) or state == PG_LOCK_NOT_AVAILABLE:
        return DatabaseLocked(
            f"{where} is busy: another workstation or process held it for more than "
            f"{BUSY_TIMEOUT_MS // 1000} s; nothing was saved, try again"
        )
    if code == SQLITE_FULL or state == PG_DISK_FULL:
        return StorageFull(f"the disk holding {where} is full; nothing was saved")
    if code in (SQLITE_CANTOPEN, SQLITE_READONLY, SQLITE_PERM) or state == PG_READ_ONLY_TRANSACTION:
        return DatabaseUnavailable(f"cannot open {where} for writing: check the path and rights")
    if code == SQLITE_IOERR or state == PG_IO_ERROR:
        return StorageFull(f"the disk holding {where} reported an I/O error; nothing was saved")
    if state is not None and (
        state in _PG_UNAVAILABLE or state.startswith(_PG_UNAVAILABLE_CLASSES)
    ):
        return DatabaseUnavailable(f"cannot use {where} now: {_first_line(err)}")
    if state is None and code is None and _from_psycopg(err) and isinstance(err, OperationalError):
        # psycopg raises OperationalError with no SQLSTATE when it never reached a server
        # (refused, unknown host, timeout): the network, not a bug.
        return DatabaseUnavailable(f"cannot reach {where}: {_first_line(err)}")
    return None
