"""The tree frontier a process keeps between its own appends (`store.tree.leaf_rows`).

It saves the read of the left siblings, a round trip on PostgreSQL, on every append
that follows one of this process's own. It must never give a wrong hash: not after a
write that was rolled back, nor after another workstation moved the head.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from cart_chain.domain import merkle
from cart_chain.services.verification import verify_ledger
from cart_chain.store import ledger, tree
from cart_chain.store.database import Database
from tests.helpers import enrol, unit_of, walk
from tests.store.helpers import entry_hashes, expected_rows, stored


class _Refused(Exception):
    pass


@contextmanager
def _tree_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[list[int]]]:
    reads: list[list[int]] = []
    real = tree.read_hashes

    def counted(conn, positions):  # type: ignore[no-untyped-def]
        reads.append(list(positions))
        return real(conn, positions)

    monkeypatch.setattr(tree, "read_hashes", counted)
    yield reads


def _note(db: Database, value: str) -> None:
    """An entry of its own (a shared setting changed, as an administrator would)."""
    db.write(lambda s: ledger.append(s, "setting_changed", "admin", _setting(value)))


def _setting(value: str) -> dict[str, str]:
    return {"key": "facility_name", "value": value}


def test_an_append_after_this_process_own_reads_no_sibling(
    ready_any_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    walk(ready_any_db, unit_of(enrol(ready_any_db)), 2)  # this process appended last
    with _tree_reads(monkeypatch) as reads:
        walk(ready_any_db, unit_of(enrol(ready_any_db)), 4)
    assert reads == []
    assert stored(ready_any_db) == expected_rows(entry_hashes(ready_any_db))


def test_a_rolled_back_append_and_another_writer_leave_every_hash_right(
    ready_any_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = ready_any_db
    unit = unit_of(enrol(db))
    walk(db, unit, 1)

    def refused(session):  # type: ignore[no-untyped-def]
        ledger.append(session, "setting_changed", "admin", _setting("never stored"))
        ledger.append(session, "setting_changed", "admin", _setting("nor this"))
        raise _Refused

    with pytest.raises(_Refused):
        db.write(refused)  # its frontiers are kept, for heads no entry will ever have
    ours = dict(tree._FRONTIERS)
    # Another workstation: its own process, so its own (empty) frontiers, two appends.
    monkeypatch.setattr(tree, "_FRONTIERS", {})
    _note(db, "from the workstation next door")
    _note(db, "and again")
    monkeypatch.setattr(tree, "_FRONTIERS", ours)
    with _tree_reads(monkeypatch) as reads:
        for n in range(5):
            _note(db, f"back here {n}")
    leaves = entry_hashes(db)
    assert stored(db) == expected_rows(leaves)
    assert len(reads) <= 1, reads  # the stale frontier is not used: read once, then kept
    report = verify_ledger(db)
    assert report.ok, report.problem
    assert report.root == merkle.tree_hash(leaves)
