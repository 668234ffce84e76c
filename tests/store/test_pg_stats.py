"""`verify` warns when a PostgreSQL server leaves the ledger's statistics to go stale.

With autovacuum off and no ANALYZE, the plans cached while the ledger held a few
rows stay sequential scans of it (`store.pg_stats`): the administrator must hear
of it from `verify`, not from slow handoffs.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from cart_chain.services.verification import verify_ledger
from cart_chain.store.pg_stats import stale
from tests.helpers import enrol, populate

_WARNING = "runs with autovacuum off"


def test_statistics_are_stale_when_never_taken_or_outgrown() -> None:
    assert stale(-1, 5)  # never analysed, and there are entries
    assert not stale(-1, 0)
    assert not stale(10_000, 12_000)  # within a fifth, and a thousand
    assert stale(10_000, 13_001)
    assert not stale(0, 1_000)
    assert stale(0, 1_001)


@pytest.mark.postgres
def test_verify_warns_until_the_ledger_is_analysed(any_db_postgresql) -> None:  # type: ignore[no-untyped-def]
    db = any_db_postgresql
    with db.engine.connect() as conn:
        autovacuum = conn.execute(text("SHOW autovacuum")).scalar()
    if autovacuum != "off":
        pytest.skip("this PostgreSQL server runs autovacuum: the warning cannot show here")
    populate(db)
    enrol(db)

    warned = verify_ledger(db)
    assert warned.ok, warned.problem
    found = [w for w in warned.warnings if _WARNING in w]
    assert len(found) == 1 and "has never been analysed" in found[0], warned.warnings

    with db.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE ledger_entries")
        conn.commit()
    quiet = verify_ledger(db)
    assert quiet.ok, quiet.problem
    assert not [w for w in quiet.warnings if _WARNING in w], quiet.warnings


def test_sqlite_gets_no_such_warning(ready_db) -> None:  # type: ignore[no-untyped-def]
    enrol(ready_db)
    report = verify_ledger(ready_db)
    assert report.ok, report.problem
    assert not [w for w in report.warnings if _WARNING in w]
