"""The label payload carried by QR codes, and the parser for everything a scanner types.

Payload format ``CC1`` (format 1) is 25 upper-case alphanumeric characters::

    CC1 CHA99982600000 1U01 00A 7
    |   |                   |   +-- ISO 7064 Mod 37-2 check over the 24 characters before it
    |   |                   +------ print serial of this unit's labels, base 36, 3 characters
    |   +-------------------------- unit body: COI body + U + 2-digit unit number (18)
    +------------------------------ "CC" + format version "1"

Why this shape:

* Only 0-9 and A-Z (and ``*``, which Mod 37-2 may give as the check character),
  all in QR alphanumeric mode: version 2 at error-correction level Q.
* It names the unit *and* the print, so a reprint can void the label it replaces
  and a scan of the old label is refused.
* It holds identifiers only: no name, no date of birth, no MRN (21 CFR 1271.290).
* The check character covers the whole payload, prefix included, so every
  single-character misread and every swap of two neighbours is caught
  (property of Mod 37-2), and the fixed length and ``CC`` prefix mean a scan
  that lost characters at either end, or two scans run together, is malformed
  rather than a different valid code. Identifiers start with ``CH``, payloads
  with ``CC``: one can never be read as the other.

Accepted forms (`parse_scan`), and nothing else:

========================================  ==========================================
form                                      checked by
========================================  ==========================================
label payload ``CC1...`` (QR, typed)      its own Mod 37-2 over all 25 characters
unit id + check (groups allowed)          the unit id's Mod 37-2 check character
COI + check, ``&/`` in front allowed      the COI's Mod 37-2 check character
``]C0&/`` + 15-character COI body         the Code 128 symbol check (machine read)
========================================  ==========================================

ISBT 128 structures other than the COI (`isbt128`: DIN ``=``, product code ``=<``,
expiry ``=>`` and ``&>``) are parsed and checked here too, but name no case by
themselves: a product code or an expiry is refused saying what it is, and a DIN
(our own, or a manufacturer's linked to a case) is looked up by the scan gate
(`services.bags.identify`), which needs the database.

ISBT 128 never encodes the COI's check character in the Code 128 barcode; it
keeps it, printed in a box, for keyboard entry. So the check-less ``&/`` form is
a machine read only: accepted behind the AIM symbology identifier ``]C0``
(ISO/IEC 15424; set the scanner to transmit it), or where the caller states that
the input is a Code 128 read from a scanner set to send ``&/`` reads without one
(``source="code128"``). Typed, ``&/CHA999926000001`` is refused: its typo
``&/CHA999926000002`` would otherwise name another patient's case.

A scan may begin with an AIM symbology identifier: ``]C0`` Code 128, ``]Q0`` to
``]Q3`` QR Code, ``]d1``/``]d2`` Data Matrix. It is stripped and reported in
`Scanned.symbology`; any other ``]`` prefix is refused. Whatever the symbology,
content that carries a check character is checked by it. Only a space, CR, LF
and Tab at either end are stripped (a wedge's Enter or Tab suffix); any control,
format or non-ASCII character inside is refused (see `identifiers.screen`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from cart_chain.domain.din import Din
from cart_chain.domain.errors import CheckFailed, IdentifierError, MalformedScan
from cart_chain.domain.identifiers import (
    ALPHABET,
    COI_LENGTH,
    DATA_IDENTIFIER,
    Coi,
    UnitId,
    mod37_2,
    normalise,
    parse_any,
    parse_coi,
    parse_unit,
    screen,
)
from cart_chain.domain.isbt128 import names_no_bag, parse_isbt

PREFIX = "CC"
VERSION = "1"
SERIAL_LENGTH = 3
MAX_SERIAL = 36**SERIAL_LENGTH - 1
PAYLOAD_LENGTH = len(PREFIX) + len(VERSION) + 18 + SERIAL_LENGTH + 1

_DIGITS36 = ALPHABET[:36]
_PAYLOAD_CHARS = re.compile(r"[0-9A-Z]*")
_AIM = re.compile(r"\]([A-Za-z])([0-9A-Za-z])")
#: AIM symbology identifiers (ISO/IEC 15424) cart-chain reads, by what they name.
SYMBOLOGIES = {
    "C0": "Code 128",
    "Q0": "QR Code",
    "Q1": "QR Code",
    "Q2": "QR Code",
    "Q3": "QR Code",
    "d1": "Data Matrix",
    "d2": "Data Matrix",
}
#: The AIM identifier of a plain Code 128 read: the only one that may omit a check character.
CODE128 = "C0"
#: Where the text came from. ``"keyboard"``: a person, or a scanner sending AIM
#: identifiers. ``"code128"``: a scanner set to send Code 128 reads without one.
ScanSource = Literal["keyboard", "code128"]
SOURCES: tuple[ScanSource, ...] = ("keyboard", "code128")


def to_base36(value: int, width: int = SERIAL_LENGTH) -> str:
    if not 0 <= value < 36**width:
        raise ValueError(f"{value} does not fit in {width} base-36 characters")
    out = ""
    for _ in range(width):
        value, digit = divmod(value, 36)
        out = _DIGITS36[digit] + out
    return out


@dataclass(frozen=True, slots=True)
class LabelCode:
    """One printed label: the unit and the serial of this print of it."""

    unit: UnitId
    serial: int

    def __post_init__(self) -> None:
        if not 1 <= self.serial <= MAX_SERIAL:
            raise IdentifierError(f"label serial must be 1 to {MAX_SERIAL}")

    @property
    def payload(self) -> str:
        body = f"{PREFIX}{VERSION}{self.unit.body}{to_base36(self.serial)}"
        return body + mod37_2(body)

    @property
    def serial_text(self) -> str:
        """The serial as printed on the label (base 36, zero-padded)."""
        return to_base36(self.serial)

    def __str__(self) -> str:
        return self.payload


#: ``din``: a DIN this facility allocated; ``manufacturer``: an identifier linked to a case.
ScanKind = Literal["label", "unit", "coi", "din", "manufacturer"]


@dataclass(frozen=True, slots=True)
class Scanned:
    """What a scan or a typed code names. ``serial`` is set only for a label payload."""

    kind: ScanKind
    coi: Coi
    unit: UnitId | None = None
    serial: int | None = None
    symbology: str | None = None  # AIM identifier without "]", e.g. "C0", when one was sent
    linked: str | None = None  # what was read when it names the case indirectly ("lot L1")

    @property
    def label(self) -> LabelCode | None:
        if self.unit is None or self.serial is None:
            return None
        return LabelCode(self.unit, self.serial)


def _clean(text: str) -> str:
    t = screen(text)
    if not t:
        raise MalformedScan("nothing was scanned (empty input)")
    return t


def split_aim(text: str) -> tuple[str | None, str]:
    """(AIM symbology identifier without ``]``, or None; the data after it).

    ``text`` is already screened. A ``]`` at the start that is not a known
    identifier, or a second identifier after the first, is refused.
    """
    if not text.startswith("]"):
        return None, text
    m = _AIM.match(text)
    if m is None:
        raise MalformedScan(
            f"{_shown(text)} starts with ']' but not with an AIM symbology identifier"
        )
    aim = m.group(1) + m.group(2)
    if aim not in SYMBOLOGIES:
        raise MalformedScan(
            f"the scanner reports symbology ]{aim}, which no cart-chain label uses "
            "(Code 128 ]C0, QR Code ]Q1, Data Matrix ]d1)"
        )
    rest = text[3:]
    if not rest or rest[0] in "] \t":
        raise MalformedScan(f"nothing usable follows the symbology identifier ]{aim}")
    return aim, rest


def parse_payload(text: str) -> LabelCode:
    """Parse a label payload, and only that, or say precisely what is wrong with it."""
    t = _clean(text).upper()
    if not t.startswith(PREFIX):
        raise MalformedScan(f"{_shown(t)} is not a cart-chain label code (those start with CC)")
    if not (_PAYLOAD_CHARS.fullmatch(t[:-1]) and t[-1] in ALPHABET):
        bad = "".join(sorted({c for c in t[:-1] if c not in _DIGITS36} | ({t[-1]} - set(ALPHABET))))
        raise MalformedScan(f"label code contains characters that are not allowed: {bad!r}")
    version = t[len(PREFIX) : len(PREFIX) + 1]
    if version != VERSION:
        raise MalformedScan(
            f"label format {t[:3]!r} is not one this cart-chain reads "
            f"(expected {PREFIX}{VERSION}): a misread, or a label from a newer version"
        )
    if len(t) != PAYLOAD_LENGTH:
        raise MalformedScan(
            f"label code has {len(t)} characters, expected {PAYLOAD_LENGTH}: "
            "the scan was cut short or two scans ran together"
        )
    body, given = t[:-1], t[-1]
    if mod37_2(body) != given:
        raise CheckFailed(
            "label code check character does not match: the code was misread "
            "or damaged; scan again or type the unit id from the label"
        )
    unit_body = body[3:21]
    try:
        unit = parse_unit(unit_body + mod37_2(unit_body))
    except IdentifierError as err:  # a forged payload with a valid check: still refuse
        raise MalformedScan(f"label code does not contain a valid unit id: {err}") from None
    serial = int(body[21:], 36)
    if serial == 0:
        raise MalformedScan("label code carries serial 000, which is never issued")
    return LabelCode(unit, serial)


def _shown(t: str) -> str:
    return repr(t if len(t) <= 40 else t[:37] + "...")


def _check_failed_only(t: str) -> bool:
    """True when ``t`` would parse with a different check character: a misread, not junk."""
    if len(t) < 2:
        return False
    try:
        parse_any(t[:-1] + mod37_2(t[:-1]))
    except IdentifierError:
        return False
    return True


def _machine_coi(body: str, aim: str | None) -> Scanned:
    """The check-less ISBT 128 DS 040 body of a Code 128 read."""
    try:
        coi = parse_coi(body + mod37_2(body))
    except IdentifierError as err:
        raise MalformedScan(f"ISBT 128 COI &/{_shown(body)} is not valid: {err}") from None
    return Scanned("coi", coi, symbology=aim)


#: Pure, and asked twice a step (the reads named ahead, then the check itself): kept for
#: the last codes read. What it raises is not kept, so a bad code is refused every time.
@lru_cache(maxsize=256)
def parse_scan(text: str, *, source: ScanSource = "keyboard") -> Scanned:
    """Resolve any scanned or typed code to what it names, without touching a database.

    ``source`` says whether a check-less ``&/`` read without AIM identifier may be
    trusted as a Code 128 machine read (see the module docstring). Raises
    `MalformedScan` for anything that is not one of the accepted forms and
    `CheckFailed` for the right form with a wrong check character.
    """
    if source not in SOURCES:
        raise ValueError(f"scan source must be one of {SOURCES}, not {source!r}")
    aim, t = split_aim(_clean(text))
    upper = t.upper()
    if upper.startswith(PREFIX):
        code = parse_payload(upper)
        return Scanned("label", code.unit.coi, code.unit, code.serial, aim)
    if upper.startswith(DATA_IDENTIFIER):
        body = upper[len(DATA_IDENTIFIER) :]
        exact = len(body) == COI_LENGTH and _PAYLOAD_CHARS.fullmatch(body)
        if aim == CODE128:
            if not exact:  # ISBT 128 puts no check character (nor anything else) in the symbol
                raise MalformedScan(
                    f"Code 128 read {_shown(upper)} is not an ISBT 128 COI: expected &/ and "
                    f"the {COI_LENGTH}-character COI, nothing else"
                )
            return _machine_coi(body, aim)
        if exact and aim is None and source == "code128":
            return _machine_coi(body, aim)
        if exact:
            raise MalformedScan(
                f"{_shown(upper)} has no check character: a typed COI needs the check "
                "character printed in the box beside it (ISBT 128 does not put it in the "
                "barcode); a scanner must be set to send AIM identifiers (]C0)"
            )
    isbt = parse_isbt(t, aim=aim, source=source)  # raises for a broken ISBT 128 structure
    if isinstance(isbt, Din):
        raise MalformedScan(f"DIN {isbt.grouped()} names a collection, not one of our codes")
    if isbt is not None:
        raise MalformedScan(names_no_bag(isbt))
    try:
        ident = parse_any(t)
    except IdentifierError as err:
        if _check_failed_only(normalise(t)):
            raise CheckFailed(str(err)) from None
        raise MalformedScan(str(err)) from None
    if isinstance(ident, UnitId):
        return Scanned("unit", ident.coi, ident, symbology=aim)
    return Scanned("coi", ident, symbology=aim)
