"""Small readers for logger files: zones, units, intervals, numbers, times, PDFs.

Kept apart from the reader (`domain.logger_parse`) so each stays one job; all
are pure functions of text or bytes.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cart_chain.domain.errors import InvalidValue

# -- small readers -----------------------------------------------------------------

_OFFSET = re.compile(r"^(?:utc|gmt)?\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)")
_UNIT_MARK = re.compile(
    r"(?:°|º|deg\s*)([cfk])\b|\(([cfk])\)|\[([cfk])\]|\b(celsius|fahrenheit|kelvin)\b",
    re.IGNORECASE,
)
_INTERVAL = re.compile(
    r"^(\d+(?:[.,]\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hr|hrs|hours?)?$",
    re.IGNORECASE,
)
_PLAIN = re.compile(r"[+-]?\d+(?:\.\d+)?")
_HMS = re.compile(r"^(\d{1,3}):(\d{2})(?::(\d{2}))?$")


def zone(text: str) -> tzinfo:
    """A time zone named by a user or a file: IANA name, UTC, or an offset like +01:00."""
    t = text.strip()
    if t.upper() in ("UTC", "GMT", "Z"):
        return UTC
    m = _OFFSET.match(t)
    if m:
        sign = -1 if m.group(1) == "-" else 1
        hours, minutes = int(m.group(2)), int(m.group(3) or 0)
        if hours > 14 or minutes > 59:
            raise InvalidValue(f"time zone {text!r} is not a UTC offset")
        return timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return ZoneInfo(t)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidValue(
            f"time zone {text!r} is not known: give a name such as Europe/Berlin, "
            "or an offset such as +01:00"
        ) from None


def unit_in(text: str) -> str | None:
    """C, F or K when ``text`` (a column label or a header value) names one."""
    m = _UNIT_MARK.search(text)
    if m is None:
        bare = text.strip().upper().lstrip("°º")
        return bare if bare in ("C", "F", "K") else None
    word = next(g for g in m.groups() if g)
    return word[0].upper()


def to_celsius(value: float, unit: str) -> float:
    if unit == "F":
        return (value - 32.0) * 5.0 / 9.0
    if unit == "K":
        return value - 273.15
    return value


def interval_seconds(text: str, label: str = "") -> float:
    """``00:05:00``, ``5 min``, ``300 s``; a bare number needs its unit in the label."""
    t = text.strip()
    m = _HMS.match(t)
    if m:
        h, mi, s = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        seconds = float(h * 3600 + mi * 60 + s) if m.group(3) else float(h * 60 + mi)
        # hh:mm:ss, or mm:ss when only two parts are given
        return seconds if seconds > 0 else _bad_interval(text)
    m = _INTERVAL.match(t)
    if m is None:
        return _bad_interval(text)
    value = float(m.group(1).replace(",", "."))
    unit = (m.group(2) or _unit_of_label(label) or "").lower()
    if not unit:
        raise InvalidValue(f"sampling interval {text!r} has no unit (s, min or h)")
    factor = 3600.0 if unit.startswith("h") else 60.0 if unit.startswith("m") else 1.0
    return value * factor if value > 0 else _bad_interval(text)


def _bad_interval(text: str) -> float:
    raise InvalidValue(f"sampling interval {text!r} is not a duration such as 00:05:00 or 5 min")


def _unit_of_label(label: str) -> str | None:
    m = re.search(r"\((s|sec|min|h)\)|\[(s|sec|min|h)\]", label, re.IGNORECASE)
    return None if m is None else (m.group(1) or m.group(2))


def decode(data: bytes) -> str:
    """UTF-8 (with or without BOM, or UTF-16 with BOM), else Windows-1252."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def cells_of(line: str, delimiter: str) -> list[str]:
    if '"' not in line:
        return [c.strip() for c in line.split(delimiter)]
    return [c.strip() for c in next(csv.reader([line], delimiter=delimiter))]


def label_key(text: str) -> str:
    return re.sub(r"\s+", " ", text.strip().strip(":=").strip()).lower()


# -- times ---------------------------------------------------------------------------


#: A local ISO 8601 time without an offset, read without building a datetime.
_ISO_NAIVE = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,6}))?)?"
)
_FIELDS = {
    "%Y": r"(?P<Y>\d{4})",
    "%m": r"(?P<m>\d{1,2})",
    "%d": r"(?P<d>\d{1,2})",
    "%H": r"(?P<H>\d{1,2})",
    "%M": r"(?P<M>\d{2})",
    "%S": r"(?P<S>\d{2})",
}
_MONTH_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_EPOCH = datetime(1970, 1, 1)


def _fast_pattern(pattern: str) -> re.Pattern[str] | None:
    """A strptime pattern of %Y %m %d %H %M %S and literals as a regular expression."""
    out = []
    for part in re.split(r"(%.)", pattern):
        if len(part) == 2 and part.startswith("%"):
            if part not in _FIELDS:
                return None
            out.append(_FIELDS[part])
        else:
            out.append(re.escape(part))
    return re.compile("".join(out))


def wall_seconds(y: int, mo: int, d: int, h: int, mi: int, s: int, us: int = 0) -> float | None:
    """Seconds from 1970-01-01 00:00 to this wall-clock time, as if it were UTC (None
    when it is no date: month 13, 30 February, 25 o'clock)."""
    if not (1 <= mo <= 12 and h < 24 and mi < 60 and s < 60):
        return None
    leap = y % 4 == 0 and (y % 100 != 0 or y % 400 == 0)
    if not 1 <= d <= (29 if mo == 2 and leap else _MONTH_DAYS[mo - 1]):
        return None
    yy = y - (mo <= 2)  # days from the civil date (H. Hinnant's algorithm)
    era = yy // 400
    yoe = yy - era * 400
    doy = (153 * (mo - 3 if mo > 2 else mo + 9) + 2) // 5 + d - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    return days * 86400.0 + h * 3600 + mi * 60 + s + us / 1e6


class LocalClock:
    """Turns the file's time texts into POSIX seconds, in order, with one zone.

    The common shapes (ISO 8601, and strptime patterns of numbers only) are read
    without building a datetime; a zone's offsets are looked up once per hour of
    wall-clock time where they are constant over that hour.
    """

    def __init__(self, formats: Sequence[str], tz: tzinfo | None) -> None:
        self.formats = tuple(formats)
        self.fast = {f: _fast_pattern(f) for f in self.formats}
        self.pattern: str | None = None  # the strptime pattern that worked last
        self.tz = tz
        self.prev = float("-inf")
        self.hours: dict[float, tuple[float, float] | None] = {}
        self.days: dict[str, float | None] = {}
        #: A fixed zone's offset (UTC, +01:00), read once; None for a zone with rules.
        self.fixed = (
            None if tz is None or isinstance(tz, ZoneInfo) else tz.utcoffset(None).total_seconds()  # type: ignore[union-attr]
        )

    def wall(self, text: str) -> float | datetime:
        """Wall-clock seconds of a time without offset, or the aware datetime of one with."""
        t = text.strip()
        if self.pattern is None:
            m = _ISO_NAIVE.fullmatch(t)
            if m is not None:
                y, mo, d, h, mi, s, frac = m.groups()
                day = self.days.get(t[:10])  # a file has few dates and many samples
                if day is None:
                    day = wall_seconds(int(y), int(mo), int(d), 0, 0, 0)
                    if day is not None:
                        self.days[t[:10]] = day
                hh, mm, ss = int(h), int(mi), int(s or 0)
                if day is not None and hh < 24 and mm < 60 and ss < 60:
                    us = int(frac.ljust(6, "0")) / 1e6 if frac else 0.0
                    return day + hh * 3600 + mm * 60 + ss + us
        for pattern in ((self.pattern,) if self.pattern else ()) + self.formats:
            fast = self.fast.get(pattern)
            m = fast.fullmatch(t) if fast is not None else None
            if m is not None:
                g = m.groupdict()
                key = f"{g.get('Y')}-{g.get('m')}-{g.get('d')}"
                day = self.days.get(key)
                if day is None:
                    day = wall_seconds(
                        int(g.get("Y") or 1900), int(g.get("m") or 1), int(g.get("d") or 1), 0, 0, 0
                    )
                    self.days[key] = day
                hh, mm, ss = int(g.get("H") or 0), int(g.get("M") or 0), int(g.get("S") or 0)
                if day is not None and hh < 24 and mm < 60 and ss < 60:
                    self.pattern = pattern
                    return day + hh * 3600 + mm * 60 + ss
            elif fast is None:
                try:
                    dt = datetime.strptime(t, pattern)
                except ValueError:
                    continue
                self.pattern = pattern
                return dt if dt.tzinfo else (dt - _EPOCH).total_seconds()
        try:
            dt = datetime.fromisoformat(t)
        except ValueError:
            raise InvalidValue(f"{text!r} is not a date and time this format reads") from None
        return dt if dt.tzinfo else (dt - _EPOCH).total_seconds()

    def _offsets(self, wall: float) -> tuple[float, float]:
        """The zone's UTC offsets (first pass, second pass) at this wall-clock time."""
        hour = wall // 3600
        cached = self.hours.get(hour, False)
        if cached:
            return cached  # type: ignore[return-value]
        z = self.tz

        def at(w: float) -> tuple[float, float]:
            dt = (_EPOCH + timedelta(seconds=w)).replace(tzinfo=z)
            return (
                dt.replace(fold=0).utcoffset().total_seconds(),  # type: ignore[union-attr]
                dt.replace(fold=1).utcoffset().total_seconds(),  # type: ignore[union-attr]
            )

        if cached is False:
            begin, end = at(hour * 3600), at(hour * 3600 + 3599)
            self.hours[hour] = begin if begin == end else None
            if begin == end:
                return begin
        return at(wall)

    def seconds(self, text: str, ambiguous: str = "order") -> float:
        """POSIX seconds of ``text``. In the repeated autumn hour, ``order`` reads the
        pass that keeps the samples in order (refusing a first sample, which nothing
        before it places); ``earlier`` or ``later`` choose for a header's start or stop."""
        w = self.wall(text)
        if isinstance(w, datetime):
            return w.timestamp()
        if self.tz is None:
            raise NoZone()
        if self.fixed is not None:
            return w - self.fixed
        off_first, off_second = self._offsets(w)
        first, second = w - off_first, w - off_second
        if first == second:
            return first
        if first > second:  # the offset grew: the clocks jumped over this time
            raise InvalidValue(
                f"{text!r} does not exist in {self.tz.key}: the clocks skipped that hour"
            )
        if ambiguous == "earlier":
            return first
        if ambiguous == "later":
            return second
        if self.prev == float("-inf"):
            raise InvalidValue(
                f"{text!r} falls in the hour {self.tz.key} repeats when summer time ends, "
                "and no sample before it says which pass it is: export the data in UTC"
            )
        # The repeated hour: the first pass is before the change, the second after it.
        return second if first <= self.prev < second else first


class NoZone(Exception):
    """A local time was read and no time zone is known."""


def read_number(raw: str, decimal: str | None) -> tuple[float, str | None]:
    """A temperature cell (a unit mark may follow), and the decimal mark the file uses."""
    if decimal != "," and _PLAIN.fullmatch(raw):  # the usual cell: read at once
        return float(raw), ("." if decimal is None and "." in raw else decimal)
    text = raw.replace("\u2212", "-").strip()
    text = _UNIT_MARK.sub("", text).rstrip("CFKcfk°º ").strip()
    if not _NUMBER.fullmatch(text):
        raise InvalidValue(f"{raw!r} is not a temperature")
    mark = "," if "," in text else "." if "." in text else None
    if mark is not None:
        if decimal is None:
            decimal = mark
        elif mark != decimal:
            raise InvalidValue(
                f"{raw!r} uses {mark!r} as decimal mark where the file uses {decimal!r}"
            )
    return float(text.replace(",", ".")), decimal


# -- PDF reports with the data attached --------------------------------------------


def is_pdf(data: bytes) -> bool:
    return data[:1024].lstrip().startswith(b"%PDF-")


def pdf_attachment(data: bytes) -> tuple[str, bytes]:
    """The CSV (or text) file a logger's PDF report carries as an attachment."""
    from io import BytesIO

    from pypdf import PdfReader

    try:
        attachments = PdfReader(BytesIO(data)).attachments
        for name in sorted(attachments):
            if name.lower().endswith((".csv", ".txt", ".tsv")):
                return name, bytes(attachments[name][0])
    except Exception as exc:  # untrusted bytes: any failure of the PDF parser is a refusal
        raise InvalidValue(f"the PDF cannot be read ({type(exc).__name__}: {exc})") from None
    raise InvalidValue(
        "the PDF carries no attached CSV file: export the data as CSV from the logger's software"
    )
