"""The custody report's pictures, as vector graphics: each leg's temperature curve
against its limits, and the journey chart from collection to infusion.

A curve shows the leg's allowed band shaded, the limits dashed, the samples as
one line (a long file is reduced to each column's minimum and maximum, so no
excursion is lost at print resolution), excursions in red, and the handoff and
receipt as vertical marks. The journey chart puts one bar per step on a common
time axis, with the unit's time windows (fresh transit, post-thaw) drawn
beneath, so a reader sees the vein-to-vein time at a glance.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.attrmap import AttrMap, AttrMapValue
from reportlab.lib.units import mm
from reportlab.lib.validators import isNumber, isString
from reportlab.platypus import KeepTogether
from reportlab.platypus.flowables import Flowable

from cart_chain.domain.clock import parse_iso
from cart_chain.reports import fonts
from cart_chain.reports.base import p

if TYPE_CHECKING:
    from cart_chain.services.condition_views import LegCurve
    from cart_chain.services.views import CaseDetail, UnitView

WIDTH, HEIGHT = 170 * mm, 52 * mm
LEFT, BOTTOM, TOP = 16 * mm, 9 * mm, 4 * mm
#: Above this many samples, each column of the plot keeps its minimum and maximum.
MAX_POINTS = 1600
BAND = colors.Color(0.86, 0.95, 0.87)
RED = colors.Color(0.80, 0.10, 0.10)
INK = colors.Color(0.10, 0.10, 0.12)
MUTED = colors.Color(0.45, 0.45, 0.50)


class OurFontDrawing(Drawing):
    """A Drawing whose renderer starts in our embedded font: reportlab's graphics
    renderer otherwise declares an unembedded Helvetica on every page it draws on."""

    _attrMap = AttrMap(
        BASE=Drawing, initialFontName=AttrMapValue(isString), initialFontSize=AttrMapValue(isNumber)
    )

    def __init__(self, width: float, height: float) -> None:
        super().__init__(width, height)
        self.initialFontName = fonts.REGULAR
        self.initialFontSize = 7


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M UTC")


def reduce(
    times: Sequence[float], temps: Sequence[float], columns: int
) -> list[tuple[float, float]]:
    """All samples when few; else per column the first, minimum, maximum and last sample,
    in time order, so every peak survives."""
    if len(times) <= MAX_POINTS:
        return list(zip(times, temps, strict=True))
    t0, span = times[0], (times[-1] - times[0]) or 1.0
    buckets: dict[int, list[int]] = {}
    for i, t in enumerate(times):
        buckets.setdefault(min(columns - 1, int((t - t0) / span * columns)), []).append(i)
    out = []
    for idx in buckets.values():
        lo = min(idx, key=lambda i: temps[i])
        hi = max(idx, key=lambda i: temps[i])
        for i in sorted({idx[0], lo, hi, idx[-1]}):
            out.append((times[i], temps[i]))
    return out


def curve_drawing(c: LegCurve, width: float = WIDTH, height: float = HEIGHT) -> Drawing:
    d = OurFontDrawing(width, height)
    x0, y0, pw, ph = LEFT, BOTTOM, width - LEFT - 4 * mm, height - BOTTOM - TOP
    t_lo = min(c.times[0], c.handoff)
    t_hi = max(c.times[-1], c.receipt or c.times[-1], t_lo + 1)
    values = [*c.temps, *(v for v in (c.low_c, c.high_c) if v is not None)]
    v_lo, v_hi = min(values), max(values)
    pad = (v_hi - v_lo) * 0.08 or 1.0
    v_lo, v_hi = v_lo - pad, v_hi + pad

    def x(t: float) -> float:
        return x0 + (t - t_lo) / (t_hi - t_lo) * pw

    def y(v: float) -> float:
        return y0 + (v - v_lo) / (v_hi - v_lo) * ph

    band_lo = y(c.low_c) if c.low_c is not None else y0
    band_hi = y(c.high_c) if c.high_c is not None else y0 + ph
    d.add(Rect(x0, band_lo, pw, band_hi - band_lo, fillColor=BAND, strokeColor=None))
    d.add(Rect(x0, y0, pw, ph, fillColor=None, strokeColor=MUTED, strokeWidth=0.5))
    for limit in (c.low_c, c.high_c):
        if limit is not None:
            d.add(
                Line(
                    x0,
                    y(limit),
                    x0 + pw,
                    y(limit),
                    strokeColor=colors.darkgreen,
                    strokeWidth=0.6,
                    strokeDashArray=[3, 2],
                )
            )
            d.add(
                String(
                    x0 - 1.5 * mm,
                    y(limit) - 2.5,
                    f"{limit:g} °C",
                    fontName=fonts.REGULAR,
                    fontSize=6.5,
                    textAnchor="end",
                    fillColor=colors.darkgreen,
                )
            )
    for t, label in ((c.handoff, "handoff"), (c.receipt, "receipt")):
        if t is not None:
            d.add(
                Line(
                    x(t),
                    y0,
                    x(t),
                    y0 + ph,
                    strokeColor=colors.navy,
                    strokeWidth=0.7,
                    strokeDashArray=[1.5, 1.5],
                )
            )
            d.add(
                String(
                    x(t) + (1 if x(t) < x0 + pw - 20 else -1),
                    y0 + ph - 7,
                    label,
                    fontName=fonts.REGULAR,
                    fontSize=6.5,
                    fillColor=colors.navy,
                    textAnchor="start" if x(t) < x0 + pw - 20 else "end",
                )
            )
    for start, end in c.excursions:
        d.add(
            Rect(
                x(start),
                y0,
                max(x(end) - x(start), 0.8),
                ph,
                fillColor=colors.Color(0.95, 0.75, 0.75, alpha=0.5),
                strokeColor=None,
            )
        )
    points = reduce(c.times, c.temps, int(pw))
    flat = [v for t, v in points for v in (x(t), y(v))]
    d.add(PolyLine(flat, strokeColor=INK, strokeWidth=0.7))
    for start, end in c.excursions:
        inside = [v for t, tv in points if start <= t <= end for v in (x(t), y(tv))]
        if len(inside) >= 4:
            d.add(PolyLine(inside, strokeColor=RED, strokeWidth=1.2))
    d.add(
        String(
            x0 - 1.5 * mm,
            y0 - 1,
            f"{v_lo:.0f} °C",
            fontName=fonts.REGULAR,
            fontSize=6,
            textAnchor="end",
            fillColor=MUTED,
        )
    )
    d.add(String(x0, 2, _utc(t_lo), fontName=fonts.REGULAR, fontSize=6.5, fillColor=MUTED))
    d.add(
        String(
            x0 + pw,
            2,
            _utc(t_hi),
            fontName=fonts.REGULAR,
            fontSize=6.5,
            textAnchor="end",
            fillColor=MUTED,
        )
    )
    return d


def condition_section(curves: Sequence[LegCurve], st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    """The report's chain-of-condition pages: one curve per imported logger file."""
    if not curves:
        return []
    out: list[Flowable] = [p("Chain of condition (temperature loggers)", st["h2"])]
    for c in curves:
        limits = " to ".join(f"{v:g} °C" for v in (c.low_c, c.high_c) if v is not None)
        out.append(
            KeepTogether(
                [
                    p(
                        f"Unit {c.unit}, leg {c.leg_seq} ({c.step.replace('_', ' ')}), logger "
                        f"{c.serial or '(no serial)'}, entry {c.entry_seq}: {len(c.temps)} "
                        f"samples, {min(c.temps):g} to {max(c.temps):g} °C; limits "
                        f"{limits if c.low_c is not None else '<= ' + limits}; "
                        f"{len(c.excursions)} excursion(s).",
                        st["small"],
                    ),
                    curve_drawing(c),
                ]
            )
        )
    return out


def _moments(u: UnitView) -> list[tuple[str, float, float]]:
    """(step, start, end) per live step: from the step (or its start) to the next step."""
    live = [e for e in u.events if not e.voided]
    out = []
    for i, e in enumerate(live):
        begin = parse_iso(e.started_at or e.occurred_at).timestamp()
        end = parse_iso(live[i + 1].occurred_at).timestamp() if i + 1 < len(live) else begin
        out.append((e.step, begin, max(end, begin)))
    return out


def journey_drawing(case: CaseDetail, width: float = WIDTH) -> Drawing | None:
    """One row per unit: a bar per step on one time axis, the unit's windows beneath."""
    rows = [(u, _moments(u)) for u in case.units if u.events]
    if not rows:
        return None
    starts = [b for _, m in rows for _, b, _ in m]
    ends = [e for _, m in rows for *_, e in m]
    t_lo, t_hi = min(starts), max(max(ends), min(starts) + 1)
    row_h, label_w = 16 * mm, 22 * mm
    height = row_h * len(rows) + 10 * mm
    d = OurFontDrawing(width, height)
    pw = width - label_w - 18 * mm  # the right margin holds each row's duration

    def x(t: float) -> float:
        return label_w + (t - t_lo) / (t_hi - t_lo) * pw

    palette = [colors.Color(0.25, 0.45, 0.70), colors.Color(0.45, 0.65, 0.85)]
    for r, (u, moments) in enumerate(rows):
        top = height - 6 * mm - r * row_h
        d.add(String(0, top - 6, f"unit {u.number}", fontName=fonts.REGULAR, fontSize=7))
        for i, (step, begin, end) in enumerate(moments):
            d.add(
                Rect(
                    x(begin),
                    top - 8,
                    max(x(end) - x(begin), 1.2),
                    6,
                    fillColor=palette[i % 2],
                    strokeColor=None,
                )
            )
            last = i == len(moments) - 1
            if x(end) - x(begin) > 18 or last:
                d.add(
                    String(
                        label_w + pw if last else x(begin),
                        top + 0.5,
                        step.replace("_", " "),
                        fontName=fonts.REGULAR,
                        fontSize=5.5,
                        fillColor=INK,
                        textAnchor="end" if last else "start",
                    )
                )
        for w in u.windows:
            a, b = parse_iso(w.started).timestamp(), parse_iso(w.ends).timestamp()
            d.add(
                Rect(
                    x(a),
                    top - 14,
                    max(x(min(b, t_hi)) - x(a), 1),
                    3,
                    fillColor=None,
                    strokeColor=RED if w.overdue else MUTED,
                    strokeWidth=0.6,
                )
            )
            d.add(
                String(
                    x(a), top - 19, w.name, fontName=fonts.REGULAR, fontSize=5.5, fillColor=MUTED
                )
            )
        if moments:
            hours = (moments[-1][2] - moments[0][1]) / 3600
            d.add(
                String(
                    width,
                    top - 6,
                    f"{hours / 24:.1f} days",
                    fontName=fonts.REGULAR,
                    fontSize=7,
                    textAnchor="end",
                )
            )
    d.add(String(label_w, 0, _utc(t_lo), fontName=fonts.REGULAR, fontSize=6.5, fillColor=MUTED))
    d.add(
        String(
            width,
            0,
            _utc(t_hi),
            fontName=fonts.REGULAR,
            fontSize=6.5,
            textAnchor="end",
            fillColor=MUTED,
        )
    )
    return d


def journey_section(case: CaseDetail, st: dict) -> list[Flowable]:  # type: ignore[type-arg]
    drawing = journey_drawing(case)
    if drawing is None:
        return []
    return [KeepTogether([p("Journey (vein to vein)", st["h2"]), drawing])]
