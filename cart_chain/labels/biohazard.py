"""The biohazard symbol (21 CFR 1271.370, ST-018) as filled shapes, painted in order.

Every renderer paints the same shapes: dark circles for the three outer arcs,
light circles cut them into crescents, then the dark ring, the light centre and
the light gaps that split each crescent's inner end. Painting in order (no clipping or
path arithmetic) keeps the PDF vector drawing and the PNG / ZPL bitmap the same
shape. Proportions follow the 1966 Dow construction in units of A: crescent
circles 15A at 11A from the centre, the cutting circles 10.5A at 15A, the ring
between 7A and 10.5A (seen through the cuts), the open centre 3A, the gaps that
split the crescents' inner ends 1A wide.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

#: Directions of the three crescents, in degrees (0 = right, counter-clockwise; one points up).
ANGLES = (90.0, 210.0, 330.0)
#: The symbol's extent in units of A: 24.5 left and right, 26 up, 20.5 down.
HALF_WIDTH, TOP, BOTTOM = 24.49, 26.0, 20.5


@dataclass(frozen=True, slots=True)
class Disc:
    cx: float
    cy: float
    r: float
    dark: bool


@dataclass(frozen=True, slots=True)
class Poly:
    points: tuple[tuple[float, float], ...]
    dark: bool


@dataclass(frozen=True, slots=True)
class Ring:
    """A dark annulus between ``r - width`` and ``r`` (stroked, so it covers nothing else)."""

    cx: float
    cy: float
    r: float
    width: float
    dark: bool = True


Shape = Disc | Poly | Ring


def shapes(x: int, y: int, w: int, h: int) -> list[Shape]:
    """The symbol centred in the box (x, y, w, h) in dots, y downwards, in paint order."""
    a = min(w / (2 * HALF_WIDTH), h / (TOP + BOTTOM))
    cx = x + w / 2
    cy = y + (h - a * (TOP + BOTTOM)) / 2 + a * TOP

    def at(angle: float, dist: float) -> tuple[float, float]:
        rad = math.radians(angle)
        return cx + a * dist * math.cos(rad), cy - a * dist * math.sin(rad)

    out: list[Shape] = []
    out += [Disc(*at(t, 11), a * 15, True) for t in ANGLES]
    out += [Disc(*at(t, 15), a * 10.5, False) for t in ANGLES]
    out.append(Ring(cx, cy, a * 10.5, a * 3.5))
    out.append(Disc(cx, cy, a * 3, False))
    for t in ANGLES:  # the gap splitting each crescent's inner end, 1A wide
        rad = math.radians(t)
        ux, uy = math.cos(rad), -math.sin(rad)
        px, py = -uy * a * 0.5, ux * a * 0.5
        near, far = a * 2.5, a * 5.5
        out.append(
            Poly(
                (
                    (cx + ux * near + px, cy + uy * near + py),
                    (cx + ux * far + px, cy + uy * far + py),
                    (cx + ux * far - px, cy + uy * far - py),
                    (cx + ux * near - px, cy + uy * near - py),
                ),
                False,
            )
        )
    return out
