"""A consistent rewrite of history: caught against any tree head kept from before it.

Someone with the database file changes one entry, recomputes its hash and every
later entry's (chain and Merkle tree), and rebuilds the entry's projection rows:
on its own the copy verifies. A tree head (size, root) printed earlier and kept
elsewhere still catches it, for every kept size that covers the rewritten entry.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from cart_chain.domain import merkle
from cart_chain.domain.errors import InvalidValue
from cart_chain.services.verification import parse_checkpoint, parse_tree_head, verify_ledger
from cart_chain.store.database import Database
from cart_chain.store.models import APPEND_ONLY_TABLES
from cart_chain.store.tree import root_at
from tests.cli.helpers import ok, one_line_error, run
from tests.helpers import enrol, unit_of, walk
from tests.tamper import consistent_rewrite, tamper


@pytest.fixture
def rewritten(ready_db: Database, tmp_path: Path) -> tuple[Path, int, int, Any]:
    """(copy, rewritten seq, size before, verify report before): one temperature changed."""
    coi = enrol(ready_db)
    seqs = walk(ready_db, unit_of(coi), 4)
    before = verify_ledger(ready_db)
    assert before.ok
    ready_db.dispose()
    copy = tmp_path / "rewritten.sqlite3"
    shutil.copy(ready_db.path, copy)  # type: ignore[arg-type]
    target = seqs[1]

    def colder(p: dict[str, Any]) -> None:
        assert p["temperature_c"] is not None
        p["temperature_c"] = p["temperature_c"] - 1.0

    consistent_rewrite(copy, target, colder)
    return copy, target, before.entries, before


def test_the_rewrite_alone_verifies(rewritten: tuple[Path, int, int, Any]) -> None:
    """The premise: without anything kept, the rewrite cannot be told from the truth."""
    copy, _, size, before = rewritten
    db = Database(str(copy))
    report = verify_ledger(db)
    assert report.ok, report.problem
    assert report.entries == size and report.root != before.root
    db.dispose()


def test_a_kept_tree_head_catches_the_rewrite(rewritten: tuple[Path, int, int, Any]) -> None:
    copy, _, size, before = rewritten
    db = Database(str(copy))
    kept = merkle.TreeHead(size, before.root)
    report = verify_ledger(db, head=kept)
    assert not report.ok
    assert report.problem.table == "tree_hashes"  # type: ignore[union-attr]
    assert "no longer has the root that was kept" in report.problem.message  # type: ignore[union-attr]
    # ...as does the old SEQ:HASH form of the checkpoint
    old = verify_ledger(db, parse_checkpoint(str(before.checkpoint)))
    assert not old.ok and "rewritten" in old.problem.message  # type: ignore[union-attr]
    db.dispose()


def test_every_kept_size_covering_the_entry_catches_it_and_no_other(
    rewritten: tuple[Path, int, int, Any], ready_db: Database
) -> None:
    copy, target, size, _ = rewritten
    original = Database(str(ready_db.path))
    db = Database(str(copy))
    for n in range(1, size + 1):
        root = original.read(lambda s, n=n: root_at(s, n))
        report = verify_ledger(db, head=merkle.TreeHead(n, root))
        assert report.ok == (n < target), n
    original.dispose()
    db.dispose()


def test_cli_verify_with_a_kept_root(
    rewritten: tuple[Path, int, int, Any], ready_db: Database
) -> None:
    copy, _, size, before = rewritten
    root = base64.b64encode(before.root).decode()
    assert f"tree head {size} {root}" in ok(run(ready_db.path, "verify"))
    assert "ledger intact" in ok(run(ready_db.path, "verify", "--size", str(size), "--root", root))
    assert "ledger intact" in ok(run(copy, "verify"))  # the rewrite alone passes
    err = one_line_error(run(copy, "verify", "--size", str(size), "--root", root), 1)
    assert "verification FAILED" in err and "the ledger was rewritten" in err
    shown = json.loads(run(copy, "verify", "--json", "--size", str(size), "--root", root).stdout)
    assert shown["ok"] is False and shown["problem"]["table"] == "tree_hashes"
    # the old SEQ:HASH checkpoint form still works, beside the new options
    err = one_line_error(run(copy, "verify", "--checkpoint", str(before.checkpoint)), 1)
    assert "rewritten" in err


def test_truncation_is_caught_by_a_kept_size(ready_db: Database) -> None:
    before = verify_ledger(ready_db)
    last = before.entries
    tamper(
        ready_db,
        *(f"DELETE FROM {t} WHERE entry_seq = {last}" for t in APPEND_ONLY_TABLES[1:]),
        f"DELETE FROM ledger_entries WHERE seq = {last}",
    )
    assert verify_ledger(ready_db).ok  # consistent on its own
    report = verify_ledger(ready_db, head=merkle.TreeHead(last, before.root))
    assert not report.ok and "were cut off" in report.problem.message  # type: ignore[union-attr]


def test_bad_root_or_size_is_refused_at_the_edge(ready_db: Database) -> None:
    with pytest.raises(InvalidValue, match="32 bytes in base64"):
        parse_tree_head(3, "not-base64!")
    with pytest.raises(InvalidValue, match="32 bytes in base64"):
        parse_tree_head(3, base64.b64encode(b"short").decode())
    with pytest.raises(InvalidValue, match="1 or more"):
        parse_tree_head(0, base64.b64encode(bytes(32)).decode())
    err = one_line_error(
        run(ready_db.path, "verify", "--root", base64.b64encode(bytes(32)).decode()), 2
    )
    assert "--root and --size go together" in err
