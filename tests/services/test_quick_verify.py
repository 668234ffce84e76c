"""`verify --quick`: resumed at the newest signed checkpoint a full run on this
workstation passed (`store.resume`, `services.verify_marks`).

From the checkpoint on it checks as much as a full run. Before it, it still catches a
removed or reordered entry and any rewrite of history that recomputed the hashes or
the tree (the checkpoint entry's hash and signed root bind it). What it does not redo
there (an entry's own hash, its projection rows) the full run still catches, and a
copy of the database elsewhere is always checked in full.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from cart_chain.services.corrections import correct
from cart_chain.services.verification import verify_ledger
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.verify import Report
from tests.cli.helpers import ok, run
from tests.helpers import checkpointed_history, creds, enrol, populate, unit_of, walk
from tests.pg_plans import rows_touched, statements_of
from tests.tamper import consistent_rewrite, rewrite, tamper


def _quick(db: Database) -> Report:
    return verify_ledger(db, quick=True, remember=True)


def test_quick_checks_in_full_until_a_full_run_passed(ready_any_db: Database) -> None:
    _, checkpoint, _ = checkpointed_history(ready_any_db)
    first = _quick(ready_any_db)  # nothing recorded yet: a full run, which is remembered
    assert first.ok and first.since == 1
    assert any("checked in full" in w for w in first.warnings)
    again = _quick(ready_any_db)
    assert again.ok, again.problem
    assert again.since == checkpoint
    assert again.earlier_checked_at and again.entries == first.entries
    assert again.rows < first.rows  # only the rows from the checkpoint on were redone


def test_an_entry_before_the_checkpoint_corrected_after_it_verifies(
    ready_any_db: Database,
) -> None:
    before, _, _ = checkpointed_history(ready_any_db)
    assert verify_ledger(ready_any_db, remember=True).ok
    correct(ready_any_db, before[1], {"note": "corrected later"}, "typo", creds("alice"))
    report = _quick(ready_any_db)
    assert report.ok, report.problem
    assert report.since > 1


def test_a_projection_row_changed_after_the_checkpoint_fails_quick(
    ready_any_db: Database,
) -> None:
    _, _, after = checkpointed_history(ready_any_db)
    assert verify_ledger(ready_any_db, remember=True).ok
    tamper(ready_any_db, f"UPDATE events SET location = 'Elsewhere' WHERE entry_seq = {after[1]}")
    report = _quick(ready_any_db)
    assert not report.ok
    assert report.problem.seq == after[1] and report.problem.table == "events"


def test_an_entry_removed_before_the_checkpoint_fails_quick(ready_db: Database) -> None:
    before, _, _ = checkpointed_history(ready_db)
    assert verify_ledger(ready_db, remember=True).ok
    tamper(
        ready_db,
        f"DELETE FROM tree_hashes WHERE entry_seq = {before[1]}",
        f"DELETE FROM events WHERE entry_seq = {before[1]}",
        f"DELETE FROM signatures WHERE entry_seq = {before[1]}",
        f"DELETE FROM ledger_entries WHERE seq = {before[1]}",
    )
    report = _quick(ready_db)
    assert not report.ok
    assert report.problem.seq == before[1]
    assert "sequence jumps" in report.problem.message


def _colder(p: dict[str, Any]) -> None:
    p["temperature_c"] = -150.0


def test_a_rewrite_before_the_checkpoint_fails_quick(ready_db: Database, tmp_path: Path) -> None:
    """The attacker of `tests.tamper`, with hashes, projections and tree recomputed:
    with the checkpoint entries left, or relabelled as refused scans."""
    before, checkpoint, _ = checkpointed_history(ready_db)
    assert verify_ledger(ready_db, remember=True).ok
    ready_db.dispose()
    for hide in (False, True):
        copy = tmp_path / f"hide-{hide}.sqlite3"
        shutil.copy(ready_db.path, copy)  # type: ignore[arg-type]
        shutil.copy(copy, ready_db.path)  # type: ignore[arg-type]
        rewrite(ready_db.path, before[1], _colder, hide_checkpoints=hide)  # type: ignore[arg-type]
        report = _quick(ready_db)
        ready_db.dispose()
        assert not report.ok, hide
        assert report.problem.seq == checkpoint, report.problem
        shutil.copy(copy, ready_db.path)  # type: ignore[arg-type]
    back = _quick(ready_db)
    assert back.ok and back.since == checkpoint, back.problem


def test_what_quick_leaves_to_the_full_run(ready_db: Database) -> None:
    """A projection row before the checkpoint is not re-derived by --quick: it says so,
    and the full run (what an inspector runs) catches the change."""
    before, checkpoint, _ = checkpointed_history(ready_db)
    assert verify_ledger(ready_db, remember=True).ok
    tamper(ready_db, f"UPDATE events SET location = 'Elsewhere' WHERE entry_seq = {before[1]}")
    quick = _quick(ready_db)
    assert quick.ok and quick.since == checkpoint
    full = verify_ledger(ready_db, remember=True)
    assert not full.ok and full.problem.seq == before[1]


def test_a_copy_elsewhere_is_checked_in_full(ready_db: Database, tmp_path: Path) -> None:
    checkpointed_history(ready_db)
    assert verify_ledger(ready_db, remember=True).ok
    assert _quick(ready_db).since > 1
    ready_db.dispose()
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(ready_db.path, copy)  # type: ignore[arg-type]
    other = Database(str(copy))
    try:
        report = _quick(other)
    finally:
        other.dispose()
    assert report.ok and report.since == 1


def test_a_consistent_rewrite_after_a_full_run_fails_quick(
    ready_db: Database, tmp_path: Path
) -> None:
    before, checkpoint, _ = checkpointed_history(ready_db)
    assert verify_ledger(ready_db, remember=True).ok
    ready_db.dispose()
    consistent_rewrite(ready_db.path, before[0], _colder)  # type: ignore[arg-type]
    report = _quick(ready_db)
    assert not report.ok and report.problem.seq == checkpoint


def test_cli_verify_quick_says_what_it_checked_in_full(ready_db: Database) -> None:
    _, checkpoint, _ = checkpointed_history(ready_db)
    ready_db.dispose()
    assert "checked in full from" not in ok(run(ready_db.path, "verify"))  # type: ignore[arg-type]
    out = ok(run(ready_db.path, "verify", "--quick"))  # type: ignore[arg-type]
    assert f"checked in full from entry {checkpoint}" in out
    assert f"entries 1-{checkpoint - 1} were checked in full at" in out


def test_an_entry_before_the_checkpoint_moved_back_in_time_fails_quick(
    ready_any_db: Database,
) -> None:
    """The order, links and times before the checkpoint are compared in one statement;
    what it finds is named as a full run names it."""
    before, _, _ = checkpointed_history(ready_any_db)
    assert verify_ledger(ready_any_db, remember=True).ok
    tamper(
        ready_any_db,
        f"UPDATE ledger_entries SET recorded_at = '2000-01-01T00:00:00.000000Z' "
        f"WHERE seq = {before[1]}",
    )
    report = _quick(ready_any_db)
    assert not report.ok
    assert report.problem.seq == before[1]
    assert "time went back" in report.problem.message


#: 5,000 more entries as bare rows, each linked to the one before (hashes that are not
#: SHA-256: only the plans are looked at, nothing verifies them).
_LINKED = """
INSERT INTO ledger_entries (seq, recorded_at, kind, actor, payload, prev_hash, hash)
SELECT b + s, '2030-01-01T00:00:00.000000Z', 'bulk', 'alice', '{}',
       CASE WHEN s = 1 THEN h ELSE 'h' || (s - 1) END, 'h' || s
FROM (SELECT seq AS b, hash AS h FROM ledger_entries ORDER BY seq DESC LIMIT 1) AS head,
     generate_series(1, 5000) AS s
"""


@pytest.mark.postgres
def test_the_walk_reads_each_entry_once_on_postgresql(any_db_postgresql: Database) -> None:
    """Without table statistics PostgreSQL joined each entry to every other to find the
    one before it: 124 s at 70k entries. The statements of a resumed run are explained
    with ANALYZE over 5,000 more entries, and the rows each plan node touched counted."""
    db = populate(any_db_postgresql)
    checkpointed_history(db)
    assert verify_ledger(db, remember=True).ok
    selects = statements_of(db, lambda: _quick(db))
    walk = [(sql, p) for sql, p in selects if "JOIN ledger_entries" in sql]
    assert len(walk) == 1
    with db.engine.begin() as conn:
        conn.exec_driver_sql(_LINKED)
    entries = db.read(ledger.head).seq
    sql, params = walk[0]
    assert rows_touched(db, sql, {**params, "start": entries + 1}) < 5 * entries


def test_quick_on_a_ledger_without_a_checkpoint_says_why_it_checks_in_full(
    ready_db: Database,
) -> None:
    walk(ready_db, unit_of(enrol(ready_db)), 2)
    for _ in range(2):
        report = _quick(ready_db)
        assert report.ok and report.since == 1
        assert any("no signed checkpoint for --quick" in w for w in report.warnings)
    assert not any("checkpoint for --quick" in w for w in verify_ledger(ready_db).warnings)


def test_after_a_restore_quick_checks_the_restored_file_in_full(
    ready_db: Database, tmp_path: Path
) -> None:
    """An older backup restored over the database lacks the checkpoint the mark names;
    the restore forgets the marks of that place instead of leaving --quick to fail."""
    from cart_chain.services.backup import backup, restore

    made = backup(ready_db, tmp_path / "older.sqlite3", creds("admin"))
    checkpointed_history(ready_db)
    assert verify_ledger(ready_db, remember=True).ok
    assert _quick(ready_db).since > 1
    restore(ready_db, made.path, creds("admin"), qa=creds("quinn"), reason="test", replace=True)
    report = _quick(ready_db)
    assert report.ok, report.problem
    assert report.since == 1
