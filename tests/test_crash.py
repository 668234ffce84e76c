"""The crash script in small: killed writers lose no acknowledged entry, verify passes.

The full run (1,000 kills on SQLite, 100 on PostgreSQL) is `python benchmarks/crash.py`;
its figures are in the README. No timing is asserted here.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cart_chain.store.database import Database
from tests.conftest import PG_URL

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "crash.py"


def _crash_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("crash", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["crash"] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _run(*args: str) -> dict:  # type: ignore[type-arg]
    out = subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        env={**os.environ, "CART_CHAIN_TEST_PG": PG_URL},
        timeout=600,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_sigkilled_sqlite_writers_lose_no_acknowledged_entry() -> None:
    summary = _run("--kills", "20", "--pg-kills", "0")
    (sqlite,) = summary["results"]
    assert sqlite["kills"] == 20
    assert sqlite["acknowledged"] > 0, "no writer got as far as a commit: nothing was tested"
    assert (sqlite["lost"], sqlite["verify_failures"]) == (0, 0)


@pytest.mark.slow
@pytest.mark.postgres
def test_sigkilled_postgresql_writers_lose_no_acknowledged_entry(any_db_postgresql) -> None:  # type: ignore[no-untyped-def]
    """(The fixture only skips, saying why, when no server is reachable.)"""
    summary = _run("--kills", "0", "--pg-kills", "5")
    (pg,) = summary["results"]
    assert pg["kills"] == 5
    assert (pg["lost"], pg["verify_failures"]) == (0, 0)


def test_the_checker_counts_a_missing_or_changed_acknowledgement_as_lost(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The crash script's own check can fail: a promised entry that is absent or differs."""
    crash = _crash_module()
    db = Database(str(tmp_path / "c.sqlite3"))
    try:
        crash.prepare(db)
        stored = dict(
            db.read(lambda s: s.query(crash.LedgerEntry.seq, crash.LedgerEntry.hash).all())
        )
        acks = tmp_path / "acks.txt"
        acks.write_text(
            f"1:{stored[1]}\n2:{'0' * 64}\n999:{'1' * 64}\n3:{stored[3]}"  # last line torn
        )
        acked = crash.read_acks(acks)
        assert sorted(acked) == [1, 2, 999]
        assert crash.missing(db, acked) == [2, 999]
    finally:
        db.dispose()
