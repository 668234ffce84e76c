"""The audit PDF is written page by page: flat memory, and a file other readers accept."""

from __future__ import annotations

import os
import shutil
import subprocess
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

from cart_chain.domain.errors import StorageFull
from cart_chain.reports import audit
from cart_chain.services import audit_rows
from cart_chain.services.audit_rows import AuditHeader, AuditRow, audit_filters
from cart_chain.services.exports import export_audit
from cart_chain.store import ledger
from cart_chain.store.database import Database
from tests.helpers import creds

#: Enough distinct characters that each font needs several 256-glyph subsets.
CJK = "".join(chr(c) for c in range(0x4E00, 0x4E00 + 600))
NAMES = ("Ольга Петрова", "Ελένη Παπαδοπούλου", "山田 太郎", "María José García")


@pytest.fixture
def header(ready_db: Database) -> AuditHeader:
    return ready_db.read(lambda s: audit_rows.audit_header_in(s, audit_filters(), "quinn"))


def chunk(i: int) -> str:
    """Row ``i``'s 20 CJK characters: short enough not to wrap, 600 different in all."""
    return CJK[(i * 37) % 580 :][:20]


def synthetic(n: int, *, cjk: bool = False) -> Iterator[AuditRow]:
    """``n`` rows that repeat every 84 rows (entry numbers included), so the bounded
    caches of text widths and wrapped cells are the same size whatever ``n`` is, and
    only the writer could grow."""
    for i in range(1, n + 1):
        k = i % 84
        name = NAMES[k % len(NAMES)]
        detail = f"{name}: LN2 tank {k % 7}, rack {k % 12} (logger \\\\lab\\t{k % 3})"
        if cjk:
            detail += " " + chunk(i)
        yield AuditRow(
            k + 1,
            "2026-12-07T10:00:00.000000Z",
            "lena",
            "event recorded",
            "A9999260000011",
            "A999926000001101",
            detail,
            "",
            "",
            "",
            "Performed by: Lena Labtech (lena), 2026-12-07T10:00:00Z",
            "ab" * 32,
        )


def peak_bytes(header: AuditHeader, rows: int, out: Path) -> tuple[int, int]:
    """(peak bytes traced while writing ``rows`` rows as a PDF, its pages)."""
    tracemalloc.start()
    try:
        audit.write_pdf(header, synthetic(rows), out, lambda n: None)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak, len(PdfReader(str(out)).pages)


def test_pdf_memory_does_not_grow_with_its_pages(header: AuditHeader, tmp_path: Path) -> None:
    """reportlab's canvas kept every page, then formatted the whole file in memory at
    save: its peak grew with the page count. Pages are now written as they end."""
    audit.write_pdf(header, synthetic(50), tmp_path / "warm.pdf", lambda n: None)  # fonts loaded
    small, small_pages = peak_bytes(header, 300, tmp_path / "small.pdf")
    large, large_pages = peak_bytes(header, 3000, tmp_path / "large.pdf")
    assert large_pages >= 9 * small_pages and large_pages > 150
    # Ten times the pages, and the peak no higher than the small file's plus slack (the
    # old canvas took about 7 kB more a page: over 1 MB more here).
    assert large < small + 200_000, (small, large)


def test_streamed_pdf_is_read_by_other_tools(header: AuditHeader, tmp_path: Path) -> None:
    """qpdf finds no structural error; poppler and pypdf read every script back, across
    fonts split into several subsets; every font is an embedded subset."""
    out = tmp_path / "audit.pdf"
    audit.write_pdf(header, synthetic(120, cjk=True), out, lambda n: None)
    reader = PdfReader(str(out))
    text = "\n".join(p.extract_text() or "" for p in reader.pages)
    for name in NAMES:
        assert name in text
    assert all(chunk(i) in text for i in range(1, 121))
    assert reader.metadata is not None
    assert reader.metadata.title == f"Audit trail export {header.report_id}"
    assert reader.metadata.author == f"{header.generated_by_name} ({header.generated_by})"
    pages = len(reader.pages)
    if shutil.which("qpdf"):
        check = subprocess.run(["qpdf", "--check", str(out)], capture_output=True, text=True)
        assert check.returncode == 0, check.stdout + check.stderr
        assert "No syntax or stream encoding errors" in check.stdout
    if shutil.which("pdftotext"):
        plain = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True)
        assert plain.returncode == 0 and not plain.stderr, plain.stderr
        for name in NAMES:
            assert name in plain.stdout
        # Parentheses and backslashes are escaped in the PDF's strings, and come back.
        assert "(logger \\\\lab\\t1)" in plain.stdout
        assert "Lena Labtech (lena)" in plain.stdout
        assert all(chunk(i) in plain.stdout for i in range(1, 121))
        assert f"Page {pages} of {pages}" in plain.stdout
    if shutil.which("pdffonts"):
        listed = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True)
        fonts = listed.stdout.splitlines()[2:]
        assert len(fonts) >= 5  # regular, bold and CJK, the CJK in three subsets or more
        for line in fonts:
            assert "+" in line.split()[0] and " yes yes yes " in line, line


def test_full_disk_while_streaming_leaves_no_file_and_no_entry(
    ready_db: Database, media: Path
) -> None:
    """The PDF now reaches the disk page by page, so the disk can fill half-way through
    it: the export is refused as a full disk, no file is left (not even the staging
    one) and nothing is recorded."""

    def many(session):  # type: ignore[no-untyped-def]
        for i in range(1500):
            ledger.append(session, "scan_refused", "lena", {"by": "lena", "reason": f"t {i}"})

    ready_db.write(many)
    whole = media.parent / "whole.pdf"  # the same PDF where there is room: far over 40 kB
    ready_db.read(
        lambda s: audit.write_pdf(
            audit_rows.audit_header_in(s, audit_filters(), "quinn"),
            audit_rows.iter_audit(s, audit_filters()),
            whole,
            lambda n: None,
        )
    )
    assert whole.stat().st_size > 150_000
    filler = media / "filler"
    with filler.open("wb") as fh:  # leave about 40 kB: a few pages, not the whole file
        free = os.statvfs(media).f_bavail * os.statvfs(media).f_frsize
        fh.write(b"\0" * (free - 40_000))
    head = ready_db.read(ledger.head)
    out = media / "audit.pdf"
    with pytest.raises(StorageFull, match=r"audit\.pdf was not written"):
        export_audit(ready_db, creds("quinn"), audit_filters(), out, audit.write_pdf)
    assert sorted(media.iterdir()) == [filler]
    assert ready_db.read(ledger.head) == head


def test_stream_canvas_without_a_form_and_with_any_metadata(tmp_path: Path) -> None:
    """The canvas alone: document information in any script, with parentheses and
    backslashes; no page-count form drawn (its reserved object is still one, which qpdf
    checks: it warned of an object at offset 0)."""
    from reportlab.lib import colors

    from cart_chain.reports import fonts
    from cart_chain.reports.pdf_stream import StreamCanvas

    fonts.register()
    out = tmp_path / "plain.pdf"
    c = StreamCanvas(out, (200, 100))
    c.setAuthor("Ελένη Ιβάνοβα-山田 (eleni)")
    c.setTitle("T (1) \\ x")
    c.setFillColor(colors.black)
    fonts.draw_text(c, 10, 50, "Ελένη (a)\\b 山田", 10)
    c.showPage()
    c.save()
    reader = PdfReader(str(out))
    assert reader.metadata is not None
    assert reader.metadata.author == "Ελένη Ιβάνοβα-山田 (eleni)"
    assert reader.metadata.title == "T (1) \\ x"
    assert reader.pages[0].extract_text() == "Ελένη (a)\\b 山田"
    if shutil.which("qpdf"):
        check = subprocess.run(["qpdf", "--check", str(out)], capture_output=True, text=True)
        assert check.returncode == 0 and "WARNING" not in check.stdout + check.stderr, check
