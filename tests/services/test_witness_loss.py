"""A disaster restore past what the witnesses saw: refused unless asked for and signed by
QA, then recorded and reported by every `verify`, never a way to hide a cut.

The scenario: the live database file is lost; its newest backup ends before the
checkpoint both witnesses (a folder and a cosigning site) hold. Before this, such a
backup could not be restored at all, because it did not verify against the witnesses.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import select

from cart_chain.domain.errors import SignatureError, VerificationFailed
from cart_chain.services import backup, site_key, witness_folder
from cart_chain.services.verification import verify_ledger
from cart_chain.services.witnesses import notes_in
from cart_chain.store.database import Database
from cart_chain.store.models import LedgerEntry
from cart_chain.store.tree import tree_size
from tests.cli.helpers import one_line_error, run
from tests.helpers import creds, enrol


def lose(db: Database) -> Path:
    """The disaster: the database file and its journal are gone."""
    path = Path(db.path)  # type: ignore[arg-type]
    db.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return path


def test_restore_past_the_witnesses_is_signed_recorded_and_reported(
    witnessed: dict, tmp_path: Path
) -> None:
    db, folder = witnessed["db"], witnessed["folder"]
    old = tmp_path / "last-night.sqlite3"
    backup.backup(db, old, creds("admin"))
    enrol(db, "Second Patient")
    site_key.make_checkpoint(db, creds("alice"))
    seen = db.read(notes_in)[-1][0]  # both witnesses hold this size
    origin = site_key.site_key(db).origin
    path = lose(db)

    # Not asked for: refused, saying how; nothing is created.
    with pytest.raises(VerificationFailed, match="--accept-witnessed-loss"):
        backup.restore(Database(str(path)), old, creds("admin"))
    # Asked for without QA: refused, nothing created.
    with pytest.raises(SignatureError, match="QA user's signature"):
        backup.restore(Database(str(path)), old, creds("admin"), accept_witnessed_loss=True)
    assert not path.exists()

    result = backup.restore(
        Database(str(path)),
        old,
        creds("admin"),
        qa=creds("quinn"),
        reason="server disk failed; INC-2026-114",
        accept_witnessed_loss=True,
    )
    restored = Database(str(path))
    entry = json.loads(
        restored.read(
            lambda s: s.execute(
                select(LedgerEntry.payload).where(LedgerEntry.seq == result.recorded)
            ).scalar_one()
        )
    )
    assert entry["lost"]["first"] == result.entries + 1
    assert entry["lost"]["last"] == seen
    assert sorted(s["size"] for s in entry["lost"]["superseded"]) == [seen, seen]
    assert [s["meaning"] for s in entry["signatures"]] and entry["reason"].startswith("server")

    report = verify_ledger(restored)
    assert report.ok, report.problem
    lost = [w for w in report.warnings if "superseded" in w]
    assert len(lost) == 2 and all(f"..{seen} were lost" in w for w in lost)
    assert all("INC-2026-114" in w for w in lost)

    # The folder witness takes the restored ledger's checkpoints once they pass what it
    # holds; the cosigning site keeps its old checkpoint (its people decide), still a warning.
    while restored.read(tree_size) <= seen:
        enrol(restored, "Re-entered From Paper")
    site_key.make_checkpoint(restored, creds("alice"))
    report = verify_ledger(restored)
    assert report.ok, report.problem
    assert [w for w in report.warnings if "superseded" in w and "site" in w]
    assert not [w for w in report.warnings if "superseded" in w and "folder" in w]
    assert witness_folder.latest(folder, origin).size > seen  # type: ignore[union-attr]
    restored.dispose()


def test_a_checkpoint_the_restore_did_not_account_for_still_fails(
    witnessed: dict, tmp_path: Path
) -> None:
    """The loss covers exactly the checkpoints named in the signed entry. A genuine later
    checkpoint of the lost ledger that no witness held at the restore (both were
    unreachable when it was made), planted in the folder afterwards, fails `verify`."""
    db, folder, wdb = witnessed["db"], witnessed["folder"], witnessed["wdb"]
    old = tmp_path / "last-night.sqlite3"
    backup.backup(db, old, creds("admin"))
    enrol(db, "Second Patient")
    site_key.make_checkpoint(db, creds("alice"))
    origin = site_key.site_key(db).origin
    # Both witnesses out of reach while one more checkpoint is made.
    site_file = Path(wdb.path)  # type: ignore[arg-type]
    wdb.dispose()
    folder.rename(folder.with_name("usb-unplugged"))
    site_file.rename(site_file.with_name("witness-away.sqlite3"))
    enrol(db, "Third Patient")
    site_key.make_checkpoint(db, creds("alice"))
    size, note = db.read(notes_in)[-1]
    path = lose(db)
    folder.with_name("usb-unplugged").rename(folder)
    site_file.with_name("witness-away.sqlite3").rename(site_file)

    backup.restore(
        Database(str(path)),
        old,
        creds("admin"),
        qa=creds("quinn"),
        reason="disk failed",
        accept_witnessed_loss=True,
    )
    restored = Database(str(path))
    assert verify_ledger(restored).ok
    assert witness_folder.append(folder, origin, size, note)
    report = verify_ledger(restored)
    assert not report.ok and report.problem.table == "witness"  # type: ignore[union-attr]
    assert "cut off" in report.problem.message  # type: ignore[union-attr]
    restored.dispose()


def test_the_cli_asks_for_the_loss_explicitly(witnessed: dict, tmp_path: Path) -> None:
    db = witnessed["db"]
    old = tmp_path / "last-night.sqlite3"
    backup.backup(db, old, creds("admin"))
    enrol(db, "Second Patient")
    site_key.make_checkpoint(db, creds("alice"))
    path = lose(db)
    admin, qa = creds("admin"), creds("quinn")
    refused = run(path, "restore", str(old), "--by", "admin", stdin=f"{admin.password}\n")
    assert "--accept-witnessed-loss" in one_line_error(refused, 1)
    assert not path.exists()
    done = run(
        path,
        "restore",
        str(old),
        "--by",
        "admin",
        "--qa",
        "quinn",
        "--reason",
        "disk failed",
        "--accept-witnessed-loss",
        stdin=f"{admin.password}\n{qa.password}\n",
    )
    assert done.returncode == 0, done.stderr
    verified = run(path, "verify")
    assert verified.returncode == 0 and "superseded" in verified.stdout + verified.stderr
