"""Self-proving custody reports: the embedded ``custody-evidence.json``, checked offline.

A report carries the checkpoint signed for it and an inclusion proof of every entry
it shows. `cart-chain evidence check` must pass a good report with no database,
and fail (exit 1, one message) an altered attachment, a forged checkpoint, a key of
another site, and evidence swapped in from another report. Go's ``sumdb/note`` and
``sumdb/tlog`` (tests/notecheck, tests/tlogcheck) must accept what is embedded, and
the QR code printed on the report, rasterised and decoded by zxing-cpp, must be the
checkpoint itself.
"""

from __future__ import annotations

import base64
import json
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from PIL import Image
from pypdf import PdfReader, PdfWriter

from cart_chain.domain.evidence import ATTACHMENT, from_json
from cart_chain.domain.merkle import TreeHead
from cart_chain.domain.signed_note import CHECKPOINT_KIND, note_text, sign, verifier_key
from cart_chain.reports import custody
from cart_chain.services import site_key
from cart_chain.services.exports import export_custody
from cart_chain.store import ledger
from cart_chain.store.database import Database
from tests import gocheck
from tests.cli.helpers import ok, one_line_error, run
from tests.helpers import creds, enrol, populate, unit_of, walk


@dataclass(frozen=True)
class Made:
    db: Database
    pdf: Path
    other_pdf: Path  # a report of another case, same ledger
    vkey: str


@pytest.fixture(scope="module")
def made(tmp_path_factory: pytest.TempPathFactory, populated_sqlite: Path) -> Made:
    """One ledger with two cases, a correction and a label, and a report of each case."""
    from cart_chain.labels.printing import print_label
    from cart_chain.services.corrections import correct

    where = tmp_path_factory.mktemp("evidence")
    shutil.copy(populated_sqlite, where / "db.sqlite3")
    db = Database(str(where / "db.sqlite3"))
    coi = enrol(db)
    seqs = walk(db, unit_of(coi), 3)
    # A reason naming another entry by number ("#2", a user's entry the report does not
    # otherwise show): the report proves it too, so free text never fails the check.
    correct(db, seqs[-1], {"location": "Bench 2"}, "typo, as in #2", creds("lena"))
    print_label(db, unit_of(coi), "bag", creds("lena"))
    other = enrol(db, "Other Patient")
    walk(db, unit_of(other), 1)
    pdf = where / "report.pdf"
    export_custody(db, creds("quinn"), coi, pdf, custody.render)
    other_pdf = where / "other.pdf"
    export_custody(db, creds("quinn"), other, other_pdf, custody.render)
    return Made(db, pdf, other_pdf, site_key.site_key(db).vkey)


def evidence_of(pdf: Path) -> dict:  # type: ignore[type-arg]
    found = PdfReader(str(pdf)).attachments[ATTACHMENT]
    assert len(found) == 1
    return json.loads(found[0])


def with_attachment(pdf: Path, out: Path, doc: dict) -> Path:  # type: ignore[type-arg]
    """The same pages with ``doc`` as the only attachment (what a forger would make)."""
    reader = PdfReader(str(pdf))
    writer = PdfWriter()
    for page in reader.pages:
        writer.add_page(page)
    writer.add_attachment(ATTACHMENT, json.dumps(doc).encode())
    with out.open("wb") as fh:
        writer.write(fh)
    return out


def check_cli(pdf: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    # --db names a file that does not exist: the check must never need a database.
    return run(pdf.parent / "no-such-database.sqlite3", "evidence", "check", str(pdf), *extra)


def text_of(pdf: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(str(pdf)).pages)


# -- what the report carries ---------------------------------------------------------------


def test_the_report_embeds_a_checkpoint_recorded_in_the_ledger_and_proves_what_it_shows(
    made: Made,
) -> None:
    doc = evidence_of(made.pdf)
    assert doc["vkey"] == made.vkey
    lines = doc["checkpoint"].split("\n")
    size, root = int(lines[1]), lines[2]
    # The checkpoint is the one recorded right after the tree it signs.
    entry = made.db.read(lambda s: ledger.get_entry(s, size + 1))
    assert entry is not None and entry.kind == CHECKPOINT_KIND and entry.actor == "quinn"
    assert entry.payload["root"] == root
    site = site_key.site_key(made.db)
    head = TreeHead(size, base64.b64decode(root))
    assert doc["checkpoint"] == note_text(site.origin, head, entry.payload["signature"])
    # Every entry named on the report ("#N") is proven, with its hash as leaf data.
    text = text_of(made.pdf)
    named = {int(w[1:].rstrip(").,")) for w in text.split() if w[:1] == "#" and w[1:2].isdigit()}
    proven = {e["seq"]: e for e in doc["entries"]}
    assert named and named <= set(proven) and 2 in named
    for seq, e in proven.items():
        stored = made.db.read(lambda s, seq=seq: ledger.get_entry(s, seq))
        assert stored is not None and e["leaf_data"] == stored.hash
        assert e["leaf_index"] == seq - 1
        assert stored.hash in text  # printed beside its entry number
    # The report prints the checkpoint in words, with the key's fingerprint.
    words = " ".join(text.split())
    assert f"Log origin {site.origin}" in words and f"Tree size {size}" in words
    assert f"Root hash {root}" in words and "Key fingerprint SHA256:" in words


def test_the_qr_code_on_the_page_is_the_signed_checkpoint(made: Made, tmp_path: Path) -> None:
    if shutil.which("pdftoppm") is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: the page cannot be rasterised")
    subprocess.run(
        ["pdftoppm", "-r", "200", "-f", "1", "-l", "1", "-png", str(made.pdf), str(tmp_path / "p")],
        check=True,
        timeout=120,
    )
    (page,) = tmp_path.glob("p*.png")
    texts = [r.text for r in zxingcpp.read_barcodes(Image.open(page))]
    assert evidence_of(made.pdf)["checkpoint"] in texts


# -- the offline check ---------------------------------------------------------------------


def test_a_good_report_passes_with_the_sites_key_and_without(made: Made, tmp_path: Path) -> None:
    out = ok(check_cli(made.pdf, "--vkey", made.vkey))
    assert "evidence check passed" in out and "the key you gave" in out
    key_file = tmp_path / "site.vkey"
    key_file.write_text(made.vkey + "\n")
    ok(check_cli(made.pdf, "--vkey", str(key_file)))
    out = ok(check_cli(made.pdf))
    assert "EMBEDDED" in out and "self-consistent" in out
    assert not (made.pdf.parent / "no-such-database.sqlite3").exists()


def test_an_altered_attachment_fails(made: Made, tmp_path: Path) -> None:
    doc = evidence_of(made.pdf)
    proof = base64.b64decode(doc["entries"][0]["proof"][0])
    doc["entries"][0]["proof"][0] = base64.b64encode(bytes([proof[0] ^ 1]) + proof[1:]).decode()
    bad = with_attachment(made.pdf, tmp_path / "bad.pdf", doc)
    line = one_line_error(check_cli(bad, "--vkey", made.vkey), 1)
    assert "FAILED" in line and "inclusion proof" in line


def test_an_altered_leaf_fails(made: Made, tmp_path: Path) -> None:
    doc = evidence_of(made.pdf)
    doc["entries"][-1]["leaf_data"] = "00" * 32
    bad = with_attachment(made.pdf, tmp_path / "bad.pdf", doc)
    assert "FAILED" in one_line_error(check_cli(bad), 1)


def test_a_forged_checkpoint_fails(made: Made, tmp_path: Path) -> None:
    doc = evidence_of(made.pdf)
    lines = doc["checkpoint"].split("\n")
    lines[2] = base64.b64encode(b"\x07" * 32).decode()
    doc["checkpoint"] = "\n".join(lines)
    bad = with_attachment(made.pdf, tmp_path / "bad.pdf", doc)
    line = one_line_error(check_cli(bad), 1)
    assert "signature does not verify" in line


def test_a_self_signed_forgery_passes_only_without_the_sites_key(
    made: Made, tmp_path: Path
) -> None:
    """A forger re-signs the real tree head with their own key and embeds that key: the
    file is self-consistent, and only the site's key given with --vkey exposes it."""
    doc = evidence_of(made.pdf)
    origin, size, root = doc["checkpoint"].split("\n")[:3]
    forger = Ed25519PrivateKey.generate()
    doc["checkpoint"], _ = sign(origin, TreeHead(int(size), base64.b64decode(root)), forger)
    doc["vkey"] = verifier_key(origin, forger.public_key().public_bytes_raw())
    forged = with_attachment(made.pdf, tmp_path / "forged.pdf", doc)
    assert "EMBEDDED" in ok(check_cli(forged))
    line = one_line_error(check_cli(forged, "--vkey", made.vkey), 1)
    assert "not signed by this ledger's site key" in line


def test_another_sites_key_fails(made: Made, tmp_path: Path) -> None:
    other = Ed25519PrivateKey.generate().public_key().public_bytes_raw()
    foreign = verifier_key("cart-chain.B1234.0badc0de", other)
    line = one_line_error(check_cli(made.pdf, "--vkey", foreign), 1)
    assert "FAILED" in line and "cart-chain.B1234.0badc0de" in line
    line = one_line_error(check_cli(made.pdf, "--vkey", "not-a-key"), 1)
    assert "NAME+HASH+BASE64" in line


def test_evidence_of_another_report_does_not_pass_for_this_one(made: Made, tmp_path: Path) -> None:
    swapped = with_attachment(made.pdf, tmp_path / "swapped.pdf", evidence_of(made.other_pdf))
    line = one_line_error(check_cli(swapped, "--vkey", made.vkey), 1)
    assert "FAILED" in line and "printed on the report" in line


def test_a_pdf_without_evidence_is_refused(made: Made, tmp_path: Path) -> None:
    bare = tmp_path / "bare.pdf"
    writer = PdfWriter()
    for page in PdfReader(str(made.pdf)).pages:
        writer.add_page(page)
    with bare.open("wb") as fh:
        writer.write(fh)
    assert "not a self-proving report" in one_line_error(check_cli(bare), 1)
    junk = tmp_path / "junk.pdf"
    junk.write_bytes(b"not a pdf")
    assert "not a readable PDF" in one_line_error(check_cli(junk), 1)


def test_a_ledger_without_a_site_key_reports_that_it_has_no_evidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(str(tmp_path / "db.sqlite3"))
    monkeypatch.setattr(site_key, "record_site_key_in", lambda *a, **k: None)
    populate(db)
    assert db.read(site_key.site_key_in) is None
    pdf = tmp_path / "r.pdf"
    export_custody(db, creds("quinn"), enrol(db), pdf, custody.render)
    assert ATTACHMENT not in PdfReader(str(pdf)).attachments
    assert "carries no signed checkpoint" in text_of(pdf)
    assert "not a self-proving report" in one_line_error(check_cli(pdf), 1)


# -- independent checkers: Go's sumdb/note and sumdb/tlog ---------------------------------


def test_go_accepts_the_embedded_checkpoint_and_proofs(made: Made) -> None:
    notecheck = gocheck.build("notecheck", gocheck.SUMDB / "note" / "note.go", "evidence is")
    tlogcheck = gocheck.build("tlogcheck", gocheck.SUMDB / "tlog" / "tlog.go", "evidence is")
    doc = evidence_of(made.pdf)
    opened = gocheck.go_open(notecheck, doc["vkey"], doc["checkpoint"])
    assert opened.returncode == 0, opened.stdout
    _, origin, size, root = opened.stdout.split()
    assert origin == doc["checkpoint"].split("\n")[0]
    inclusion = [{**e, "tree_size": int(size), "root": root} for e in doc["entries"]]
    done = gocheck.tlog_check(tlogcheck, {"leaves": [], "stored": None, "inclusion": inclusion})
    assert done.returncode == 0, done.stdout
    assert done.stdout.strip() == f"ok {len(inclusion)}"
    # ... and Go refuses a proof we altered, so its acceptance means something.
    bad = [dict(inclusion[0], leaf_data="11" * 32)]
    refused = gocheck.tlog_check(tlogcheck, {"leaves": [], "stored": None, "inclusion": bad})
    assert refused.returncode == 1


def test_from_json_names_what_is_malformed() -> None:
    from cart_chain.domain.errors import InvalidValue

    for raw, why in (
        (b"{", "not JSON"),
        (b"[]", "not a JSON object"),
        (b'{"checkpoint": "x", "vkey": "y"}', "lacks"),
        (b'{"checkpoint": "x", "vkey": "y", "entries": [{"seq": 1}]}', "lacks"),
    ):
        with pytest.raises(InvalidValue, match=why):
            from_json(raw)


def test_a_ledger_that_fails_verify_gets_no_signed_checkpoint(
    ready_db: Database, tmp_path: Path
) -> None:
    coi = enrol(ready_db)
    enrolled = ready_db.read(ledger.head).seq
    ready_db.dispose()
    conn = sqlite3.connect(str(ready_db.path))
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='trigger'").fetchall():
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute(
        "UPDATE ledger_entries SET payload = replace(payload, 'MRN-1', 'MRN-9') WHERE seq = ?",
        (enrolled,),
    )
    conn.commit()
    conn.close()
    pdf = tmp_path / "r.pdf"
    result = export_custody(ready_db, creds("quinn"), coi, pdf, custody.render)
    assert not result.ledger.verified
    assert ATTACHMENT not in PdfReader(str(pdf)).attachments
    assert "failed verify" in " ".join(text_of(pdf).split())
    kinds = [ready_db.read(lambda s, n=n: ledger.get_entry(s, n)).kind for n in (enrolled + 1,)]
    assert kinds == ["report_exported"]  # no checkpoint signed before the report


def test_the_evidence_checks_on_sqlite_and_postgresql(
    ready_any_db: Database, tmp_path: Path
) -> None:
    from cart_chain.domain.evidence import check
    from cart_chain.reports.evidence_pdf import read_report
    from cart_chain.services.verification import verify_ledger

    db = ready_any_db
    coi = enrol(db)
    walk(db, unit_of(coi), 2)
    result = export_custody(db, creds("quinn"), coi, tmp_path / "r.pdf", custody.render)
    assert result.evidence is not None
    raw, text = read_report(result.path)
    verdict = check(from_json(raw), text, site_key.site_key(db).vkey)
    assert verdict.key_given and verdict.head.size + 1 == result.evidence.recorded_seq
    assert verdict.entries == len(result.evidence.evidence.entries) >= 3
    assert verify_ledger(db).ok  # the checkpoint recorded inside the render's write checks
