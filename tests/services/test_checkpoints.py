"""The site key and signed checkpoints, checked by us and by Go's sumdb/note.

A checkpoint is a C2SP tlog-checkpoint signed note: Go's ``note.NewVerifier`` +
``note.Open`` (tests/notecheck, built offline like tests/tlogcheck) must accept
ours and refuse an altered one. `verify --checkpoint FILE` must fail (exit 1) for
a forged or altered checkpoint, another site's, and a rewritten or cut history.
"""

from __future__ import annotations

import base64
import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from cart_chain.domain.errors import AlreadyExists, EnvironmentProblem, NotFound
from cart_chain.domain.merkle import TreeHead
from cart_chain.domain.signed_note import CHECKPOINT_KIND, SITE_KEY_KIND, note_text, open_note
from cart_chain.services import setup, site_key
from cart_chain.services.checkpoints import checkpoint_due_in
from cart_chain.services.verification import verify_ledger
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import PROJECTIONS, LedgerEntry
from cart_chain.store.tree import root_at
from tests import gocheck
from tests.cli.helpers import ok, run
from tests.helpers import ADMIN, creds, enrol, unit_of, walk
from tests.pg_plans import rows_touched, statements_of
from tests.tamper import consistent_rewrite


@pytest.fixture(scope="module")
def notecheck() -> Path:
    return gocheck.build("notecheck", gocheck.SUMDB / "note" / "note.go", "our checkpoints are")


def altered(note: str, line: int, new: str) -> str:
    lines = note.split("\n")
    lines[line] = new
    return "\n".join(lines)


# -- the key --------------------------------------------------------------------------


def test_init_records_the_key_and_prints_it_in_sumdb_note_form(tmp_path: Path) -> None:
    key = tmp_path / "conf" / "site-key.pem"
    env = {"CART_CHAIN_SITE_KEY": str(key)}
    db = tmp_path / "site.sqlite3"
    ok(
        run(
            db,
            "init",
            "--admin",
            "root",
            "--name",
            "Rita Root",
            "--facility",
            "W1234",
            stdin="root-secret-1\n",
            env=env,
        )
    )
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert b"BEGIN PRIVATE KEY" in key.read_bytes()
    vkey = ok(run(db, "site", "key", env=env)).strip()
    name, khash, b64 = vkey.split("+", 2)  # base64 may hold "+" too
    raw = base64.b64decode(b64)
    assert raw[0] == 1 and len(raw) == 33
    # The key hash as sumdb/note defines it, computed here from its definition.
    assert khash == hashlib.sha256(name.encode() + b"\n" + raw).digest()[:4].hex()
    assert name.startswith("cart-chain.W1234.") and len(name.split(".")[-1]) == 8
    database = Database(str(db))
    entry = database.read(
        lambda s: s.execute(
            select(LedgerEntry.actor).where(LedgerEntry.kind == SITE_KEY_KIND)
        ).scalar()
    )
    assert entry == "root"
    assert bytes.fromhex(site_key.site_key(database).public.hex()) == raw[1:]
    database.dispose()


def test_two_ledgers_with_one_key_have_different_origins(tmp_path: Path) -> None:
    a, b = Database(str(tmp_path / "a.sqlite3")), Database(str(tmp_path / "b.sqlite3"))
    for d in (a, b):
        setup.init_database(d, ADMIN[0], ADMIN[1], ADMIN[3])
    ka, kb = site_key.site_key(a), site_key.site_key(b)
    assert ka.public == kb.public and ka.origin != kb.origin
    a.dispose()
    b.dispose()


def test_passphrase_protects_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = tmp_path / "k.pem"
    monkeypatch.setenv(site_key.KEY_ENV, str(key))
    monkeypatch.setenv(site_key.PASSPHRASE_ENV, "correct horse")
    made = site_key.ensure_private_key()
    assert b"BEGIN ENCRYPTED PRIVATE KEY" in key.read_bytes()
    assert site_key.load_private_key().public_key().public_bytes_raw() == (
        made.public_key().public_bytes_raw()
    )
    monkeypatch.setenv(site_key.PASSPHRASE_ENV, "wrong")
    with pytest.raises(EnvironmentProblem, match="cannot be opened"):
        site_key.load_private_key()


def test_an_older_ledger_gets_its_key_from_an_administrator(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site_key, "record_site_key_in", lambda *a: None)  # as before site keys
    setup.init_database(db, ADMIN[0], ADMIN[1], ADMIN[3])
    monkeypatch.undo()
    with pytest.raises(NotFound, match="site key --create"):
        site_key.site_key(db)
    with pytest.raises(NotFound):
        site_key.make_checkpoint(db, creds("admin"))
    made = site_key.create_site_key(db, creds("admin"))
    assert site_key.site_key(db) == made
    with pytest.raises(AlreadyExists):
        site_key.create_site_key(db, creds("admin"))
    assert verify_ledger(db).ok


def test_only_an_administrator_records_the_key(ready_db: Database) -> None:
    from cart_chain.domain.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        site_key.create_site_key(ready_db, creds("alice"))


# -- checkpoints ------------------------------------------------------------------------


def test_checkpoint_signs_the_head_and_is_recorded(ready_any_db: Database) -> None:
    enrol(ready_any_db)
    made = site_key.make_checkpoint(ready_any_db, creds("alice"))
    site = site_key.site_key(ready_any_db)
    assert made.head == TreeHead(
        made.seq - 1, ready_any_db.read(lambda s: root_at(s, made.seq - 1))
    )
    body = f"{site.origin}\n{made.head.size}\n{base64.b64encode(made.head.root).decode()}\n"
    assert made.note.startswith(body + "\n\u2014 " + site.origin + " ")
    assert open_note(made.note, site.origin, site.public).head == made.head
    entry = ready_any_db.read(lambda s: ledger.get_entry(s, made.seq))
    assert entry.kind == CHECKPOINT_KIND and entry.actor == "alice"
    assert verify_ledger(ready_any_db, note=made.note).ok


def test_go_sumdb_note_accepts_ours_and_refuses_an_altered_one(
    notecheck: Path, ready_any_db: Database
) -> None:
    enrol(ready_any_db)
    made = site_key.make_checkpoint(ready_any_db, creds("alice"))
    vkey = site_key.site_key(ready_any_db).vkey
    done = gocheck.go_open(notecheck, vkey, made.note)
    assert done.returncode == 0, done.stdout + done.stderr
    root = base64.b64encode(made.head.root).decode()
    assert done.stdout.split() == ["ok", made.note.split("\n")[0], str(made.head.size), root]
    bigger = gocheck.go_open(notecheck, vkey, altered(made.note, 1, str(made.head.size + 1)))
    assert bigger.returncode == 1 and "invalid signature" in bigger.stdout


def test_go_refuses_our_checkpoint_under_another_key(notecheck: Path, tmp_path: Path) -> None:
    a, b = Database(str(tmp_path / "a.sqlite3")), Database(str(tmp_path / "b.sqlite3"))
    setup.init_database(a, ADMIN[0], ADMIN[1], ADMIN[3])
    made = site_key.make_checkpoint(a, creds("admin"))
    os.environ[site_key.KEY_ENV], old = str(tmp_path / "other.pem"), os.environ[site_key.KEY_ENV]
    try:
        setup.init_database(b, ADMIN[0], ADMIN[1], ADMIN[3])
    finally:
        os.environ[site_key.KEY_ENV] = old
    done = gocheck.go_open(notecheck, site_key.site_key(b).vkey, made.note)
    assert done.returncode == 1
    a.dispose()
    b.dispose()


# -- verify --checkpoint FILE -------------------------------------------------------------


@pytest.fixture
def site(tmp_path: Path) -> tuple[Path, Path]:
    """(database, a checkpoint file of it), made through the CLI."""
    db = tmp_path / "site.sqlite3"
    ok(run(db, "init", "--admin", "root", "--name", "Rita Root", stdin="root-secret-1\n"))
    for user in ("anna", "alice"):
        ok(
            run(
                db,
                "user",
                "add",
                user,
                "--name",
                user.title(),
                "--role",
                "apheresis",
                "--by",
                "root",
                stdin="root-secret-1\n" + f"{user}-secret-1\n",
            )
        )
    note = tmp_path / "checkpoint.txt"
    out = run(db, "checkpoint", "--out", str(note), "--by", "root", stdin="root-secret-1\n")
    ok(out)
    assert "recorded as entry" in out.stderr
    return db, note


def verify_file(db: Path, note: Path) -> subprocess.CompletedProcess[str]:
    return run(db, "verify", "--checkpoint", str(note))


def test_verify_accepts_its_own_checkpoint_and_the_old_form(site: tuple[Path, Path]) -> None:
    db, note = site
    out = ok(verify_file(db, note))
    assert "ledger intact" in out
    seq_hash = out.split("checkpoint ")[1].split()[0]
    ok(run(db, "verify", "--checkpoint", seq_hash))  # SEQ:HASH still works
    printed = run(db, "checkpoint", "--by", "root", stdin="root-secret-1\n")
    assert ok(printed).startswith(note.read_text().split("\n")[0] + "\n")


@pytest.mark.parametrize(
    ("line", "value"),
    [(1, "2"), (2, base64.b64encode(b"\x00" * 32).decode()), (0, "cart-chain.A9999.00000000")],
)
def test_verify_fails_for_an_altered_checkpoint(
    site: tuple[Path, Path], tmp_path: Path, line: int, value: str
) -> None:
    db, note = site
    bad = tmp_path / "bad.txt"
    bad.write_text(altered(note.read_text(), line, value))
    out = verify_file(db, bad)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "checkpoint" in out.stderr and "FAILED" in out.stderr


def test_verify_fails_for_a_forged_signature(site: tuple[Path, Path], tmp_path: Path) -> None:
    db, note = site
    text = note.read_text()
    sig_line = text.split("\n")[-2]
    name, sig = sig_line[2:].split(" ")
    raw = bytearray(base64.b64decode(sig))
    raw[10] ^= 1
    forged = tmp_path / "forged.txt"
    forged.write_text(altered(text, -2, f"\u2014 {name} {base64.b64encode(raw).decode()}"))
    out = verify_file(db, forged)
    assert out.returncode == 1
    assert "forged or altered" in out.stderr


def test_verify_fails_for_another_sites_checkpoint(site: tuple[Path, Path], tmp_path: Path) -> None:
    db, _ = site
    other_env = {"CART_CHAIN_SITE_KEY": str(tmp_path / "other-key.pem")}
    other = tmp_path / "other.sqlite3"
    ok(run(other, "init", "--admin", "root", "--name", "R", stdin="root-secret-1\n", env=other_env))
    theirs = tmp_path / "theirs.txt"
    ok(
        run(
            other,
            "checkpoint",
            "--out",
            str(theirs),
            "--by",
            "root",
            stdin="root-secret-1\n",
            env=other_env,
        )
    )
    out = verify_file(db, theirs)
    assert out.returncode == 1
    assert "not this ledger's" in out.stderr


def test_verify_fails_for_rewritten_or_cut_history(ready_db: Database, tmp_path: Path) -> None:
    coi = enrol(ready_db)
    seqs = walk(ready_db, unit_of(coi), 3)
    note = tmp_path / "kept.txt"
    note.write_text(site_key.make_checkpoint(ready_db, creds("alice")).note)
    size = int(note.read_text().split("\n")[1])
    ready_db.dispose()
    ok(verify_file(ready_db.path, note))  # type: ignore[arg-type]

    def colder(p: dict[str, object]) -> None:
        p["temperature_c"] = float(p["temperature_c"]) - 1.0  # type: ignore[arg-type]

    # The rewriter keeps the recorded checkpoint: verify alone catches it (no one can
    # re-sign it without the site key)...
    copy = tmp_path / "rewritten.sqlite3"
    shutil.copy(ready_db.path, copy)  # type: ignore[arg-type]
    consistent_rewrite(copy, seqs[1], colder)
    alone = run(copy, "verify")
    assert alone.returncode == 1
    assert f"entry {size + 1} (ledger_entries)" in alone.stderr and "rewritten" in alone.stderr
    # ...and drops it (cut off after the rewrite): the kept file catches it.
    cut = tmp_path / "cut.sqlite3"
    shutil.copy(copy, cut)
    truncate(cut, size)
    ok(run(cut, "verify"))  # on its own the rewritten, cut copy verifies
    out = verify_file(cut, note)
    assert out.returncode == 1 and "rewritten" in out.stderr
    # A plain truncation before the checkpoint's size is caught too.
    short = tmp_path / "short.sqlite3"
    shutil.copy(ready_db.path, short)  # type: ignore[arg-type]
    truncate(short, size - 2)
    out = verify_file(short, note)
    assert out.returncode == 1 and "cut off" in out.stderr


def truncate(path: Path, size: int) -> None:
    """Keep the first ``size`` entries (and their tree hashes), as a rewriter would."""
    from tests.tamper import rebuild_case_index

    conn = sqlite3.connect(str(path))
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type='trigger'").fetchall()
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("PRAGMA foreign_keys=OFF")
    for model in PROJECTIONS:
        conn.execute(f"DELETE FROM {model.__tablename__} WHERE entry_seq > ?", (size,))
    conn.execute("DELETE FROM tree_hashes WHERE entry_seq > ?", (size,))
    conn.execute("DELETE FROM ledger_entries WHERE seq > ?", (size,))
    for _, sql in triggers:
        conn.execute(sql)
    conn.commit()
    conn.close()
    rebuild_case_index(path)  # a fold of what is left, as the rewriter would leave it


# -- automatic checkpoints -----------------------------------------------------------------


def test_every_custody_report_is_followed_by_a_checkpoint(
    ready_db: Database, tmp_path: Path
) -> None:
    from cart_chain.reports import custody
    from cart_chain.services.exports import export_custody

    coi = enrol(ready_db)
    result = export_custody(ready_db, creds("quinn"), coi, tmp_path / "r.pdf", custody.render)
    entry = ready_db.read(lambda s: ledger.get_entry(s, result.receipt.seq + 1))
    assert entry is not None and entry.kind == CHECKPOINT_KIND and entry.actor == "quinn"
    p = entry.payload
    assert p["size"] == result.receipt.seq  # the head includes the export's own entry
    site = site_key.site_key(ready_db)
    note = note_text(site.origin, TreeHead(p["size"], base64.b64decode(p["root"])), p["signature"])
    assert open_note(note, site.origin, site.public).head.size == result.receipt.seq
    assert verify_ledger(ready_db, note=note).ok


def test_every_label_print_is_followed_by_a_checkpoint(ready_db: Database) -> None:
    from cart_chain.labels.printing import print_label

    coi = enrol(ready_db)
    walk(ready_db, unit_of(coi), 1)
    printed = print_label(ready_db, unit_of(coi), "bag", creds("anna"))
    entry = ready_db.read(lambda s: ledger.get_entry(s, printed.receipt.seq + 1))
    assert entry is not None and entry.kind == CHECKPOINT_KIND and entry.actor == "anna"
    assert entry.payload["size"] == printed.receipt.seq
    assert verify_ledger(ready_db).ok  # verify re-checks the recorded checkpoint


@pytest.mark.postgres
def test_whether_a_checkpoint_is_due_is_read_from_the_kind_index(any_db_postgresql) -> None:  # type: ignore[no-untyped-def]
    """Every signed write asks. Without table statistics (autovacuum off, as on this
    server) PostgreSQL walked the primary key backwards to the only, old site key entry:
    the whole ledger read on every handoff. The rows each plan node touched are counted."""
    db = any_db_postgresql
    checks: list[bool] = []
    setup.init_database(db, ADMIN[0], ADMIN[1], ADMIN[3])  # records the site key

    def bulk(session) -> None:  # type: ignore[no-untyped-def]
        for _ in range(500):
            ledger.append(
                session, "setting_changed", ADMIN[0], {"key": "password_expiry_days", "value": "0"}
            )

    for _ in range(6):
        db.write(bulk)
    selects = statements_of(db, lambda: checks.append(db.read(checkpoint_due_in)))
    assert checks == [False]  # the site key was recorded just now
    [(sql, params)] = [(s, p) for s, p in selects if "ledger_entries.kind" in s]
    assert rows_touched(db, sql, params) < 50
