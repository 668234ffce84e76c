"""Reading a temperature logger's export: bytes in, UTC samples in °C out.

One reader for every layout (`domain.logger_format`): it finds the column header
row (and with it the delimiter), reads the header lines above it (serial, start,
stop, interval, time zone, unit), then every sample. Local times are converted
with the file's time zone, or the one the user gave; a file that has none is
refused with a question, never guessed. A repeated hour at the end of summer
time is read in order (first pass before the change, second after); a time that
does not exist (the skipped hour) is refused. Anything that cannot be read is
refused naming its line: a record half-read is worse than none.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from itertools import pairwise

from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.logger_format import DELIMITERS, LoggerFormat
from cart_chain.domain.logger_values import (
    LocalClock,
    NoZone,
    cells_of,
    decode,
    interval_seconds,
    label_key,
    read_number,
    to_celsius,
    unit_in,
    zone,
)
from cart_chain.domain.temperature import MAX_C, MIN_C

#: How many lines from the top are searched for the column header row.
HEAD_LINES = 60


class LoggerFileError(InvalidValue):
    """A logger file that cannot be read; ``line`` is 1-based, None for the whole file."""

    def __init__(self, message: str, line: int | None = None) -> None:
        super().__init__(f"line {line}: {message}" if line else message)
        self.line = line


@dataclass(frozen=True, slots=True)
class LoggerRecord:
    """What a logger file says, in UTC and °C; ``times`` are POSIX seconds."""

    format: str
    serial: str | None
    started: datetime | None  # the header's start time, when it has one
    stopped: datetime | None
    interval_s: float | None  # the header's sampling interval
    times: tuple[float, ...]
    temps: tuple[float, ...]
    timezone: str  # the zone the local times were read in ("file" offsets, or a name)

    @property
    def first(self) -> datetime:
        return datetime.fromtimestamp(self.times[0], UTC)

    @property
    def last(self) -> datetime:
        return datetime.fromtimestamp(self.times[-1], UTC)

    @property
    def sampling_interval_s(self) -> float:
        """The stated interval, else the median step between samples (0 for one sample)."""
        if self.interval_s:
            return self.interval_s
        if len(self.times) < 2:
            return 0.0
        return float(statistics.median(b - a for a, b in pairwise(self.times)))


# -- the reader ----------------------------------------------------------------------


def _find_columns(lines: Sequence[str], fmt: LoggerFormat) -> tuple[int, str, list[str]] | None:
    """(index of the column header row, delimiter, its cells), or None."""
    delimiters = (fmt.delimiter,) if fmt.delimiter else DELIMITERS
    for i, line in enumerate(lines[:HEAD_LINES]):
        for d in delimiters:
            if d not in line:
                continue
            cells = [label_key(c) for c in cells_of(line, d)]
            if _index(cells, fmt.temperature_columns) is None:
                continue
            if _index(cells, fmt.time_columns) is not None or (
                _index(cells, fmt.date_columns) is not None
                and _index(cells, fmt.clock_columns) is not None
            ):
                return i, d, cells
    return None


def _index(cells: Sequence[str], labels: Iterable[str]) -> int | None:
    """The first cell that is one of ``labels``, or starts with one (a unit may follow)."""
    labels = tuple(labels)
    for j, c in enumerate(cells):
        if c in labels:
            return j
    for j, c in enumerate(cells):
        if any(c.startswith(label + " ") or c.startswith(label + "(") for label in labels):
            return j
    return None


def _guess_delimiter(lines: Sequence[str], need: int) -> str:
    sample = [ln for ln in lines[-20:] if ln.strip()]
    for d in DELIMITERS:
        counts = {len(cells_of(ln, d)) for ln in sample}
        if counts and min(counts) >= need:
            return d
    raise LoggerFileError("no delimiter (, ; tab |) splits the samples into columns")


def _header(
    lines: Sequence[str], delimiter: str | None, fmt: LoggerFormat
) -> dict[str, tuple[int, str, str]]:
    """Header fields found above the samples: field -> (line, label, value)."""
    found: dict[str, tuple[int, str, str]] = {}
    for i, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        m = re.match(r"^\s*([^:=]+?)\s*[:=]\s*(.*)$", line)
        pairs = []
        if delimiter and delimiter in line:
            cells = cells_of(line, delimiter)
            if len(cells) >= 2:
                pairs.append((cells[0], cells[1]))
        if m:
            pairs.append((m.group(1), m.group(2)))
        for label, value in pairs:
            key = label_key(label)
            value = value.strip().strip('"').strip()
            for field, labels in fmt.header.items():
                if (
                    field not in found
                    and value
                    and (key in labels or any(key.startswith(lb + " ") for lb in labels))
                ):
                    found[field] = (i, key, value)
    return found


def parse_log(
    data: bytes, fmt: LoggerFormat, *, tz: str | None = None, unit: str | None = None
) -> LoggerRecord:
    """Read a logger export laid out as ``fmt``; ``tz`` and ``unit`` answer what the
    file leaves open (a file that states its own zone or unit must agree with them)."""
    text = decode(data)
    lines = text.splitlines()
    if not any(ln.strip() for ln in lines):
        raise LoggerFileError("the file is empty")
    columns = _find_columns(lines, fmt)
    if columns is not None:
        top, delimiter, names = columns
        d_col, c_col = _index(names, fmt.date_columns), _index(names, fmt.clock_columns)
        if d_col is not None and c_col is not None and d_col != c_col:
            t_col = None  # "Date;Time;..." : a date column and a time-of-day column
        else:
            t_col, d_col, c_col = _index(names, fmt.time_columns), None, None
        v_col = _index(names, fmt.temperature_columns)
        assert v_col is not None
        width = len(names)
        header_lines = lines[:top]
        column_unit = unit_in(names[v_col])
        first_data = top + 1
        strict_width = True
    elif fmt.positions:
        p = fmt.positions
        t_col, d_col, c_col, v_col = p.get("time"), p.get("date"), p.get("clock"), p["temperature"]
        width = max(p.values()) + 1
        delimiter = fmt.delimiter or _guess_delimiter(lines, width)
        first_data = _first_sample_line(
            lines, delimiter, width, t_col if t_col is not None else d_col
        )
        header_lines = lines[:first_data]
        column_unit = None
        strict_width = False  # a fixed layout may carry more columns (humidity)
    else:
        raise LoggerFileError(
            f"no column header row naming a time and a temperature column in the first "
            f"{HEAD_LINES} lines (format {fmt.name})"
        )
    head = _header(header_lines, delimiter, fmt)
    the_unit = _the_unit(fmt, unit, column_unit, head)
    the_zone, zone_name = _the_zone(head, tz)
    clock = LocalClock(fmt.time_formats, the_zone)

    def when(value: str, line: int, ambiguous: str = "order") -> float:
        try:
            return clock.seconds(value, ambiguous)
        except NoZone:
            raise LoggerFileError(
                "the file gives no time zone for its local times: give the zone the logger "
                "was set to (e.g. --tz Europe/Berlin, or --tz +01:00)"
            ) from None
        except InvalidValue as exc:
            raise LoggerFileError(str(exc), line) from None

    times: list[float] = []
    temps: list[float] = []
    decimal = fmt.decimal
    last = len(lines)
    while last > first_data and not lines[last - 1].strip():
        last -= 1
    for n in range(first_data, last):
        line = lines[n]
        if not line.strip():
            continue
        cells = cells_of(line, delimiter)
        if len(cells) < width:
            if n == last - 1:
                raise LoggerFileError("the file ends in the middle of a sample (truncated?)", n + 1)
            raise LoggerFileError(
                f"{len(cells)} fields where {width} are expected"
                + (" (a decimal comma in a comma-separated file?)" if delimiter == "," else ""),
                n + 1,
            )
        if strict_width and len(cells) > width and any(cells[width:]):
            raise LoggerFileError(
                f"{len(cells)} fields where the column header row has {width}"
                + (" (a decimal comma in a comma-separated file?)" if delimiter == "," else ""),
                n + 1,
            )
        stamp = cells[t_col] if t_col is not None else f"{cells[d_col]} {cells[c_col]}"  # type: ignore[index]
        raw = cells[v_col]
        if not raw:
            continue  # no reading at this time: the gap check sees it
        try:
            value, decimal = read_number(raw, decimal)
        except InvalidValue as exc:
            raise LoggerFileError(str(exc), n + 1) from None
        at = when(stamp, n + 1)
        if at <= clock.prev:
            raise LoggerFileError(
                "this sample is not later than the one before it (time went back or repeats)",
                n + 1,
            )
        clock.prev = at
        celsius = to_celsius(value, the_unit)
        if not MIN_C <= celsius <= MAX_C:
            raise LoggerFileError(f"{raw} {the_unit} is not a plausible temperature", n + 1)
        times.append(at)
        temps.append(celsius if the_unit == "C" else round(celsius, 3))
    if not times:
        raise LoggerFileError("the file holds no samples")
    if "points" in head:
        line, _label, stated = head["points"]
        if not stated.isdigit() or int(stated) != len(times):
            raise LoggerFileError(
                f"the file says it holds {stated} data points but {len(times)} were read "
                "(truncated or edited?)",
                line,
            )
    stamps = {}
    # In a repeated hour, the reading that could flag the logger: a later start, an
    # earlier stop.
    for field, pick in (("start", "later"), ("stop", "earlier")):
        if field in head:
            line, _label, value = head[field]
            stamps[field] = datetime.fromtimestamp(when(value, line, pick), UTC)
    interval = None
    if "interval" in head:
        line, label, value = head["interval"]
        try:
            interval = interval_seconds(value, label)
        except InvalidValue as exc:
            raise LoggerFileError(str(exc), line) from None
    serial = head["serial"][2][:64] if "serial" in head else None
    return LoggerRecord(
        fmt.name,
        serial,
        stamps.get("start"),
        stamps.get("stop"),
        interval,
        tuple(times),
        tuple(temps),
        zone_name,
    )


def _first_sample_line(lines: Sequence[str], delimiter: str, width: int, t_col: int | None) -> int:
    for i, line in enumerate(lines[:HEAD_LINES]):
        cells = cells_of(line, delimiter)
        if len(cells) >= width and t_col is not None and re.match(r"^\d", cells[t_col]):
            return i
    raise LoggerFileError("no sample found in the first lines")


def _the_unit(
    fmt: LoggerFormat,
    given: str | None,
    column: str | None,
    head: dict[str, tuple[int, str, str]],
) -> str:
    stated = [
        u for u in (fmt.unit, column, unit_in(head["unit"][2]) if "unit" in head else None) if u
    ]
    if len(set(stated)) > 1:
        raise LoggerFileError(f"the file names two temperature units ({', '.join(stated)})")
    wanted = given.strip().upper().lstrip("°") if given else None
    if wanted is not None and wanted not in ("C", "F", "K"):
        raise InvalidValue(f"unit {given!r}: use C, F or K")
    if stated and wanted and stated[0] != wanted:
        raise LoggerFileError(f"the file says °{stated[0]}, but °{wanted} was given")
    if stated:
        return stated[0]
    if wanted:
        return wanted
    raise LoggerFileError(
        "the file does not say its temperature unit: give it "
        "(--temperature-unit C, F or K; in the app, Unit)"
    )


def _the_zone(
    head: dict[str, tuple[int, str, str]], given: str | None
) -> tuple[tzinfo | None, str]:
    stated = None
    if "timezone" in head:
        line, _label, value = head["timezone"]
        try:
            stated = zone(value)
        except InvalidValue as exc:
            raise LoggerFileError(str(exc), line) from None
    wanted = zone(given) if given else None
    if stated is not None and wanted is not None:
        probe = datetime(2026, 1, 15, 12)
        summer = datetime(2026, 7, 15, 12)
        if any(
            p.replace(tzinfo=stated).utcoffset() != p.replace(tzinfo=wanted).utcoffset()
            for p in (probe, summer)
        ):
            raise LoggerFileError(
                f"the file says its time zone is {head['timezone'][2]}, but {given} was given",
                head["timezone"][0],
            )
    chosen = stated or wanted
    return chosen, "" if chosen is None else str(getattr(chosen, "key", chosen))
