"""`verify` holds every stored payload to its kind's declaration, as the writer does.

Someone with the database file could add a key no kind declares to an entry (an
"approved_by" on a custody step, say), recompute every hash and the tree, and
leave the projections as they were, since no projection reads that key. `verify`
compared hashes and projections only, so the copy verified. It now asks the
kind registry, as `ledger.append` does, and names the entry and the key.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from cart_chain.services.verification import verify_ledger
from cart_chain.store.database import Database
from tests.helpers import enrol, unit_of, walk
from tests.tamper import rewrite


def test_an_undeclared_key_added_to_a_step_fails_verify(ready_db: Database, tmp_path: Path) -> None:
    seqs = walk(ready_db, unit_of(enrol(ready_db)), 2)
    assert verify_ledger(ready_db).ok
    ready_db.dispose()
    copy = tmp_path / "rewritten.sqlite3"
    shutil.copy(ready_db.path, copy)  # type: ignore[arg-type]

    def approved(p: dict[str, Any]) -> None:
        p["approved_by"] = "quinn"  # read by nothing: no projection row changes

    rewrite(copy, seqs[1], approved)
    db = Database(str(copy))
    try:
        report = verify_ledger(db)
    finally:
        db.dispose()
    assert not report.ok
    assert report.problem.seq == seqs[1]
    assert "'approved_by'" in report.problem.message
    assert "event_recorded" in report.problem.message
