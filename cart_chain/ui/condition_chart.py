"""The case view's temperature curves: one chart per imported logger file.

Painted with QPainter (QtCharts needs PySide6-Addons, which cart-chain does not
install): the leg's allowed band shaded, its limits dashed, the samples as a
line, excursions in red, the handoff and receipt as vertical marks. Hovering
shows the time (UTC) and the temperature of the nearest sample. The data come
from one service call (`condition_views.case_curves`).
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QMouseEvent, QPainter, QPaintEvent, QPen, QPolygonF
from PySide6.QtWidgets import QLabel, QScrollArea, QToolTip, QVBoxLayout, QWidget

if TYPE_CHECKING:
    from cart_chain.services.condition_views import LegCurve

BAND = QColor(220, 242, 222)
RED = QColor(200, 30, 30)
EXCURSION = QColor(245, 200, 200, 140)
LIMIT = QColor(30, 110, 50)
MARK = QColor(30, 40, 130)
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 12, 10, 24


def _utc(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


class ConditionChart(QWidget):
    """One logger file's curve against its leg's limits; hover for a sample."""

    def __init__(self, curve: LegCurve, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.curve = curve
        self.setMinimumSize(480, 180)
        self.setMouseTracking(True)
        c = curve
        self.t_lo = min(c.times[0], c.handoff)
        self.t_hi = max(c.times[-1], c.receipt or c.times[-1], self.t_lo + 1)
        values = [*c.temps, *(v for v in (c.low_c, c.high_c) if v is not None)]
        pad = (max(values) - min(values)) * 0.08 or 1.0
        self.v_lo, self.v_hi = min(values) - pad, max(values) + pad

    def plot(self) -> QRectF:
        return QRectF(
            MARGIN_LEFT,
            MARGIN_TOP,
            max(self.width() - MARGIN_LEFT - MARGIN_RIGHT, 1),
            max(self.height() - MARGIN_TOP - MARGIN_BOTTOM, 1),
        )

    def to_point(self, t: float, v: float) -> QPointF:
        r = self.plot()
        x = r.left() + (t - self.t_lo) / (self.t_hi - self.t_lo) * r.width()
        y = r.bottom() - (v - self.v_lo) / (self.v_hi - self.v_lo) * r.height()
        return QPointF(x, y)

    def sample_at(self, x: float) -> int:
        """Index of the sample nearest the horizontal position ``x``."""
        r = self.plot()
        t = self.t_lo + (x - r.left()) / r.width() * (self.t_hi - self.t_lo)
        times = self.curve.times
        i = bisect_left(times, t)
        if i >= len(times):
            return len(times) - 1
        if i > 0 and t - times[i - 1] < times[i] - t:
            return i - 1
        return i

    def hover_text(self, x: float) -> str:
        i = self.sample_at(x)
        return f"{_utc(self.curve.times[i])}\n{self.curve.temps[i]:g} °C"

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position()
        if self.plot().contains(pos):
            text = self.hover_text(pos.x())
            self.setToolTip(text)
            QToolTip.showText(event.globalPosition().toPoint(), text, self)
        super().mouseMoveEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        c, r = self.curve, self.plot()
        p = QPainter(self)
        p.setRenderHint(QPainter.RenderHint.Antialiasing)
        p.fillRect(self.rect(), QColor("white"))
        top = self.to_point(self.t_lo, c.high_c).y() if c.high_c is not None else r.top()
        bottom = self.to_point(self.t_lo, c.low_c).y() if c.low_c is not None else r.bottom()
        p.fillRect(QRectF(r.left(), top, r.width(), bottom - top), BAND)
        for start, end in c.excursions:
            a, b = self.to_point(start, 0).x(), self.to_point(end, 0).x()
            p.fillRect(QRectF(a, r.top(), max(b - a, 1.0), r.height()), EXCURSION)
        p.setPen(QPen(QColor(120, 120, 130), 1))
        p.drawRect(r)
        for limit in (c.low_c, c.high_c):
            if limit is not None:
                y = self.to_point(self.t_lo, limit).y()
                p.setPen(QPen(LIMIT, 1, Qt.PenStyle.DashLine))
                p.drawLine(QPointF(r.left(), y), QPointF(r.right(), y))
                p.drawText(
                    QRectF(0, y - 8, MARGIN_LEFT - 4, 16),
                    Qt.AlignmentFlag.AlignRight,
                    f"{limit:g} °C",
                )
        for t, label in ((c.handoff, "handoff"), (c.receipt, "receipt")):
            if t is not None:
                x = self.to_point(t, 0).x()
                p.setPen(QPen(MARK, 1, Qt.PenStyle.DotLine))
                p.drawLine(QPointF(x, r.top()), QPointF(x, r.bottom()))
                if x < r.right() - 60:
                    p.drawText(QPointF(x + 3, r.top() + 12), label)
                else:  # near the right edge: the label goes left of its mark
                    p.drawText(
                        QRectF(x - 63, r.top() + 1, 60, 14), Qt.AlignmentFlag.AlignRight, label
                    )
        step = max(1, len(c.times) // max(int(r.width()) * 2, 1))
        line = QPolygonF(
            [self.to_point(t, v) for t, v in zip(c.times[::step], c.temps[::step], strict=True)]
        )
        p.setPen(QPen(QColor(20, 20, 30), 1.2))
        p.drawPolyline(line)
        p.setPen(QPen(RED, 2))
        for start, end in c.excursions:
            lo, hi = bisect_left(c.times, start), bisect_left(c.times, end)
            part = [
                self.to_point(c.times[i], c.temps[i]) for i in range(lo, min(hi + 1, len(c.times)))
            ]
            if len(part) > 1:
                p.drawPolyline(QPolygonF(part))
        p.setPen(QPen(QColor(90, 90, 100), 1))
        p.drawText(QPointF(r.left(), self.height() - 6), _utc(self.t_lo))
        p.drawText(
            QRectF(r.left(), self.height() - 20, r.width(), 18),
            Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom,
            _utc(self.t_hi),
        )
        p.end()


class ConditionPanel(QScrollArea):
    """Every logger curve of a case, each with a one-line caption."""

    def __init__(self, curves: tuple[LegCurve, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.charts: list[ConditionChart] = []
        inner = QWidget()
        layout = QVBoxLayout(inner)
        for c in curves:
            outside = f", {len(c.excursions)} excursion(s)" if c.excursions else ""
            caption = QLabel(
                f"Unit {c.unit} · leg {c.leg_seq} ({c.step.replace('_', ' ')}) · logger "
                f"{c.serial or '(no serial)'} · {len(c.temps)} samples, "
                f"{min(c.temps):g} to {max(c.temps):g} °C{outside}"
            )
            caption.setWordWrap(True)
            chart = ConditionChart(c)
            self.charts.append(chart)
            layout.addWidget(caption)
            layout.addWidget(chart)
        layout.addStretch(1)
        self.setWidget(inner)
        self.setWidgetResizable(True)


def condition_tab(db: Any, coi: str) -> ConditionPanel | None:
    """The case's temperature tab, or None when no logger file was imported."""
    from cart_chain.services.condition_views import case_curves

    curves = case_curves(db, coi)
    return ConditionPanel(curves) if curves else None
