"""The ledger's Merkle tree in the store: appended with each entry, migrated, verified,
and served as proofs by the service and the CLI."""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from cart_chain.domain import merkle
from cart_chain.domain.errors import InvalidValue, VerificationFailed
from cart_chain.services.proofs import consistency_proof, inclusion_proof
from cart_chain.services.verification import verify_ledger
from cart_chain.store.database import Database
from cart_chain.store.tree import root_at
from tests.cli.helpers import ok, one_line_error, run
from tests.helpers import enrol, unit_of, walk
from tests.store.helpers import entry_hashes, expected_rows, stored
from tests.tamper import tamper

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_every_append_stores_its_leaf_and_the_subtrees_it_completes(ready_any_db: Database) -> None:
    coi = enrol(ready_any_db)
    walk(ready_any_db, unit_of(coi), 4)
    leaves = entry_hashes(ready_any_db)
    assert stored(ready_any_db) == expected_rows(leaves)
    assert len(stored(ready_any_db)) == merkle.stored_hash_count(len(leaves))
    report = verify_ledger(ready_any_db)
    assert report.ok and report.root == merkle.tree_hash(leaves)
    for size in range(1, len(leaves) + 1):
        assert ready_any_db.read(lambda s, n=size: root_at(s, n)) == merkle.tree_hash(leaves[:size])


def test_proofs_prove_every_entry_and_every_earlier_size(ready_db: Database) -> None:
    enrol(ready_db)
    leaves = entry_hashes(ready_db)
    n = len(leaves)
    for size in (1, 2, 7, n // 2, n):
        root = merkle.tree_hash(leaves[:size])
        for seq in range(1, size + 1):
            p = inclusion_proof(ready_db, seq, size)
            assert (p.leaf_index, p.tree_size, p.leaf_data, p.root) == (
                seq - 1,
                size,
                leaves[seq - 1],
                root,
            )
            assert merkle.verify_inclusion(
                seq - 1, size, merkle.leaf_hash(p.leaf_data), p.proof, root
            )
        for old in range(1, size + 1):
            c = consistency_proof(ready_db, old, size)
            assert c.old_root == merkle.tree_hash(leaves[:old]) and c.new_root == root
            assert merkle.verify_consistency(old, size, c.old_root, c.new_root, c.proof)
    assert inclusion_proof(ready_db, 1).tree_size == n  # default: the whole ledger
    assert consistency_proof(ready_db, 1).new_size == n


@pytest.mark.parametrize(
    ("call", "says"),
    [
        (lambda db, n: inclusion_proof(db, 0), "entry 0 is not in"),
        (lambda db, n: inclusion_proof(db, n + 1), "entry {n1} is not in"),
        (lambda db, n: inclusion_proof(db, 5, 4), "entry 5 is not in a tree of 4"),
        (lambda db, n: inclusion_proof(db, 1, n + 1), "out of range: the ledger has"),
        (lambda db, n: inclusion_proof(db, 1, 0), "tree size 0 is out of range"),
        (lambda db, n: consistency_proof(db, 0), "--from 0 is out of range"),
        (lambda db, n: consistency_proof(db, 5, 4), "--from 5 is out of range: it must be 1..4"),
        (lambda db, n: consistency_proof(db, 1, n + 1), "out of range: the ledger has"),
    ],
)
def test_out_of_range_proofs_are_refused_saying_why(ready_db: Database, call, says) -> None:  # type: ignore[no-untyped-def]
    n = len(entry_hashes(ready_db))
    with pytest.raises(InvalidValue, match=says.replace("{n1}", str(n + 1))):
        call(ready_db, n)


def test_cli_prints_the_proofs_in_the_documented_form(ready_db: Database) -> None:
    leaves = entry_hashes(ready_db)
    n = len(leaves)
    shown = json.loads(ok(run(ready_db.path, "proof", "inclusion", "3", "--size", "7", "--json")))
    assert list(shown) == ["seq", "leaf_index", "tree_size", "leaf_data", "proof", "root"]
    assert (shown["seq"], shown["leaf_index"], shown["tree_size"]) == (3, 2, 7)
    assert bytes.fromhex(shown["leaf_data"]) == leaves[2]
    proof = [base64.b64decode(h) for h in shown["proof"]]
    root = base64.b64decode(shown["root"])
    assert root == merkle.tree_hash(leaves[:7])
    assert merkle.verify_inclusion(2, 7, merkle.leaf_hash(leaves[2]), proof, root)

    shown = json.loads(ok(run(ready_db.path, "proof", "consistency", "--from", "3", "--json")))
    assert list(shown) == ["from", "to", "proof", "old_root", "new_root"]
    assert (shown["from"], shown["to"]) == (3, n)
    old, new = base64.b64decode(shown["old_root"]), base64.b64decode(shown["new_root"])
    proof = [base64.b64decode(h) for h in shown["proof"]]
    assert merkle.verify_consistency(3, n, old, new, proof)
    assert "extends the tree of 3" in ok(run(ready_db.path, "proof", "consistency", "--from", "3"))

    err = one_line_error(run(ready_db.path, "proof", "inclusion", str(n + 1)), 1)
    assert f"entry {n + 1} is not in a tree of {n} entries" in err
    err = one_line_error(run(ready_db.path, "proof", "consistency", "--from", "2", "--to", "1"), 1)
    assert "--from 2 is out of range" in err


def _tree_row(db: Database, where: str) -> tuple[int, int, str]:
    with db.engine.connect() as conn:
        return tuple(
            conn.execute(text(f"SELECT idx, entry_seq, hash FROM tree_hashes {where}")).first()
        )  # type: ignore[arg-type,return-value]


def test_an_altered_tree_hash_fails_verify_at_its_entry(ready_db: Database) -> None:
    idx, seq, _ = _tree_row(ready_db, "WHERE idx = 6")  # level 2, index 0: made by entry 4
    assert seq == 4
    tamper(ready_db, f"UPDATE tree_hashes SET hash = '{'ab' * 32}' WHERE idx = {idx}")
    report = verify_ledger(ready_db)
    assert not report.ok
    assert (report.problem.seq, report.problem.table) == (4, "tree_hashes")  # type: ignore[union-attr]
    assert "level 2, index 0 does not match the ledger" in report.problem.message  # type: ignore[union-attr]


def test_a_deleted_or_inserted_tree_hash_fails_verify(ready_db: Database, tmp_path: Path) -> None:
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(ready_db.path, copy)  # type: ignore[arg-type]
    idx, seq, _ = _tree_row(ready_db, "ORDER BY idx DESC")
    tamper(ready_db, f"DELETE FROM tree_hashes WHERE idx = {idx}")
    report = verify_ledger(ready_db)
    assert not report.ok and report.problem.table == "tree_hashes"  # type: ignore[union-attr]
    assert report.problem.seq == seq and "missing" in report.problem.message  # type: ignore[union-attr]
    # a proof that needs the missing hash says so instead of proving something else
    with pytest.raises(VerificationFailed, match="the Merkle tree has no hash"):
        inclusion_proof(ready_db, seq, seq)

    extra = Database(str(copy))
    tamper(extra, f"INSERT INTO tree_hashes VALUES ({idx + 1}, {seq}, '{'00' * 32}')")
    report = verify_ledger(extra)
    assert not report.ok and report.problem.table == "tree_hashes"  # type: ignore[union-attr]
    assert "not written by the ledger" in report.problem.message  # type: ignore[union-attr]
    extra.dispose()


def test_the_migration_builds_the_tree_of_an_older_database(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    shutil.copy(FIXTURES / "cart-chain-schema-0001.sqlite3", path)
    with sqlite3.connect(str(path)) as conn:
        before = [
            bytes.fromhex(r[0])
            for r in conn.execute("SELECT hash FROM ledger_entries ORDER BY seq")
        ]
    conn.close()
    assert len(before) > 8
    out = ok(run(path, "verify"))  # upgrades to the head, then verifies the built tree
    db = Database(str(path))
    assert stored(db) == expected_rows(before)
    root = base64.b64encode(merkle.tree_hash(before)).decode()
    assert f"tree head {len(before)} {root}" in out
    db.dispose()


def test_the_migration_pages_through_any_number_of_entries(any_db: Database) -> None:
    """More entries than one page (5,000), on both databases: the tree is the appends' tree."""
    from alembic import command
    from alembic.config import Config

    from cart_chain.store import schema

    cfg = Config()
    cfg.set_main_option("script_location", str(schema.MIGRATIONS))
    with any_db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0004")
    n = 5003
    leaves = [bytes.fromhex(f"{i:064x}") for i in range(1, n + 1)]
    rows = [
        {
            "seq": i,
            "at": "2026-01-01T00:00:00.000000Z",
            "prev": f"{i - 1:064x}" if i > 1 else "f" * 64,
            "hash": leaves[i - 1].hex(),
        }
        for i in range(1, n + 1)
    ]
    with any_db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO ledger_entries (seq, recorded_at, kind, actor, payload, prev_hash, "
                "hash) VALUES (:seq, :at, 'bench', NULL, '{}', :prev, :hash)"
            ),
            rows,
        )
    schema.upgrade(any_db)
    assert schema.state(any_db) == "current"
    assert stored(any_db) == expected_rows(leaves)
