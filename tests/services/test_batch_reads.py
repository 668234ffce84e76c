"""Reads sent ahead and rows written together (`store.batch`) answer as one by one.

A handoff names its reads before it starts and writes an entry's rows in one batch;
on PostgreSQL both go in pipeline mode, on SQLite straight to the driver. What the
checks are given must be exactly what SQLAlchemy would have read, nothing read
before an entry may answer a question asked after it, and a failed batch must fail
the whole transaction with the same typed error as before.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from cart_chain.services import bags, checkpoints, deviations, infusion_gates, profiles
from cart_chain.services.shared_settings import setting_reads
from cart_chain.services.user_fold import user_reads
from cart_chain.store import batch, ledger
from cart_chain.store.models import LedgerEntry
from tests.helpers import enrol, unit_of, walk


def test_rows_read_ahead_are_the_rows_read_one_by_one(ready_any_db) -> None:  # type: ignore[no-untyped-def]
    db = ready_any_db
    coi = enrol(db)
    unit = unit_of(coi)
    walk(db, unit, 4)  # steps, signatures, a case profile: rows to compare
    code = str(bags.unit_reads(unit, "keyboard")[0][1]["unit"])

    def compare(session) -> int:  # type: ignore[no-untyped-def]
        reads = [
            *bags.unit_reads(unit, "keyboard"),
            *infusion_gates.fact_reads(code),
            *deviations.open_deviation_reads(code),
            *profiles.case_reads(coi),
            *user_reads(["alice", "carl", "nobody"]),
            *setting_reads("password_expiry_days", "lockout_minutes"),
            *checkpoints.due_reads(),
            *ledger.head_reads(session),
        ]
        batch.read_ahead(session, reads)
        conn = session.connection()
        for stmt, params in reads:
            ahead = [tuple(r) for r in batch.rows(session, stmt, params)]
            now = [tuple(r) for r in conn.execute(stmt, params).all()]
            if "clock_timestamp" in str(stmt):  # PostgreSQL's head comes with its time
                ahead, now = [r[1:] for r in ahead], [r[1:] for r in now]
            assert ahead == now, (str(stmt), ahead, now)
        return sum(1 for stmt, params in reads if batch.rows(session, stmt, params))

    # Rows to compare: the unit, its steps, the case, two signers, the checkpoint, the head
    # (no correction, deviation or setting was made, and nobody is not a user).
    assert db.write(compare) == 7


def test_nothing_read_ahead_answers_after_an_append(ready_any_db) -> None:  # type: ignore[no-untyped-def]
    db = ready_any_db

    def write(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
        ((stmt, params),) = ledger.head_reads(session)
        batch.read_ahead(session, [(stmt, params)])
        entry = ledger.append(
            session, "setting_changed", "admin", {"key": "site_name", "value": "Ward 7"}
        )
        after = batch.rows(session, stmt, params)[0]
        return entry.seq, after[0] if db.is_sqlite else after[1]  # PostgreSQL: time first

    seq, head_seq = db.write(write)
    assert head_seq == seq  # read afresh: the entry just appended is the head


def test_a_failed_batch_of_rows_is_a_typed_error_and_nothing_is_kept(ready_any_db) -> None:  # type: ignore[no-untyped-def]
    db = ready_any_db
    before = db.read(ledger.head)

    def write(session) -> None:  # type: ignore[no-untyped-def]
        ledger.append(session, "setting_changed", "admin", {"key": "site_name", "value": "A"})
        row = session.connection().execute(select(*LedgerEntry.__table__.c)).first()
        batch.write(session, [(LedgerEntry.__table__.insert(), [dict(row._mapping)])])

    with pytest.raises(IntegrityError):
        db.write(write)
    assert db.read(ledger.head) == before
