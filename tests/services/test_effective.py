"""The one fold of corrections (`domain.effective`), against an independent reading.

The reference below reads the rule directly — a field's value
is the new value of its latest correction, else the original — by scanning the
corrections backwards, where the fold applies them forwards.
"""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from cart_chain.domain.effective import (
    CASE_FIELDS,
    VOID,
    effective,
    effective_value,
    search_key,
    voided,
)

FIELDS = [*CASE_FIELDS, "location", VOID]
values = st.one_of(st.none(), st.text(max_size=6))
fixes = st.lists(st.tuples(st.sampled_from(FIELDS), values), max_size=12)
originals = st.dictionaries(st.sampled_from(FIELDS[:-1]), st.text(max_size=6))


def latest(original: object, field: str, corrections: list[tuple[str, str | None]]) -> object:
    for f, new in reversed(corrections):
        if f == field:
            return new
    return original


@given(originals, fixes)
def test_the_fold_is_the_latest_correction_of_each_field(values_, corrections) -> None:  # type: ignore[no-untyped-def]
    folded = effective(values_, corrections)
    assert set(folded) == set(values_)  # no field is invented (no "void" in the patient)
    for field, original in values_.items():
        assert folded[field] == latest(original, field, corrections)
        assert effective_value(original, field, corrections) == folded[field]
    assert voided(corrections) == any(f == VOID for f, _ in corrections)


def test_search_keys_ignore_case_accents_and_spacing() -> None:
    assert search_key("  Zoë   MÜLLER ") == search_key("zoe muller") == "zoe muller"
    assert search_key("Straße") == "strasse"  # casefold, not lower
    assert search_key("山田 太郎") == "山田 太郎"
    assert search_key(None) == search_key("") == ""
