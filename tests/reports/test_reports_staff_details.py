"""Issue 11's PDF details staff notice: long names, rejected deviations, notes,
refused scans' units, and the audit report's local times, grouped ids and review block."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader

from cart_chain.domain.identifiers import parse_any
from cart_chain.reports import audit, base, custody, fonts
from cart_chain.services import scanning
from cart_chain.services.audit_rows import audit_filters
from cart_chain.services.custody import record_event
from cart_chain.services.custody_data import custody_report_data
from cart_chain.services.exports import export_audit, export_custody
from cart_chain.services.readiness import review_deviation
from cart_chain.store.database import Database
from tests.helpers import creds, enrol, unit_of, walk

LONG_NAME = "Maximiliane Alexandra Konstantinopoulou-Papadopoulou von Hohenzollern-Sigmaringen"


def text_of(path: Path) -> str:
    return " ".join(" ".join((pg.extract_text() or "").split()) for pg in PdfReader(path).pages)


def test_a_long_name_never_overprints_the_header(ready_db: Database, tmp_path: Path) -> None:
    assert len(LONG_NAME) >= 80
    coi = enrol(ready_db, LONG_NAME)
    out = tmp_path / "long.pdf"
    export_custody(ready_db, creds("quinn"), coi, out, custody.render)
    page = PdfReader(out).pages[0]
    height = float(page.mediabox.height)
    chunks: list[tuple[float, str]] = []

    def visit(text, cm, tm, font, size) -> None:  # type: ignore[no-untyped-def]
        y = tm[5] * cm[3] + cm[5]
        if text.strip() and y > height - 15 * 72 / 25.4:
            chunks.append((tm[4] * cm[0] + cm[4], text))

    page.extract_text(visitor_text=visit)
    left = "cart-chain · Chain-of-custody report"
    left_end = base.MARGIN + fonts.text_width(left, 8.5, bold=True)  # the header size
    right = [(x, t) for x, t in chunks if "cart-chain" not in t and "Chain-of-custody" not in t]
    assert right, chunks
    assert all(x >= left_end for x, _ in right), (left_end, right)
    shown = " ".join(" ".join(t for _, t in right).split())
    for word in LONG_NAME.split():
        assert word in shown


def test_rejected_deviation_notes_and_scanned_unit(ready_db: Database, tmp_path: Path) -> None:
    db = ready_db
    coi = enrol(db, "Ιωάννης Δημητρίου")
    other = enrol(db, "Other Patient")
    unit = unit_of(coi)
    walk(db, unit, 7)  # up to release
    record_event(
        db,
        unit,
        "storage",
        creds("leo"),
        None,
        location="Tank 9",
        temperature_c=-100.0,
        note="dewar lid cracked",
    )
    dev = custody_report_data(db, coi, "quinn").case.units[0].deviations[0]
    review_deviation(db, dev.seq, "reject", "too warm for release", creds("quinn"))
    scanning.record_refused_scan(db, creds("ines"), coi, unit_of(other), "wrong patient's bag")
    out = tmp_path / "rejected.pdf"
    export_custody(db, creds("quinn"), coi, out, custody.render)
    text = text_of(out)
    assert "await QA review" not in text and "not reviewed by QA" not in text
    assert "REJECTED by QA (quinn" in text and "too warm for release" in text
    # the note is in its own column: the header names it, the cell holds it alone
    assert "Note" in text and "dewar lid cracked" in text
    data = custody_report_data(db, coi, "quinn")
    assert [s.unit for s in data.refused_scans] == [unit_of(other)]
    assert parse_any(unit_of(other)).grouped() in text

    out = tmp_path / "audit.pdf"
    export_audit(db, creds("quinn"), audit_filters(case=coi), out, audit.write_pdf)
    text = text_of(out)
    assert f"deviation #{dev.seq} REJECTED by QA" in text
    assert "awaiting" not in text


def test_audit_pdf_local_times_grouped_ids_and_review_block(
    ready_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    try:
        coi = enrol(ready_db, "Ольга Петрова")
        out = tmp_path / "audit.pdf"
        export_audit(ready_db, creds("quinn"), audit_filters(case=coi), out, audit.write_pdf)
    finally:
        monkeypatch.undo()
        time.tzset()
    pages = [" ".join((pg.extract_text() or "").split()) for pg in PdfReader(out).pages]
    text = " ".join(pages)
    today = datetime.now(UTC).astimezone().strftime("%Y-%m-%d")
    assert " CET" in text or " CEST" in text, text[:400]
    assert today[:4] in text
    assert parse_any(coi).grouped() in text
    for label in ("Review", "Reviewed by (printed name)", "Signature", "Date and time"):
        assert label in pages[-1]
