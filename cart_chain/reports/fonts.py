"""Embedded fonts that print every patient and signer name, in any script.

reportlab's 14 standard fonts only know Latin-1, so a Cyrillic or Japanese
name would come out as black boxes - an illegible record (ALCOA+). We ship
TrueType fonts inside the package and embed subsets in every PDF:

* DejaVu Sans (regular, bold): Latin with accents, Greek, Cyrillic, arrows,
  the degree sign. Bitstream Vera licence, see LICENSE-DejaVu.txt.
* DejaVu Sans Mono: hashes and keys, which must never wrap (`evidence check`
  reads them back from the report's text).
* Droid Sans Fallback: Chinese, Japanese, Korean. Apache 2.0, see
  LICENSE-DroidSansFallback.txt. reportlab needs TrueType outlines, which is
  why it is used rather than the CFF-based Noto Sans CJK. It is registered
  lazily (4 MB to parse) the first time a text needs it.

Text is split into runs by which font has each glyph; `markup` turns that into
Paragraph mark-up and `draw_text` into canvas calls.
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from cart_chain.reports.pdf_stream import StreamCanvas

FONT_DIR = Path(__file__).resolve().parent.parent / "resources" / "fonts"

REGULAR = "CartSans"
BOLD = "CartSans-Bold"
CJK = "CartCJK"
#: Hashes and keys: fixed width, so a base64 root always takes the same room on the line.
MONO = "CartMono"
_FILES = {
    MONO: "DejaVuSansMono.ttf",
    REGULAR: "DejaVuSans.ttf",
    BOLD: "DejaVuSans-Bold.ttf",
    CJK: "DroidSansFallbackFull.ttf",
}
#: Printed instead of a character no shipped font has: visible, never a black box.
REPLACEMENT = "\ufffd"

_lock = threading.Lock()
_cmaps: dict[str, frozenset[int]] = {}
_family = False


def _load(name: str) -> frozenset[int]:
    with _lock:
        if name not in _cmaps:
            font = TTFont(name, str(FONT_DIR / _FILES[name]))
            pdfmetrics.registerFont(font)
            _cmaps[name] = frozenset(font.face.charToGlyph)
            if name == CJK:
                for bold in (0, 1):
                    for italic in (0, 1):
                        addMapping(CJK, bold, italic, CJK)
    return _cmaps[name]


def register() -> None:
    """Register the Latin/Greek/Cyrillic faces once per process (cheap to call again)."""
    global _family
    _load(REGULAR)
    _load(BOLD)
    _load(MONO)
    with _lock:
        if not _family:
            # <b> inside a Paragraph in CartSans must pick CartSans-Bold.
            for italic in (0, 1):
                addMapping(REGULAR, 0, italic, REGULAR)
                addMapping(REGULAR, 1, italic, BOLD)
                addMapping(BOLD, 0, italic, BOLD)
                addMapping(BOLD, 1, italic, BOLD)
            _family = True


def coverage(font: str) -> frozenset[int]:
    """Code points the font has a glyph for (its cmap)."""
    return _load(font)


def _invisible(ch: str) -> bool:
    # Spaces, joiners and combining marks go with the run they are in.
    return ch.isspace() or ch in "\u200b\u200c\u200d\ufeff"


def runs(text: str, bold: bool = False) -> list[tuple[str, str]]:
    """``text`` split into (font name, text) runs, each drawable by its font."""
    main = BOLD if bold else REGULAR
    if text.isascii():
        return [(main, text)] if text else []
    main_map = _load(main)
    out: list[tuple[str, str]] = []
    font, buf = main, []
    for ch in text:
        cp = ord(ch)
        if cp in main_map or (_invisible(ch) and buf):
            want = main if cp in main_map else font
        elif cp in _load(CJK):
            want = CJK
        else:
            want, ch = main, REPLACEMENT
        if want != font and buf:
            out.append((font, "".join(buf)))
            buf = []
        font = want
        buf.append(ch)
    if buf:
        out.append((font, "".join(buf)))
    return out


def missing(text: str) -> set[str]:
    """Characters of ``text`` no shipped font can print (the test of legibility)."""
    have = _load(REGULAR) | _load(CJK)
    return {ch for ch in text if ord(ch) not in have and not _invisible(ch)}


def markup(text: object, bold: bool = False) -> str:
    """Escaped Paragraph mark-up for ``text`` with font switches for other scripts."""
    s = "" if text is None else str(text)
    parts = []
    for font, chunk in runs(s, bold):
        esc = escape(chunk).replace("\n", "<br/>")
        parts.append(esc if font in (REGULAR, BOLD) else f'<font name="{font}">{esc}</font>')
    return "".join(parts)


_widths: dict[tuple[str, str], float] = {}


def _unit_width(font: str, chunk: str) -> float:
    """Width at 1 pt, cached: audit rows repeat the same words (names, dates, meanings)."""
    key = (font, chunk)
    w = _widths.get(key)
    if w is None:
        if len(_widths) > 20_000:
            _widths.clear()
        w = _widths[key] = pdfmetrics.stringWidth(chunk, font, 1.0)
    return w


def text_width(text: str, size: float, bold: bool = False) -> float:
    # A plain loop: `sum` over a generator was most of the cost of the usual single run.
    width = 0.0
    for font, chunk in runs(text, bold):
        width += _unit_width(font, chunk)
    return size * width


def draw_text(
    canvas: Canvas | StreamCanvas,
    x: float,
    y: float,
    text: str,
    size: float,
    bold: bool = False,
) -> float:
    """Draw ``text`` run by run from ``x``; returns the x where it ended."""
    for font, chunk in runs(text, bold):
        canvas.setFont(font, size)
        canvas.drawString(x, y, chunk)
        x += size * _unit_width(font, chunk)
    return x


def wrap(text: str, width: float, size: float, bold: bool = False) -> list[str]:
    """Greedy word wrap to ``width`` points; over-long words (CJK, hashes) are broken."""
    return list(_wrapped(text, width, size, bold))


@functools.lru_cache(maxsize=8192)
def _wrapped(text: str, width: float, size: float, bold: bool) -> tuple[str, ...]:
    """`wrap`, kept: the cells of an audit trail repeat (names, actions, times, ids),
    and wrapping them again was a third of the time of its PDF."""
    space = text_width(" ", size, bold)
    lines: list[str] = []
    for para in (text or "").split("\n"):
        line: list[str] = []
        used = 0.0
        for word in para.split(" "):
            w = text_width(word, size, bold)
            if line and used + space + w <= width:
                line.append(word)
                used += space + w
                continue
            if line:
                lines.append(" ".join(line))
                line, used = [], 0.0
            while w > width and len(word) > 1:
                cut = _fit(word, width, size, bold)
                lines.append(word[:cut])
                word = word[cut:]
                w = text_width(word, size, bold)
            line, used = [word], w
        lines.append(" ".join(line))
    return tuple(lines)


def _fit(word: str, width: float, size: float, bold: bool) -> int:
    """The longest prefix of ``word`` (at least one character) that fits ``width``."""
    lo, hi = 1, len(word)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if text_width(word[:mid], size, bold) <= width:
            lo = mid
        else:
            hi = mid - 1
    return lo
