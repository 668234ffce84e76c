"""Audit trail exports (CSV and PDF): every entry in range, filters, streaming, recorded."""

from __future__ import annotations

import csv
import io
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

from cart_chain.domain.errors import NotFound, UsageError
from cart_chain.reports import audit
from cart_chain.services import audit_rows
from cart_chain.services.audit_rows import audit_filters
from cart_chain.services.corrections import correct
from cart_chain.services.exports import export_audit
from cart_chain.services.verification import verify_ledger
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.kinds.reports import REPORT_EXPORTED
from tests.helpers import creds, enrol, unit_of, walk


@pytest.fixture
def trail(ready_db: Database) -> tuple[Database, str, str, int]:
    """Two cases; the first walked part-way with a correction, the second enrolled only."""
    coi = enrol(ready_db, "Ελένη Παπαδοπούλου")
    seqs = walk(ready_db, unit_of(coi), 4)
    fix = correct(
        ready_db, seqs[1], {"location": "Dock 2", "temperature_c": "-5"}, "typo", creds("alice")
    )
    other = enrol(ready_db, "山田 太郎")
    return ready_db, coi, other, fix.seq


def rows_of(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark
    return list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"), newline="")))


def test_csv_has_one_row_per_entry_with_iso_times_and_corrections(trail, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, coi, _, fix = trail
    head = db.read(ledger.head)
    out = tmp_path / "audit.csv"
    result = export_audit(db, creds("quinn"), audit_filters(), out, audit.write_csv)
    rows = rows_of(out)
    assert tuple(rows[0]) == audit.CSV_COLUMNS
    assert [int(r["seq"]) for r in rows] == list(range(1, head.seq + 1))
    assert result.entries == head.seq
    assert all(
        re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z", r["recorded_at_utc"]) for r in rows
    )
    c = next(r for r in rows if int(r["seq"]) == fix)
    assert c["user"] == "alice" and c["case_coi"] == coi and c["unit"] == unit_of(coi)
    assert c["before"] == "location: ship_to_manufacturing room; temperature_c: 4.0"
    assert c["after"] == "location: Dock 2; temperature_c: -5.0"
    assert c["reason"] == "typo"
    assert "Performed by: Alice Apheresis (alice)" in c["signatures"]
    assert out.read_bytes().count(b"\r\n") == len(rows) + 1
    assert b"argon2" not in out.read_bytes()  # password hashes are never exported
    assert "Ελένη Παπαδοπούλου" not in out.read_text("utf-8-sig")  # patient names stay out


def test_case_and_user_filters(trail, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, coi, other, fix = trail
    out = tmp_path / "case.csv"
    export_audit(db, creds("quinn"), audit_filters(case=coi), out, audit.write_csv)
    rows = rows_of(out)
    assert rows and all(r["case_coi"] == coi for r in rows)
    assert other not in out.read_text("utf-8-sig")
    assert {r["action"] for r in rows} >= {"case enrolled", "step: Collection (apheresis)"}
    assert str(fix) in {r["seq"] for r in rows}

    out = tmp_path / "carl.csv"
    export_audit(db, creds("quinn"), audit_filters(user="carl"), out, audit.write_csv)
    rows = rows_of(out)
    # carl was created by the admin, chose his own password, then signed two handoffs
    # (receiving, then releasing)
    assert [r["action"] for r in rows] == [
        "user created",
        "user password",
        "step: Ship to manufacturing",
        "step: Receipt at manufacturing",
    ]
    with pytest.raises(NotFound):
        export_audit(
            db, creds("quinn"), audit_filters(user="nobody"), tmp_path / "no.csv", audit.write_csv
        )


def test_date_range(trail, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, *_ = trail
    today, head = date.today(), db.read(ledger.head)

    def count(**kw: str) -> int:
        out = tmp_path / "range.csv"
        f = audit_filters(**kw)
        return export_audit(db, creds("quinn"), f, out, audit.write_csv, overwrite=True).entries

    # Each export adds its own entry and a signed checkpoint, so later exports of "today"
    # see two more.
    assert count(start=today.isoformat(), end=today.isoformat()) == head.seq
    assert count(start=(today + timedelta(days=1)).isoformat()) == 0
    assert count(end=(today - timedelta(days=1)).isoformat()) == 0
    assert count(start="2000-01-01T00:00+00:00", end="2100-01-01") == head.seq + 6


def test_every_export_is_recorded(trail, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db, coi, _, _ = trail
    out = tmp_path / "a.pdf"
    result = export_audit(db, creds("ines"), audit_filters(case=coi), out, audit.write_pdf)
    entry = db.read(lambda s: ledger.get_entry(s, result.receipt.seq))
    assert entry.kind == REPORT_EXPORTED and entry.actor == "ines"
    p = entry.payload
    assert p["report"] == "audit" and p["format"] == "pdf" and p["coi"] == coi
    assert p["filters"] == {"case": coi} and p["entries"] == result.entries
    assert p["checkpoint"]["seq"] == result.receipt.seq - 1
    # a later per-case audit lists the export itself
    out2 = tmp_path / "b.csv"
    export_audit(db, creds("quinn"), audit_filters(case=coi), out2, audit.write_csv)
    last = rows_of(out2)[-1]
    assert last["action"] == "audit report exported" and last["user"] == "ines"
    assert result.sha256 in last["details"]
    assert verify_ledger(db).ok


def test_pdf_holds_every_entry_checkpoint_and_page_numbers(ready_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = ready_db
    for name in ("Ольга Петрова", "María José García"):
        walk(db, unit_of(enrol(db, name)))
    out = tmp_path / "audit.pdf"
    result = export_audit(db, creds("quinn"), audit_filters(), out, audit.write_pdf)
    pages = [" ".join((p.extract_text() or "").split()) for p in PdfReader(str(out)).pages]
    assert len(pages) >= 3
    text = " ".join(pages)
    for seq in range(1, result.entries + 1):
        assert re.search(rf"(^| ){seq} 20\d\d-", text), seq
    for i, page in enumerate(pages, start=1):
        assert f"Page {i} of" in page
        assert result.ledger.checkpoint in page and result.report_id in page
    for name in ("Alice Apheresis", "Quinn Quality", "Ines Infusion", "Ivan Infusion"):
        assert name in text
    # The total is a PDF form filled after the last page; every page shows it.
    form = PdfReader(str(out)).pages[0]["/Resources"]["/XObject"]
    drawn = [x.get_object().get_data() for x in form.values()]
    assert any(f"({len(pages)}) Tj".encode() in d for d in drawn)
    if shutil.which("pdftotext"):
        plain = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True)
        for i in range(1, len(pages) + 1):
            assert f"Page {i} of {len(pages)}" in plain.stdout


def test_keyset_paging_returns_every_entry_once(trail, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    db, coi, _, _ = trail
    monkeypatch.setattr(audit_rows, "BATCH", 3)
    head = db.read(ledger.head)
    seqs = db.read(lambda s: [r.seq for r in audit_rows.iter_audit(s, audit_filters())])
    assert seqs == list(range(1, head.seq + 1))
    mine = db.read(lambda s: [r.coi for r in audit_rows.iter_audit(s, audit_filters(case=coi))])
    assert mine and set(mine) == {coi}
    assert db.read(lambda s: audit_rows.count_audit(s, audit_filters(case=coi))) == len(mine)


def test_bad_filters_and_formats() -> None:
    with pytest.raises(UsageError):
        audit.writer_for(Path("audit.xlsx"))
    from cart_chain.domain.errors import IdentifierError, InvalidValue

    with pytest.raises(InvalidValue):
        audit_filters(start="2026-02-01", end="2026-01-01")
    with pytest.raises(InvalidValue):
        audit_filters(start="last tuesday")
    with pytest.raises(IdentifierError):
        audit_filters(case="CHA999926000001Q")


def test_csv_cells_never_become_formulas() -> None:
    assert audit._cell("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    assert audit._cell("-150") == "-150"
    assert audit._cell("@sum") == "'@sum"
    assert audit._cell("Dock 2") == "Dock 2"


def test_exports_on_sqlite_and_postgresql(ready_any_db, tmp_path) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.reports import custody
    from cart_chain.services.exports import export_custody

    db = ready_any_db
    coi = enrol(db, "Ольга Петрова")
    enrol(db, "Other")
    walk(db, unit_of(coi), 3)
    out = tmp_path / "case.csv"
    result = export_audit(
        db, creds("quinn"), audit_filters(case=coi, user="carl"), out, audit.write_csv
    )
    rows = rows_of(out)
    assert [r["action"] for r in rows] == [
        "step: Ship to manufacturing",
        "step: Receipt at manufacturing",
    ]
    assert result.entries == 2
    pdf = tmp_path / "case.pdf"
    export_custody(db, creds("quinn"), coi, pdf, custody.render)
    assert "Ольга Петрова" in PdfReader(str(pdf)).pages[0].extract_text()
    assert verify_ledger(db).ok


def test_full_disk_during_an_audit_export_leaves_no_file(trail, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import errno

    from cart_chain.domain.errors import StorageFull

    db, *_ = trail
    folder = tmp_path / "out"
    folder.mkdir()

    def half_then_full(header, rows, path, tick):  # type: ignore[no-untyped-def]
        audit.write_csv(header, rows, path, tick)  # a complete-looking file on disk...
        raise OSError(errno.ENOSPC, "No space left on device", str(path))  # ...then no room

    head = db.read(ledger.head)
    with pytest.raises(StorageFull):
        export_audit(db, creds("quinn"), audit_filters(), folder / "a.csv", half_then_full)
    assert list(folder.iterdir()) == []
    assert db.read(ledger.head) == head  # and no export entry


def test_streaming_uses_flat_memory(ready_db: Database, tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """Rows are read in keyset pages and written one by one: memory does not grow with them."""
    import tracemalloc

    monkeypatch.setattr(audit_rows, "BATCH", 200)

    def many(session):  # type: ignore[no-untyped-def]
        for i in range(3000):
            ledger.append(
                session,
                "scan_refused",
                "lena",
                {"by": "lena", "reason": f"test {i}", "scanned": "x" * 200},
            )

    ready_db.write(many)
    peaks: dict[int, float] = {}

    def tick(n: int) -> None:
        peaks[n] = tracemalloc.get_traced_memory()[1]

    def run(session):  # type: ignore[no-untyped-def]
        header = audit_rows.audit_header_in(session, audit_filters(), "quinn")
        tracemalloc.start()
        try:
            return audit.write_csv(
                header, audit_rows.iter_audit(session, audit_filters()), tmp_path / "a.csv", tick
            )
        finally:
            tracemalloc.stop()

    written = ready_db.read(run)
    assert written > 3000
    # The peak after 3000 rows is no higher than after 1000 plus slack for one page of rows.
    assert peaks[3000] < peaks[1000] * 1.2 + 200_000, peaks
