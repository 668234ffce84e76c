"""Temperatures typed by people: one parser, one plausible range.

Python's ``float()`` accepts ``inf``, ``nan``, ``1e309`` (which becomes infinity)
and digits of any script (``float('٣٧')`` is 37.0): none of those is how a
temperature is written on a cell-therapy record, so only ASCII digits, one sign
and one decimal point or comma are accepted.
"""

from __future__ import annotations

import math
import re

from cart_chain.domain.errors import InvalidValue

MIN_C = -273.15
MAX_C = 100.0
_SHAPE = re.compile(r"[+-]?(?:[0-9]+(?:[.,][0-9]*)?|[.,][0-9]+)", re.ASCII)


def check_temperature(value: float | None) -> float | None:
    """A temperature in °C within physics (absolute zero to boiling), to 0.01 °C."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValue(f"temperature {value!r} is not a number")
    if not math.isfinite(value) or not MIN_C <= value <= MAX_C:
        raise InvalidValue(
            f"temperature {value} °C is not physically plausible "
            f"(between {MIN_C:g} and {MAX_C:g} °C)"
        )
    return round(float(value), 2)


def parse_temperature(text: str) -> float:
    """A typed temperature such as ``-150``, ``4.5`` or ``4,5`` (°C)."""
    t = text.strip().replace("\u2212", "-")  # the minus sign a word processor types
    if len(t) > 20 or not _SHAPE.fullmatch(t):
        shown = text if len(text) <= 20 else text[:20] + "..."
        raise InvalidValue(
            f"temperature {shown!r} is not a number in °C: use ASCII digits, an optional "
            "sign and one decimal point, e.g. -150 or 4.5"
        )
    value = check_temperature(float(t.replace(",", ".")))
    assert value is not None
    return value
