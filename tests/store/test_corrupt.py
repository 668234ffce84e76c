"""A SQLite file that SQLite reports corrupt takes no writes (exit 3, pointing to restore).

SQLite-only: PostgreSQL guards its own pages (checksums, WAL) and reports damage
as a server error, not as a file this program could write into.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import DBAPIError

from cart_chain.domain.errors import DatabaseUnavailable
from cart_chain.store.database import Database
from cart_chain.store.db_errors import is_corruption, translate
from tests.cli.helpers import NEW_CASE, ok, one_line_error, run
from tests.helpers import enrol, populate


def _corrupt_table_page(path: Path, table: str) -> None:
    """Overwrite the b-tree header of ``table``'s root page; the file header stays intact."""
    with sqlite3.connect(path) as con:
        root = con.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()
        page_size = con.execute("PRAGMA page_size").fetchone()[0]
    con.close()
    with path.open("r+b") as f:
        f.seek((root[0] - 1) * page_size)
        f.write(b"\xff" * 8)


@pytest.fixture
def corrupt_db(tmp_path: Path) -> Path:
    path = tmp_path / "damaged.sqlite3"
    db = Database(str(path))
    populate(db)
    enrol(db, "Kept Patient")
    db.dispose()  # the last connection checkpoints the WAL into the file
    assert not (tmp_path / "damaged.sqlite3-wal").exists()
    # The events table: a page `case new` never reads, so before this fix the
    # enrolment was appended to the damaged file and reported as a success.
    _corrupt_table_page(path, "events")
    return path


def test_case_new_on_a_corrupt_file_is_refused_and_writes_nothing(corrupt_db: Path) -> None:
    before = corrupt_db.read_bytes()
    result = run(corrupt_db, *NEW_CASE, "--by", "alice", stdin="alice-secret-1\n")
    line = one_line_error(result, 3)
    assert "is corrupt; nothing was saved" in line and "cart-chain restore" in line
    assert corrupt_db.read_bytes() == before
    wal = corrupt_db.with_name(corrupt_db.name + "-wal")
    assert not wal.exists() or wal.stat().st_size == 0


def test_every_write_is_refused_once_corruption_is_seen(corrupt_db: Path) -> None:
    db = Database(str(corrupt_db))
    try:
        assert db.corrupt
        with pytest.raises(DatabaseUnavailable, match="is corrupt; nothing was saved"):
            db.write(lambda session: None)
    finally:
        db.dispose()


def test_corruption_is_told_by_sqlite_error_code_not_message(tmp_path: Path) -> None:
    garbage = tmp_path / "not-a-db.sqlite3"
    garbage.write_bytes(b"this is not a database file at all, just text " * 200)
    db = Database(str(garbage))
    try:
        assert db.corrupt  # SQLITE_NOTADB from the check at open
        with pytest.raises(DatabaseUnavailable, match="cart-chain restore"):
            db.write(lambda session: None)
    finally:
        db.dispose()
    shutil.copy(garbage, tmp_path / "copy.sqlite3")
    con = sqlite3.connect(tmp_path / "copy.sqlite3")
    with pytest.raises(sqlite3.DatabaseError) as raised:
        con.execute("SELECT * FROM sqlite_master").fetchall()
    con.close()
    err = DBAPIError("SELECT", None, raised.value)
    assert is_corruption(err)
    assert "is corrupt" in str(translate(err, "database X"))  # reading a damaged backup
    err.orig.sqlite_errorcode = 5  # SQLITE_BUSY with the same words is not corruption
    assert not is_corruption(err)


def test_a_healthy_file_is_not_called_corrupt(ready_db: Database) -> None:
    assert not ready_db.corrupt
    enrol(ready_db)


def test_a_corrupt_file_can_be_restored_from_its_backup(tmp_path: Path) -> None:
    """The way out the refusal points to works: restore, signed by an administrator and QA."""
    path = tmp_path / "live.sqlite3"
    db = Database(str(path))
    populate(db)
    enrol(db, "Kept Patient")
    good = tmp_path / "good.sqlite3"
    ok(run(path, "backup", "--out", str(good), "--by", "admin", stdin="admin-secret-1\n"))
    db.dispose()
    _corrupt_table_page(path, "events")
    pw = "admin-secret-1\nquinn-secret-1\n"
    restore = ("restore", str(good), "--replace", "--by", "admin")
    line = one_line_error(run(path, *restore, stdin=pw), 1)
    assert "corrupt" in line and "--qa" in line  # QA must approve replacing what cannot be read
    ok(run(path, *restore, "--qa", "quinn", "--reason", "disk damage", stdin=pw))
    assert "ledger intact" in ok(run(path, "verify"))
    ok(run(path, *NEW_CASE, "--by", "alice", stdin="alice-secret-1\n"))


def test_verify_fails_on_a_corrupt_page_no_record_check_reads(tmp_path: Path) -> None:
    """Every hash can check while a page SQLite keeps beside them is damaged: the
    file is not sound, and `verify` must say so (exit 1), not report it intact."""
    path = tmp_path / "index-damaged.sqlite3"
    db = Database(str(path))
    populate(db)
    enrol(db, "Kept Patient")
    db.dispose()
    _corrupt_table_page(path, "ix_cases_mrn")  # an index verify's reads never use
    line = one_line_error(run(path, "verify"), 1)
    assert "SQLite's integrity check" in line and "cart-chain restore" in line
    assert "ledger intact" not in line
