"""Opening the database and running one transaction per service call.

SQLite (the zero-set-up default) runs in WAL mode with ``synchronous=FULL`` so a
committed record survives a power cut, foreign keys on, a busy timeout, and
every write transaction opened with ``BEGIN IMMEDIATE`` so two writers queue
instead of failing half-way. PostgreSQL serialises ledger appends with a
transaction-scoped advisory lock and retries serialization failures and
deadlocks. Driver errors are translated here into the typed environment errors
the edges know how to explain.
"""

from __future__ import annotations

import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session

from cart_chain.domain.errors import (
    DatabaseLocked,
    DatabaseUnavailable,
    EnvironmentProblem,
    StorageFull,
)
from cart_chain.store.filesystems import is_network_path

log = logging.getLogger("cart_chain.store")
T = TypeVar("T")

ENV_VAR = "CART_CHAIN_DB"
BUSY_TIMEOUT_MS = 10_000
_LEDGER_LOCK_KEY = 0x43415254  # "CART": the advisory lock that serialises appends
_RETRY_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
_MAX_RETRIES = 5


#: Below this much free space SQLite cannot be counted on to create its -shm file.
_MIN_FREE = 1 << 20


def _free_bytes(folder: Path) -> int:
    try:
        return shutil.disk_usage(folder).free
    except OSError:
        return 0


def default_path() -> Path:
    from platformdirs import user_data_path

    return user_data_path("cart-chain", appauthor=False) / "cart-chain.sqlite3"


def resolve_url(url: str | None) -> str:
    """``--db`` beats ``CART_CHAIN_DB`` beats the per-user SQLite file; a bare path is SQLite."""
    url = url or os.environ.get(ENV_VAR) or ""
    if not url:
        return f"sqlite+pysqlite:///{default_path()}"
    if "://" not in url:
        if url.startswith(("//", "\\\\")):  # a UNC path: keep it, resolving would hide it
            return f"sqlite+pysqlite:///{url}"
        return f"sqlite+pysqlite:///{Path(url).expanduser().resolve()}"
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def _sqlstate(err: BaseException) -> str | None:
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
    return _sqlite_code(err) in _SQLITE_CORRUPTION or _sqlstate(err) in _PG_CORRUPTION


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
    code, state = _sqlite_code(err), _sqlstate(err)
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


_AFTER_COMMIT = "cart_chain_after_commit"


def after_commit(session: Session, then: Callable[[Database], None]) -> None:
    """Run ``then(db)`` once the write transaction of ``session`` has committed.

    For what cannot be part of the transaction (a witness's folder or database):
    it must never be done for a write that rolled back, nor hold the write lock.
    """
    session.info.setdefault(_AFTER_COMMIT, []).append(then)


class Database:
    """One database, SQLite or PostgreSQL; hands out one session per transaction."""

    def __init__(self, url: str | None = None, *, read_only: bool = False) -> None:
        self.read_only = read_only
        self.url = resolve_url(url)
        u = make_url(self.url)
        self.is_sqlite = u.get_backend_name() == "sqlite"
        self.where = (
            f"database {u.database}"
            if self.is_sqlite
            else f"PostgreSQL database {u.render_as_string(hide_password=True)}"
        )
        self.path = Path(u.database) if self.is_sqlite and u.database else None
        self.engine = self._sqlite_engine() if self.is_sqlite else self._pg_engine()
        self._corrupt = False
        self._checked = threading.Event()
        self._start_integrity_check()

    # -- integrity -------------------------------------------------------------

    def _start_integrity_check(self) -> None:
        """Run ``PRAGMA quick_check`` on an existing SQLite file in the background.

        The log-in window must not wait for it (it reads every page); a write
        waits for its verdict, so nothing is appended to a file already damaged.
        """
        if self.path is None or self.read_only or not self.path.is_file():
            self._checked.set()
            return
        threading.Thread(
            target=self._quick_check, name="cart-chain-quick-check", daemon=True
        ).start()

    def _quick_check(self) -> None:
        try:
            conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=1)  # type: ignore[union-attr]
            try:
                rows = conn.execute("PRAGMA quick_check").fetchall()
            finally:
                conn.close()
            if rows != [("ok",)]:
                log.info("integrity check failed: %d problem(s) reported", len(rows))
                self._corrupt = True
        except sqlite3.Error as err:
            if is_corruption(err):
                log.info("integrity check failed: %s", getattr(err, "sqlite_errorname", "?"))
                self._corrupt = True
            # Anything else (busy, cannot open): no verdict; statements will tell.
        finally:
            self._checked.set()

    @property
    def corrupt(self) -> bool:
        """Whether SQLite reported this file damaged (waits for the check at open)."""
        self._checked.wait()
        return self._corrupt

    def _failed(self, err: DBAPIError, *, writing: bool) -> EnvironmentProblem | None:
        if is_corruption(err):
            self._corrupt = True  # from now on, refuse every write
            if writing:
                return DatabaseUnavailable(corrupt_message(self.where))
        return translate(err, self.where)

    # -- engines ---------------------------------------------------------------

    def _sqlite_engine(self) -> Engine:
        if self.path is None or str(self.path) == ":memory:":
            raise DatabaseUnavailable("an in-memory SQLite database keeps nothing; give a file")
        if is_network_path(self.path.parent if not self.path.exists() else self.path):
            raise DatabaseUnavailable(
                f"{self.path} is on a network share, where SQLite's locking is unsafe and "
                "records can be lost; keep SQLite on a local disk or use PostgreSQL "
                "(--db postgresql+psycopg://...)"
            )
        if self.read_only:  # reading only: a backup, read-only media, a full disk
            url = f"sqlite+pysqlite:///file:{self.path}?{self._read_only_mode()}&uri=true"
        else:
            url = self.url
        engine = create_engine(
            url, connect_args={"timeout": BUSY_TIMEOUT_MS / 1000}, hide_parameters=True
        )
        read_only = self.read_only

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
            cur = dbapi_conn.cursor()
            if not read_only:
                cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=FULL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            write = conn.get_execution_options().get("cart_chain_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

        return engine

    def _read_only_mode(self) -> str:
        """``mode=ro``, or ``immutable=1`` where SQLite could not even create its -shm.

        A WAL database opened read-only still needs a -shm file for its locks: it
        must exist, or SQLite must be able to create it. On read-only media or a
        full disk it cannot; ``immutable=1`` then tells SQLite nobody changes the
        file, so it takes no locks. No -shm also means no connection has the file
        open (every WAL connection keeps one), and nothing can be written there
        anyway. Immutable would skip the content of a -wal file, so it is used
        only when there is none (or it is empty); otherwise ``mode=ro`` fails with
        a clear "cannot open" rather than showing an older state of the records.
        """
        assert self.path is not None
        folder = self.path.parent
        shm = self.path.with_name(self.path.name + "-shm")
        wal = self.path.with_name(self.path.name + "-wal")
        wal_empty = not wal.exists() or wal.stat().st_size == 0
        cannot_create = not os.access(folder, os.W_OK) or _free_bytes(folder) < _MIN_FREE
        if cannot_create and not shm.exists() and wal_empty:
            return "immutable=1"
        return "mode=ro"

    def _pg_engine(self) -> Engine:
        # hide_parameters: a driver error's text must never carry a patient's values.
        return create_engine(self.url, pool_pre_ping=True, hide_parameters=True)

    # -- transactions ----------------------------------------------------------

    def write(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` in one write transaction: all of it is stored, or none of it.

        Refused, without touching the file, once the file is known to be corrupt.
        """
        if self.corrupt:
            raise DatabaseUnavailable(corrupt_message(self.where))
        for attempt in range(1, _MAX_RETRIES + 1):
            try:
                with self.engine.connect() as conn:
                    conn = conn.execution_options(cart_chain_write=True)
                    if not self.is_sqlite:
                        # READ COMMITTED, stated rather than inherited from the server: the
                        # advisory lock below serialises every writer, so each reads the
                        # rows the one before it committed; no write needs a snapshot older
                        # than its lock.
                        conn = conn.execution_options(isolation_level="READ COMMITTED")
                    with Session(bind=conn, expire_on_commit=False) as session, session.begin():
                        if not self.is_sqlite:
                            # Wait at most as long as SQLite's busy timeout for the lock,
                            # then fail as "busy" (55P03) instead of hanging.
                            session.execute(text(f"SET LOCAL lock_timeout = '{BUSY_TIMEOUT_MS}ms'"))
                            session.execute(
                                text("SELECT pg_advisory_xact_lock(:k)"),
                                {"k": _LEDGER_LOCK_KEY},
                            )
                        result = fn(session)
                for then in session.info.get(_AFTER_COMMIT, ()):
                    self._run_after_commit(then)
                return result
            except DBAPIError as err:
                if _sqlstate(err) in _RETRY_SQLSTATES and attempt < _MAX_RETRIES:
                    log.warning("retrying after %s (attempt %d)", _sqlstate(err), attempt)
                    time.sleep(0.05 * attempt)
                    continue
                problem = self._failed(err, writing=True)
                if problem is not None:
                    raise problem from err
                raise
        raise AssertionError("unreachable")  # pragma: no cover

    def _run_after_commit(self, then: Callable[[Database], None]) -> None:
        """A follow-up of a committed write: its failure is logged, never raised, since
        the record it follows is stored (the follow-up reports its own problems)."""
        try:
            then(self)
        except Exception:  # the committed write must not look failed
            log.exception("a follow-up of a committed write failed")

    def read(self, fn: Callable[[Session], T]) -> T:
        """Run ``fn`` on one consistent snapshot; nothing it does is stored."""
        try:
            with self.engine.connect() as conn:
                if not self.is_sqlite:
                    conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with Session(bind=conn) as session:
                    try:
                        return fn(session)
                    finally:
                        session.rollback()
        except DBAPIError as err:
            problem = self._failed(err, writing=False)
            if problem is not None:
                raise problem from err
            raise

    def dispose(self) -> None:
        self.engine.dispose()
