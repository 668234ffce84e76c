"""Audit trail exports: CSV for spreadsheets and scripts, PDF for reading and filing.

Both writers stream: they take an iterator of `AuditRow` (fed by keyset-paged
reads in `services.audit_rows`) and hold one row at a time, so a million
entries export in flat memory. The PDF is drawn on a `pdf_stream.StreamCanvas`,
which writes each page as it ends (reportlab's canvas kept every page until it
saved, and then formatted the whole file in memory), rather than through
platypus tables (a table of 100,000 rows would be laid out in memory first).
"Page x of y" points at a PDF form that is filled in once the last page is
known - no page has to be kept to stamp it, unlike `NumberedCanvas`.

CSV: UTF-8 with a byte-order mark (so Excel detects UTF-8 and shows every
script), comma-separated, CRLF line ends (RFC 4180), one header row, then
exactly one row per ledger entry. Times are the ledger's own UTC ISO 8601
strings. Text cells starting with ``= + - @`` that are not numbers get a
leading apostrophe so a spreadsheet never runs them as a formula. The
checkpoint, verify result and SHA-256 of a CSV are in its ``report_exported``
ledger entry (and printed by the command), not inside the file, so the file
stays a plain table.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics

from cart_chain.reports import base, fonts
from cart_chain.reports.audit_review import REVIEW_HEIGHT, draw_review, grouped
from cart_chain.reports.base import when_local
from cart_chain.reports.pdf_stream import StreamCanvas

if TYPE_CHECKING:
    # Types only: importing the service module would pull in SQLAlchemy.
    from cart_chain.services.audit_rows import AuditHeader, AuditRow

CSV_COLUMNS = (
    "seq",
    "recorded_at_utc",
    "user",
    "action",
    "case_coi",
    "unit",
    "details",
    "before",
    "after",
    "reason",
    "signatures",
    "entry_hash",
)
TICK = 1000


_FORMULA_START = frozenset("=+-@\t\r")


def _cell(value: str) -> str:
    """Neutralise spreadsheet formulas (CSV injection) without touching numbers."""
    if value and value[0] in _FORMULA_START:
        try:
            float(value)
        except ValueError:
            return "'" + value
    return value


def write_csv(
    header: AuditHeader, rows: Iterable[AuditRow], path: Path, tick: Callable[[int], None]
) -> int:
    n = 0
    with path.open("w", encoding="utf-8-sig", newline="") as fh:
        # Rows are formatted into a buffer and written a batch at a time: a write per
        # row (each encoded on its own) cost more than the row's formatting.
        buffer = io.StringIO()
        w = csv.writer(buffer, lineterminator="\r\n")
        w.writerow(CSV_COLUMNS)
        for r in rows:
            w.writerow(
                [
                    r.seq,
                    r.recorded_at,
                    _cell(r.user),
                    _cell(r.action),
                    r.coi,
                    r.unit,
                    _cell(r.details),
                    _cell(r.before),
                    _cell(r.after),
                    _cell(r.reason),
                    _cell(r.signatures),
                    r.hash,
                ]
            )
            n += 1
            if n % TICK == 0:
                fh.write(buffer.getvalue())
                buffer.seek(0)
                buffer.truncate()
                tick(n)
        fh.write(buffer.getvalue())
    tick(n)
    return n


# -- PDF ----------------------------------------------------------------------------

PAGE = landscape(A4)
MARGIN = base.MARGIN
SIZE = 6.8
LEADING = 8.4
HEAD_SIZE = 7
#: Column titles and widths in mm; they add up to the landscape A4 width less margins.
COLUMNS: tuple[tuple[str, float], ...] = (
    ("Entry", 13),
    ("Recorded (local)", 27),
    ("User", 17),
    ("Action", 38),
    ("Case / unit", 33),
    ("Details, reason, signatures", 72),
    ("Before → after", 65),
)
TOP = PAGE[1] - 27.5 * mm
BOTTOM = 17 * mm
PAGES_FORM = "pagecount"


def describe_filters(header: AuditHeader) -> str:
    d = header.filters.described
    parts = []
    if "from" in d:
        parts.append(f"from {d['from']}")
    if "to" in d:
        parts.append(f"to {d['to']}")
    if "user" in d:
        parts.append(f"user {d['user']}")
    if "case" in d:
        parts.append(f"case {d['case']}")
    return ", ".join(parts) or "all entries"


class _AuditPdf:
    def __init__(self, header: AuditHeader, path: Path) -> None:
        fonts.register()
        self.h = header
        self.c = StreamCanvas(path, PAGE)
        self.c.setTitle(f"Audit trail export {header.report_id}")
        self.c.setAuthor(f"{header.generated_by_name} ({header.generated_by})")
        self.c.setSubject(f"ledger checkpoint {header.ledger.checkpoint}")
        self.c.setCreator(base.producer())
        self.c.setProducer(base.producer())
        self.widths = [w * mm for _, w in COLUMNS]
        self.xs = [MARGIN]
        for w in self.widths[:-1]:
            self.xs.append(self.xs[-1] + w)
        self.page = 0
        self.y = TOP
        self.rows_on_page = 0

    # -- page furniture ---------------------------------------------------------

    def _start_page(self) -> None:
        c, h = self.c, self.h
        self.page += 1
        w, ph = PAGE
        c.setFillColor(base.ACCENT)
        c.rect(0, ph - 4 * mm, w, 4 * mm, stroke=0, fill=1)
        c.setFillColor(base.ACCENT)
        fonts.draw_text(c, MARGIN, ph - 12 * mm, "Audit trail export", 12, bold=True)
        c.setFillColor(base.INK)
        right = f"{h.count} entries  ·  {describe_filters(h)}"
        fonts.draw_text(c, w - MARGIN - fonts.text_width(right, 8), ph - 12 * mm, right, 8)
        led = h.ledger
        verdict = "verify PASSED" if led.verified else f"verify FAILED: {led.problem}"
        line = (
            f"Generated {when_local(h.generated_at)} by {h.generated_by_name} "
            f"({h.generated_by})  ·  ledger checkpoint {led.checkpoint}  ·  {verdict}"
        )
        c.setFillColor(base.INK if led.verified else base.ALERT)
        fonts.draw_text(c, MARGIN, ph - 16.2 * mm, line, 6.8)
        if led.verified and led.scope:
            fonts.draw_text(c, MARGIN, ph - 19.2 * mm, f"verify: {led.scope}", 6.8)
        # column header band
        c.setFillColor(base.ACCENT)
        c.rect(MARGIN, ph - 26 * mm, w - 2 * MARGIN, 6 * mm, stroke=0, fill=1)
        c.setFillColor(base.colors.white)
        for (title, _), x in zip(COLUMNS, self.xs, strict=True):
            fonts.draw_text(c, x + 2, ph - 24 * mm, title, HEAD_SIZE, bold=True)
        # footer
        c.setStrokeColor(base.RULE)
        c.setLineWidth(0.6)
        c.line(MARGIN, base.FOOTER_Y + 4 * mm, w - MARGIN, base.FOOTER_Y + 4 * mm)
        c.setFillColor(base.MUTED)
        foot = (
            f"Audit report {h.report_id}  ·  checkpoint {led.seq}:{led.hash[:16]}…  ·  "
            f"{'verify passed' if led.verified else 'verify FAILED'}"
        )
        fonts.draw_text(c, MARGIN, base.FOOTER_Y, foot, 7)
        c.setFillColor(base.INK)
        label = f"Page {self.page} of "
        # The total is a form drawn after the last page; reserve room for 6 digits.
        x = w - MARGIN - pdfmetrics.stringWidth("000000", fonts.BOLD, 7.5)
        c.setFont(fonts.BOLD, 7.5)
        c.drawRightString(x, base.FOOTER_Y, label)
        c.saveState()
        c.translate(x, base.FOOTER_Y)
        c.doForm(PAGES_FORM)
        c.restoreState()
        self.y = TOP
        self.rows_on_page = 0

    def _end_page(self) -> None:
        self.c.showPage()

    # -- rows ---------------------------------------------------------------------

    def _cells(self, r: AuditRow) -> list[list[tuple[str, bool]]]:
        """Each column's wrapped lines, each line flagged bold or not."""
        pad = 4

        def lines(text: str, col: int, bold: bool = False) -> list[tuple[str, bool]]:
            return [(s, bold) for s in fonts.wrap(text, self.widths[col] - pad, SIZE, bold)]

        where = lines(grouped(r.coi), 4) if r.coi else []
        if r.unit:
            where += lines(grouped(r.unit), 4)
        detail = lines(r.details, 5) if r.details else []
        if r.reason:
            detail += lines(f"Reason: {r.reason}", 5, True)
        if r.signatures:
            for s in r.signatures.split("; "):
                detail += lines(s, 5)
        change: list[tuple[str, bool]] = []
        if r.before or r.after:
            change += lines(f"before: {r.before or '—'}", 6)
            change += lines(f"after: {r.after or '—'}", 6, True)
        return [
            lines(str(r.seq), 0),
            lines(when_local(r.recorded_at), 1),
            lines(r.user or "—", 2),
            lines(r.action, 3, True),
            where or [("—", False)],
            detail or [("", False)],
            change,
        ]

    def row(self, r: AuditRow) -> None:
        cells = self._cells(r)
        full = int((TOP - BOTTOM) // LEADING)
        while any(cells):
            if self.page == 0:
                self._start_page()
            need = max(len(col) for col in cells)
            room = int((self.y - BOTTOM) // LEADING)
            # Move a row that does not fit to the next page; split only a row taller
            # than a whole page (a very long note), never one that would fit.
            if need > room and self.rows_on_page and (need <= full or room < 3):
                self._end_page()
                self._start_page()
                continue
            take = min(need, room)
            c = self.c
            c.setFillColor(base.INK)
            for col, x in zip(cells, self.xs, strict=True):
                yy = self.y - LEADING + 1.5
                for text, bold in col[:take]:
                    fonts.draw_text(c, x + 2, yy, text, SIZE, bold)
                    yy -= LEADING
                del col[:take]
            self.y -= take * LEADING + 2.5
            c.setStrokeColor(base.RULE)
            c.setLineWidth(0.4)
            c.line(MARGIN, self.y + 1, PAGE[0] - MARGIN, self.y + 1)
            self.rows_on_page += 1

    def finish(self, written: int) -> None:
        if self.page == 0:
            self._start_page()
        if written == 0:
            fonts.draw_text(self.c, MARGIN, self.y - 12, "No ledger entry matches.", 9)
        self.y -= 14
        if self.y - REVIEW_HEIGHT < BOTTOM:
            self._end_page()
            self._start_page()
        self.y = draw_review(self.c, MARGIN, self.y, PAGE[0] - 2 * MARGIN)
        self.c.setFillColor(base.MUTED)
        fonts.draw_text(
            self.c,
            MARGIN,
            self.y - 4,
            f"End of audit report {self.h.report_id}: {written} entries.",
            7,
        )
        self._end_page()
        c = self.c
        c.beginForm(PAGES_FORM)
        c.setFont(fonts.BOLD, 7.5)
        c.setFillColor(base.INK)
        c.drawString(0, 0, str(self.page))
        c.endForm()
        c.save()


def write_pdf(
    header: AuditHeader, rows: Iterable[AuditRow], path: Path, tick: Callable[[int], None]
) -> int:
    pdf = _AuditPdf(header, path)
    n = 0
    try:
        for r in rows:
            pdf.row(r)
            n += 1
            if n % TICK == 0:
                tick(n)
        pdf.finish(n)
    except BaseException:
        pdf.c.close()
        raise
    tick(n)
    return n


def writer_for(
    path: Path,
) -> Callable[[AuditHeader, Iterable[AuditRow], Path, Callable[[int], None]], int]:
    """The writer for the output file's extension (.csv or .pdf)."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv
    if suffix == ".pdf":
        return write_pdf
    from cart_chain.domain.errors import UsageError

    raise UsageError(f"an audit export is FILE.pdf or FILE.csv, not {path.name}")
