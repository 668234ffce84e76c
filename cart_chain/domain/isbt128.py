"""ISBT 128 data structures a scanner may read from a bag, told apart by data identifier.

=================  ======================  ========================================
data identifier    data structure          content
=================  ======================  ========================================
``=`` + FIN char   001 DIN                 FIN, year, sequence (13) + 2 flags
``=<``             003 product code        ``αoooo`` description, type ``t``,
                                           division ``ds`` (8 characters)
``=>``             004 expiry date         ``cyyjjj``: century, year, day of year
``&>``             005 expiry date & time  ``cyyjjjhhmm``
``&/``             040 COI                 read by `labelcode.parse_scan`
=================  ======================  ========================================

(DS 001's data identifier is ``=`` and the FIN's first character, which is why a
FIN never starts with ``<`` or ``>``.) A product code or an expiry names no bag:
the scan gate refuses it with a message saying what it is. A DIN symbol carries
no check character: like the COI it is trusted as a machine read only behind
``]C0`` or from a scanner said to send Code 128 without AIM identifiers, unless
its flags carry the check character (values 60-96), which is then verified.
ICCBBA's product-code tables are licensed: sites configure the codes they use.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, time, timedelta

from cart_chain.domain.din import (
    CHECK_FLAGS,
    DIN_IDENTIFIER,
    DIN_LENGTH,
    Din,
    parse_din,
    parse_din_symbol,
)
from cart_chain.domain.errors import CheckFailed, IdentifierError, MalformedScan

PRODUCT_CODE = "=<"
EXPIRY_DATE = "=>"
EXPIRY_DATE_TIME = "&>"
#: What may follow ``=`` to make it a DIN: the first character of a FIN.
_FIN_FIRST = frozenset("ABCDEFGHIJKLMNPQRSTUVWXYZ123456789")
_PRODUCT = re.compile(r"([A-Z][0-9]{4})([0-9A-Z])([0-9A-Z][0-9a-z])")
_DIN_TYPED = re.compile(r"[A-Z1-9][0-9]{6}[0-9]{6}(?:[0-9]{2})?[0-9A-Z*]")


@dataclass(frozen=True, slots=True)
class ProductCode:
    """Data Structure 003: what the product is (codes from the site's licensed table)."""

    code: str  # 8 characters, e.g. "S1234V00"

    @property
    def description(self) -> str:
        return self.code[:5]

    @property
    def donation_type(self) -> str:
        return self.code[5]

    @property
    def division(self) -> str:
        return self.code[6:]

    def __str__(self) -> str:
        return self.code


@dataclass(frozen=True, slots=True)
class Expiry:
    """Data Structures 004/005: when the product expires (local time at the facility)."""

    day: date
    at: time | None = None  # Data Structure 005 only

    @property
    def structure(self) -> str:
        return "005" if self.at is not None else "004"

    def __str__(self) -> str:
        return self.day.isoformat() + (f" {self.at:%H:%M}" if self.at is not None else "")


IsbtData = Din | ProductCode | Expiry


def _product(data: str) -> ProductCode:
    if not _PRODUCT.fullmatch(data):
        raise MalformedScan(
            f"ISBT 128 product code {data!r} (Data Structure 003) must be a letter and 4 "
            "digits, the donation type, and the division (upper-case letter or 0, then "
            "lower-case letter or 0): 8 characters"
        )
    return ProductCode(data)


def _expiry(data: str, with_time: bool) -> Expiry:
    n = 10 if with_time else 6
    what = "expiry date and time (Data Structure 005)" if with_time else "expiry date (004)"
    if len(data) != n or not data.isdigit() or not data.isascii():
        raise MalformedScan(f"ISBT 128 {what} must be {n} digits (cyyjjj{'hhmm' * with_time})")
    year, day_of_year = 2000 + int(data[:3]), int(data[3:6])
    first = date(year, 1, 1)
    last = (date(year + 1, 1, 1) - first).days
    if not 1 <= day_of_year <= last:
        raise MalformedScan(f"ISBT 128 {what}: day {day_of_year} does not exist in {year}")
    day = first + timedelta(days=day_of_year - 1)
    if not with_time:
        return Expiry(day)
    hh, mm = int(data[6:8]), int(data[8:10])
    if hh > 23 or mm > 59:
        raise MalformedScan(f"ISBT 128 {what}: {data[6:8]}:{data[8:10]} is not a time of day")
    return Expiry(day, time(hh, mm))


def _din_symbol(data: str, aim: str | None, source: str) -> Din:
    t = data.upper()
    if len(t) != DIN_LENGTH + 2:
        try:
            return parse_din(DIN_IDENTIFIER + t)  # typed: with its check character
        except IdentifierError as err:
            raise _din_error(err) from None
    try:
        din = parse_din_symbol(t)
    except IdentifierError as err:
        raise _din_error(err) from None
    if int(din.flags) in CHECK_FLAGS or aim == "C0" or (aim is None and source == "code128"):
        return din
    raise MalformedScan(
        f"DIN ={t} has no check character: a typed DIN needs the character printed in "
        "the box; a scanner must be set to send AIM identifiers (]C0)"
    )


def _din_error(err: IdentifierError) -> IdentifierError:
    """A wrong check character stays `CheckFailed` (a misread); anything else is malformed."""
    return err if isinstance(err, CheckFailed) else MalformedScan(str(err))


def parse_isbt(text: str, *, aim: str | None = None, source: str = "keyboard") -> IsbtData | None:
    """The ISBT 128 structure ``text`` (screened, AIM identifier removed) holds, or None.

    None when ``text`` starts with no data identifier read here; `MalformedScan`
    or `CheckFailed` when it does but the content is wrong.
    """
    if text.startswith(PRODUCT_CODE):
        return _product(text[2:])
    if text.startswith(EXPIRY_DATE):
        return _expiry(text[2:], with_time=False)
    if text.startswith(EXPIRY_DATE_TIME):
        return _expiry(text[2:], with_time=True)
    if text.startswith(DIN_IDENTIFIER) and text[1:2].upper() in _FIN_FIRST:
        return _din_symbol(text[1:], aim, source)
    return None


def typed_din(text: str) -> Din | None:
    """A DIN typed without ``=`` (13 characters, flags optional, check character), or None."""
    t = re.sub(r"[ \-\.\u00b7\[\]]+", "", text.upper())
    if not _DIN_TYPED.fullmatch(t):
        return None
    try:
        return parse_din(t)
    except IdentifierError as err:
        raise _din_error(err) from None


def names_no_bag(data: ProductCode | Expiry) -> str:
    """The refusal for a structure that names no bag or case."""
    if isinstance(data, ProductCode):
        what = f"the ISBT 128 product code {data} (Data Structure 003)"
    else:
        what = f"the ISBT 128 expiry {data} (Data Structure {data.structure})"
    return (
        f"{what} says what the product is or when it expires, not whose it is: "
        "scan the DIN, the COI or the bag's label"
    )
