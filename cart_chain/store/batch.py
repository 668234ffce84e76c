"""Statements of one write sent together: one round trip instead of one each.

A signed handoff asks a dozen small questions before it appends (the bag, its steps,
their corrections, the case's profile, each signer's history, a setting, the last
checkpoint, the head), then writes five or six rows; each was a round trip on
PostgreSQL and a trip through SQLAlchemy on both backends.

- **Reads ahead.** The caller knows its questions before it starts, so it names them
  (`read_ahead`) once the write lock is held, and each reader asks through `rows`,
  which answers from what was fetched, or reads as before when it was not. The reads
  run in the caller's transaction on its connection; on PostgreSQL in pipeline mode,
  where each statement still takes its own snapshot, in order, as it would one by
  one. `ledger.append` drops what is left (`forget`), so nothing read before an entry
  answers a question asked after it; each answer is given once. A read left out, or
  named with other parameters, is simply run: naming wrongly costs time, never truth.
- **Writes together.** `write` sends an entry's rows (the entry, its tree hashes, its
  projection rows, its case-index change) in one pipeline on PostgreSQL and straight
  to the driver on SQLite. Any failure fails the whole statement batch, which is the
  caller's transaction: nothing of it is kept.
- **Errors stay typed.** A driver error is raised as SQLAlchemy's `DBAPIError` (its
  `IntegrityError` and so on), as it would be from `Connection.execute`, so callers
  classify it by its code as before.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from operator import itemgetter
from typing import Any

from sqlalchemy.engine import Connection
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable

from cart_chain.store import pg_begin

#: One read: a statement built once (module level) and its parameters.
Read = tuple[Executable, Mapping[str, Any]]
#: One write: a statement built once and its rows (each a dict of parameters).
Write = tuple[Executable, Sequence[Mapping[str, Any]]]

#: `Session.info` key: (id of statement, parameters) -> (the statement, rows not yet
#: asked for). The statement is kept beside its rows, and checked: an id is only an
#: address, which a statement freed in the meantime leaves to the next object.
_FETCHED = "cart_chain_read_ahead"
#: Per dialect, statement and parameter names: the statement itself (held, so that its
#: id stays its own), the driver's SQL, the order of its parameters (positional
#: drivers) and the values the statement binds itself.
_COMPILED: dict[tuple[str, int, tuple[str, ...]], Any] = {}
#: Plans kept at most: statements are built once at module level, so a few dozen are in
#: use; more means a caller builds them per call, whose plans must not pile up.
_PLANS_KEPT = 512


def _key(stmt: Executable, params: Mapping[str, Any]) -> tuple[int, tuple[Any, ...]]:
    items = tuple(params.items())
    return id(stmt), (tuple(sorted(items)) if len(items) > 1 else items)


def _batchable(params: Mapping[str, Any]) -> bool:
    """Whether a read with ``params`` can be sent in a batch: not with a list (an IN
    expanded at run time, whose SQL changes with its length). A plain loop: asked a
    few dozen times a handoff, where `all` over a generator costs twice as much."""
    for v in params.values():  # noqa: SIM110
        if isinstance(v, _EXPANDED):
            return False
    return True


_EXPANDED = (list, tuple)


def connection(session: Session) -> Connection:
    """The connection of ``session``'s transaction: the one it is bound to, once that is
    in a transaction (what `Session.connection` returns then, without its 3 us of
    bookkeeping, asked half a dozen times a handoff); else `Session.connection`."""
    bind = session.bind
    if isinstance(bind, Connection) and bind.in_transaction():
        return bind
    return session.connection()


def _driver_sql(conn: Connection, stmt: Executable, params: Mapping[str, Any]) -> Any:
    """The SQL and parameters the driver takes, as SQLAlchemy would send them (a literal
    IN list rendered in, parameters in the driver's style, an INSERT's columns those
    the row names). Worked out once per statement and set of names: then each call
    only lays out its values."""
    key = (conn.dialect.name, id(stmt), tuple(params))  # names in the caller's order
    plan = _COMPILED.get(key)
    if plan is None or plan[0] is not stmt:
        if not _batchable(params):
            raise TypeError("a list parameter (an IN expanded at run time) is not batched")
        names = sorted(params)
        compiled = stmt.compile(  # type: ignore[attr-defined]
            dialect=conn.dialect, column_keys=names
        )
        state = compiled.construct_expanded_state(dict(params))
        fixed = {k: v for k, v in state.parameters.items() if k not in params}
        order = tuple(state.positiontup) if compiled.positional else None
        if len(_COMPILED) >= _PLANS_KEPT:
            _COMPILED.clear()
        plan = _COMPILED[key] = (stmt, state.statement, _getter(order), fixed)
    _stmt, sql, get, fixed = plan
    values = {**fixed, **params} if fixed else params
    return sql, (get(values) if get is not None else dict(values))


def _getter(order: tuple[str, ...] | None) -> Callable[[Mapping[str, Any]], tuple[Any, ...]] | None:
    """The positional values of a statement's parameters, in ``order``, from a mapping."""
    if order is None:
        return None
    if len(order) == 1:
        (only,) = order
        return lambda values: (values[only],)
    if not order:
        return lambda _values: ()
    return itemgetter(*order)  # type: ignore[return-value]


def _listeners(conn: Connection) -> list[Callable[..., None]]:
    """SQLAlchemy's ``before_cursor_execute`` listeners (tools that watch the statements,
    the plan tests), told of each statement sent here as `Connection.execute` would; read
    once a batch (each look-up goes through SQLAlchemy's event dispatch)."""
    return list(conn.dispatch.before_cursor_execute)


def _announce(
    conn: Connection,
    listeners: list[Callable[..., None]],
    cursor: Any,
    sql: str,
    values: Any,
    many: bool,
) -> None:
    for listener in listeners:
        listener(conn, cursor, sql, values, None, many)


@contextmanager
def _typed_errors(conn: Connection, sql: list[str]) -> Iterator[None]:
    """A driver error as `Connection.execute` raises it: wrapped, and a dropped
    connection invalidated (so the pool discards it and a caller may reconnect)."""
    dbapi = conn.dialect.loaded_dbapi
    try:
        yield
    except dbapi.Error as err:
        dropped = conn.dialect.is_disconnect(err, conn.connection.dbapi_connection, None)
        if dropped:
            conn.invalidate(err)
        raise DBAPIError.instance(
            sql[0], None, err, dbapi.Error, connection_invalidated=dropped, dialect=conn.dialect
        ) from err


def read_ahead(session: Session, reads: Iterable[Read]) -> None:
    """Run ``reads`` now, together, and keep their rows for `rows` in this transaction."""
    conn = connection(session)
    wanted = {_key(stmt, params): (stmt, params) for stmt, params in reads}
    if not wanted:
        return
    raw: Any = conn.connection.driver_connection
    batch = [(key, *_driver_sql(conn, stmt, params)) for key, (stmt, params) in wanted.items()]
    fetched: dict[tuple[int, tuple[Any, ...]], tuple[Executable, Sequence[Any]]] = {}
    sent = [batch[0][1]]
    listeners = _listeners(conn)
    with _typed_errors(conn, sent):
        if conn.dialect.name == "postgresql":
            with raw.pipeline():
                pg_begin.send(conn)  # the transaction's BEGIN, when this opens it
                cursors = []
                for key, sql, values in batch:
                    cur = raw.cursor()
                    _announce(conn, listeners, cur, sql, values, False)
                    cur.execute(sql, values)
                    cursors.append((key, cur))
            for key, cur in cursors:
                fetched[key] = (wanted[key][0], [tuple(r) for r in cur.fetchall()])
                cur.close()
        else:
            cur = raw.cursor()
            try:
                for key, sql, values in batch:
                    sent[0] = sql
                    _announce(conn, listeners, cur, sql, values, False)
                    fetched[key] = (wanted[key][0], cur.execute(sql, values).fetchall())
            finally:
                cur.close()
    session.info[_FETCHED] = fetched


def rows(session: Session, stmt: Executable, params: Mapping[str, Any]) -> Sequence[Any]:
    """The rows of ``stmt`` with ``params``: fetched ahead if named, else read now."""
    fetched = session.info.get(_FETCHED)
    if fetched and _batchable(params):
        found = fetched.pop(_key(stmt, params), None)
        if found is not None and found[0] is stmt:
            return found[1]
    return connection(session).execute(stmt, params).all()


def keep(
    session: Session, stmt: Executable, params: Mapping[str, Any], found: Sequence[Any]
) -> None:
    """Hold ``found``, the rows of ``stmt`` just read, for the next `rows` asking it."""
    session.info.setdefault(_FETCHED, {})[_key(stmt, params)] = (stmt, found)


def forget(session: Session) -> None:
    """Drop what was fetched and not yet asked for: the ledger is about to change."""
    session.info.pop(_FETCHED, None)


def write(session: Session, writes: Iterable[Write]) -> None:
    """Run ``writes`` in order, together (rows of one statement as one executemany)."""
    conn = connection(session)
    raw: Any = conn.connection.driver_connection
    batch = []
    for stmt, many in writes:
        for params in many:
            sql, values = _driver_sql(conn, stmt, params)
            if batch and batch[-1][0] == sql:
                batch[-1][1].append(values)
            else:
                batch.append((sql, [values]))
    if not batch:
        return
    sent = [batch[0][0]]
    listeners = _listeners(conn)
    with _typed_errors(conn, sent):
        cur = raw.cursor()
        try:
            if conn.dialect.name == "postgresql":
                with raw.pipeline():
                    pg_begin.send(conn)
                    for sql, values in batch:
                        _announce(conn, listeners, cur, sql, values, True)
                        cur.executemany(sql, values)
            else:
                for sql, values in batch:
                    sent[0] = sql
                    _announce(conn, listeners, cur, sql, values, True)
                    cur.executemany(sql, values)
        finally:
            cur.close()
