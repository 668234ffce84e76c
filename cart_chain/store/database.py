"""Opening the database and running one transaction per service call.

SQLite (the zero-set-up default) runs in WAL mode with ``synchronous=FULL`` so a
committed record survives a power cut, foreign keys on, a busy timeout, and
every write transaction opened with ``BEGIN IMMEDIATE`` so two writers queue
instead of failing half-way. PostgreSQL serialises ledger appends with a
transaction-scoped advisory lock and retries serialization failures and
deadlocks. Driver errors become the typed environment errors the edges know how
to explain (`store.db_errors`).
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
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from cart_chain.domain.errors import DatabaseUnavailable, EnvironmentProblem
from cart_chain.store import batch, pg_begin
from cart_chain.store.db_errors import (
    BUSY_TIMEOUT_MS,
    corrupt_message,
    is_corruption,
    sqlstate,
    translate,
)
from cart_chain.store.filesystems import is_network_path

log = logging.getLogger("cart_chain.store")
T = TypeVar("T")

ENV_VAR = "CART_CHAIN_DB"
_LEDGER_LOCK_KEY = 0x43415254  # "CART": the advisory lock that serialises appends
_RETRY_SQLSTATES = {"40001", "40P01"}  # serialization failure, deadlock detected
_MAX_RETRIES = 5
#: A PostgreSQL write's first statement, one round trip: the lock timeout (as long as
#: SQLite's busy timeout, then "busy", 55P03, instead of hanging), then the lock that
#: serialises appends. The MATERIALIZED CTE is evaluated before the lock is asked for.
_PG_WRITE_LOCK = text(
    "WITH t AS MATERIALIZED (SELECT set_config('lock_timeout', :timeout, true) AS v) "
    "SELECT pg_advisory_xact_lock(:k) FROM t"
).bindparams(timeout=f"{BUSY_TIMEOUT_MS}ms", k=_LEDGER_LOCK_KEY)


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
        # No pre-ping (a round trip before every transaction): a connection the server
        # dropped fails at the transaction's first statement instead, before anything is
        # done, and that transaction is run again on a fresh one (`write`, `read`).
        engine = create_engine(self.url, hide_parameters=True)
        pg_begin.install(engine)
        return engine

    # -- transactions ----------------------------------------------------------

    def write(
        self,
        fn: Callable[[Session], T],
        ahead: Callable[[Session], list[batch.Read]] | None = None,
    ) -> T:
        """Run ``fn`` in one write transaction: all of it is stored, or none of it.

        ``ahead`` names reads ``fn`` will make (`batch.read_ahead`): they are sent with
        the write lock, on PostgreSQL in the same round trip as it (and the BEGIN).
        Refused, without touching the file, once the file is known to be corrupt.
        """
        if self.corrupt:
            raise DatabaseUnavailable(corrupt_message(self.where))
        for attempt in range(1, _MAX_RETRIES + 1):
            # A connection the server dropped since it was pooled fails at the lock, the
            # write's first statement, before anything is done: then it is run again.
            at_lock = False
            try:
                with self.engine.connect() as conn:
                    conn = conn.execution_options(cart_chain_write=True)
                    if not self.is_sqlite:  # BEGIN goes with the lock (`store.pg_begin`)
                        conn = pg_begin.defer(conn, pg_begin.WRITE)
                    # The transaction is the connection's (on SQLite its BEGIN IMMEDIATE
                    # takes the lock); the session joins it (SQLAlchemy's "join an
                    # external transaction"), and never commits or rolls it back itself.
                    # The writes use no ORM unit of work, and the session's own
                    # transaction bookkeeping was 5% of a handoff's instructions.
                    with conn.begin():
                        session = Session(bind=conn, expire_on_commit=False)
                        try:
                            reads = ahead(session) if ahead is not None else []
                            if not self.is_sqlite:
                                at_lock = True
                                batch.read_ahead(session, [(_PG_WRITE_LOCK, {}), *reads])
                                at_lock = False
                                pg_begin.require_transaction(conn)
                            elif reads:  # BEGIN IMMEDIATE took the lock (`_begin`)
                                batch.read_ahead(session, reads)
                            result = fn(session)
                            session.flush()  # ORM objects, were any added, go in first
                        finally:
                            session.close()
                for then in session.info.get(_AFTER_COMMIT, ()):
                    self._run_after_commit(then)
                return result
            except DBAPIError as err:
                if at_lock and err.connection_invalidated and attempt < _MAX_RETRIES:
                    log.warning("reconnecting: the server had dropped the connection")
                    continue
                if sqlstate(err) in _RETRY_SQLSTATES and attempt < _MAX_RETRIES:
                    log.warning("retrying after %s (attempt %d)", sqlstate(err), attempt)
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
            try:
                return self._read_once(fn)
            except DBAPIError as err:
                if not err.connection_invalidated:
                    raise
                log.warning("reconnecting: the server had dropped the connection")
                return self._read_once(fn)  # a read is safe to run again
        except DBAPIError as err:
            problem = self._failed(err, writing=False)
            if problem is not None:
                raise problem from err
            raise

    def _read_once(self, fn: Callable[[Session], T]) -> T:
        # As in `write`, the transaction is the connection's and the session joins it: a
        # scan is a read, and the session's own transaction bookkeeping cost it a tenth.
        with self.engine.connect() as conn:
            if self.is_sqlite:
                txn = conn.begin()
                session = Session(bind=conn)
                try:
                    return fn(session)
                finally:
                    session.close()
                    txn.rollback()
            # A read-only transaction, ended by COMMIT: the server refuses any write in it,
            # so nothing can be stored, and psycopg keeps its prepared statements (any
            # ROLLBACK makes it deallocate them all, which cost every later statement on
            # this connection a fresh parse and the DEALLOCATE a round trip of its own).
            # Its BEGIN goes with its first statements (`store.pg_begin`).
            conn = pg_begin.defer(conn, pg_begin.READ)
            txn = conn.begin()
            session = Session(bind=conn)
            try:
                result = fn(session)
            except BaseException:
                session.close()
                # Also by COMMIT when a refusal or a dry run's end (`ledger.DryRunEnd`)
                # leaves it sound; only a failed or broken one needs the ROLLBACK.
                if pg_begin.sound(conn):
                    try:
                        txn.commit()
                    except DBAPIError:  # the exception under way is the one to report
                        txn.rollback()
                else:
                    txn.rollback()
                raise
            session.close()
            txn.commit()
            return result

    def dispose(self) -> None:
        self.engine.dispose()
