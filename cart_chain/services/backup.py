"""Backups of a live SQLite database, verified before they are trusted.

`backup` uses SQLite's online backup API (a consistent copy while others keep
working), then opens the copy and runs `verify` on it: a backup that does not
verify is deleted and reported, never left looking usable. `restore` refuses a
backup that does not verify, and never deletes the database it replaces: that
file is kept beside it, renamed, so no committed record is lost by a restore.
PostgreSQL has its own tools (pg_dump / pg_basebackup).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from cart_chain.domain.errors import DatabaseUnavailable, InvalidValue, VerificationFailed
from cart_chain.store.database import Database
from cart_chain.store.ledger import Checkpoint
from cart_chain.store.schema import sqlite_copy, state
from cart_chain.store.verify import Report, verify


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    entries: int
    checkpoint: Checkpoint
    replaced: Path | None = None  # restore: where the database it replaced was kept


def _sqlite_only(db: Database) -> Path:
    if db.path is None:
        raise InvalidValue(
            "backup and restore copy SQLite databases; back up PostgreSQL with pg_dump"
        )
    return db.path


def check_file(path: Path) -> Report:
    """Open ``path`` as a cart-chain database and verify it completely."""
    if not path.is_file():
        raise DatabaseUnavailable(f"no backup file at {path}")
    copy = Database(str(path), read_only=True)
    try:
        state(copy)  # refuses foreign, corrupt or newer databases
        report = copy.read(verify)
    finally:
        copy.dispose()
    if not report.ok:
        raise VerificationFailed(f"{path} does not verify: {report.problem}")
    return report


def backup(db: Database, out: Path) -> BackupResult:
    source = _sqlite_only(db)
    if not source.exists():
        raise DatabaseUnavailable(f"no database at {source}")
    out = out.expanduser().resolve()
    if out == source.resolve():
        raise InvalidValue("the backup must be a different file from the database")
    out.parent.mkdir(parents=True, exist_ok=True)
    sqlite_copy(source, out)
    try:
        report = check_file(out)
    except Exception:
        out.unlink(missing_ok=True)
        raise
    return BackupResult(out, report.entries, report.checkpoint)


def restore(db: Database, backup_file: Path, *, replace: bool = False) -> BackupResult:
    target = _sqlite_only(db)
    backup_file = backup_file.expanduser().resolve()
    report = check_file(backup_file)  # before anything is touched
    replaced = None
    if target.exists():
        if not replace:
            raise InvalidValue(
                f"{target} already exists; give --replace to restore over it "
                "(the current file is kept beside it, renamed)"
            )
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        replaced = target.with_name(f"{target.stem}.before-restore-{stamp}.sqlite3")
        n = 1
        while replaced.exists():  # two restores in one second: never overwrite a kept copy
            n += 1
            replaced = target.with_name(f"{target.stem}.before-restore-{stamp}-{n}.sqlite3")
        db.dispose()
        sqlite_copy(target, replaced)
        for suffix in ("-wal", "-shm"):
            Path(f"{target}{suffix}").unlink(missing_ok=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    sqlite_copy(backup_file, target)
    check_file(target)
    return BackupResult(target, report.entries, report.checkpoint, replaced)
