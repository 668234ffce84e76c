"""A PostgreSQL transaction's BEGIN, sent with its first statements.

psycopg opens a transaction itself before the first statement and waits for the
server's answer to that BEGIN alone (in pipeline mode it syncs right after it):
one round trip that carries nothing. So `Database` runs its PostgreSQL
transactions on a connection in the driver's autocommit mode and has the BEGIN
sent here, ahead of the transaction's first statement: in the same pipeline as
the statements `store.batch` sends together, or just before the first statement
SQLAlchemy executes.

Autocommit means a statement sent before the BEGIN would be committed on its own,
so the order is checked, not assumed: `require_transaction` fails the write before
its first change unless the server says a transaction is open.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

#: Execution option: the BEGIN still to be sent, in a list emptied when it is sent. It
#: belongs to the `Connection` object, which is dropped after its transaction, so nothing
#: is left behind on the pooled connection whatever happens.
_PENDING = "cart_chain_pending_begin"

READ = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY"
# READ COMMITTED, stated rather than inherited from the server: the advisory lock
# serialises every writer, so each reads the rows the one before it committed.
WRITE = "BEGIN ISOLATION LEVEL READ COMMITTED READ WRITE"


def defer(conn: Connection, begin: str) -> Connection:
    """``conn`` in the driver's autocommit mode, ``begin`` to be sent before its next
    statement."""
    return conn.execution_options(isolation_level="AUTOCOMMIT", **{_PENDING: [begin]})


def send(conn: Connection) -> None:
    """Send the pending BEGIN, once; in a pipeline it joins the batch, in order."""
    pending = conn.get_execution_options().get(_PENDING)
    if pending:
        raw: Any = conn.connection.driver_connection
        raw.execute(pending.pop())


def require_transaction(conn: Connection) -> None:
    """Refuse to go on unless the server has this connection in a transaction."""
    from psycopg.pq import TransactionStatus  # here: a SQLite workstation never needs it

    raw: Any = conn.connection.driver_connection
    if raw.pgconn.transaction_status not in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
        raise AssertionError("a PostgreSQL write ran outside its transaction")


def sound(conn: Connection) -> bool:
    """Whether the server has ``conn`` in a transaction that no statement failed (or in
    none): one a read-only transaction may end with COMMIT, which changes nothing, where
    a ROLLBACK would make psycopg deallocate every prepared statement of the connection."""
    from psycopg.pq import TransactionStatus

    try:
        raw: Any = conn.connection.driver_connection
    except SQLAlchemyError:  # invalidated: the rollback says so
        return False
    if raw is None or raw.closed:
        return False
    return raw.pgconn.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.IDLE)


def install(engine: Engine) -> None:
    """Send a pending BEGIN ahead of any statement SQLAlchemy executes."""

    @event.listens_for(engine, "before_cursor_execute")
    def _begin_first(
        conn: Connection, _cursor: Any, _sql: str, _params: Any, _ctx: Any, _many: bool
    ) -> None:
        send(conn)
