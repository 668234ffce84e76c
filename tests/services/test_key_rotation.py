"""Site key rotation and the daily checkpoint.

A rotation is signed by the old key: checkpoints made before it still verify
under the key of their time, and a rotation whose hand-over signature was not
made by the old key fails `verify`. The daily checkpoint is made by the first
signed write once the last one is a day old.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from cart_chain.domain.clock import utc_iso
from cart_chain.services import site_key
from cart_chain.services.verification import verify_ledger
from cart_chain.services.witnesses import notes_in
from cart_chain.store.database import Database
from tests import tamper
from tests.cli.helpers import run
from tests.helpers import creds, enrol


def test_rotation_keeps_old_checkpoints_valid(
    ready_db: Database, own_key: Path, tmp_path: Path
) -> None:
    before = site_key.make_checkpoint(ready_db, creds("alice"))
    old_vkey = site_key.site_key(ready_db).vkey
    rotated = site_key.rotate_site_key(ready_db, creds("admin"))
    assert rotated.vkey != old_vkey and rotated.origin == site_key.site_key(ready_db).origin
    assert list(own_key.parent.glob("site-key.pem.retired-*"))
    after = site_key.make_checkpoint(ready_db, creds("alice"))
    assert verify_ledger(ready_db).ok
    for note in (before.note, after.note):
        kept = tmp_path / "kept.txt"
        kept.write_text(note)
        done = run(ready_db.path, "verify", "--checkpoint", str(kept))
        assert done.returncode == 0, done.stderr
    with pytest.raises(Exception, match="rotate"):
        site_key.rotate_site_key(ready_db, creds("alice"))
    assert not own_key.with_name("site-key.pem.new").exists()


def test_rotation_not_signed_by_the_old_key_fails_verify(ready_db: Database, own_key: Path) -> None:
    rotated = site_key.rotate_site_key(ready_db, creds("admin"))
    ready_db.dispose()

    def forge(p: dict) -> None:
        p["old_key_signature"] = p["old_key_signature"][::-1]

    tamper.rewrite(ready_db.path, rotated.seq, forge, hide_checkpoints=False)  # type: ignore[arg-type]
    report = verify_ledger(Database(str(ready_db.path)))
    assert not report.ok and "not signed by the key it replaces" in report.problem.message  # type: ignore[union-attr]


def test_first_signed_write_of_the_day_makes_a_checkpoint(
    ready_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    enrol(ready_db)
    assert ready_db.read(notes_in) == []
    later = utc_iso(datetime.now(UTC) + timedelta(hours=25))
    monkeypatch.setattr("cart_chain.store.ledger.now_iso", lambda: later)
    report = verify_ledger(ready_db)
    assert any("more than a day old" in w for w in report.warnings)
    enrol(ready_db, "Next Day")
    notes = ready_db.read(notes_in)
    assert len(notes) == 1
    enrol(ready_db, "Same Day")
    assert len(ready_db.read(notes_in)) == 1
    assert verify_ledger(ready_db).ok
