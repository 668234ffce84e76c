"""Our Merkle proofs checked by code that is not ours: Go's golang.org/x/mod/sumdb/tlog.

tests/tlogcheck/main.go feeds cart-chain's stored hashes and proofs to tlog
(StoredHashes, TreeHash, CheckRecord, CheckTree). It is compiled offline from
Debian's golang-golang-x-mod-dev source (GOPATH mode, no network) into a cache
directory outside the repository, named by the source's hash. Without Go the test
is skipped saying so, except under CI=true, where it fails (.ci/run installs Go).
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from cart_chain.services.proofs import (
    consistency_json,
    consistency_proof,
    inclusion_json,
    inclusion_proof,
)
from cart_chain.store.database import Database
from tests import gocheck
from tests.cli.helpers import ok, run
from tests.helpers import enrol, unit_of, walk


@pytest.fixture(scope="module")
def tlogcheck() -> Path:
    return gocheck.build("tlogcheck", gocheck.SUMDB / "tlog" / "tlog.go", "our proofs are")


def ledger_spec(db: Database) -> dict[str, Any]:
    with db.engine.connect() as conn:
        leaves = conn.execute(text("SELECT hash FROM ledger_entries ORDER BY seq")).scalars()
        stored = conn.execute(text("SELECT hash FROM tree_hashes ORDER BY idx")).scalars()
        return {"leaves": list(leaves), "stored": list(stored)}


def test_tlog_accepts_every_proof_and_builds_the_same_tree(
    tlogcheck: Path, ready_any_db: Database
) -> None:
    coi = enrol(ready_any_db, bags=2)
    walk(ready_any_db, unit_of(coi, 1), 5)
    spec = ledger_spec(ready_any_db)
    n = len(spec["leaves"])
    assert n > 20
    sizes = sorted({1, 2, 3, 8, 13, n // 2, n - 1, n})
    spec["inclusion"] = [
        inclusion_json(inclusion_proof(ready_any_db, seq, size))
        for size in sizes
        for seq in range(1, size + 1)
    ]
    spec["consistency"] = [
        consistency_json(consistency_proof(ready_any_db, old, new))
        for new in sizes
        for old in range(1, new + 1)
    ]
    done = gocheck.tlog_check(tlogcheck, spec)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.strip() == f"ok {len(spec['inclusion']) + len(spec['consistency'])}"


def test_tlog_refuses_what_is_not_a_proof(tlogcheck: Path, ready_db: Database) -> None:
    """The checker can fail: an altered proof, a wrong root and a changed tree are all caught."""
    spec = ledger_spec(ready_db)
    good_inc = inclusion_json(inclusion_proof(ready_db, 3, 7))
    good_con = consistency_json(consistency_proof(ready_db, 3, 7))
    flipped = bytearray(base64.b64decode(good_inc["proof"][0]))
    flipped[0] ^= 1
    bad_inc = {**good_inc, "proof": [base64.b64encode(flipped).decode(), *good_inc["proof"][1:]]}
    bad_con = {**good_con, "old_root": good_inc["root"]}  # the root of 7, not of 3
    changed = list(spec["stored"])
    changed[2] = "00" * 32
    done = gocheck.tlog_check(
        tlogcheck,
        {
            "leaves": spec["leaves"],
            "stored": changed,
            "inclusion": [bad_inc],
            "consistency": [bad_con],
        },
    )
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert "stored hash 2 (level 1, index 0) differs from tlog's" in lines
    assert any(line.startswith("CheckRecord entry 3 in tree 7") for line in lines)
    assert any(line.startswith("CheckTree from 3 to 7") for line in lines)


def test_tlog_accepts_what_the_cli_prints(tlogcheck: Path, ready_db: Database) -> None:
    enrol(ready_db)
    spec = ledger_spec(ready_db)
    n = len(spec["leaves"])
    spec["inclusion"] = [
        json.loads(ok(run(ready_db.path, "proof", "inclusion", "5", "--json"))),
        json.loads(ok(run(ready_db.path, "proof", "inclusion", "2", "--size", "6", "--json"))),
    ]
    spec["consistency"] = [
        json.loads(ok(run(ready_db.path, "proof", "consistency", "--from", "6", "--json"))),
        json.loads(
            ok(
                run(
                    ready_db.path,
                    "proof",
                    "consistency",
                    "--from",
                    "3",
                    "--to",
                    f"{n - 1}",
                    "--json",
                )
            )
        ),
    ]
    done = gocheck.tlog_check(tlogcheck, spec)
    assert done.returncode == 0, done.stdout + done.stderr
