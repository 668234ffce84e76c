"""PostgreSQL transactions whose BEGIN is sent with their first statements
(`store.pg_begin`): the driver is in autocommit mode, so these check that every read
is still one read-only snapshot and every write still all or nothing."""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from cart_chain.domain.errors import DatabaseUnavailable
from cart_chain.store import batch, ledger
from cart_chain.store.database import Database
from cart_chain.store.db_errors import sqlstate
from cart_chain.store.schema import upgrade

pytestmark = pytest.mark.postgres

_COUNT = sa.text("SELECT count(*) FROM ledger_entries")


class _Refused(Exception):
    pass


def _setting(value: str) -> dict[str, str]:
    return {"key": "facility_name", "value": value}


def _entries(db: Database) -> int:
    return db.read(lambda s: s.connection().execute(_COUNT).scalar_one())


def _fresh(any_db_postgresql: Database) -> Database:
    db = any_db_postgresql
    upgrade(db)
    db.write(lambda s: ledger.append(s, "setting_changed", "admin", _setting("first")))
    return db


def test_a_read_is_one_snapshot_whatever_commits_meanwhile(any_db_postgresql) -> None:  # type: ignore[no-untyped-def]
    db = _fresh(any_db_postgresql)

    def twice(session):  # type: ignore[no-untyped-def]
        conn = session.connection()
        before = conn.execute(_COUNT).scalar_one()
        other = threading.Thread(
            target=db.write,
            args=(lambda s: ledger.append(s, "setting_changed", "admin", _setting("x")),),
        )
        other.start()
        other.join()
        return before, conn.execute(_COUNT).scalar_one()

    assert db.read(twice) == (1, 1)  # autocommit statements would each see the commit
    assert _entries(db) == 2


def test_a_read_ahead_is_a_snapshot_too(any_db_postgresql) -> None:  # type: ignore[no-untyped-def]
    db = _fresh(any_db_postgresql)

    def ahead_then_again(session):  # type: ignore[no-untyped-def]
        batch.read_ahead(session, [(_COUNT, {})])
        other = threading.Thread(
            target=db.write,
            args=(lambda s: ledger.append(s, "setting_changed", "admin", _setting("y")),),
        )
        other.start()
        other.join()
        return session.connection().execute(_COUNT).scalar_one()

    assert db.read(ahead_then_again) == 1


def test_a_read_cannot_write(any_db_postgresql) -> None:  # type: ignore[no-untyped-def]
    db = _fresh(any_db_postgresql)
    with pytest.raises(DatabaseUnavailable) as refused:
        db.read(lambda s: ledger.append(s, "setting_changed", "admin", _setting("no")))
    cause = refused.value.__cause__
    assert isinstance(cause, DBAPIError) and sqlstate(cause) == "25006"  # read-only
    assert _entries(db) == 1


def test_a_write_that_fails_after_its_appends_stores_none_of_them(any_db_postgresql) -> None:  # type: ignore[no-untyped-def]
    db = _fresh(any_db_postgresql)

    def two_then_refused(session):  # type: ignore[no-untyped-def]
        ledger.append(session, "setting_changed", "admin", _setting("a"))
        ledger.append(session, "setting_changed", "admin", _setting("b"))
        raise _Refused

    with pytest.raises(_Refused):
        db.write(two_then_refused)
    assert _entries(db) == 1
    # and the connection it ran on is fine for the next write
    db.write(lambda s: ledger.append(s, "setting_changed", "admin", _setting("c")))
    assert _entries(db) == 2


def test_a_write_with_no_transaction_open_is_refused_before_any_change(  # type: ignore[no-untyped-def]
    any_db_postgresql, monkeypatch
) -> None:
    from cart_chain.store import pg_begin

    db = _fresh(any_db_postgresql)
    monkeypatch.setattr(pg_begin, "send", lambda conn: None)  # the BEGIN is lost
    with pytest.raises(AssertionError, match="outside its transaction"):
        db.write(lambda s: ledger.append(s, "setting_changed", "admin", _setting("d")))
    monkeypatch.undo()
    assert _entries(db) == 1
