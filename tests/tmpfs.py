"""A small tmpfs for the tests of full and read-only media (needs root).

The fixtures ``media`` (tests/conftest.py) and ``small_disk`` (the full-disk test) mount
one with `mounted`; `make_read_only` remounts it ``ro``, so that even root cannot write
to it. A plain module, since pytest discourages importing from a conftest module.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["mount", *args], capture_output=True, text=True)


def mounted(tmp_path: Path, name: str, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (``2m``) at ``tmp_path / name`` until the generator is closed;
    the test is skipped, saying why, where one cannot be mounted."""
    point = tmp_path / name
    point.mkdir()
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs")
    done = mount("-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(point))
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield point
    finally:
        subprocess.run(["umount", "-l", str(point)], check=False)


def make_read_only(mount_point: Path) -> None:
    done = mount("-o", "remount,ro", str(mount_point))
    assert done.returncode == 0, done.stderr
    with pytest.raises(OSError):
        (mount_point / "probe").write_text("x")  # really read-only, even for root
