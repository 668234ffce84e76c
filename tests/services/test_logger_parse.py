"""Reading logger files: layouts, delimiters, decimal commas, units, zones, damage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cart_chain.domain.errors import InvalidValue, NotFound
from cart_chain.domain.logger_format import parse_format
from cart_chain.domain.logger_parse import LoggerFileError, parse_log
from cart_chain.domain.logger_values import interval_seconds
from cart_chain.services.condition_formats import all_formats, get_format, read_logger_file
from tests import logger_files as lf

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
GENERIC = get_format("delimited")


def test_shipped_layouts_say_where_they_come_from() -> None:
    formats = all_formats()
    assert {"delimited", "sensormetrix-neon", "tempsen"} <= set(formats)
    assert formats["sensormetrix-neon"].verified and "manual" in formats["sensormetrix-neon"].source
    assert not formats["tempsen"].verified and "NOT from a vendor" in formats["tempsen"].source


def test_semicolons_decimal_commas_and_fahrenheit_become_celsius() -> None:
    data = lf.delimited(lf.regular(T0, 5, [39.2, 41.0, 46.4]), delimiter=";", decimal=",", unit="F")
    r = parse_log(data, GENERIC)
    assert r.temps == (4.0, 5.0, 8.0)
    assert r.serial == "LOG-0001" and r.interval_s == 300
    assert r.times[0] == T0.timestamp() and r.times[2] - r.times[0] == 600


def test_quoted_decimal_commas_in_a_comma_separated_file() -> None:
    r = parse_log(lf.delimited(lf.regular(T0, 5, [4.5, 5.25]), decimal=","), GENERIC)
    assert r.temps == (4.5, 5.25)


def test_an_unquoted_decimal_comma_in_a_comma_file_names_the_line() -> None:
    data = b"Time,Temperature (C)\n2026-03-01 08:00:00,4.5\n2026-03-01 08:05:00,4,5\n"
    with pytest.raises(LoggerFileError, match=r"line 3: 3 fields.*decimal comma") as err:
        parse_log(data, GENERIC, tz="UTC")
    assert err.value.line == 3


def test_kelvin() -> None:
    data = lf.delimited(lf.regular(T0, 5, [123.15, 77.15]), unit="K")
    assert parse_log(data, GENERIC).temps == (-150.0, -196.0)


def test_a_file_without_a_time_zone_asks_for_one() -> None:
    data = lf.delimited(lf.regular(T0, 5, [4.0, 5.0]), tz="Europe/Berlin", zone_in_file=False)
    with pytest.raises(LoggerFileError, match=r"no time zone.*--tz"):
        parse_log(data, GENERIC)
    r = parse_log(data, GENERIC, tz="Europe/Berlin")
    assert r.times[0] == T0.timestamp()  # 09:00 in Berlin is 08:00 UTC
    with pytest.raises(LoggerFileError, match="no time zone"):
        parse_log(data, GENERIC, tz=None)


def test_a_zone_given_that_contradicts_the_file_is_refused() -> None:
    data = lf.delimited(lf.regular(T0, 5, [4.0]), tz="Europe/Berlin")
    with pytest.raises(LoggerFileError, match="Europe/Berlin, but America/New_York"):
        parse_log(data, GENERIC, tz="America/New_York")
    assert parse_log(data, GENERIC, tz="Europe/Berlin").times[0] == T0.timestamp()


def test_the_repeated_hour_in_autumn_is_read_in_order() -> None:
    # Berlin leaves summer time on 2026-10-25 at 03:00 CEST -> 02:00 CET.
    start = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)  # 01:30 CEST
    samples = lf.regular(start, 15, [4.0 + i / 10 for i in range(12)])
    data = lf.delimited(samples, tz="Europe/Berlin", zone_in_file=False)
    local = [ln.split(",")[0][-8:] for ln in data.decode().splitlines()[4:]]
    assert local.count("02:15:00") == 2  # the file really repeats local times
    r = parse_log(data, GENERIC, tz="Europe/Berlin")
    assert r.times == tuple(at.timestamp() for at, _ in samples)


def test_the_skipped_hour_in_spring_does_not_exist() -> None:
    data = b"Time,Temperature (C)\n2026-03-29 01:45:00,4.0\n2026-03-29 02:30:00,4.1\n"
    with pytest.raises(LoggerFileError, match=r"line 3: .*does not exist in Europe/Berlin"):
        parse_log(data, GENERIC, tz="Europe/Berlin")
    # across the change: 01:55 CET then 03:00 CEST are five minutes apart
    data = b"Time,Temperature (C)\n2026-03-29 01:55:00,4.0\n2026-03-29 03:00:00,4.1\n"
    r = parse_log(data, GENERIC, tz="Europe/Berlin")
    assert r.times[1] - r.times[0] == 300


def test_a_truncated_file_names_its_last_line() -> None:
    data = lf.delimited(lf.regular(T0, 5, [4.0, 4.1, 4.2]))
    cut = data[: data.rindex(b",") - 3]  # ends inside the last time stamp
    with pytest.raises(LoggerFileError, match=r"^line 8: .*truncated"):
        parse_log(cut, GENERIC)
    # a stated point count catches a cut at a line boundary
    whole = lf.tempsen(lf.regular(T0, 5, [4.0, 4.1, 4.2]), points=4)
    with pytest.raises(LoggerFileError, match=r"line 7: .*says it holds 4 data points but 3"):
        read_logger_file(whole)


def test_time_going_back_and_garbage_name_the_line() -> None:
    data = b"Time,Temp (C)\n2026-03-01 08:05:00,4.0\n2026-03-01 08:00:00,4.1\n"
    with pytest.raises(LoggerFileError, match=r"line 3: .*not later"):
        parse_log(data, GENERIC, tz="UTC")
    data = b"Time,Temp (C)\n2026-03-01 08:05:00,warm\n"
    with pytest.raises(LoggerFileError, match="line 2: 'warm' is not a temperature"):
        parse_log(data, GENERIC, tz="UTC")
    data = b"Time,Temp (C)\n2026-03-01 08:05:00,4000\n"
    with pytest.raises(LoggerFileError, match=r"line 2: .*not a plausible"):
        parse_log(data, GENERIC, tz="UTC")
    with pytest.raises(LoggerFileError, match="no column header row"):
        parse_log(b"hello\nworld\n", GENERIC)
    with pytest.raises(LoggerFileError, match="empty"):
        parse_log(b"\n\n", GENERIC)


def test_a_file_without_a_unit_asks_for_one() -> None:
    data = b"Time,Temperature\n2026-03-01 08:00:00,4.0\n"
    with pytest.raises(LoggerFileError, match="--temperature-unit"):
        parse_log(data, GENERIC, tz="UTC")
    assert parse_log(data, GENERIC, tz="UTC", unit="F").temps == (-15.556,)


def test_sensormetrix_neon_is_recognised_and_read() -> None:
    data = lf.neon(lf.regular(T0, 10, [4.5, 9.25, -1.0]))
    r, inner = read_logger_file(data, tz="UTC", unit="C")
    assert inner is None and r.format == "sensormetrix-neon"
    assert r.temps == (4.5, 9.25, -1.0) and r.sampling_interval_s == 600


def test_tempsen_header_fields() -> None:
    samples = lf.regular(T0, 5, [4.0, 4.5, 5.0])
    r, _ = read_logger_file(lf.tempsen(samples, serial="TS-99"))
    assert r.format == "tempsen" and r.serial == "TS-99" and r.interval_s == 300
    assert r.started == T0 and r.stopped == T0 + timedelta(minutes=10)


def test_a_pdf_report_with_the_csv_attached() -> None:
    csv_bytes = lf.delimited(lf.regular(T0, 5, [-160.0, -158.5]), serial="PDF-1")
    r, inner = read_logger_file(lf.pdf_with(csv_bytes, "export.csv"))
    assert inner == "export.csv" and r.serial == "PDF-1" and r.temps == (-160.0, -158.5)
    with pytest.raises(LoggerFileError, match="no attached CSV"):
        read_logger_file(lf.pdf_with(b"x", "readme.md"))


def test_unknown_format_and_bad_layouts() -> None:
    with pytest.raises(NotFound, match="no logger format 'nope'; known: auto"):
        read_logger_file(b"x", "nope")
    with pytest.raises(InvalidValue, match="source"):
        parse_format({"name": "x", "columns": {"time": ["t"], "temperature": ["v"]}})
    with pytest.raises(InvalidValue, match="needs temperature"):
        parse_format({"name": "x", "source": "s", "columns": {"time": ["t"]}})


def test_a_site_layout_is_found_in_its_folder(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "ours.json").write_text(
        '{"name": "ours", "source": "our validation report VR-12", "unit": "C",'
        '"delimiter": "|", "columns": {"time": ["when"], "temperature": ["deg"]},'
        '"detect": ["^when\\\\|deg"]}',
        encoding="utf-8",
    )
    monkeypatch.setenv("CART_CHAIN_LOGGERS", str(tmp_path))
    r, _ = read_logger_file(b"when|deg\n2026-03-01T08:00:00Z|-150.5\n")
    assert r.format == "ours" and r.temps == (-150.5,)


def test_intervals() -> None:
    assert interval_seconds("00:05:00") == 300
    assert interval_seconds("5 min") == 300
    assert interval_seconds("1,5 h") == 5400
    assert interval_seconds("30", "interval (s)") == 30
    with pytest.raises(InvalidValue, match="no unit"):
        interval_seconds("30")


temps_c = st.lists(
    st.floats(min_value=-196, max_value=40, allow_nan=False).map(lambda t: round(t, 2)),
    min_size=1,
    max_size=40,
)


@given(temps_c, st.sampled_from([",", ";", "\t"]), st.sampled_from([".", ","]))
def test_round_trip_of_writer_and_parser(temps: list[float], delimiter: str, decimal: str) -> None:
    samples = lf.regular(T0, 1, temps)
    r = parse_log(lf.delimited(samples, delimiter=delimiter, decimal=decimal), GENERIC)
    assert r.temps == tuple(temps)
    assert r.times == tuple(at.timestamp() for at, _ in samples)


@given(temps_c)
def test_fahrenheit_is_converted_like_an_independent_formula(temps: list[float]) -> None:
    fahrenheit = [round(t * 9 / 5 + 32, 2) for t in temps]
    r = parse_log(lf.delimited(lf.regular(T0, 1, fahrenheit), unit="F"), GENERIC)
    for got, f in zip(r.temps, fahrenheit, strict=True):
        assert got == pytest.approx((f - 32) / 1.8, abs=0.001)


@given(st.integers(min_value=0, max_value=200))
def test_local_times_in_a_zone_with_summer_time_round_trip(offset_quarters: int) -> None:
    start = datetime(2026, 10, 24, 12, 0, tzinfo=UTC) + timedelta(minutes=15 * offset_quarters)
    samples = lf.regular(start, 15, [5.0] * 12)
    data = lf.delimited(samples, tz="Europe/Berlin", zone_in_file=False)
    zone = ZoneInfo("Europe/Berlin")
    first = samples[0][0].astimezone(zone)
    if first.replace(fold=1 - first.fold).utcoffset() != first.utcoffset():
        # a file starting inside the repeated hour cannot say which pass it is
        with pytest.raises(LoggerFileError, match="repeats when summer time ends"):
            parse_log(data, GENERIC, tz="Europe/Berlin")
        return
    r = parse_log(data, GENERIC, tz="Europe/Berlin")
    assert r.times == tuple(at.timestamp() for at, _ in samples)


@given(
    st.integers(min_value=1_700_000_000, max_value=1_900_000_000),
    st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata"]),
)
def test_the_fast_wall_clock_agrees_with_zoneinfo(instant: int, name: str) -> None:
    """The clock's own date arithmetic and hourly offset cache against the standard library."""
    from cart_chain.domain.logger_values import LocalClock, zone

    z = ZoneInfo(name)
    local = datetime.fromtimestamp(instant, z)
    clock = LocalClock((), zone(name))
    clock.prev = instant - 1  # the sample before it, as in a file read in order
    assert clock.seconds(f"{local:%Y-%m-%d %H:%M:%S}") == instant
    dotted = LocalClock(("%d.%m.%Y %H:%M:%S",), zone(name))
    dotted.prev = instant - 1
    assert dotted.seconds(f"{local:%d.%m.%Y %H:%M:%S}") == instant


@given(st.binary(max_size=400))
def test_any_bytes_are_read_or_refused_with_a_message(data: bytes) -> None:
    """Untrusted input never crashes the reader: a record, or InvalidValue."""
    try:
        r, _ = read_logger_file(data, tz="UTC", unit="C")
    except InvalidValue:
        return
    assert list(r.times) == sorted(set(r.times)) and len(r.times) == len(r.temps) > 0


@given(st.text(alphabet=st.sampled_from("0123456789-:.,; \tTZ+\n°CFtimeTemp"), max_size=300))
def test_text_that_looks_like_a_logger_file_is_read_or_refused(text: str) -> None:
    try:
        r, _ = read_logger_file(("Time;Temperature (C)\n" + text).encode(), tz="Europe/Berlin")
    except InvalidValue:
        return
    assert list(r.times) == sorted(set(r.times)) and len(r.times) == len(r.temps) > 0


def test_a_damaged_pdf_is_refused_with_a_message() -> None:
    pdf = lf.pdf_with(b"Time,Temp (C)\n2026-03-01T08:00:00Z,4.0\n")
    for cut in (pdf[: len(pdf) // 2], pdf[:40], pdf.replace(b"/EmbeddedFile", b"/Nothing")):
        with pytest.raises(LoggerFileError):
            read_logger_file(cut)
