"""Reading works from read-only media: list, show and verify open the database read-only.

The media is a real read-only mount (a small tmpfs remounted ``ro``), so even root
cannot write to it; tests that need to mount are skipped, saying why, elsewhere.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
from pathlib import Path

import pytest

from cart_chain.store.database import Database
from tests.cli.helpers import NEW_CASE, ok, one_line_error, run
from tests.helpers import enrol, populate
from tests.tmpfs import make_read_only


def _reads_work(path: Path, coi: str) -> None:
    listed = ok(run(path, "case", "list"))
    assert coi in listed and "Kept Patient" in listed
    assert "Kept Patient" in ok(run(path, "case", "show", coi))
    assert "ledger intact" in ok(run(path, "verify"))
    assert '"leaf_index": 0' in ok(run(path, "proof", "inclusion", "1", "--json"))
    assert '"from": 1' in ok(run(path, "proof", "consistency", "--from", "1", "--json"))
    assert coi in ok(run(path, "case", "list", "--json"))


def test_reading_from_read_only_media(media: Path) -> None:
    path = media / "records.sqlite3"
    db = Database(str(path))
    populate(db)
    coi = enrol(db, "Kept Patient")
    db.dispose()
    assert not path.with_name(path.name + "-wal").exists()
    make_read_only(media)
    _reads_work(path, coi)
    line = one_line_error(run(path, *NEW_CASE, "--by", "alice", stdin="alice-secret-1\n"), 3)
    assert str(path) in line


def test_reading_a_wal_database_from_read_only_media(media: Path, tmp_path: Path) -> None:
    """A copy taken while a connection was open: its -wal and -shm come along."""
    source = tmp_path / "live.sqlite3"
    db = Database(str(source))
    populate(db)
    holder = sqlite3.connect(source)  # keeps the WAL from being folded in and removed
    holder.execute("PRAGMA wal_autocheckpoint=0")
    holder.execute("SELECT count(*) FROM ledger_entries").fetchall()
    coi = enrol(db, "Kept Patient")
    try:
        for suffix in ("", "-wal", "-shm"):
            shutil.copy(f"{source}{suffix}", media / f"records.sqlite3{suffix}")
    finally:
        holder.close()
        db.dispose()
    assert (media / "records.sqlite3-wal").stat().st_size > 0
    make_read_only(media)
    _reads_work(media / "records.sqlite3", coi)


def test_reading_on_a_full_disk(media: Path) -> None:
    path = media / "records.sqlite3"
    db = Database(str(path))
    populate(db)
    coi = enrol(db, "Kept Patient")
    db.dispose()
    fd = os.open(media / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        while True:
            os.write(fd, b"\0" * 65536)
    except OSError:
        pass  # ENOSPC: the disk is full
    finally:
        os.close(fd)
    _reads_work(path, coi)
    line = one_line_error(run(path, *NEW_CASE, "--by", "alice", stdin="alice-secret-1\n"), 3)
    assert "full" in line or "I/O" in line


def test_read_only_commands_on_sqlite_and_postgresql(
    ready_any_db: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    from cart_chain.cli.main import main

    coi = enrol(ready_any_db, "Kept Patient")
    for args in (("case", "list"), ("case", "show", coi), ("verify",), ("user", "list")):
        assert main(["--db", ready_any_db.url, *args]) == 0, capsys.readouterr().err
    out = capsys.readouterr().out
    assert "Kept Patient" in out and "ledger intact" in out
