"""Stress run of the custody model test: 1,000 random sequences on SQLite, 50 on PostgreSQL.

    python benchmarks/custody_stress.py [--profile stress|ci|quick] [--pg URL]

CI runs the same state machine (tests/services/test_custody_stateful.py) with 200 and 15
sequences so the suite stays inside its time budget; this script runs the full
count that the earlier CI did. It runs pytest on that one file with the chosen
Hypothesis profile, prints the wall time next to a bare baseline (pytest
collecting the same file without running it, measured in the same run), and
ends with one JSON line. It asserts nothing itself: pytest's exit status is
reported as ``passed``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEST = "tests/services/test_custody_stateful.py"


def _pytest(args: list[str], env: dict[str, str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", TEST, *args],
        cwd=ROOT,
        env=env,
    )
    return time.perf_counter() - start, proc.returncode


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="stress", choices=["stress", "ci", "quick"])
    parser.add_argument("--pg", default=os.environ.get("CART_CHAIN_TEST_PG", ""))
    opts = parser.parse_args()
    env = dict(os.environ, HYPOTHESIS_PROFILE=opts.profile, QT_QPA_PLATFORM="offscreen")
    if opts.pg:
        env["CART_CHAIN_TEST_PG"] = opts.pg
    bare, _ = _pytest(["--collect-only"], env)
    run, status = _pytest([], env)
    print(f"collect only (bare): {bare:8.1f} s")
    print(f"{opts.profile} run:        {run:8.1f} s   exit {status}")
    print(
        json.dumps(
            {
                "bench": "custody_stress",
                "profile": opts.profile,
                "seconds": round(run, 1),
                "bare_seconds": round(bare, 1),
                "passed": status == 0,
                "postgresql": bool(opts.pg),
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
