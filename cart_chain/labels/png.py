"""PNG at the printer's true resolution: one image pixel is one printer dot.

The image is bilevel (mode "1"), as a thermal printer prints it, so what the tests
decode is what the printer would burn; the PNG carries its resolution (pHYs) so
any viewer or print dialog reproduces the physical size.
"""

from __future__ import annotations

import io
from collections.abc import Iterator

from PIL import Image, ImageDraw

from cart_chain.labels.biohazard import Disc, Ring, shapes
from cart_chain.labels.plan import BiohazardOp, BoxOp, LineOp, Plan, SymbolOp, TextOp, pil_font

BLACK, WHITE = 0, 255


def bar_runs(bits: tuple[bool, ...]) -> Iterator[tuple[int, int]]:
    """(start, length) of each dark run in a row of modules."""
    start = None
    for i, dark in enumerate((*bits, False)):
        if dark and start is None:
            start = i
        elif not dark and start is not None:
            yield start, i - start
            start = None


def draw_symbol(draw: ImageDraw.ImageDraw, op: SymbolOp) -> None:
    m = op.module
    if op.bar_height:
        for start, n in bar_runs(op.symbol.rows[0]):
            x = op.x + start * m
            draw.rectangle((x, op.y, x + n * m - 1, op.y + op.bar_height - 1), fill=BLACK)
        return
    for r, row in enumerate(op.symbol.rows):
        y = op.y + r * m
        for start, n in bar_runs(row):
            x = op.x + start * m
            draw.rectangle((x, y, x + n * m - 1, y + m - 1), fill=BLACK)


def draw_text(draw: ImageDraw.ImageDraw, op: TextOp) -> None:
    ink = BLACK
    if op.inverse is not None:
        b = op.inverse
        draw.rectangle((b.x, b.y, b.x + b.w - 1, b.y + b.h - 1), fill=BLACK)
        ink = WHITE
    for line in op.lines:
        x = float(line.x)
        for text, key in line.runs:
            font = pil_font(key, op.size)
            draw.text((x, line.baseline), text, font=font, fill=ink, anchor="ls")
            x += font.getlength(text)
    if op.check and op.check_box is not None:
        b = op.check_box
        draw.rectangle((b.x, b.y, b.x + b.w - 1, b.y + b.h - 1), outline=ink, width=op.stroke)
        draw.text(
            (op.check_x, op.lines[0].baseline),
            op.check,
            font=pil_font("mono-bold", op.size),
            fill=ink,
            anchor="ls",
        )


def draw_biohazard(draw: ImageDraw.ImageDraw, op: BiohazardOp) -> None:
    r = op.rect
    for s in shapes(r.x, r.y, r.w, r.h):
        ink = BLACK if s.dark else WHITE
        if isinstance(s, Disc):
            draw.ellipse((s.cx - s.r, s.cy - s.r, s.cx + s.r, s.cy + s.r), fill=ink)
        elif isinstance(s, Ring):
            bbox = (s.cx - s.r, s.cy - s.r, s.cx + s.r, s.cy + s.r)
            draw.ellipse(bbox, outline=BLACK, width=round(s.width))
        else:
            draw.polygon(s.points, fill=ink)


def render_image(plan: Plan, *, symbols: bool = True) -> Image.Image:
    """The label as a bilevel image; ``symbols=False`` leaves barcodes out (for ZPL)."""
    img = Image.new("L", (plan.width, plan.height), WHITE)
    draw = ImageDraw.Draw(img)
    for op in plan.ops:
        if isinstance(op, TextOp):
            draw_text(draw, op)
        elif isinstance(op, SymbolOp):
            if symbols:
                draw_symbol(draw, op)
        elif isinstance(op, LineOp):
            draw.line((op.x1, op.y1, op.x2, op.y2), fill=BLACK, width=op.stroke)
        elif isinstance(op, BoxOp):
            r = op.rect
            draw.rectangle((r.x, r.y, r.x + r.w - 1, r.y + r.h - 1), outline=BLACK, width=op.stroke)
        elif isinstance(op, BiohazardOp):
            draw_biohazard(draw, op)
    return img.point(lambda v: 255 if v >= 128 else 0).convert("1")


def render_png(plan: Plan) -> bytes:
    buf = io.BytesIO()
    render_image(plan).save(buf, format="PNG", dpi=(plan.dpi, plan.dpi), optimize=True)
    return buf.getvalue()
