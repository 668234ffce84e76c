"""Witnesses: every checkpoint also goes to a folder and to another site that cosigns.

The tamper tests are real files edited the way an attacker with the database
file (but not the site key) would (tests/tamper.py): each is caught by `verify`
against every witness, even when the ledger's own record of its checkpoints was
disguised; cosignatures are checked with an implementation of the C2SP spec
written here from the spec text (cryptography's Ed25519, not our signer).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from sqlalchemy.exc import OperationalError

from cart_chain.domain.errors import (
    InvalidValue,
    NotFound,
    PermissionDenied,
    VerificationFailed,
    WitnessRefused,
)
from cart_chain.domain.signed_note import open_note, sign
from cart_chain.services import backup, setup, site_key, witness_admin, witness_site
from cart_chain.services.verification import verify_ledger
from cart_chain.services.witnesses import notes_in
from cart_chain.store.database import Database
from tests import gocheck, tamper
from tests.cli.helpers import run
from tests.helpers import ADMIN, creds, enrol


@pytest.fixture(scope="module")
def cosigcheck() -> Path:
    return gocheck.build(
        "cosigcheck", gocheck.SUMDB / "note" / "note.go", "our cosigned checkpoints are"
    )


def go_cosigned(binary: Path, log_vkey: str, cosigner: str, note: str) -> str:
    done = subprocess.run(
        [str(binary), log_vkey, cosigner], input=note, capture_output=True, text=True, timeout=60
    )
    return done.stdout.strip() if done.returncode == 0 else f"FAIL {done.stdout.strip()}"


def spec_cosignature_ok(note: str, vkey: str) -> bool:
    """The C2SP tlog-cosignature/v1 check, written from the spec text."""
    name, key_id, b64 = vkey.split("+", 2)
    raw = base64.b64decode(b64)
    assert raw[0] == 4
    public = raw[1:]
    assert hashlib.sha256(name.encode() + b"\n\x04" + public).digest()[:4].hex() == key_id
    body, sigs = note.split("\n\n", 1)
    for line in sigs.splitlines():
        signer, sig = line.removeprefix("\u2014 ").split(" ")
        blob = base64.b64decode(sig)
        if signer != name or blob[:4].hex() != key_id:
            continue
        t = int.from_bytes(blob[4:12], "big")
        msg = f"cosignature/v1\ntime {t}\n{body}\n".encode()
        try:
            Ed25519PublicKey.from_public_bytes(public).verify(blob[12:], msg)
        except Exception:
            return False
        return True
    return False


def test_cosigned_checkpoint_opens_with_go_sumdb_note(witnessed: dict, cosigcheck: Path) -> None:
    db, wdb = witnessed["db"], witnessed["wdb"]
    origin = site_key.site_key(db).origin
    held = witness_site.held(wdb, origin)
    assert held is not None
    log_vkey, cosigner = site_key.site_key(db).vkey, witness_site.cosigner_key(wdb)
    out = go_cosigned(cosigcheck, log_vkey, cosigner, held.note)
    assert out.startswith(f"ok {held.size} "), out
    # One bit of the body changed, or the cosignature's timestamp moved: Go refuses.
    body, sigs = held.note.split("\n\n", 1)
    lines = body.split("\n")
    lines[1] = str(int(lines[1]) + 1)
    assert go_cosigned(cosigcheck, log_vkey, cosigner, "\n".join(lines) + "\n\n" + sigs).startswith(
        "FAIL"
    )
    line = sigs.splitlines()[-1]
    name, b64 = line.removeprefix("\u2014 ").split(" ")
    raw = bytearray(base64.b64decode(b64))
    raw[11] ^= 1
    moved = body + "\n\n" + sigs.replace(line, f"\u2014 {name} {base64.b64encode(raw).decode()}")
    assert go_cosigned(cosigcheck, log_vkey, cosigner, moved).startswith("FAIL")
    # Signed by the log only (no cosignature): not enough.
    assert go_cosigned(cosigcheck, log_vkey, cosigner, witnessed["first"].note).startswith("FAIL")


def test_every_checkpoint_goes_to_every_witness(witnessed: dict) -> None:
    db, wdb, folder = witnessed["db"], witnessed["wdb"], witnessed["folder"]
    second = site_key.make_checkpoint(db, creds("alice"))
    origin = site_key.site_key(db).origin
    files = sorted((folder / origin).glob("*.checkpoint"))
    assert [int(f.stem) for f in files] == [witnessed["first"].head.size, second.head.size]
    assert files[-1].read_text() == second.note
    assert not os.access(files[-1], os.W_OK) or os.geteuid() == 0
    log_lines = (folder / origin / "checkpoints.log").read_text().splitlines()
    assert len(log_lines) == 2
    held = witness_site.held(wdb, origin)
    assert held is not None and held.size == second.head.size
    # Signed by the log (its own key still opens it) and cosigned by the witness.
    assert open_note(held.note, origin, site_key.site_key(db).public).head == second.head
    assert spec_cosignature_ok(held.note, witness_site.cosigner_key(wdb))
    report = verify_ledger(db)
    assert report.ok and report.warnings == []


def test_unreachable_witness_keeps_the_record_queues_and_warns(
    witnessed: dict, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    db, folder = witnessed["db"], witnessed["folder"]
    away = folder.with_name("unplugged")
    folder.rename(away)
    with caplog.at_level(logging.WARNING, "cart_chain.witness"):
        made = site_key.make_checkpoint(db, creds("alice"))
    assert made.seq  # the checkpoint (and any custody record with it) is stored
    assert "not reachable" in caplog.text and "queued" in caplog.text
    report = verify_ledger(db)
    assert report.ok and any("could not be read" in w for w in report.warnings)
    away.rename(folder)
    report = verify_ledger(db)
    assert report.ok and any("behind" in w for w in report.warnings)
    outcomes = witness_admin.sync(db)
    assert [o.delivered for o in outcomes] == [1, 0]
    assert verify_ledger(db).warnings == []
    # The witness site's database is gone (its disk is down): a warning, not a crash.
    wdb = witnessed["wdb"]
    wdb.dispose()
    gone = wdb.path.with_name("moved.sqlite3")  # type: ignore[union-attr]
    wdb.path.rename(gone)  # type: ignore[union-attr]
    report = verify_ledger(db)
    assert report.ok and any("witness 2" in w and "not checked" in w for w in report.warnings)
    gone.rename(wdb.path)  # type: ignore[union-attr]
    # Its database refuses the write (a driver error, not ours): queued, said, no crash.

    def broken(*_: object, **__: object) -> str:
        raise OperationalError("INSERT", {}, Exception("disk I/O error"))

    monkeypatch.setattr(witness_site, "cosign_checkpoint", broken)
    site_key.make_checkpoint(db, creds("alice"))
    outcomes = witness_admin.sync(db)
    assert outcomes[1].problem and "cannot be written" in outcomes[1].problem
    assert outcomes[0].problem is None and not outcomes[1].refused


def test_witness_site_refuses_rollback_fork_and_unknown_logs(
    witnessed: dict, tmp_path: Path
) -> None:
    db, wdb = witnessed["db"], witnessed["wdb"]
    key = tmp_path / "witness" / "site-key.pem"
    first = witnessed["first"]
    site_key.make_checkpoint(db, creds("alice"))
    with pytest.raises(WitnessRefused, match="rollback"):
        witness_site.cosign_checkpoint(wdb, first.note, [], key)
    # A larger checkpoint with no valid consistency proof: a rewritten history.
    log_key = Ed25519PrivateKey.generate()
    origin = site_key.site_key(db).origin
    forged, _ = sign(origin, first.head.__class__(first.head.size + 50, b"\x07" * 32), log_key)
    with pytest.raises(InvalidValue, match="not signed by this ledger's site key"):
        witness_site.cosign_checkpoint(wdb, forged, [], key)
    other, _ = sign("cart-chain.C1234.deadbeef", first.head, log_key)
    with pytest.raises(NotFound, match="does not witness"):
        witness_site.cosign_checkpoint(wdb, other, [], key)
    assert not any(w for w in verify_ledger(db).warnings)


def test_only_an_administrator_configures_witnesses(ready_db: Database, tmp_path: Path) -> None:
    with pytest.raises(PermissionDenied):
        witness_admin.add_folder(ready_db, creds("alice"), tmp_path)
    with pytest.raises(InvalidValue, match="does not exist"):
        witness_admin.add_folder(ready_db, creds("admin"), tmp_path / "missing")
    assert witness_admin.sync(ready_db) == []


# -- tamper tests: real files, caught by every witness ---------------------------------


def _copy(db: Database, tmp_path: Path, name: str) -> Database:
    with db.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    target = tmp_path / name
    shutil.copy(db.path, target)  # type: ignore[arg-type]
    return Database(str(target))


def test_consistent_rewrite_caught_by_every_checkpoint_and_every_witness(
    witnessed: dict, tmp_path: Path
) -> None:
    db = witnessed["db"]
    site_key.make_checkpoint(db, creds("alice"))
    notes = db.read(notes_in)
    copy = _copy(db, tmp_path, "attacked.sqlite3")
    tamper.rewrite(copy.path, 5, lambda p: p.update(full_name="Mallory"))  # type: ignore[arg-type]
    report = verify_ledger(copy)
    assert not report.ok and report.problem.table == "witness"  # type: ignore[union-attr]
    assert "rewritten" in report.problem.message  # type: ignore[union-attr]
    # Each witness alone catches it: drop the other from the list, as the attacker might.
    for keep in (1, 2):
        only = _copy(copy, tmp_path, f"only-{keep}.sqlite3")
        tamper.rewrite(only.path, 1, lambda p: None)  # type: ignore[arg-type]
        _restrict_witnesses(only, keep)
        assert not verify_ledger(only).ok
    # And every earlier checkpoint note, kept by anyone, fails.
    for _, note in notes:
        kept = tmp_path / "kept.txt"
        kept.write_text(note)
        done = run(copy.path, "verify", "--checkpoint", str(kept))
        assert done.returncode == 1, done.stdout + done.stderr


def _restrict_witnesses(db: Database, keep: int) -> None:
    """The attacker also edits the witnesses setting to keep one: rewrite its entry."""
    import json
    import sqlite3

    conn = sqlite3.connect(str(db.path))
    seqs = [
        s
        for s, p in conn.execute("SELECT seq, payload FROM ledger_entries ORDER BY seq")
        if json.loads(p).get("key") == "witnesses"
    ]
    conn.close()
    last = seqs[-1]

    def change(p: dict) -> None:
        items = json.loads(p["value"])
        p["value"] = json.dumps([items[keep - 1]], sort_keys=True, separators=(",", ":"))

    tamper.rewrite(db.path, last, change)  # type: ignore[arg-type]


def test_truncation_caught_by_the_witnesses(witnessed: dict, tmp_path: Path) -> None:
    db = witnessed["db"]
    size = witnessed["first"].head.size
    copy = _copy(db, tmp_path, "cut.sqlite3")
    tamper.rewrite(copy.path, 1, lambda p: None, truncate_after=size - 2)  # type: ignore[arg-type]
    report = verify_ledger(copy)
    assert not report.ok and "cut off" in report.problem.message  # type: ignore[union-attr]


def test_forged_and_foreign_checkpoints_in_a_witness_folder_fail_verify(
    witnessed: dict, tmp_path: Path
) -> None:
    db, folder = witnessed["db"], witnessed["folder"]
    site = site_key.site_key(db)
    first = witnessed["first"]
    where = folder / site.origin
    forged = first.note.replace(first.note.split("\n")[1], str(first.head.size + 1), 1)
    planted = where / f"{first.head.size + 1:020d}.checkpoint"
    planted.write_text(forged)
    report = verify_ledger(db)
    assert not report.ok and "does not verify" in report.problem.message  # type: ignore[union-attr]
    planted.unlink()
    foreign, _ = sign(site.origin, first.head, Ed25519PrivateKey.generate())
    (where / f"{first.head.size + 2:020d}.checkpoint").write_text(foreign)
    report = verify_ledger(db)
    assert not report.ok and "not signed by this ledger" in report.problem.message  # type: ignore[union-attr]


def test_rolled_back_restore_is_caught_by_the_witness(witnessed: dict, tmp_path: Path) -> None:
    db = witnessed["db"]
    old = tmp_path / "old-backup.sqlite3"
    backup.backup(db, old, creds("admin"))
    enrol(db, "Second Patient")
    site_key.make_checkpoint(db, creds("alice"))
    before = db.read(notes_in)
    # `restore` itself refuses the old backup: it does not verify against the witnesses.
    with pytest.raises(VerificationFailed, match=r"witness 1 .* cut off or an old backup"):
        backup.restore(
            db, old, creds("admin"), qa=creds("quinn"), reason="test rollback", replace=True
        )
    assert db.read(notes_in) == before
    # Copied over the file by hand (no restore entry at all): verify fails the same way.
    db.dispose()
    shutil.copy(old, db.path)  # type: ignore[arg-type]
    for suffix in ("-wal", "-shm"):
        Path(f"{db.path}{suffix}").unlink(missing_ok=True)
    rolled = Database(str(db.path))
    report = verify_ledger(rolled)
    assert not report.ok and report.problem.table == "witness"  # type: ignore[union-attr]
    assert "cut off or an old backup" in report.problem.message  # type: ignore[union-attr]
    rolled.dispose()


def test_cli_file_exchange_and_verify_exit_codes(witnessed: dict, tmp_path: Path) -> None:
    db, wdb = witnessed["db"], witnessed["wdb"]
    site_key.make_checkpoint(db, creds("alice"))
    out = tmp_path / "exchange"
    done = run(db.path, "witness", "request", "2", "--out", str(out))
    assert done.returncode == 0, done.stderr
    key = tmp_path / "witness" / "site-key.pem"
    done = run(
        wdb.path,
        "witness",
        "cosign",
        str(out / "checkpoint.txt"),
        str(out / "proof.json"),
        "--key",
        str(key),
    )
    assert done.returncode == 0, done.stderr
    assert spec_cosignature_ok(done.stdout, witness_site.cosigner_key(wdb))
    assert run(db.path, "verify").returncode == 0
    copy = _copy(db, tmp_path, "attacked.sqlite3")
    tamper.rewrite(copy.path, 5, lambda p: p.update(full_name="Mallory"))  # type: ignore[arg-type]
    done = run(copy.path, "verify")
    assert done.returncode == 1 and "witness" in done.stderr


@pytest.mark.usefixtures("own_key")  # a rotation replaces the key file: this test's copy
def test_site_witness_follows_a_key_rotation_signed_by_the_old_key(
    witnessed: dict, cosigcheck: Path
) -> None:
    db, wdb = witnessed["db"], witnessed["wdb"]
    rotated = site_key.rotate_site_key(db, creds("admin"))
    after = site_key.make_checkpoint(db, creds("alice"))
    held = witness_site.held(wdb, rotated.origin)
    assert held is not None and held.size == after.head.size
    out = go_cosigned(cosigcheck, rotated.vkey, witness_site.cosigner_key(wdb), held.note)
    assert out.startswith(f"ok {after.head.size} "), out
    assert wdb.read(witness_site.accepted_in)[rotated.origin].vkey == rotated.vkey
    report = verify_ledger(db)
    assert report.ok and report.warnings == []


def test_witnesses_on_postgresql(any_db_postgresql: Database, tmp_path: Path) -> None:
    """A PostgreSQL log: delivery after commit, verify against the witness, and a witness
    holding a larger checkpoint than the ledger (as after a rollback) fails verify."""
    db = any_db_postgresql
    setup.init_database(db, ADMIN[0], ADMIN[1], ADMIN[3])
    folder = tmp_path / "share"
    folder.mkdir()
    witness_admin.add_folder(db, creds("admin"), folder)
    made = site_key.make_checkpoint(db, creds("admin"))
    origin = site_key.site_key(db).origin
    assert (folder / origin / f"{made.head.size:020d}.checkpoint").read_text() == made.note
    assert verify_ledger(db).ok
    # The witness saw a later head, signed by the site key (made on a copy of this ledger).
    later, _ = sign(
        origin,
        made.head.__class__(made.head.size + 5, made.head.root),
        site_key.load_private_key(),
    )
    (folder / origin / f"{made.head.size + 5:020d}.checkpoint").write_text(later)
    report = verify_ledger(db)
    assert not report.ok and "cut off" in report.problem.message  # type: ignore[union-attr]
