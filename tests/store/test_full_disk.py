"""A full disk: a clear environment error, nothing half-written, every committed record kept."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cart_chain.domain.errors import StorageFull
from cart_chain.services.case_list import list_cases
from cart_chain.services.verification import verify_ledger
from cart_chain.store.database import Database
from tests import tmpfs
from tests.helpers import enrol, populate


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MiB tmpfs; needs root (CI and this workstation image run as root)."""
    yield from tmpfs.mounted(tmp_path, "small", "2m")


def _fill(path: Path) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 4096)
    except OSError:
        pass  # ENOSPC: the disk is full
    finally:
        os.close(fd)


def test_full_disk_is_reported_and_loses_nothing(small_disk: Path) -> None:
    db = Database(str(small_disk / "cart-chain.sqlite3"))
    populate(db)
    first = enrol(db, "Kept Patient")
    before = verify_ledger(db)
    filler = small_disk / "filler"
    _fill(filler)
    with pytest.raises(StorageFull, match="full; nothing was saved"):
        for _ in range(50):  # the WAL may have room for a few; the disk runs out soon
            enrol(db, "Lost Patient")
    filler.unlink()
    after = verify_ledger(db)
    assert after.ok, after.problem
    assert first in [c.coi for c in list_cases(db)]
    assert after.checkpoint.seq >= before.checkpoint.seq
    enrol(db, "After Space Was Freed")  # works again once there is room
    assert verify_ledger(db).ok
