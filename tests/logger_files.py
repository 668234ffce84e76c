"""Logger files written by the tests, in each layout cart-chain reads.

Each writer produces the bytes a logger's software would export; the tests read
them back through the real parser and the real import service.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

Sample = tuple[datetime, float]  # an aware time and a temperature in the file's unit


def regular(start: datetime, minutes: float, temps: Sequence[float]) -> list[Sample]:
    return [(start + timedelta(minutes=minutes * i), t) for i, t in enumerate(temps)]


def delimited(
    samples: Sequence[Sample],
    *,
    serial: str | None = "LOG-0001",
    delimiter: str = ",",
    decimal: str = ".",
    unit: str = "C",
    tz: str | None = "UTC",
    zone_in_file: bool = True,
    interval: str | None = "5 min",
    start: datetime | None = None,
    stop: datetime | None = None,
) -> bytes:
    """The generic layout: 'label: value' header lines, then Time and Temperature."""
    zone = UTC if tz in (None, "UTC") else ZoneInfo(tz)
    lines = []
    if serial is not None:
        lines.append(f"Serial Number: {serial}")
    if interval is not None:
        lines.append(f"Logging interval: {interval}")
    if tz is not None and zone_in_file:
        lines.append(f"Time zone: {tz}")
    for label, moment in (("Start time", start), ("Stop time", stop)):
        if moment is not None:
            lines.append(f"{label}: {moment.astimezone(zone):%Y-%m-%d %H:%M:%S}")
    lines.append("")
    lines.append(delimiter.join(["Time", f"Temperature (°{unit})"]))
    for at, t in samples:
        value = f"{t:.2f}".replace(".", decimal)
        if decimal == "," and delimiter == ",":
            value = f'"{value}"'
        lines.append(delimiter.join([f"{at.astimezone(zone):%Y-%m-%d %H:%M:%S}", value]))
    return ("\r\n".join(lines) + "\r\n").encode("utf-8")


def neon(samples: Sequence[Sample], tz: str = "UTC") -> bytes:
    """Sensormetrix Neon: date,time,state,temperature,state,humidity; no header."""
    zone = UTC if tz == "UTC" else ZoneInfo(tz)
    out = []
    for at, t in samples:
        local = at.astimezone(zone)
        state = "A" if t > 8 or t < 2 else "L"
        out.append(f"{local:%d-%m-%Y},{local:%H:%M:%S},{state},{t:+07.2f},L,+045.00")
    return ("\n".join(out) + "\n").encode("ascii")


def tempsen(
    samples: Sequence[Sample], serial: str = "TS-42", *, points: int | None = None
) -> bytes:
    """Tempsen-style report: SN, Trip No, Start/Stop Time, Data Points, then the table."""
    lines = [
        f"SN: {serial}",
        "Trip No: 0007",
        f"Start Time: {samples[0][0].astimezone(UTC):%Y-%m-%d %H:%M:%S}",
        f"Stop Time: {samples[-1][0].astimezone(UTC):%Y-%m-%d %H:%M:%S}",
        "Logging Interval: 00:05:00",
        "Time Zone: UTC+00:00",
        f"Data Points: {len(samples) if points is None else points}",
        "",
        "No.\tTime\tTemperature(°C)",
    ]
    for i, (at, t) in enumerate(samples, start=1):
        lines.append(f"{i}\t{at.astimezone(UTC):%Y-%m-%d %H:%M:%S}\t{t:.1f}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def pdf_with(csv_bytes: bytes, name: str = "data.csv") -> bytes:
    """A one-page PDF report carrying the CSV as an embedded file."""
    from io import BytesIO

    from pypdf import PdfWriter

    writer = PdfWriter()
    writer.add_blank_page(width=595, height=842)
    writer.add_attachment(name, csv_bytes)
    out = BytesIO()
    writer.write(out)
    return out.getvalue()
