"""The files around a restore: the name the replaced database is kept under, and its copy.

Kept apart from `backup` so the restore's signed logic reads on its own; nothing
here writes the ledger.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cart_chain.domain.errors import VerificationFailed
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.ledger import Checkpoint
from cart_chain.store.schema import sqlite_copy


def kept_name(target: Path) -> Path:
    """A new name beside ``target``: two restores in one second never share a kept copy."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    kept = target.with_name(f"{target.stem}.before-restore-{stamp}.sqlite3")
    n = 1
    while kept.exists():
        n += 1
        kept = target.with_name(f"{target.stem}.before-restore-{stamp}-{n}.sqlite3")
    return kept


def keep(target: Path, kept: Path, head: Checkpoint | None) -> None:
    """Keep the database being replaced beside it: a consistent copy, or, when it cannot be
    read, the untouched files themselves (renamed)."""
    if head is None:
        for suffix in ("", "-wal", "-shm"):
            source = Path(f"{target}{suffix}")
            if source.exists():
                source.replace(f"{kept}{suffix}")
        return
    sqlite_copy(target, kept)
    same_head(kept, head)
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)


def same_head(kept: Path, head: Checkpoint) -> None:
    """The file kept must be the ledger the restore entry names, else someone wrote meanwhile."""
    copy = Database(str(kept), read_only=True)
    try:
        now = copy.read(ledger.head)
    finally:
        copy.dispose()
    if now != head:
        kept.unlink(missing_ok=True)
        raise VerificationFailed(
            f"the database moved on to {now} during the restore; nothing was restored, try again"
        )
