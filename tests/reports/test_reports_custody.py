"""The custody report PDF: complete, legible in every script, tied to the ledger."""

from __future__ import annotations

import errno
import hashlib
import json
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from cart_chain.domain.errors import AuthenticationError, StorageFull
from cart_chain.domain.steps import CONDITION_STEPS, Step
from cart_chain.reports import custody, fonts
from cart_chain.services import accounts
from cart_chain.services.case_detail import show_case
from cart_chain.services.cases import new_case
from cart_chain.services.corrections import correct
from cart_chain.services.custody import record_event
from cart_chain.services.custody_data import custody_report_data, unit_timings
from cart_chain.services.demo import add_user_with_own_password
from cart_chain.services.exports import export_custody
from cart_chain.services.verification import verify_ledger
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.kinds.reports import REPORT_EXPORTED
from cart_chain.store.models import LedgerEntry
from tests import helpers
from tests.helpers import creds, enrol, password, unit_of, walk

PATIENT = "Ελένη Ιβάνοβα-山田"
#: Signers whose printed names are not Latin: Greek, Cyrillic, Japanese.
SIGNERS = (
    ("eleni", "Ελένη Παπαδοπούλου", "infusion"),
    ("dima", "Дмитрий Иванов", "courier"),
    ("yuki", "佐藤 雪", "infusion"),
)
#: Step, signer, second signer, hours after collection (infusion 25 min after thaw).
TIMED = (
    ("collection", "alice", "anna", 0),
    ("ship_to_manufacturing", "alice", "carl", 1),
    ("receipt_at_manufacturing", "carl", "lena", 26),
    ("engineering", "lena", None, 30),
    ("expansion", "lena", None, 50),
    ("cryopreservation", "leo", None, 200),
    ("release", "quinn", "lena", 300),
    ("storage", "leo", None, 301),
    ("ship_to_site", "leo", "dima", 400),
    ("receipt_at_site", "dima", "eleni", 430),
    ("thaw", "eleni", "yuki", 470),
    ("infusion", "eleni", "yuki", 470 + 25 / 60),
)
#: A temperature inside every product profile's limits, per step.
TEMPERATURES = getattr(helpers, "TEMPERATURES", None) or {step: 4.0 for step, *_ in TIMED}


def label(coi: str, unit: str, serial: int, reason: str | None) -> dict[str, object]:
    """A ``label_printed`` payload as the labels service (issue 3) writes it."""
    return {
        "coi": coi,
        "unit": unit,
        "kind": "bag",
        "layout": "bag@1",
        "step": "collection",
        "by": "lena",
        "serial": serial,
        "reason": reason,
        **({"voids": [serial - 1]} if reason and serial > 1 else {}),
    }


def text_of(path: Path) -> list[str]:
    """Each page's extracted text with whitespace runs collapsed (lines wrap anywhere)."""
    return [" ".join((pg.extract_text() or "").split()) for pg in PdfReader(str(path)).pages]


def login(username: str) -> accounts.Credentials:
    return accounts.Credentials(username, password(username))


@pytest.fixture
def story(ready_db: Database) -> tuple[Database, str, dict[str, int]]:
    """A full, timed journey signed partly by non-Latin names, with a corrected
    step, a label print and reprint, and a refused scan."""
    db = ready_db
    for username, full, role in SIGNERS:
        add_user_with_own_password(db, creds("admin"), username, full, role, password(username))
    coi = new_case(db, creds("alice"), PATIENT, "1961-03-09", "MRN-ΑΒΓ-7", "Kymriah", 1).subject
    unit = unit_of(coi)
    # The journey ends an hour ago, so the patient's readiness (recorded "now") fits it.
    t0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=TIMED[-1][3] + 1)
    seqs: dict[str, int] = {}
    for step, by, to, hours in TIMED:
        if step == "infusion" and hasattr(helpers, "prepare_patient"):
            helpers.prepare_patient(db, unit)  # lymphodepletion and bedside check
        r = record_event(
            db,
            unit,
            step,
            login(by) if by in {s[0] for s in SIGNERS} else creds(by),
            (login(to) if to in {s[0] for s in SIGNERS} else creds(to)) if to else None,
            location=f"{step.replace('_', ' ')} room",
            temperature_c=TEMPERATURES[step],
            note="seal intact" if step == "receipt_at_site" else None,
            condition="intact, no leaks" if Step(step) in CONDITION_STEPS else None,
            occurred_at=t0 + timedelta(hours=hours),
        )
        seqs[step] = r.seq
    fix = correct(db, seqs["storage"], {"location": "LN2 tank 4"}, "wrong tank typed", creds("leo"))
    seqs["correction"] = fix.seq

    def labels(session):  # type: ignore[no-untyped-def]
        first = ledger.append(
            session,
            "label_printed",
            "lena",
            label(coi, unit, 1, None),
        )
        again = ledger.append(
            session,
            "label_printed",
            "lena",
            label(coi, unit, 2, "smudged barcode"),
        )
        refused = ledger.append(
            session,
            "scan_refused",
            "eleni",
            {
                "coi": coi,
                "unit": unit,
                "by": "eleni",
                "scanned": "CHA999926999999X",
                "reason": "COI does not match the patient wristband",
            },
        )
        return first.seq, again.seq, refused.seq

    seqs["label"], seqs["reprint"], seqs["refused"] = db.write(labels)
    # An entry about another case must not appear.
    other = enrol(db, "Other Patient")
    db.write(
        lambda s: ledger.append(
            s,
            "label_printed",
            "lena",
            label(other, unit_of(other), 9, "other case"),
        )
    )
    return db, coi, seqs


def test_report_holds_every_event_signer_correction_and_checkpoint(story, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, coi, seqs = story
    out = tmp_path / "custody.pdf"
    before = db.read(ledger.head)
    result = export_custody(db, creds("quinn"), coi, out, custody.render)

    text = " ".join(text_of(out))
    case = show_case(db, coi)
    for e in case.units[0].events:
        assert f"#{e.seq}" in text
        assert custody.step_label(e.step) in text
        for s in e.signatures:
            assert s.printed_name in text, s.printed_name
    for _, full, _ in SIGNERS:
        assert full in text
    assert "Quinn Quality" in text  # generated by
    # corrections: original, correction, reason, who signed
    assert "original “storage room” → corrected “LN2 tank 4”" in text
    assert "Reason: wrong tank typed" in text
    assert f"Correction entry #{seqs['correction']}" in text
    assert "Signed — Performed by: Leo Labtech (leo)" in text
    # labels, reprints and refused scans of this case only
    assert "bag rev 1" in text and "smudged barcode" in text and "reprinted" in text
    assert "other case" not in text
    assert "COI does not match the patient wristband" in text
    assert "CHA999926999999X" in text
    # treatment site and condition
    assert "receipt at site room" in text and "seal intact" in text
    assert "intact, no leaks" in text  # the condition stated at the receipts, thaw, infusion
    # checkpoint: the head before the export's own entry, with the verdict
    assert result.ledger.seq == before.seq and result.ledger.hash == before.hash
    assert f"entry {before.seq}" in text and before.hash in text
    assert "PASSED" in text
    assert result.report_id in text


def test_timing_summary(story, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, coi, _ = story
    t = unit_timings(show_case(db, coi))[0]
    assert t.to_manufacturing == 25 * 3600
    assert t.to_site == 30 * 3600
    assert t.vein_to_vein == 470 * 3600 + 25 * 60
    assert t.thaw_to_infusion == 25 * 60
    out = tmp_path / "t.pdf"
    export_custody(db, creds("quinn"), coi, out, custody.render)
    text = " ".join(text_of(out))
    for shown in ("1 d 01 h 00 min", "1 d 06 h 00 min", "19 d 14 h 25 min", "25 min"):
        assert shown in text


def test_export_is_recorded_with_the_files_hash(story, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, coi, _ = story
    out = tmp_path / "custody.pdf"
    result = export_custody(db, creds("quinn"), coi, out, custody.render)
    digest = hashlib.sha256(out.read_bytes()).hexdigest()
    assert result.sha256 == digest
    entry = db.read(lambda s: ledger.get_entry(s, result.receipt.seq))
    payload = entry.payload
    assert entry.kind == REPORT_EXPORTED and entry.actor == "quinn"
    assert payload["sha256"] == digest
    assert payload["report"] == "custody" and payload["coi"] == coi
    assert payload["report_id"] == result.report_id
    assert payload["checkpoint"] == {"seq": result.ledger.seq, "hash": result.ledger.hash}
    assert payload["file"] == str(out.resolve())
    # the export entry comes after the printed checkpoint, and the ledger still verifies
    assert result.receipt.seq > result.ledger.seq
    assert verify_ledger(db).ok
    assert not list(tmp_path.glob(".*.part"))


def test_non_latin_names_print_with_embedded_fonts(story, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, coi, _ = story
    out = tmp_path / "names.pdf"
    export_custody(db, creds("quinn"), coi, out, custody.render)
    text = " ".join(text_of(out))
    assert PATIENT in text
    names = [PATIENT, *(full for _, full, _ in SIGNERS)]
    for name in names:
        assert fonts.missing(name) == set()
        for font, chunk in fonts.runs(name):
            # each glyph is drawn by a font whose cmap has it: no box, no fallback glyph
            assert all(ord(ch) in fonts.coverage(font) for ch in chunk), (font, chunk)
    assert {f for n in names for f, _ in fonts.runs(n)} >= {fonts.REGULAR, fonts.CJK}
    for page in PdfReader(str(out)).pages:
        for ref in page["/Resources"]["/Font"].values():
            font = ref.get_object()
            assert "/FontFile2" in font["/FontDescriptor"], font["/BaseFont"]  # embedded TTF
            assert "Helvetica" not in str(font["/BaseFont"])


def test_page_numbering_on_a_multi_page_report(ready_db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db, "Ольга Петрова", bags=4)
    for n in range(1, 5):
        walk(ready_db, unit_of(coi, n))
    out = tmp_path / "long.pdf"
    result = export_custody(ready_db, creds("quinn"), coi, out, custody.render)
    pages = text_of(out)
    assert len(pages) >= 3
    for i, page in enumerate(pages, start=1):
        assert f"Page {i} of {len(pages)}" in page
        assert result.report_id in page  # the footer identifies the report on every page
        assert f"checkpoint {result.ledger.seq}:{result.ledger.hash[:16]}" in page
    assert "Ольга Петрова" in pages[0]
    everything = " ".join(pages)
    for u in show_case(ready_db, coi).units:
        for e in u.events:
            assert f"#{e.seq}" in everything


def test_wrong_password_leaves_no_file_and_no_export_entry(story, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, coi, _ = story
    folder = tmp_path / "out"
    folder.mkdir()
    out = folder / "custody.pdf"
    with pytest.raises(AuthenticationError):
        export_custody(db, accounts.Credentials("quinn", "wrong"), coi, out, custody.render)
    assert list(folder.iterdir()) == []
    kinds = db.read(
        lambda s: list(s.execute(select(LedgerEntry.kind).order_by(LedgerEntry.seq)).scalars())
    )
    assert REPORT_EXPORTED not in kinds
    assert kinds[-1] == "user_changed"  # the failed attempt is recorded


def test_full_disk_raises_storage_full_and_leaves_nothing(story, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, coi, _ = story

    def disk_full(data, path: Path) -> None:  # type: ignore[no-untyped-def]
        path.write_bytes(b"%PDF-1.4 half a report")
        raise OSError(errno.ENOSPC, "No space left on device", str(path))

    folder = tmp_path / "out"
    folder.mkdir()
    head = db.read(ledger.head)
    with pytest.raises(StorageFull):
        export_custody(db, creds("quinn"), coi, folder / "custody.pdf", disk_full)
    assert list(folder.iterdir()) == []
    assert db.read(ledger.head) == head


def test_a_failed_verification_is_printed(story, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.tamper import tamper

    db, coi, seqs = story
    tamper(db, f"UPDATE events SET location = 'elsewhere' WHERE entry_seq = {seqs['thaw']}")
    data = custody_report_data(db, coi, "quinn")
    assert not data.ledger.verified
    out = tmp_path / "bad.pdf"
    custody.render(data, out)
    text = " ".join(text_of(out))
    assert "FAILED" in text and "verify FAILED" in text


def test_duration_format() -> None:
    assert custody.duration(None) == "—"
    assert custody.duration(59) == "1 min"
    assert custody.duration(3600 * 5 + 60 * 7) == "5 h 07 min"
    assert custody.duration(86400 * 2 + 3600) == "2 d 01 h 00 min"


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="needs pdftoppm (poppler-utils)")
def test_qr_code_carries_the_coi(story, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import zxingcpp
    from PIL import Image

    db, coi, _ = story
    out = tmp_path / "qr.pdf"
    export_custody(db, creds("quinn"), coi, out, custody.render)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-f", "1", "-l", "1", str(out), str(tmp_path / "p")],
        check=True,
    )
    image = Image.open(next(tmp_path.glob("p*.png")))
    found = sorted(b.text for b in zxingcpp.read_barcodes(image))
    note = PdfReader(str(out)).attachments["custody-evidence.json"][0]
    checkpoint = json.loads(note)["checkpoint"]
    # The COI and the signed checkpoint (test_evidence checks that one): no name, ever.
    assert found == sorted([coi, checkpoint])
    assert not any(PATIENT in text for text in found)


@pytest.mark.skipif(
    not hasattr(helpers, "prepare_patient"), reason="this build has no infusion gates"
)
def test_patient_preparation_and_deviations_are_reported(story, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, coi, _ = story
    other = enrol(db, "Ιωάννης Δημητρίου", bags=1)
    unit = unit_of(other)
    walk(db, unit, 7)  # up to release
    record_event(db, unit, "storage", creds("leo"), None, location="Tank 9", temperature_c=-100.0)
    out = tmp_path / "dev.pdf"
    export_custody(db, creds("quinn"), other, out, custody.render)
    pages = text_of(out)
    assert "1 open deviation(s) await QA review" in pages[0]
    text = " ".join(pages)
    assert "Deviations from the handling profile" in text and "OPEN — not reviewed by QA" in text
    assert "-100 °C" in text

    out = tmp_path / "ready.pdf"
    export_custody(db, creds("quinn"), coi, out, custody.render)
    text = " ".join(text_of(out))
    for shown in ("Lymphodepletion started", "Lymphodepletion ended", "Bedside identity check"):
        assert shown in text
    assert "open deviation" not in text


def test_real_label_and_scan_entries_are_listed(ready_db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """The labels and scanning services' own entries (not hand-made payloads) reach the report."""
    from cart_chain.domain.label_layout import load_layout
    from cart_chain.labels.printing import print_label
    from cart_chain.services import labels, scanning

    db = ready_db
    coi = enrol(db, "Ольга Петрова")
    other = enrol(db, "Other Patient")
    unit = unit_of(coi)
    walk(db, unit, 1)
    print_label(db, unit, "bag", creds("alice"))
    print_label(db, unit, "bag", creds("anna"), reason="torn in the bag sealer")
    tube = print_label(db, unit, "tube", creds("alice"))
    print_label(db, unit, "collection", creds("alice"))
    labels.void_label(db, creds("alice"), tube.payload, "tube dropped and destroyed")
    # wrong bag at the bedside: expected this case, scanned another one
    scanning.record_refused_scan(db, creds("ines"), coi, other, "COI does not match the patient")
    out = tmp_path / "labels.pdf"
    export_custody(db, creds("quinn"), coi, out, custody.render)
    text = " ".join(text_of(out))
    for shown in (
        "torn in the bag sealer",
        "reprinted",
        "voided",
        "tube dropped and destroyed",
        "COI does not match the patient",
        other,
        f"collection rev {load_layout('collection').revision}",  # the template revision printed
    ):
        assert shown in text, shown
    # the other case's report lists the same refused scan (its label was the one scanned)
    data = custody_report_data(db, other, "quinn")
    assert [s.reason for s in data.refused_scans] == ["COI does not match the patient"]
    assert data.labels == ()
