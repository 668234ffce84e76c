"""Chain of Identity (COI) and unit identifiers, after ISBT 128 Data Structure 040.

A COI is ``CH`` + the 5-character facility identification number (FIN) + a
2-digit year + a 6-character sequence: 15 characters that never contain the
patient's name or MRN (21 CFR 1271.290). Typed and printed forms carry an
ISO 7064 Mod 37-2 check character computed over all 15 characters, as ISBT 128
does for keyboard entry. Mod 37-2 catches every single-character substitution
and every swap of two neighbours, the two errors people make when typing.

A unit (one bag) is the COI + ``U`` + a 2-digit unit number, with its own check
character over those 18 characters, so a unit id alone identifies its case.

Every input is screened first (`screen`): only a space, CR, LF or Tab is
stripped, and only at either end (what a keyboard wedge or a person adds);
inside the code anything but printable ASCII (and the middle dot some people
type between groups) is refused, never silently dropped. A control character
inside (NEL, a line or paragraph separator, GS, a bidi or zero-width mark) means
two scans ran together or the scanner sent keys of its own; a letter outside
ASCII (``é``, ``ß``, a full-width digit) means the scanner and the workstation
disagree about the keyboard layout. Either way the text is not what was printed.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from cart_chain.domain.errors import IdentifierError, MalformedScan

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ*"
_VALUE = {c: i for i, c in enumerate(ALPHABET)}

#: ISBT 128 data identifier of Data Structure 040, accepted in front of a scan.
DATA_IDENTIFIER = "&/"

#: ISBT 128 ST-001 facility identification number: the first character is A-N, P-Z or
#: 1-9 (never O, read as 0; never 0), then four digits. ST-001 lets positions 2-3
#: become letters one day; until ICCBBA assigns such a FIN they stay digits here.
FIN_REGEX = r"[A-NP-Z1-9][0-9]{4}"
FIN_PATTERN = re.compile(FIN_REGEX)
_COI_BODY = re.compile(rf"CH({FIN_REGEX})([0-9]{{2}})([0-9A-Z]{{6}})")
_UNIT_BODY = re.compile(rf"(CH{FIN_REGEX}[0-9]{{2}}[0-9A-Z]{{6}})U([0-9]{{2}})")
COI_LENGTH = 15
UNIT_LENGTH = 18
MAX_UNITS = 99

#: What a keyboard wedge (Enter, Tab, a CR/LF pair) or a person adds around a code.
EDGES = " \t\r\n"
#: The one character outside printable ASCII accepted inside a typed code (a separator).
_MIDDLE_DOT = "\u00b7"
# Characters people and printers put between groups; removed before parsing.
_SEPARATORS = re.compile(r"[ \-\.\u00b7\[\]]+")


def mod37_2(data: str) -> str:
    """ISO 7064 Mod 37-2 check character for ``data`` (0-9, A-Z)."""
    p = 0
    for ch in data:
        try:
            v = _VALUE[ch]
        except KeyError:
            raise IdentifierError(f"character {ch!r} is not allowed in an identifier") from None
        if ch == "*":
            raise IdentifierError("'*' may only appear as the check character")
        p = ((p + v) * 2) % 37
    return ALPHABET[(38 - p) % 37]


def validate_fin(fin: str) -> str:
    """Return the facility identification number normalised, or raise."""
    fin = fin.strip().upper()
    if not FIN_PATTERN.fullmatch(fin):
        raise IdentifierError(
            f"facility identification number {fin!r} must be a letter A-N or P-Z, or a digit "
            "1-9, then four digits (e.g. A9998 or 12345; never a leading O or 0)"
        )
    return fin


@dataclass(frozen=True, slots=True)
class Coi:
    """A case's Chain of Identity identifier (without its check character)."""

    body: str

    @classmethod
    def build(cls, fin: str, year: int, sequence: int) -> Coi:
        fin = validate_fin(fin)
        if not 0 <= sequence <= 999_999:
            raise IdentifierError("COI sequence exhausted for this facility and year")
        return cls(f"CH{fin}{year % 100:02d}{sequence:06d}")

    @property
    def check(self) -> str:
        return mod37_2(self.body)

    @property
    def fin(self) -> str:
        return self.body[2:7]

    @property
    def full(self) -> str:
        """Body plus check character: the form typed, stored in payloads and shown."""
        return self.body + self.check

    def grouped(self) -> str:
        """Groups short enough to read aloud and compare at the bedside."""
        b = self.body
        return f"{b[0:2]} {b[2:7]} {b[7:9]} {b[9:12]} {b[12:15]} [{self.check}]"

    def unit(self, number: int) -> UnitId:
        if not 1 <= number <= MAX_UNITS:
            raise IdentifierError(f"unit number must be 1 to {MAX_UNITS}")
        return UnitId(f"{self.body}U{number:02d}")

    def unit_code_range(self) -> tuple[str, str]:
        """[first, after): every unit code of this case sorts in it, no other code does
        (a unit code is the body, ``U``, two digits and a check character)."""
        return f"{self.body}U", f"{self.body}V"

    def __str__(self) -> str:
        return self.full


@dataclass(frozen=True, slots=True)
class UnitId:
    """One bag of a case: the COI body, ``U`` and a 2-digit unit number."""

    body: str

    @property
    def coi(self) -> Coi:
        return Coi(self.body[:COI_LENGTH])

    @property
    def number(self) -> int:
        return int(self.body[COI_LENGTH + 1 :])

    @property
    def check(self) -> str:
        return mod37_2(self.body)

    @property
    def full(self) -> str:
        return self.body + self.check

    def grouped(self) -> str:
        c = self.coi.grouped().rsplit(" [", 1)[0]
        return f"{c} U{self.number:02d} [{self.check}]"

    def __str__(self) -> str:
        return self.full


# Control characters have no Unicode name; these are the ones scanners and wedges send.
_CONTROL_NAMES = {
    0x00: "NUL",
    0x02: "STX",
    0x03: "ETX",
    0x04: "EOT",
    0x09: "TAB",
    0x0A: "LF",
    0x0B: "VT",
    0x0C: "FF",
    0x0D: "CR",
    0x1B: "ESC",
    0x1C: "FS",
    0x1D: "GS",
    0x1E: "RS",
    0x1F: "US",
    0x7F: "DEL",
    0x85: "NEL",
}


def _named(ch: str) -> str:
    name = unicodedata.name(ch, "") or _CONTROL_NAMES.get(ord(ch), "")
    return f"U+{ord(ch):04X}" + (f" {name}" if name else "")


def screen(text: str) -> str:
    """Strip edge whitespace; refuse every character inside that no printed code has.

    Raises `MalformedScan` naming the first offending character by code point
    (never echoing the rest, which may be a run-together second scan).
    """
    t = text.strip(EDGES)
    for ch in t:
        if " " <= ch <= "~" or ch == _MIDDLE_DOT:
            continue
        if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn"):
            raise MalformedScan(
                f"the scan contains a control character ({_named(ch)}) inside it: "
                "two scans ran together or the scanner sent extra keys; scan once more"
            )
        raise MalformedScan(
            f"the scan contains {ch!r} ({_named(ch)}), which no cart-chain code has: "
            "check that the scanner and the workstation use the same keyboard layout"
        )
    return t


def normalise(text: str) -> str:
    """Screen, upper-case and drop group separators and the ISBT data identifier."""
    t = _SEPARATORS.sub("", screen(text).upper())
    if t.startswith(DATA_IDENTIFIER):
        t = t[len(DATA_IDENTIFIER) :]
    return t


def _checked(text: str, body_len: int, what: str) -> tuple[str, str]:
    if len(text) == body_len:
        raise IdentifierError(
            f"{what} {text!r} has no check character: type all {body_len + 1} characters"
        )
    if len(text) != body_len + 1:
        raise IdentifierError(
            f"{what} must have {body_len + 1} characters with its check character, got {len(text)}"
        )
    body, given = text[:-1], text[-1]
    bad = sorted({c for c in body if c not in ALPHABET or c == "*"})
    if bad or given not in ALPHABET:
        shown = "".join(bad) or given
        raise IdentifierError(f"{what} contains characters that are not allowed: {shown!r}")
    return body, given


def _verify_check(body: str, given: str, what: str) -> None:
    expected = mod37_2(body)
    if given != expected:
        raise IdentifierError(
            f"{what} check character {given!r} does not match: "
            "a character was mistyped or misread, or two were swapped"
        )


def parse_coi(text: str) -> Coi:
    """Parse a typed or scanned COI with its check character, or raise precisely."""
    t = normalise(text)
    body, given = _checked(t, COI_LENGTH, "COI")
    if not _COI_BODY.fullmatch(body):
        raise IdentifierError(
            f"{t!r} is not a COI: expected CH, a facility number (A-N, P-Z or 1-9 + 4 digits), "
            "a 2-digit year and a 6-character sequence"
        )
    _verify_check(body, given, "COI")
    return Coi(body)


def parse_unit(text: str) -> UnitId:
    """Parse a typed or scanned unit id with its check character, or raise precisely."""
    t = normalise(text)
    body, given = _checked(t, UNIT_LENGTH, "unit id")
    m = _UNIT_BODY.fullmatch(body)
    if not m:
        raise IdentifierError(
            f"{t!r} is not a unit id: expected a COI followed by U and a 2-digit unit number"
        )
    if m.group(2) == "00":
        raise IdentifierError("unit number 00 does not exist; units start at 01")
    _verify_check(body, given, "unit id")
    return UnitId(body)


def parse_any(text: str) -> Coi | UnitId:
    """Parse either identifier, telling them apart by length."""
    t = normalise(text)
    if len(t) in (UNIT_LENGTH, UNIT_LENGTH + 1):
        return parse_unit(t)
    if len(t) in (COI_LENGTH, COI_LENGTH + 1):
        return parse_coi(t)
    raise IdentifierError(
        f"{text.strip()!r} is neither a COI ({COI_LENGTH + 1} characters) "
        f"nor a unit id ({UNIT_LENGTH + 1} characters)"
    )
