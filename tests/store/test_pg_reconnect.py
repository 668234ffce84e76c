"""A PostgreSQL connection the server dropped costs no write and no read.

Writes no longer ping the server before every transaction (a round trip each, on
the handoff's hot path). A connection the server has closed since (a restart, an
idle timeout, a failover) now fails at the transaction's first statement, before
the write has done anything; the write is then run again on a fresh connection.
The test closes every pooled connection from the server side, as a restart does.
"""

from __future__ import annotations

from sqlalchemy import func, select, text

from cart_chain.services.accounts import current_user
from cart_chain.services.verification import verify_ledger
from cart_chain.store.database import Database
from cart_chain.store.models import LedgerEntry
from tests.helpers import creds, enrol, populate, unit_of, walk


def _drop_the_pool_s_connections(db: Database) -> int:
    """Terminate, from another session, every server backend of this database's pool."""
    pids = set()
    for _ in range(2):  # two pooled connections: the rehearsal's and the write's
        pids.add(db.read(lambda s: s.execute(text("SELECT pg_backend_pid()")).scalar()))
    with db.engine.pool._creator() as killer:  # a connection outside the pool
        killer.autocommit = True
        for pid in pids:
            killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
    return len(pids)


def _entries(db: Database) -> int:
    return db.read(lambda s: s.scalar(select(func.count()).select_from(LedgerEntry)))


def test_a_write_after_the_server_dropped_its_connections_is_stored_once(any_db_postgresql) -> None:  # type: ignore[no-untyped-def]
    db = populate(any_db_postgresql)
    unit = unit_of(enrol(db))
    assert _drop_the_pool_s_connections(db) >= 1
    before = _entries(db)  # a read first: it reconnects too
    assert _drop_the_pool_s_connections(db) >= 1
    walk(db, unit, 1)  # the collection, signed by two people
    assert _entries(db) == before + 1  # stored once, not twice
    assert verify_ledger(db).ok


def test_a_read_after_the_server_dropped_its_connections_answers(any_db_postgresql) -> None:  # type: ignore[no-untyped-def]
    db = populate(any_db_postgresql)
    assert _drop_the_pool_s_connections(db) >= 1
    assert current_user(db, creds("alice").username) is not None


def test_a_refusal_in_a_read_whose_connection_the_server_dropped_is_still_the_answer(  # type: ignore[no-untyped-def]
    any_db_postgresql,
) -> None:
    """A read that ends in a refusal closes its read-only transaction with COMMIT (which
    keeps psycopg's prepared statements). When the server dropped the connection under
    it, that COMMIT fails: the refusal is still what the caller gets, not the COMMIT's
    error, and the next read answers on a fresh connection."""
    import pytest

    from cart_chain.domain.errors import NotFound

    db = populate(any_db_postgresql)

    def refused(session):  # type: ignore[no-untyped-def]
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar()
        with db.engine.pool._creator() as killer:  # a connection outside the pool
            killer.autocommit = True
            killer.execute("SELECT pg_terminate_backend(%s)", (pid,))
        raise NotFound("no such case")

    with pytest.raises(NotFound, match="no such case"):
        db.read(refused)
    assert current_user(db, creds("alice").username) is not None
