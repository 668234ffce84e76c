"""How the new value of each correctable field is checked: typed text in, stored text out.

The entry kinds' declarations name these (``Kind.correctable``); `services.corrections`
calls them inside the correction's transaction, before anything is written.
"""

from __future__ import annotations

from collections.abc import Callable

from cart_chain.domain.clock import parse_dob, parse_user_time, utc_iso
from cart_chain.domain.collection import clean_anticoagulant, parse_volume
from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.manufacturer import link_value
from cart_chain.domain.temperature import parse_temperature
from cart_chain.domain.text import (
    clean_location,
    clean_name,
    clean_note,
    clean_reason,
)

Checker = Callable[[str], str]


def location(value: str) -> str:
    return clean_location(value, "location") or ""


def note(value: str) -> str:
    return clean_note(value, "note") or ""


def temperature(value: str) -> str:
    return str(parse_temperature(value))


def moment(value: str) -> str:
    return utc_iso(parse_user_time(value))


def dob(value: str) -> str:
    return parse_dob(value)


def volume(value: str) -> str:
    """A collection's volume in mL (0 < v <= 2000), stored as its float text ("450.0")."""
    parsed = parse_volume(value)
    if parsed is None:
        raise InvalidValue("the corrected volume cannot be empty")
    return str(parsed)


def anticoagulant(value: str) -> str:
    cleaned = clean_anticoagulant(value)
    if cleaned is None:
        raise InvalidValue("the corrected anticoagulant cannot be empty")
    return cleaned


def link(kind: str) -> Checker:
    """A linked identifier's new value in its canonical form; empty takes it off."""

    def check(value: str) -> str:
        return "" if not value.strip() else link_value(kind, value)

    return check


def required(field: str, clean: Callable[[str, str], str] = clean_name) -> Checker:
    """A checker for a field that cannot be emptied by a correction."""

    def check(value: str) -> str:
        if not value.strip():
            raise InvalidValue("the corrected value cannot be empty")
        return clean(value, field)

    return check


def reason(value: str) -> str:
    return required("reason", clean_reason)(value)
