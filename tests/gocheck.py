"""Build the small Go checkers in tests/ (tlogcheck, notecheck) offline, once, and run them.

They compile against Debian's golang-golang-x-mod-dev source in GOPATH mode (no
network) into a cache directory outside the repository, named by the hash of the
checker's source and of the library file it checks against. Without Go or that
source the calling test is skipped saying so, except under CI=true, where it fails
(.ci/run installs both). `tlog_check` and `go_open` run a built checker.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

GOPATH = Path("/usr/share/gocode")
SUMDB = GOPATH / "src" / "golang.org" / "x" / "mod" / "sumdb"


def unavailable(why: str, checks: str) -> None:
    """Skip (or, under CI=true, fail) because the independent check ``checks`` cannot run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{why} (CI=true: .ci/run installs golang-go golang-golang-x-mod-dev)")
    pytest.skip(f"{why}: {checks} not checked with Go's sumdb")


def cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cart-chain"


def build(name: str, library: Path, checks: str) -> Path:
    """The compiled ``tests/NAME/main.go``, built against ``library`` if not cached."""
    source = Path(__file__).parent / name / "main.go"
    go = shutil.which("go")
    if go is None:
        unavailable("go is not installed (Debian: golang-go)", checks)
    if not library.exists():
        unavailable(
            f"no {library.parent.name} source at {library} (Debian: golang-golang-x-mod-dev)",
            checks,
        )
    digest = hashlib.sha256(source.read_bytes() + library.read_bytes()).hexdigest()
    target = cache_root() / f"{name}-{digest[:16]}"
    binary = target / name
    if binary.exists():
        return binary
    target.mkdir(parents=True, exist_ok=True)
    env = {
        **os.environ,
        "GO111MODULE": "off",
        "GOPATH": str(GOPATH),
        "GOCACHE": str(target / "go-build"),
        "GOFLAGS": "",
        "GOPROXY": "off",
    }
    # A file of this process's own: pytest-xdist workers (or two runs) that find the
    # cache empty build at once, and a shared name was renamed away under one of them.
    partial = target / f"{name}.{os.getpid()}.partial"
    done = subprocess.run(
        [go, "build", "-o", str(partial), str(source)],  # type: ignore[list-item]
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    if done.returncode != 0:
        partial.unlink(missing_ok=True)
        unavailable(f"go build of tests/{name} failed: {done.stderr.strip()}", checks)
    partial.replace(binary)
    return binary


def tlog_check(binary: Path, spec: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """Run tests/tlogcheck (``binary``) on ``spec``, given as JSON on its stdin."""
    return subprocess.run(
        [str(binary)], input=json.dumps(spec), capture_output=True, text=True, timeout=120
    )


def go_open(binary: Path, vkey: str, note: str) -> subprocess.CompletedProcess[str]:
    """Run tests/notecheck (``binary``): open the signed ``note`` with the verifier key."""
    return subprocess.run(
        [str(binary), vkey], input=note, capture_output=True, text=True, timeout=60
    )
