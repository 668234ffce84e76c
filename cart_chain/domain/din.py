"""The ISBT 128 Donation Identification Number (DIN), Data Structure 001.

A DIN names one collection (one apheresis): the collecting facility's FIN (5),
the 2-digit year and a 6-digit sequence the facility allocates, 13 characters.
The barcode (Code 128) carries ``=`` + those 13 + two flag characters; the
keyboard check character (ISO 7064 Mod 37-2 over the 13 characters, the same
check as the COI's) is printed in a box and never encoded in the barcode. The
COI links the collections of one therapy and does not replace their DINs.

Flag characters (ST-001): ``00``-``59`` are process-control flags (``00`` when
none is used); ``60``-``96`` carry the check character itself (its Mod 37-2
value + 60), so a read with such flags can be checked without the printed box.
Other flag values are refused rather than guessed at.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from cart_chain.domain.errors import CheckFailed, IdentifierError
from cart_chain.domain.identifiers import ALPHABET, FIN_REGEX, mod37_2, screen, validate_fin

#: The data identifier of Data Structure 001 (the FIN's first character is its second).
DIN_IDENTIFIER = "="
DIN_LENGTH = 13
MAX_SEQUENCE = 999_999
NO_FLAGS = "00"
#: Flag values that carry the check character: 60 + its Mod 37-2 value (0-36).
CHECK_FLAGS = range(60, 97)
_BODY = re.compile(rf"({FIN_REGEX})([0-9]{{2}})([0-9]{{6}})")
_SEPARATORS = re.compile(r"[ \-\.\u00b7\[\]]+")


def check_flags(body: str) -> str:
    """The two flag characters that encode ``body``'s check character (type 2 flags)."""
    return f"{60 + ALPHABET.index(mod37_2(body)):02d}"


def _valid_flags(body: str, flags: str) -> str:
    if len(flags) != 2 or not flags.isdigit() or not flags.isascii():
        raise IdentifierError(f"DIN flag characters {flags!r} must be two digits (00 to 96)")
    value = int(flags)
    if value in CHECK_FLAGS and flags != check_flags(body):
        raise CheckFailed(
            f"DIN flags {flags} carry a check character that does not match the DIN: "
            "a character was misread, or two were swapped"
        )
    if value > CHECK_FLAGS.stop - 1:
        raise IdentifierError(f"DIN flag value {flags} is not defined by ISBT 128 (00 to 96)")
    return flags


def _valid_body(body: str) -> str:
    if not _BODY.fullmatch(body):
        raise IdentifierError(
            f"{body!r} is not a DIN: expected a facility number (A-N, P-Z or 1-9 + 4 "
            "digits), a 2-digit year and a 6-digit sequence"
        )
    return body


@dataclass(frozen=True, slots=True)
class Din:
    """One collection's DIN (13 characters) and the flag characters it was read with."""

    body: str
    flags: str = NO_FLAGS

    def __post_init__(self) -> None:
        _valid_body(self.body)
        _valid_flags(self.body, self.flags)

    @classmethod
    def build(cls, fin: str, year: int, sequence: int) -> Din:
        fin = validate_fin(fin)
        if not 1 <= sequence <= MAX_SEQUENCE:
            raise IdentifierError("DIN sequence exhausted for this facility and year")
        return cls(f"{fin}{year % 100:02d}{sequence:06d}")

    @property
    def fin(self) -> str:
        return self.body[:5]

    @property
    def year(self) -> int:
        return int(self.body[5:7])

    @property
    def sequence(self) -> int:
        return int(self.body[7:])

    @property
    def check(self) -> str:
        return mod37_2(self.body)

    @property
    def full(self) -> str:
        """DIN and keyboard check character: the form stored, typed and shown."""
        return self.body + self.check

    @property
    def barcode(self) -> str:
        """Data Structure 001 as the Code 128 symbol carries it (no check character)."""
        return DIN_IDENTIFIER + self.body + self.flags

    def grouped(self) -> str:
        """The eye-readable form: FIN, year, sequence, flags, the boxed check character."""
        b = self.body
        return f"{b[:5]} {b[5:7]} {b[7:]} {self.flags} [{self.check}]"

    def __str__(self) -> str:
        return self.full


def parse_din(text: str) -> Din:
    """A typed DIN: 13 characters + check, or 13 + 2 flags + check; ``=`` in front allowed.

    Group separators (spaces, dashes, the brackets of the check box) are dropped.
    """
    t = _SEPARATORS.sub("", screen(text).upper())
    if t.startswith(DIN_IDENTIFIER):
        t = t[len(DIN_IDENTIFIER) :]
    if len(t) == DIN_LENGTH:
        raise IdentifierError(
            f"DIN {t!r} has no check character: type the character printed in the box"
        )
    if len(t) not in (DIN_LENGTH + 1, DIN_LENGTH + 3):
        raise IdentifierError(
            f"a DIN has {DIN_LENGTH} characters and its check character "
            f"(flags optional before the check), got {len(t)}"
        )
    body, flags, given = t[:DIN_LENGTH], t[DIN_LENGTH:-1] or NO_FLAGS, t[-1]
    _valid_body(body)
    if given != mod37_2(body):
        raise CheckFailed(
            f"DIN check character {given!r} does not match: a character was mistyped "
            "or misread, or two were swapped"
        )
    return Din(body, _valid_flags(body, flags))


def parse_din_symbol(data: str) -> Din:
    """The data of a Code 128 DIN symbol: 13 characters + 2 flags, ``=`` already removed."""
    if len(data) != DIN_LENGTH + 2:
        raise IdentifierError(
            f"an ISBT 128 DIN symbol carries {DIN_LENGTH} characters and 2 flags, "
            f"got {len(data)} characters"
        )
    return Din(_valid_body(data[:DIN_LENGTH]), _valid_flags(data[:DIN_LENGTH], data[DIN_LENGTH:]))
