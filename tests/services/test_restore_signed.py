"""Backup and restore are signed, recorded actions; a restore says what it drops."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from cart_chain.domain.errors import (
    AuthenticationError,
    InvalidValue,
    PermissionDenied,
    SignatureError,
)
from cart_chain.services import settings
from cart_chain.services.accounts import Credentials
from cart_chain.services.backup import BACKUP_MADE, RESTORED, backup, restore
from cart_chain.services.case_list import list_cases
from cart_chain.services.verification import verify_ledger
from cart_chain.store import ledger
from cart_chain.store.database import Database
from tests.helpers import creds, enrol, populate

ADMIN = creds("admin")
QA = creds("quinn")


def entries(db: Database) -> list[ledger.Entry]:
    def run(session):  # type: ignore[no-untyped-def]
        last = ledger.head(session).seq
        return [ledger.get_entry(session, seq) for seq in range(1, last + 1)]

    return db.read(run)


def head(db: Database) -> ledger.Checkpoint:
    return db.read(ledger.head)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def side_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_backup_is_signed_by_an_administrator_and_recorded(
    ready_db: Database, tmp_path: Path
) -> None:
    enrol(ready_db)
    before = head(ready_db)
    out = tmp_path / "copies" / "b.sqlite3"
    with pytest.raises(PermissionDenied, match="make backups"):
        backup(ready_db, out, creds("alice"))
    with pytest.raises(AuthenticationError, match="password is wrong"):
        backup(ready_db, out, Credentials("admin", "not-it"))
    assert not out.parent.exists() or not any(out.parent.iterdir())  # no copy written
    assert [e.kind for e in entries(ready_db)[before.seq :]] == ["user_changed"]  # the failure

    result = backup(ready_db, out, ADMIN)
    copied = result.checkpoint  # the live head when the copy was made (after sign-in)
    last = entries(ready_db)[-1]
    assert last.seq == result.recorded == copied.seq + 1 == head(ready_db).seq
    assert last.kind == BACKUP_MADE and last.actor == "admin"
    assert last.payload["head"] == {"seq": copied.seq, "hash": copied.hash}
    assert last.payload["sha256"] == sha256(out) == result.sha256
    assert last.payload["file"] == "b.sqlite3"
    assert "signatures" not in last.payload  # attributed, re-authenticated; no custody record
    copy = Database(str(out), read_only=True)
    assert head(copy) == copied  # the copy does not contain its own backup entry
    copy.dispose()
    assert verify_ledger(ready_db).ok


def test_restore_dropping_only_unsigned_entries_needs_the_administrator_alone(
    ready_db: Database, tmp_path: Path
) -> None:
    coi = enrol(ready_db)
    made = backup(ready_db, tmp_path / "b.sqlite3", ADMIN)
    settings.set_setting(ready_db, ADMIN, "facility", "W1234")  # administrative, unsigned
    replaced = head(ready_db)
    result = restore(ready_db, made.path, ADMIN, replace=True)
    assert result.dropped == (made.checkpoint.seq + 1, replaced.seq)
    after = entries(ready_db)
    assert len(after) == made.checkpoint.seq + 1
    first_new = after[-1]
    assert first_new.kind == RESTORED and first_new.seq == result.recorded
    p = first_new.payload
    assert p["replaced"]["head"] == {"seq": replaced.seq, "hash": replaced.hash}
    assert p["replaced"]["kept_as"] == result.replaced.name  # type: ignore[union-attr]
    assert p["dropped"] == {"first": made.checkpoint.seq + 1, "last": replaced.seq, "signed": 0}
    assert p["backup"] == {
        "file": "b.sqlite3",
        "sha256": sha256(made.path),
        "head": {"seq": made.checkpoint.seq, "hash": made.checkpoint.hash},
    }
    assert p["reason"] is None and p["signatures"] == [] and first_new.actor == "admin"
    assert p["administrator"] == {"username": "admin", "printed_name": "Ada Administrator"}
    assert [c.coi for c in list_cases(ready_db)] == [coi]
    assert verify_ledger(ready_db).ok


def test_restore_dropping_signed_entries_needs_qa_with_a_reason(
    ready_db: Database, tmp_path: Path
) -> None:
    first = enrol(ready_db, "First Patient")
    made = backup(ready_db, tmp_path / "b.sqlite3", ADMIN)
    second = enrol(ready_db, "Second Patient")  # signed: would be dropped
    live = head(ready_db)
    files = side_files(tmp_path)
    with pytest.raises(SignatureError, match=r"drop 1 signed entries .*QA user must also sign"):
        restore(ready_db, made.path, ADMIN, replace=True)
    with pytest.raises(InvalidValue, match="needs a reason"):
        restore(ready_db, made.path, ADMIN, qa=QA, replace=True)
    with pytest.raises(PermissionDenied, match="approve a restore"):
        restore(ready_db, made.path, ADMIN, qa=creds("lena"), reason="x", replace=True)
    assert head(ready_db) == live and side_files(tmp_path) == files  # nothing written

    result = restore(ready_db, made.path, ADMIN, qa=QA, reason="disk fault", replace=True)
    restored = entries(ready_db)[-1]
    assert restored.kind == RESTORED
    assert restored.payload["reason"] == "disk fault"
    assert restored.payload["dropped"] == {
        "first": made.checkpoint.seq + 1,
        "last": live.seq,
        "signed": 1,
    }
    sigs = [(s["username"], s["meaning"]) for s in restored.payload["signatures"]]
    assert sigs == [("quinn", "Verified by")] and restored.actor == "admin"
    assert [c.coi for c in list_cases(ready_db)] == [first]
    kept = Database(str(result.replaced))
    assert head(kept) == live and second in [c.coi for c in list_cases(kept)]
    assert verify_ledger(ready_db).ok
    assert not list(tmp_path.glob(".*restoring*")) and not list(tmp_path.glob(".*partial"))


def test_a_backup_of_another_ledger_is_refused(ready_db: Database, tmp_path: Path) -> None:
    other = populate(Database(str(tmp_path / "other.sqlite3")))
    enrol(other)
    foreign = backup(other, tmp_path / "foreign.sqlite3", ADMIN)
    enrol(ready_db)
    live = head(ready_db)
    with pytest.raises(InvalidValue, match="not an earlier copy"):
        restore(ready_db, foreign.path, ADMIN, qa=QA, reason="x", replace=True)
    assert head(ready_db) == live


def test_restore_where_no_database_is_left(ready_db: Database, tmp_path: Path) -> None:
    coi = enrol(ready_db)
    made = backup(ready_db, tmp_path / "b.sqlite3", ADMIN)
    fresh = Database(str(tmp_path / "new" / "cart-chain.sqlite3"))
    with pytest.raises(AuthenticationError):
        restore(fresh, made.path, Credentials("admin", "wrong"))
    assert not fresh.path.exists()  # type: ignore[union-attr]
    result = restore(fresh, made.path, ADMIN)
    assert result.replaced is None and result.dropped is None
    last = entries(fresh)[-1]
    assert last.kind == RESTORED and last.payload["replaced"]["head"] is None
    assert [c.coi for c in list_cases(fresh)] == [coi]


def test_restore_over_a_corrupt_database_needs_qa_and_keeps_its_bytes(
    ready_db: Database, tmp_path: Path
) -> None:
    enrol(ready_db)
    made = backup(ready_db, tmp_path / "b.sqlite3", ADMIN)
    ready_db.dispose()
    target = ready_db.path
    assert target is not None
    for suffix in ("-wal", "-shm"):
        Path(f"{target}{suffix}").unlink(missing_ok=True)
    target.write_bytes(b"scrambled" * 1000)
    with pytest.raises(SignatureError, match="cannot be trusted"):
        restore(ready_db, made.path, ADMIN, replace=True)
    result = restore(ready_db, made.path, ADMIN, qa=QA, reason="disk died", replace=True)
    assert result.replaced is not None and result.replaced.read_bytes() == b"scrambled" * 1000
    last = entries(ready_db)[-1]
    assert last.kind == RESTORED and "corrupt" in last.payload["replaced"]["problem"]
    assert verify_ledger(ready_db).ok


def test_postgresql_refuses_backup_and_restore_pointing_to_pg_dump(
    any_db_postgresql: Database, tmp_path: Path
) -> None:
    db = populate(any_db_postgresql)
    before = head(db)
    with pytest.raises(InvalidValue, match="pg_dump"):
        backup(db, tmp_path / "b.sqlite3", ADMIN)
    with pytest.raises(InvalidValue, match="pg_dump"):
        restore(db, tmp_path / "b.sqlite3", ADMIN, replace=True)
    assert head(db) == before and not (tmp_path / "b.sqlite3").exists()
