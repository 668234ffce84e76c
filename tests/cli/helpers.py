"""Plain helpers for running the command line as a user would: a real process.

`run` starts ``python -m cart_chain`` on a database (without the caller's
$CART_CHAIN_DB and $CART_CHAIN_USER), `ok` and `one_line_error` check its exit code
and output, and `NEW_CASE` enrols a placeholder patient. The CLI tests use them, and
so does every test of another folder that goes through the command line.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def run(
    db: Path | str, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {
        k: v for k, v in os.environ.items() if k not in ("CART_CHAIN_DB", "CART_CHAIN_USER")
    }
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "cart_chain", "--db", str(db), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
    )


def ok(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def one_line_error(result: subprocess.CompletedProcess[str], code: int) -> str:
    assert result.returncode == code, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith("cart-chain:")]
    assert len(lines) == 1, result.stderr
    return lines[0]


#: Enrolment of a placeholder patient; tests add --by and stdin as they need.
NEW_CASE = ("case", "new", "--name", "P", "--dob", "1980-01-01", "--mrn", "M", "--product", "K")
