"""PDF of exactly the label's size, for any printer driver or for archiving.

Drawn from the same plan as the PNG, converting dots to points at the plan's
resolution, so barcodes keep whole-dot modules when printed at that resolution.
Text stays text (searchable, sharp at any zoom) in the same shipped fonts.
"""

from __future__ import annotations

import io
from functools import cache

from cart_chain.labels import fonts
from cart_chain.labels.biohazard import Disc, Ring, shapes
from cart_chain.labels.plan import BiohazardOp, BoxOp, LineOp, Plan, SymbolOp, TextOp, pil_font
from cart_chain.labels.png import bar_runs


@cache
def _font_name(key: str) -> str:
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    name = f"CartChain-{key}"
    pdfmetrics.registerFont(TTFont(name, str(fonts.font_path(key))))
    return name


def render_pdf(plan: Plan) -> bytes:
    from reportlab.pdfgen import canvas

    k = 72.0 / plan.dpi  # points per dot
    page_w, page_h = plan.layout.width_mm / 25.4 * 72, plan.layout.height_mm / 25.4 * 72
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(page_w, page_h), invariant=1, pageCompression=1)
    c.setTitle(f"cart-chain {plan.data.kind_title.lower()} {plan.data.unit_suffix}")
    c.setCreator(f"cart-chain label template {plan.layout.ref}")

    def box(x: float, y: float, w: float, h: float, *, fill: bool, stroke_w: float = 0) -> None:
        if fill:
            c.rect(x * k, page_h - (y + h) * k, w * k, h * k, stroke=0, fill=1)
        else:
            c.setLineWidth(stroke_w * k)
            s = stroke_w / 2
            c.rect(
                (x + s) * k,
                page_h - (y + h - s) * k,
                (w - stroke_w) * k,
                (h - stroke_w) * k,
                stroke=1,
                fill=0,
            )

    for op in plan.ops:
        c.setFillGray(0)
        c.setStrokeGray(0)
        if isinstance(op, TextOp):
            if op.inverse is not None:
                b = op.inverse
                box(b.x, b.y, b.w, b.h, fill=True)
                c.setFillGray(1)
                c.setStrokeGray(1)
            for line in op.lines:
                x = float(line.x)
                for text, key in line.runs:
                    c.setFont(_font_name(key), op.size * k)
                    c.drawString(x * k, page_h - line.baseline * k, text)
                    x += pil_font(key, op.size).getlength(text)
            if op.check and op.check_box is not None:
                b = op.check_box
                box(b.x, b.y, b.w, b.h, fill=False, stroke_w=op.stroke)
                c.setFont(_font_name("mono-bold"), op.size * k)
                c.drawString(op.check_x * k, page_h - op.lines[0].baseline * k, op.check)
        elif isinstance(op, SymbolOp):
            m = op.module
            rows = op.symbol.rows
            for r, row in enumerate(rows):
                h = op.bar_height if op.bar_height else m
                for start, n in bar_runs(row):
                    box(op.x + start * m, op.y + r * m, n * m, h, fill=True)
        elif isinstance(op, LineOp):
            c.setLineWidth(op.stroke * k)
            c.line(op.x1 * k, page_h - op.y1 * k, op.x2 * k, page_h - op.y2 * k)
        elif isinstance(op, BoxOp):
            r = op.rect
            box(r.x, r.y, r.w, r.h, fill=False, stroke_w=op.stroke)
        elif isinstance(op, BiohazardOp):  # vector: circles and polygons painted in order
            r = op.rect
            for s in shapes(r.x, r.y, r.w, r.h):
                c.setFillGray(0 if s.dark else 1)
                if isinstance(s, Disc):
                    c.circle(s.cx * k, page_h - s.cy * k, s.r * k, stroke=0, fill=1)
                elif isinstance(s, Ring):
                    c.setStrokeGray(0)
                    c.setLineWidth(s.width * k)
                    r_mid = (s.r - s.width / 2) * k
                    c.circle(s.cx * k, page_h - s.cy * k, r_mid, stroke=1, fill=0)
                else:
                    path = c.beginPath()
                    (x0, y0), *rest = s.points
                    path.moveTo(x0 * k, page_h - y0 * k)
                    for x, y in rest:
                        path.lineTo(x * k, page_h - y * k)
                    path.close()
                    c.drawPath(path, stroke=0, fill=1)
    c.showPage()
    c.save()
    return buf.getvalue()
