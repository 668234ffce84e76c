"""The effective values of a ledger entry after its corrections: the one fold.

An entry is never changed; a correction is a later entry naming it, a field, the
old and the new value. What every reader shows, searches, sorts and checks (the
case view, the case list, the bedside identity check, reports, `verify`'s case
index) is the entry's values with its corrections applied in ledger order, the
latest correction of a field winning. Written once here, over plain data, so no
reader can fold differently.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping
from typing import TypeVar

#: The pseudo-field a correction uses to void an event (its new value is the note why).
VOID = "void"

#: The correctable fields of a case (its enrolment entry), named as corrections name them.
CASE_FIELDS: tuple[str, ...] = ("patient_name", "patient_dob", "mrn", "product")

#: One correction of one field, as readers get it: (field, new value), in ledger order.
Fix = tuple[str, str | None]

V = TypeVar("V")


def effective(values: Mapping[str, V], fixes: Iterable[Fix]) -> dict[str, V | str | None]:
    """``values`` with each correction in ``fixes`` applied in order (latest wins).

    Only fields present in ``values`` are folded, so a reader asking for the
    patient fields is not handed a ``void`` or a ``reason``.
    """
    out: dict[str, V | str | None] = dict(values)
    for field, new in fixes:
        if field in out:
            out[field] = new
    return out


def effective_value(value: V, field: str, fixes: Iterable[Fix]) -> V | str | None:
    """One field's value after its corrections (see `effective`)."""
    return effective({field: value}, fixes)[field]


def voided(fixes: Iterable[Fix]) -> bool:
    """Whether a correction voided the entry (a void is never undone)."""
    return any(field == VOID for field, _ in fixes)


def search_key(text: str | None) -> str:
    """The form a text is searched and sorted by: case, accents and spacing do not count.

    NFKD splits accented letters so their marks can go (``Müller`` finds ``Muller``),
    ``casefold`` is Unicode's case-insensitive form, and runs of white space are one
    space. Typed by two people, the same name gives the same key.
    """
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())
