"""What every cart-chain PDF shares: fonts, styles, page header and footer, "Page x of y".

As in pretix's report exporters, one base builds the `BaseDocTemplate` and its
page template with header and footer; a report only supplies its story. The
total page count is only known once the story is laid out, so a two-pass
`NumberedCanvas` keeps each page's drawing state and stamps "Page x of y" when
the document is saved. (The streaming audit PDF, which can run to thousands of
pages, uses a PDF form filled in at the end instead: see `audit.py`.)

Rendering code never imports the store or SQLAlchemy: it draws the plain
dataclasses a service returns.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import BaseDocTemplate, Frame, PageTemplate, Paragraph, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from cart_chain.domain.clock import parse_iso
from cart_chain.reports import fonts

INK = colors.HexColor("#1b2430")
MUTED = colors.HexColor("#5b6675")
RULE = colors.HexColor("#c9d1db")
BAND = colors.HexColor("#eef2f6")
ACCENT = colors.HexColor("#1f4e79")
OK = colors.HexColor("#1e7b34")
ALERT = colors.HexColor("#b00020")
CORRECTION_BG = colors.HexColor("#fff6e0")


def producer() -> str:
    """``cart-chain VERSION`` for the PDF metadata (the version is looked up on first use)."""
    import cart_chain

    return f"cart-chain {cart_chain.__version__}"


def styles() -> dict[str, ParagraphStyle]:
    fonts.register()
    base = ParagraphStyle(
        "body", fontName=fonts.REGULAR, fontSize=9, leading=11.5, textColor=INK, alignment=TA_LEFT
    )
    return {
        "body": base,
        "title": ParagraphStyle(
            "title", parent=base, fontName=fonts.BOLD, fontSize=17, leading=21, textColor=ACCENT
        ),
        "h2": ParagraphStyle(
            "h2",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=12,
            leading=15,
            spaceBefore=10,
            spaceAfter=4,
            textColor=ACCENT,
        ),
        "h3": ParagraphStyle(
            "h3",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=10,
            leading=13,
            spaceBefore=8,
            spaceAfter=3,
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=7.8, leading=9.6),
        "cellb": ParagraphStyle(
            "cellb", parent=base, fontName=fonts.BOLD, fontSize=7.8, leading=9.6
        ),
        "head": ParagraphStyle(
            "head",
            parent=base,
            fontName=fonts.BOLD,
            fontSize=7.6,
            leading=9.4,
            textColor=colors.white,
        ),
        "alert": ParagraphStyle(
            "alert", parent=base, fontName=fonts.BOLD, fontSize=9.5, leading=12, textColor=ALERT
        ),
        "small": ParagraphStyle("small", parent=base, fontSize=7.2, leading=9, textColor=MUTED),
        "key": ParagraphStyle("key", parent=base, fontSize=8.2, leading=10.5, textColor=MUTED),
        "value": ParagraphStyle("value", parent=base, fontSize=9, leading=11.5),
        # A root hash: fixed width (1.8 mm a character at 8.5 pt), so it never wraps.
        "hash": ParagraphStyle(
            "hash", parent=base, fontName=fonts.MONO, fontSize=8.5, leading=11.5
        ),
        "valueb": ParagraphStyle(
            "valueb", parent=base, fontName=fonts.BOLD, fontSize=10, leading=12.5
        ),
        "right": ParagraphStyle(
            "right", parent=base, fontSize=7.8, leading=9.6, alignment=TA_RIGHT
        ),
    }


def p(text: object, style: ParagraphStyle, bold: bool = False) -> Paragraph:
    """A Paragraph of plain text (escaped, with script fallback fonts)."""
    return Paragraph(fonts.markup(text, bold), style)


def when_utc(text: str) -> str:
    """UTC with the zone spelled out: reports are read in other time zones."""
    return parse_iso(text).strftime("%Y-%m-%d %H:%M:%S UTC")


def when_local(text: str) -> str:
    """Workstation-local 24-hour time with its zone, plus UTC when they differ."""
    t = parse_iso(text)
    local = t.astimezone()
    shown = local.strftime("%Y-%m-%d %H:%M %Z")
    if local.utcoffset():
        shown += t.strftime(" (%H:%M UTC)")
    return shown


def grid(
    rows: Sequence[Sequence[Any]],
    widths: Sequence[float],
    *,
    header: bool = True,
    extra: Sequence[tuple[Any, ...]] = (),
) -> Table:
    """A table with a dark header row repeated on every page and light row rules."""
    t = Table(list(rows), colWidths=list(widths), repeatRows=1 if header else 0)
    cmds: list[tuple[Any, ...]] = [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
    ]
    if header:
        cmds += [("BACKGROUND", (0, 0), (-1, 0), ACCENT)]
    t.setStyle(table_style([*cmds, *extra]))
    return t


def table_style(cmds: Sequence[tuple[Any, ...]]) -> TableStyle:
    """A TableStyle whose default font is ours: reportlab's default is an unembedded Helvetica."""
    return TableStyle([("FONT", (0, 0), (-1, -1), fonts.REGULAR, 8), *cmds])


class NumberedCanvas(Canvas):
    """Keeps every page until `save`, then stamps "Page x of y" on each (two passes)."""

    footer_right = "Page {page} of {pages}"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._stamp(total)
            super().showPage()
        super().save()

    def _stamp(self, total: int) -> None:
        w, _ = self._pagesize
        self.setFont(fonts.BOLD, 7.5)
        self.setFillColor(INK)
        self.drawRightString(
            w - MARGIN, FOOTER_Y, self.footer_right.format(page=self._pageNumber, pages=total)
        )


MARGIN = 16 * mm
FOOTER_Y = 9 * mm
HEADER_SIZE = 8.5
#: Smallest header text: a long patient name shrinks and wraps down to this, never further.
HEADER_MIN = 4.5
#: A header that does not fit on one line at this size wraps instead of shrinking further.
HEADER_ONE_LINE_MIN = 6.5
HEADER_LEADING = 1.15
HEADER_GAP = 4 * mm
#: Height the right header may fill, from the top band to the rule under the header.
HEADER_ROOM = 8.5 * mm


def header_fit(text: str, room: float) -> tuple[float, list[str]]:
    """Size and lines for the right header within ``room`` points across.

    The header carries the patient's name, which can be 80 characters or more:
    drawn right-aligned at full size it ran left over the report's title. It
    shrinks first, then wraps onto more lines, within the header's height.
    """
    sizes = [HEADER_SIZE - 0.25 * i for i in range(int((HEADER_SIZE - HEADER_MIN) / 0.25) + 1)]
    for size in sizes:
        if size >= HEADER_ONE_LINE_MIN and fonts.text_width(text, size) <= room:
            return size, [text]
    for size in sizes:
        lines = fonts.wrap(text, room, size)
        if len(lines) * size * HEADER_LEADING <= HEADER_ROOM:
            return size, lines
    return HEADER_MIN, fonts.wrap(text, room, HEADER_MIN)


class ReportDocument(BaseDocTemplate):
    """A4 document with a running header (title, subject) and footer (identity)."""

    def __init__(
        self,
        path: Path,
        *,
        title: str,
        subject: str,
        header_left: str,
        header_right: str,
        footer_left: str,
        author: str,
        pagesize: tuple[float, float] = A4,
    ) -> None:
        fonts.register()
        super().__init__(
            str(path),
            pagesize=pagesize,
            leftMargin=MARGIN,
            rightMargin=MARGIN,
            topMargin=22 * mm,
            bottomMargin=18 * mm,
            title=title,
            subject=subject,
            author=author,
            creator=producer(),
            producer=producer(),
            invariant=0,
            # Not Helvetica: every font in the file is an embedded subset.
            initialFontName=fonts.REGULAR,
            initialFontSize=9,
        )
        self.header_left, self.header_right, self.footer_left = (
            header_left,
            header_right,
            footer_left,
        )
        frame = Frame(
            self.leftMargin,
            self.bottomMargin,
            self.width,
            self.height,
            id="body",
            leftPadding=0,
            rightPadding=0,
            topPadding=0,
            bottomPadding=0,
        )
        self.addPageTemplates([PageTemplate(id="page", frames=[frame], onPage=self._decorate)])

    def _decorate(self, canvas: Canvas, doc: BaseDocTemplate) -> None:
        w, h = self.pagesize
        canvas.saveState()
        canvas.setFillColor(ACCENT)
        canvas.rect(0, h - 4 * mm, w, 4 * mm, stroke=0, fill=1)
        canvas.setFillColor(INK)
        end = fonts.draw_text(canvas, MARGIN, h - 12 * mm, self.header_left, HEADER_SIZE, True)
        room = w - MARGIN - end - HEADER_GAP
        size, lines = header_fit(self.header_right, room)
        for i, line in enumerate(reversed(lines)):
            x = w - MARGIN - fonts.text_width(line, size)
            fonts.draw_text(canvas, x, h - 12 * mm + i * size * HEADER_LEADING, line, size)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.6)
        canvas.line(MARGIN, h - 14.5 * mm, w - MARGIN, h - 14.5 * mm)
        canvas.line(MARGIN, FOOTER_Y + 4 * mm, w - MARGIN, FOOTER_Y + 4 * mm)
        canvas.setFillColor(MUTED)
        fonts.draw_text(canvas, MARGIN, FOOTER_Y, self.footer_left, 7)
        canvas.restoreState()

    def render(self, story: list[Flowable], canvasmaker: Callable[..., Canvas]) -> None:
        self.build(story, canvasmaker=canvasmaker)
