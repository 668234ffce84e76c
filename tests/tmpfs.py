"""A small tmpfs for the tests of full and read-only media (needs root).

The fixture ``media`` (tests/conftest.py) mounts one with `mount`; `make_read_only`
remounts it ``ro``, so that even root cannot write to it. A plain module, since pytest
discourages importing from a conftest module.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest


def mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True)


def make_read_only(mount_point: Path) -> None:
    done = mount("-o", "remount,ro", str(mount_point))
    assert done.returncode == 0, done.stderr
    with pytest.raises(OSError):
        (mount_point / "probe").write_text("x")  # really read-only, even for root
