"""What a signed handoff asks the database, once its signers' passwords are checked.

Every statement is a round trip on PostgreSQL, and the handoff is the commonest
write. These tests read the statements a real handoff sends (no timing): each
question is asked once. The regressions they guard: the whole write used to be
rehearsed in a read transaction first (every check ran twice), the head was read
twice when a checkpoint's due time was asked first, and each signer's history
was read in a query of its own.
"""

from __future__ import annotations

import re

from sqlalchemy import event

from cart_chain.services.custody import record_event
from cart_chain.store.database import Database
from tests.conftest import creds, enrol, unit_of, walk


def _sent(db: Database, fn) -> list[str]:  # type: ignore[no-untyped-def]
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return seen


def _handoff(db: Database) -> list[str]:
    unit = unit_of(enrol(db))
    walk(db, unit, 1)
    return _sent(
        db, lambda: record_event(db, unit, "ship_to_manufacturing", creds("alice"), creds("carl"))
    )


def test_each_check_of_a_handoff_reads_once(ready_any_db) -> None:  # type: ignore[no-untyped-def]
    sent = _handoff(ready_any_db)
    unit_reads = [s for s in sent if s.startswith("SELECT units.unit_code")]
    assert len(unit_reads) == 1  # the bag: in the write only, not rehearsed first
    histories = [s for s in sent if "FROM users JOIN user_changes" in s]
    # Both signers in one query before the write (their passwords), one in it.
    assert len(histories) == 2
    assert all("IN (" in s for s in histories)
    heads = [s for s in sent if re.search(r"ORDER BY (ledger_entries\.)?seq DESC LIMIT", s)]
    assert len(heads) == 1  # the checkpoint's due time and the append share it


def test_a_handoff_sends_few_statements(ready_any_db) -> None:  # type: ignore[no-untyped-def]
    """A ceiling on the whole handoff: 28 statements on SQLite before, 17 now."""
    sent = _handoff(ready_any_db)
    assert len(sent) <= 18, "\n".join(sent)
