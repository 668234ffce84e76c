"""`verify`: prove the ledger and its projections are what was signed.

Besides the records, it checks what keeps them honest tomorrow: SQLite's check of
every page of the file, the append-only triggers, and a schema version row that
matches the tables. A problem with the
records is reported first; any problem makes `verify` fail.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.errors import InvalidValue
from cart_chain.store.database import Database
from cart_chain.store.integrity import (
    missing_table,
    schema_problem,
    storage_problem,
    trigger_problem,
)
from cart_chain.store.ledger import Checkpoint
from cart_chain.store.models import LedgerEntry
from cart_chain.store.verify import Problem, Report, verify


def parse_checkpoint(text: str) -> Checkpoint:
    seq, sep, digest = text.strip().partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64:
        raise InvalidValue("a checkpoint is SEQ:HASH as printed by verify or on a report")
    return Checkpoint(int(seq), digest.lower())


def verify_ledger(
    db: Database, expect: Checkpoint | None = None, progress: Callable[[int], None] | None = None
) -> Report:
    """Recompute everything; with ``expect``, also prove that checkpoint is still in the chain."""

    def run(session: Session) -> Report:
        absent = missing_table(session)
        if absent is not None:
            return Report(problem=absent)
        report = verify(session, progress)
        if report.ok and expect is not None:
            found = session.execute(
                select(LedgerEntry.hash).where(LedgerEntry.seq == expect.seq)
            ).scalar()
            if found is None:
                report.problem = Problem(
                    expect.seq,
                    "ledger_entries",
                    f"the ledger ends at {report.checkpoint.seq}: entries "
                    f"up to the checkpoint {expect.seq} were cut off",
                )
            elif found != expect.hash:
                report.problem = Problem(
                    expect.seq,
                    "ledger_entries",
                    "hash differs from the printed checkpoint: the ledger was rewritten",
                )
        if report.ok:
            report.problem = (
                storage_problem(session) or schema_problem(session) or trigger_problem(session)
            )
        return report

    return db.read(run)
