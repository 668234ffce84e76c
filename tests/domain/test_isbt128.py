"""ISBT 128 data structures read from a scan, by data identifier: DIN (001) with its
flags, product code (003), expiry date (004) and date and time (005)."""

from __future__ import annotations

from datetime import date, time

import pytest

from cart_chain.domain.din import Din, check_flags
from cart_chain.domain.errors import CheckFailed, MalformedScan
from cart_chain.domain.isbt128 import Expiry, ProductCode, parse_isbt, typed_din
from cart_chain.domain.labelcode import parse_scan

BODY = "A999818123456"  # check character N (ISBT 128's own example)


def test_din_symbol_is_a_machine_read_unless_its_flags_carry_the_check() -> None:
    assert parse_isbt(f"={BODY}00", aim="C0") == Din(BODY, "00")
    assert parse_isbt(f"={BODY}00", source="code128") == Din(BODY, "00")
    with pytest.raises(MalformedScan, match="has no check character"):
        parse_isbt(f"={BODY}00")  # typed: its typo would be another collection
    assert check_flags(BODY) == "83"
    assert parse_isbt(f"={BODY}83") == Din(BODY, "83")  # type 2 flags: checked, so trusted
    with pytest.raises(CheckFailed):
        parse_isbt(f"={BODY}82")
    assert parse_isbt(f"={BODY}N") == Din(BODY)  # typed with the boxed check character
    with pytest.raises(CheckFailed):
        parse_isbt(f"={BODY}M")
    with pytest.raises(MalformedScan, match="not a DIN"):
        parse_isbt("=A99X818123456N")


def test_a_din_typed_without_data_identifier() -> None:
    assert typed_din("A9998 18 123456 [N]") == Din(BODY)
    assert typed_din(f"{BODY}07N") == Din(BODY, "07")
    with pytest.raises(CheckFailed):
        typed_din(f"{BODY}Q")
    assert typed_din("LOT-12345") is None


def test_product_code_data_structure_003() -> None:
    code = parse_isbt("=<S1234V0a")
    assert code == ProductCode("S1234V0a")
    assert isinstance(code, ProductCode)
    assert (code.description, code.donation_type, code.division) == ("S1234", "V", "0a")
    for bad in ("=<S1234V0", "=<S12345V00", "=<s1234V00", "=<S1234VaA"):
        with pytest.raises(MalformedScan, match="Data Structure 003"):
            parse_isbt(bad)


def test_expiry_date_004_and_date_time_005() -> None:
    assert parse_isbt("=>026335") == Expiry(date(2026, 12, 1))
    assert parse_isbt("=>028366") == Expiry(date(2028, 12, 31))  # leap year
    assert parse_isbt("&>0260010930") == Expiry(date(2026, 1, 1), time(9, 30))
    for bad, why in (
        ("=>026366", "day 366 does not exist"),
        ("=>026000", "day 0 does not exist"),
        ("=>02633", "6 digits"),
        ("&>0263352400", "not a time of day"),
        ("&>026335", "10 digits"),
    ):
        with pytest.raises(MalformedScan, match=why):
            parse_isbt(bad)


def test_other_text_is_not_an_isbt_structure() -> None:
    assert parse_isbt("CC1ABC") is None
    assert parse_isbt("=") is None
    assert parse_isbt("=O99981812345600") is None  # a FIN never starts with O


@pytest.mark.parametrize(
    ("scanned", "message"),
    [
        ("]C0=<S1234V00", "product code S1234V00 \\(Data Structure 003\\)"),
        ("=>026335", "expiry 2026-12-01 \\(Data Structure 004\\)"),
        ("&>0263351200", "expiry 2026-12-01 12:00 \\(Data Structure 005\\)"),
        (f"]C0={BODY}00", "names a collection"),
    ],
)
def test_the_scan_parser_says_what_an_isbt_structure_is(scanned: str, message: str) -> None:
    with pytest.raises(MalformedScan, match=message):
        parse_scan(scanned)


def test_a_broken_din_symbol_is_check_failed_at_the_scan_parser() -> None:
    with pytest.raises(CheckFailed):
        parse_scan(f"={BODY}84")
