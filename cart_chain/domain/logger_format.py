"""Temperature-logger export layouts, kept as small declarative data.

A layout (``resources/loggers/<name>.json``, or a site's own folder, see
`services.condition_formats`) says how to find the header fields (serial number,
start, stop, sampling interval, time zone, unit), the sample columns, and how to
recognise the vendor's file for ``--format auto``. The parser
(`domain.logger_parse`) reads every layout the same way, so a site adds a
vendor without code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from cart_chain.domain.errors import InvalidValue

#: Header fields a layout may name; each maps to the labels that introduce it.
HEADER_FIELDS = ("serial", "start", "stop", "interval", "timezone", "unit", "points")
UNITS = ("C", "F", "K")
DELIMITERS = (",", ";", "\t", "|")


@dataclass(frozen=True, slots=True)
class LoggerFormat:
    name: str
    title: str
    #: Where the description comes from, and whether it was checked against it.
    source: str
    verified: bool
    delimiter: str | None  # None: detect
    decimal: str | None  # "." or ","; None: detect per value
    unit: str | None  # "C", "F", "K"; None: read from the file
    header: dict[str, tuple[str, ...]]  # field -> lower-case labels
    time_columns: tuple[str, ...]  # lower-case labels of a date-and-time column
    date_columns: tuple[str, ...]  # ... of a separate date column
    clock_columns: tuple[str, ...]  # ... of a separate time-of-day column
    temperature_columns: tuple[str, ...]
    #: Fixed positions (0-based) for files without a column header row.
    positions: dict[str, int]
    time_formats: tuple[str, ...]
    detect: tuple[re.Pattern[str], ...]

    def recognises(self, head: str) -> bool:
        return bool(self.detect) and all(p.search(head) for p in self.detect)


def _labels(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(x, str) and x.strip() for x in raw):
        raise InvalidValue(f"{where} must be a list of texts")
    return tuple(x.strip().lower() for x in raw)


def parse_format(data: Any) -> LoggerFormat:
    """Validate a layout read from JSON: a wrong layout must fail here, not on a file."""
    if not isinstance(data, dict):
        raise InvalidValue("a logger format is a JSON object")
    name = data.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,39}", name):
        raise InvalidValue(f"logger format name {name!r}: lower-case letters, digits, - or _")
    at = f"logger format {name!r}"
    delimiter = data.get("delimiter", "auto")
    delimiter = {"tab": "\t"}.get(delimiter, delimiter)
    if delimiter != "auto" and delimiter not in DELIMITERS:
        raise InvalidValue(f"{at}: delimiter is auto, ',', ';', 'tab' or '|'")
    decimal = data.get("decimal", "auto")
    if decimal not in ("auto", ".", ","):
        raise InvalidValue(f"{at}: decimal is auto, '.' or ','")
    unit = data.get("unit", "auto")
    if unit != "auto" and unit not in UNITS:
        raise InvalidValue(f"{at}: unit is auto, C, F or K")
    header_raw = data.get("header", {})
    if not isinstance(header_raw, dict) or set(header_raw) - set(HEADER_FIELDS):
        raise InvalidValue(f"{at}: header maps some of {', '.join(HEADER_FIELDS)} to labels")
    header = {k: _labels(v, f"{at}: header.{k}") for k, v in header_raw.items()}
    cols = data.get("columns", {})
    if not isinstance(cols, dict):
        raise InvalidValue(f"{at}: columns is an object")
    positions = data.get("positions", {})
    if not isinstance(positions, dict) or not all(
        k in ("time", "date", "clock", "temperature") and isinstance(v, int) and v >= 0
        for k, v in positions.items()
    ):
        raise InvalidValue(f"{at}: positions maps time/date/clock/temperature to column numbers")
    temps = _labels(cols.get("temperature"), f"{at}: columns.temperature")
    times = _labels(cols.get("time"), f"{at}: columns.time")
    dates = _labels(cols.get("date"), f"{at}: columns.date")
    clocks = _labels(cols.get("clock"), f"{at}: columns.clock")
    if not positions and not (temps and (times or (dates and clocks))):
        raise InvalidValue(f"{at}: needs temperature and time (or date and clock) columns")
    if positions and "temperature" not in positions:
        raise InvalidValue(f"{at}: positions needs a temperature column")
    formats = data.get("time_formats", [])
    if not isinstance(formats, list) or not all(isinstance(f, str) for f in formats):
        raise InvalidValue(f"{at}: time_formats is a list of strptime patterns")
    try:
        detect = tuple(re.compile(p, re.IGNORECASE | re.MULTILINE) for p in data.get("detect", []))
    except (re.error, TypeError) as exc:
        raise InvalidValue(f"{at}: detect holds regular expressions ({exc})") from None
    source = data.get("source")
    if not isinstance(source, str) or not source.strip():
        raise InvalidValue(f"{at}: source must say where the layout's description comes from")
    return LoggerFormat(
        name=name,
        title=str(data.get("title", name)),
        source=source,
        verified=bool(data.get("verified", False)),
        delimiter=None if delimiter == "auto" else delimiter,
        decimal=None if decimal == "auto" else decimal,
        unit=None if unit == "auto" else unit,
        header=header,
        time_columns=times,
        date_columns=dates,
        clock_columns=clocks,
        temperature_columns=temps,
        positions=dict(positions),
        time_formats=tuple(formats),
        detect=detect,
    )
