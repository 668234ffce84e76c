"""What text may be stored: one set of limits and one set of refused characters.

A record is read by people under time pressure and printed on labels and
reports. Characters that do not show (zero-width), that reorder what is shown
(bidirectional overrides, the "Trojan Source" trick), or that drive a terminal
(ANSI escapes start with the C0 control ESC) could make two different names look
alike or hide text, so they are refused rather than stored; NUL bytes and lone
surrogates cannot be stored by PostgreSQL at all. Every service that stores
typed text passes it through one of these functions first.
"""

from __future__ import annotations

import re
import unicodedata

from cart_chain.domain.errors import InvalidValue

NAME_LIMIT = 200
LOCATION_LIMIT = 200
NOTE_LIMIT = 2000
REASON_LIMIT = 2000
IDENTIFIER_LIMIT = 64

#: C0 controls, DEL and C1 controls; line and paragraph separators; bidirectional
#: marks, embeddings, overrides and isolates; zero-width characters and the BOM;
#: lone surrogates (what undecodable bytes in a command line become).
_INVISIBLE = (
    "\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
    "\u200b-\u200d\u2060\ufeff\ud800-\udfff"
)
_SINGLE_LINE = re.compile(f"[\x00-\x1f{_INVISIBLE}]")
#: In notes and reasons a newline and a tab are part of what was typed.
_MULTI_LINE = re.compile(f"[\x00-\x08\x0b-\x1f{_INVISIBLE}]")


def _refuse_invisible(value: str, field: str, pattern: re.Pattern[str]) -> None:
    bad = pattern.search(value)
    if bad is not None:
        char = bad.group()
        name = unicodedata.name(char, "a control character")
        raise InvalidValue(
            f"{field} contains U+{ord(char):04X} ({name.lower()}) at position {bad.start() + 1}: "
            "control, invisible and direction-changing characters are not allowed; "
            "type the text again"
        )


def _check_length(value: str, field: str, limit: int) -> None:
    if len(value) > limit:
        raise InvalidValue(f"{field} is longer than {limit} characters ({len(value)} given)")


def single_line(value: str, field: str, limit: int, *, required: bool = True) -> str:
    """One line of text: refused characters checked, NFC, runs of spaces made one."""
    if not isinstance(value, str):
        raise InvalidValue(f"{field} must be text")
    _refuse_invisible(value, field, _SINGLE_LINE)
    v = " ".join(unicodedata.normalize("NFC", value).split())
    if required and not v:
        raise InvalidValue(f"{field} is required")
    _check_length(v, field, limit)
    return v


def multi_line(value: str, field: str, limit: int, *, required: bool = False) -> str:
    """Free text that may keep its line breaks (Windows line ends become newlines)."""
    if not isinstance(value, str):
        raise InvalidValue(f"{field} must be text")
    value = value.replace("\r\n", "\n")
    _refuse_invisible(value, field, _MULTI_LINE)
    v = unicodedata.normalize("NFC", value).strip()
    if required and not v:
        raise InvalidValue(f"{field} is required")
    _check_length(v, field, limit)
    return v


def clean_name(value: str, field: str = "name") -> str:
    """A person's or product's name: required, one line, at most 200 characters."""
    return single_line(value, field, NAME_LIMIT)


def clean_identifier(value: str, field: str, limit: int = IDENTIFIER_LIMIT) -> str:
    """A typed identifier such as an MRN: required, one line, short."""
    return single_line(value, field, limit)


def clean_location(value: str | None, field: str = "location") -> str | None:
    """An optional place (or condition): one line, at most 200 characters; blank is None."""
    if value is None:
        return None
    return single_line(value, field, LOCATION_LIMIT, required=False) or None


def clean_note(value: str | None, field: str = "note") -> str | None:
    """An optional note: newlines kept, at most 2,000 characters; blank is None."""
    if value is None:
        return None
    return multi_line(value, field, NOTE_LIMIT) or None


def clean_reason(value: str, field: str = "reason", *, required: bool = True) -> str:
    """Why something was done: required, at most 2,000 characters, spaces collapsed.

    A newline typed in a reason is accepted and becomes a space, as reasons are
    shown on one line in the audit trail.
    """
    if not isinstance(value, str):
        raise InvalidValue(f"{field} must be text")
    _refuse_invisible(value.replace("\r\n", "\n"), field, _MULTI_LINE)
    v = " ".join(unicodedata.normalize("NFC", value).split())
    if required and not v:
        raise InvalidValue(f"{field} is required")
    _check_length(v, field, REASON_LIMIT)
    return v


_UNSHOWABLE = re.compile(f"[\\x00-\\x08\\x0b-\\x1f{_INVISIBLE}]")


def printable(value: str) -> str:
    """``value`` safe to print to a terminal: controls and invisible characters as ``\\xNN``.

    Text stored before these rules (or imported) may still hold an ANSI escape;
    shown raw it could recolour, hide or rewrite what the terminal shows.
    """
    return _UNSHOWABLE.sub(lambda m: f"\\x{ord(m.group()):02x}", value)
