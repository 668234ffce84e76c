"""Backups, restores and upgrading a database written by an older cart-chain."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from cart_chain.domain.errors import InvalidValue, VerificationFailed
from cart_chain.services.backup import backup, restore
from cart_chain.services.case_list import list_cases
from cart_chain.services.verification import verify_ledger
from cart_chain.store import schema
from cart_chain.store.database import Database
from tests.helpers import creds, enrol

ADMIN = creds("admin")
QA = creds("quinn")

FIXTURES = Path(__file__).parents[1] / "fixtures"


def test_backup_of_a_live_database_verifies_and_restores(
    ready_db: Database, tmp_path: Path
) -> None:
    first = enrol(ready_db, "First Patient")
    # another connection holds an open read transaction while we copy
    reader = sqlite3.connect(str(ready_db.path))
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM cases").fetchone()
    result = backup(ready_db, tmp_path / "copy.sqlite3", ADMIN)
    reader.rollback()
    reader.close()
    assert result.entries == verify_ledger(ready_db).entries - 1  # + its backup_made entry
    second = enrol(ready_db, "Second Patient")  # after the backup
    with pytest.raises(InvalidValue, match="--replace"):
        restore(ready_db, result.path, ADMIN)
    restored = restore(ready_db, result.path, ADMIN, qa=QA, reason="disk fault", replace=True)
    cois = [c.coi for c in list_cases(ready_db)]
    assert first in cois and second not in cois
    # the replaced database was kept, with the second patient in it
    kept = Database(str(restored.replaced))
    assert second in [c.coi for c in list_cases(kept)]


def test_restore_refuses_a_backup_that_does_not_verify(ready_db: Database, tmp_path: Path) -> None:
    enrol(ready_db)
    good = backup(ready_db, tmp_path / "good.sqlite3", ADMIN).path
    bad = tmp_path / "bad.sqlite3"
    shutil.copy(good, bad)
    conn = sqlite3.connect(str(bad))
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("UPDATE cases SET patient_name = 'Someone Else'")
    conn.commit()
    conn.close()
    before = [c.coi for c in list_cases(ready_db)]
    with pytest.raises(VerificationFailed, match="does not verify"):
        restore(ready_db, bad, ADMIN, replace=True)
    assert [c.coi for c in list_cases(ready_db)] == before  # untouched
    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database at all" * 50)
    with pytest.raises(Exception, match="not a cart-chain database or is corrupt"):
        restore(ready_db, garbage, ADMIN, replace=True)


def test_a_schema_0001_database_is_upgraded_after_a_backup_copy(tmp_path: Path) -> None:
    db_path = tmp_path / "old.sqlite3"
    shutil.copy(FIXTURES / "cart-chain-schema-0001.sqlite3", db_path)
    out = subprocess.run(
        [sys.executable, "-m", "cart_chain", "--db", str(db_path), "verify"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    db = Database(str(db_path))
    assert schema.state(db) == "current"
    copies = list(tmp_path.glob("old.pre-*-from-0001-*.sqlite3"))
    assert len(copies) == 1
    with sqlite3.connect(str(copies[0])) as conn:
        assert conn.execute("SELECT version_num FROM alembic_version").fetchone() == ("0001",)
    cases = list_cases(db)
    assert len(cases) == 5 and verify_ledger(db).ok
    # old cases keep working: the generic profile applies to cases enrolled before profiles
    from cart_chain.services.case_detail import show_case

    assert show_case(db, cases[-1].coi).profile_id == "generic"


def test_cli_backup_and_restore(ready_db: Database, tmp_path: Path) -> None:
    enrol(ready_db)
    out = tmp_path / "b.sqlite3"
    run = [sys.executable, "-m", "cart_chain", "--db", str(ready_db.path)]
    done = subprocess.run(
        [*run, "backup", "--out", str(out), "--by", "admin"],
        input=ADMIN.password + "\n",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "verified" in done.stdout, done.stderr
    done = subprocess.run(
        [*run, "restore", str(tmp_path / "missing.sqlite3"), "--replace", "--by", "admin"],
        input=ADMIN.password + "\n",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 3 and "no backup file" in done.stderr
    enrol(ready_db, "After Backup")  # a signed entry the restore would drop
    restore_cmd = [*run, "restore", str(out), "--replace", "--by", "admin"]
    done = subprocess.run(restore_cmd, input=ADMIN.password + "\n", capture_output=True, text=True)
    assert done.returncode == 1 and "QA user must also sign" in done.stderr, done.stderr
    done = subprocess.run(
        [*restore_cmd, "--qa", "quinn", "--reason", "bad disk"],
        input=f"{ADMIN.password}\n{QA.password}\n",
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0 and "dropped" in done.stdout, done.stderr
    ready_db.dispose()  # its pooled connection still holds the replaced file open
    assert "After Backup" not in [c.patient_name for c in list_cases(ready_db)]


def test_restores_in_the_same_second_keep_every_database_they_replace(
    ready_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The kept copy was named by the second, so a second restore within that second
    overwrote the first one's copy, and the records only it held were lost."""
    from datetime import UTC, datetime

    import cart_chain.services.restore_files as backup_module

    class SameSecond(datetime):
        @classmethod
        def now(cls, tz=None):  # type: ignore[no-untyped-def, override]
            return datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)

    monkeypatch.setattr(backup_module, "datetime", SameSecond)  # a fast workstation
    base = backup(ready_db, tmp_path / "base.sqlite3", by=ADMIN)
    kept = []
    for i in range(3):
        enrol(ready_db, f"Patient {i}")
        size = verify_ledger(ready_db).entries
        result = restore(ready_db, base.path, by=ADMIN, qa=QA, reason="disk replaced", replace=True)
        assert result.replaced is not None
        kept.append((result.replaced, size))
    assert len({path for path, _ in kept}) == len(kept)
    for path, size in kept:
        copy = Database(str(path), read_only=True)
        try:
            assert verify_ledger(copy).entries == size
        finally:
            copy.dispose()
