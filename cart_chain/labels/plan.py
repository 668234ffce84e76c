"""From a template and label data to drawing operations in printer dots.

Every renderer (PNG, PDF, ZPL, later Qt) draws the same plan, so the geometry is
decided once: positions are rounded to whole dots at the printer's resolution
and barcode modules are a whole number of dots, never resampled, because a
module that is 2.4 dots wide prints as 2 or 3 dots and the symbol stops scanning.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING

from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.label_data import LabelData
from cart_chain.domain.label_layout import DPIS, Element, Layout
from cart_chain.labels import fonts
from cart_chain.labels.symbols import QUIET, Symbol, make_symbol

if TYPE_CHECKING:
    from PIL.ImageFont import FreeTypeFont

#: Smallest barcode module in dots: 1 dot (0.085-0.125 mm) does not print reliably
#: on thermal printers; ISBT 128 targets 0.25 mm (2 dots at 203 dpi, 3 at 300).
MIN_MODULE_DOTS = 2
#: Largest module: ZPL's ^BQ magnification and ^BY module width stop at 10 dots, and
#: every format must draw the same symbol.
MAX_MODULE_DOTS = 10
#: Cap height of DejaVu Sans Mono as a fraction of the em (centres text in bands and boxes).
CAP_HEIGHT = 0.73
#: Distance between baselines of wrapped lines, in ems.
LINE_SPACING = 1.12


@dataclass(frozen=True, slots=True)
class Rect:
    x: int
    y: int
    w: int
    h: int


@dataclass(frozen=True, slots=True)
class TextLine:
    x: int  # start of the first run (alignment applied)
    baseline: int
    runs: tuple[tuple[str, str], ...]  # (text, font key)


@dataclass(frozen=True, slots=True)
class TextOp:
    lines: tuple[TextLine, ...]
    size: int  # em size in dots
    inverse: Rect | None  # black band behind white text
    check: str  # check character drawn in a box after the text ("" for none)
    check_x: int
    check_box: Rect | None
    stroke: int

    @property
    def text(self) -> str:
        return " ".join("".join(t for t, _ in line.runs) for line in self.lines)


@dataclass(frozen=True, slots=True)
class SymbolOp:
    x: int  # top-left of the first module (quiet zone not included)
    y: int
    module: int  # dots per module
    bar_height: int  # Code 128 bar height in dots (0 for 2-D symbols)
    symbol: Symbol
    area: Rect  # the template's area, quiet zone included


@dataclass(frozen=True, slots=True)
class LineOp:
    x1: int
    y1: int
    x2: int
    y2: int
    stroke: int


@dataclass(frozen=True, slots=True)
class BoxOp:
    rect: Rect
    stroke: int


@dataclass(frozen=True, slots=True)
class BiohazardOp:
    """The biohazard symbol, centred in its box (`cart_chain.labels.biohazard`)."""

    rect: Rect


Op = TextOp | SymbolOp | LineOp | BoxOp | BiohazardOp


@dataclass(frozen=True, slots=True)
class Plan:
    layout: Layout
    dpi: int
    width: int
    height: int
    ops: tuple[Op, ...]
    data: LabelData


@cache
def pil_font(key: str, size: int) -> FreeTypeFont:
    from PIL import ImageFont

    return ImageFont.truetype(str(fonts.font_path(key)), size)


Runs = tuple[tuple[str, str], ...]


def text_width(runs: Runs, size: int) -> float:
    return sum(pil_font(key, size).getlength(text) for text, key in runs)


def _dots(mm: float, dpi: int) -> int:
    return round(mm / 25.4 * dpi)


def _wrap(text: str, bold: bool, what: str, size: int, w: int, n: int) -> list[Runs] | None:
    """Greedy word wrap into at most ``n`` lines of width ``w``; None when it cannot."""
    lines: list[str] = []
    for word in text.split(" "):
        trial = f"{lines[-1]} {word}" if lines else word
        if lines and text_width(tuple(fonts.runs(trial, bold, what)), size) <= w:
            lines[-1] = trial
        else:
            lines.append(word)
    if len(lines) > n:
        return None
    runs = [tuple(fonts.runs(line, bold, what)) for line in lines]
    if any(text_width(r, size) > w for r in runs):
        return None
    return runs


#: Smallest em for a patient name that fits no other way (about 4 pt): a long name
#: prints small on more lines rather than the label being refused (issue 11).
NAME_FLOOR_MM = 1.5


def _name_fallback(
    text: str, el: Element, dpi: int, w: int, smallest: int
) -> tuple[int, list[Runs] | None]:
    """A long patient name: as many lines as the element's height holds, shrinking from
    the template's smallest size down to `NAME_FLOOR_MM`; (0, None) when even that fails."""
    room = _dots(el.h_mm, dpi) if el.h_mm else None
    floor = min(smallest, _dots(NAME_FLOOR_MM, dpi))
    sz = smallest
    while sz >= floor:
        n = max(1, int(room // (LINE_SPACING * sz))) if room else el.max_lines + 1
        wrapped = _wrap(text, el.bold, "patient name", sz, w, n)
        if wrapped:
            return sz, wrapped
        sz -= 1
    return 0, None


def _text(el: Element, data: LabelData, dpi: int) -> TextOp | None:
    """Place one text: shrink to fit on one line, else wrap, else refuse; never cut."""
    text = el.text.format_map(data.fields())
    check = getattr(data, el.check) if el.check else ""
    if not text and not check:
        return None
    what = "patient name" if "{patient_name}" in el.text else f"text {el.text!r}"
    text_runs = tuple(fonts.runs(text, el.bold, what))
    x, y, w = _dots(el.x_mm, dpi), _dots(el.y_mm, dpi), _dots(el.w_mm, dpi)
    nominal = _dots(el.size_mm, dpi)
    smallest = _dots(el.min_size_mm, dpi) if el.min_size_mm else nominal
    band_x, band_w = x, w
    if el.inverse:  # keep white text off the edges of its black band
        pad = round(0.4 * nominal)
        x, w = x + pad, w - 2 * pad

    def needed(sz: int, runs: Runs) -> float:
        extra = 0.0
        if check:
            extra = 0.45 * sz + pil_font("mono-bold", sz).getlength(check) + 0.35 * sz
        return text_width(runs, sz) + extra

    def sizes() -> list[int]:
        out, sz = [nominal], nominal
        while sz > smallest:
            sz = max(smallest, int(sz * 0.95))
            out.append(sz)
        return out

    size, lines = 0, None
    for sz in sizes():
        if needed(sz, text_runs) <= w:
            size, lines = sz, [text_runs]
            break
    if lines is None and el.max_lines > 1 and not check:
        room = _dots(el.h_mm, dpi) if el.h_mm else None
        for sz in sizes():
            wrapped = _wrap(text, el.bold, what, sz, w, el.max_lines)
            if wrapped and (room is None or len(wrapped) * LINE_SPACING * sz <= room):
                size, lines = sz, wrapped
                break
    if lines is None and what == "patient name" and not check:
        size, lines = _name_fallback(text, el, dpi, w, smallest)
    if lines is None:
        raise InvalidValue(
            f"{what.replace('text ', '')} does not fit the {data.kind_title.lower()} "
            f"({el.w_mm} mm wide) even at the smallest allowed size; "
            "shorten it or use a template with more room"
        )
    stroke = max(1, _dots(el.stroke_mm, dpi))
    band = None
    if el.inverse:
        h = _dots(el.h_mm, dpi) if el.h_mm else round(size * 1.3)
        band = Rect(band_x, y, band_w, h)
        baseline = y + round((h + CAP_HEIGHT * size) / 2)
    else:
        baseline = y + pil_font(text_runs[0][1] if text_runs else "mono", size).getmetrics()[0]
    placed = []
    for i, runs in enumerate(lines):
        total = needed(size, runs)
        lx = x
        if el.align == "center":
            lx += round((w - total) / 2)
        elif el.align == "right":
            lx += round(w - total)
        placed.append(TextLine(lx, baseline + round(i * LINE_SPACING * size), runs))
    check_x, box = 0, None
    if check:
        first = placed[0]
        pad = round(0.2 * size)
        start = first.x + round(text_width(first.runs, size) + 0.45 * size)
        adv = round(pil_font("mono-bold", size).getlength(check))
        box = Rect(
            start - pad,
            baseline - round(CAP_HEIGHT * size) - pad - stroke,
            adv + 2 * pad,
            round(CAP_HEIGHT * size) + 2 * pad + 2 * stroke,
        )
        check_x = start
    return TextOp(tuple(placed), size, band, check, check_x, box, stroke)


def _symbol(el: Element, data: LabelData, dpi: int, kind: str) -> SymbolOp:
    symbol = make_symbol(el.symbology, getattr(data, el.data))
    area = Rect(_dots(el.x_mm, dpi), _dots(el.y_mm, dpi), _dots(el.w_mm, dpi), _dots(el.h_mm, dpi))
    q = QUIET[el.symbology]
    if el.symbology == "code128":
        module = area.w // (symbol.width + 2 * q)
        bar_h = area.h
        x = area.x + (area.w - module * symbol.width) // 2
        y = area.y
    else:
        module = min(area.w // (symbol.width + 2 * q), area.h // (symbol.height + 2 * q))
        bar_h = 0
        x = area.x + (area.w - module * symbol.width) // 2
        y = area.y + (area.h - module * symbol.height) // 2
    if module > MAX_MODULE_DOTS:
        shrink = module - MAX_MODULE_DOTS
        x += shrink * symbol.width // 2
        y += 0 if bar_h else shrink * symbol.height // 2
        module = MAX_MODULE_DOTS
    if module < MIN_MODULE_DOTS:
        raise InvalidValue(
            f"the {el.symbology} symbol of the {kind} template needs "
            f"{(symbol.width + 2 * q) * MIN_MODULE_DOTS} dots across at {dpi} dpi "
            f"but its area has {area.w}: too small to print reliably"
        )
    return SymbolOp(x, y, module, bar_h, symbol, area)


def plan(layout: Layout, data: LabelData, dpi: int | None = None) -> Plan:
    """Resolve the template against the data at ``dpi`` (default: the template's)."""
    dpi = layout.dpi if dpi is None else dpi
    if dpi not in DPIS:
        raise InvalidValue(f"printer resolution must be one of {DPIS} dpi, not {dpi}")
    ops: list[Op] = []
    for el in layout.elements:
        if el.type == "text":
            op = _text(el, data, dpi)
            if op is not None:
                ops.append(op)
        elif el.type == "symbol":
            if getattr(data, el.data):  # no data: the text beside it says why
                ops.append(_symbol(el, data, dpi, layout.kind))
        elif el.type == "line":
            ops.append(
                LineOp(
                    _dots(el.x_mm, dpi),
                    _dots(el.y_mm, dpi),
                    _dots(el.x2_mm, dpi),
                    _dots(el.y2_mm, dpi),
                    max(1, _dots(el.stroke_mm, dpi)),
                )
            )
        elif el.type in ("box", "biohazard"):
            rect = Rect(
                _dots(el.x_mm, dpi), _dots(el.y_mm, dpi), _dots(el.w_mm, dpi), _dots(el.h_mm, dpi)
            )
            stroke = max(1, _dots(el.stroke_mm, dpi))
            ops.append(BoxOp(rect, stroke) if el.type == "box" else BiohazardOp(rect))
    w, h = layout.size_px(dpi)
    return Plan(layout, dpi, w, h, tuple(ops), data)
