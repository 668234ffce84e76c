"""COI and unit identifiers: ISBT 128 Mod 37-2 checks catch every typing error they must."""

from __future__ import annotations

import pytest

from cart_chain.domain.errors import IdentifierError
from cart_chain.domain.identifiers import (
    ALPHABET,
    MAX_UNITS,
    Coi,
    UnitId,
    mod37_2,
    parse_any,
    parse_coi,
    parse_unit,
    validate_fin,
)

BODY_CHARS = ALPHABET[:-1]  # '*' is only ever a check character


def test_iso_7064_examples_from_isbt128() -> None:
    assert mod37_2("G123498654321") == "H"
    assert mod37_2("A999818123456") == "N"


def test_coi_structure_follows_data_structure_040() -> None:
    coi = Coi.build("W1234", 2026, 42)
    assert coi.body == "CHW123426000042"
    assert len(coi.full) == 16 and coi.full[-1] == mod37_2(coi.body)
    assert coi.fin == "W1234"
    assert coi.grouped() == f"CH W1234 26 000 042 [{coi.check}]"
    unit = coi.unit(3)
    assert unit.body == "CHW123426000042U03" and unit.coi == coi and unit.number == 3


@pytest.mark.parametrize(
    "ident", [Coi.build("W1234", 2026, 42), Coi.build("A9999", 2026, 7).unit(2)]
)
def test_every_single_substitution_is_caught(ident: Coi | UnitId) -> None:
    full = ident.full
    parse = parse_coi if isinstance(ident, Coi) else parse_unit
    assert parse(full) == ident
    for i, original in enumerate(full):
        for c in ALPHABET:
            if c == original:
                continue
            typo = full[:i] + c + full[i + 1 :]
            with pytest.raises(IdentifierError):
                parse(typo)


@pytest.mark.parametrize(
    "ident", [Coi.build("W1234", 2026, 123456), Coi.build("B0042", 2025, 9).unit(12)]
)
def test_every_adjacent_swap_is_caught(ident: Coi | UnitId) -> None:
    full = ident.full
    parse = parse_coi if isinstance(ident, Coi) else parse_unit
    swaps = 0
    for i in range(len(full) - 1):
        if full[i] == full[i + 1]:
            continue
        swapped = full[:i] + full[i + 1] + full[i] + full[i + 2 :]
        swaps += 1
        with pytest.raises(IdentifierError):
            parse(swapped)
    assert swaps > 5


def test_typed_forms_are_accepted() -> None:
    coi = Coi.build("W1234", 2026, 42)
    for typed in (
        coi.full,
        coi.full.lower(),
        coi.grouped(),
        f"  {coi.full}\n",
        f"&/{coi.full}",
        coi.grouped().replace(" ", "-"),
    ):
        assert parse_coi(typed) == coi
    unit = coi.unit(1)
    assert parse_any(unit.grouped()) == unit
    assert parse_any(coi.full) == coi


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("CHW123426000042", "no check character"),
        ("CHW12342600004", "must have 16 characters"),
        ("XXW123426000042A", "is not a COI"),
        ("CHW1234260000@2A", "not allowed"),
        ("hello", "neither a COI"),
    ],
)
def test_malformed_identifiers_say_what_is_wrong(text: str, message: str) -> None:
    with pytest.raises(IdentifierError, match=message):
        parse_coi(text) if "neither" not in message else parse_any(text)


def test_unit_zero_and_bad_fin_refused() -> None:
    body = "CHW123426000042U00"
    with pytest.raises(IdentifierError, match="00"):
        parse_unit(body + mod37_2(body))
    with pytest.raises(IdentifierError):
        validate_fin("1234")
    with pytest.raises(IdentifierError):
        Coi.build("W1234", 2026, 1).unit(0)


def test_wrong_check_character_names_the_cause() -> None:
    coi = Coi.build("W1234", 2026, 42)
    wrong = next(c for c in BODY_CHARS if c != coi.check)
    with pytest.raises(IdentifierError, match="mistyped or misread, or two were swapped"):
        parse_coi(coi.body + wrong)


@pytest.mark.parametrize("fin", ["A9998", "N0001", "P1234", "Z9999", "12345", "90000"])
def test_fin_first_character_follows_st001(fin: str) -> None:
    """ST-001: a FIN starts with A-N, P-Z or 1-9, and its COIs parse."""
    assert validate_fin(fin.lower()) == fin
    coi = Coi.build(fin, 2026, 7)
    assert parse_coi(coi.full) == coi


@pytest.mark.parametrize("fin", ["O1234", "01234", "AB123", "A123", "A12345", "*1234"])
def test_fin_with_leading_o_or_zero_is_refused(fin: str) -> None:
    """Regression: ``[A-Z][0-9]{4}`` let a leading O through (read as 0) and refused 1-9."""
    with pytest.raises(IdentifierError, match="never a leading O"):
        validate_fin(fin)


def test_coi_of_a_facility_starting_with_o_is_not_a_coi() -> None:
    body = "CHO123426000042"
    with pytest.raises(IdentifierError, match="is not a COI"):
        parse_coi(body + mod37_2(body))


def test_a_case_unit_code_range_holds_its_units_and_no_other_case_s() -> None:
    """A scan reads a case's steps by this range (`services.bag_state`)."""
    coi = Coi.build("A9999", 2026, 41)
    first, after = coi.unit_code_range()
    for n in range(1, MAX_UNITS + 1):
        assert first <= coi.unit(n).full < after
    for other in (Coi.build("A9999", 2026, 40), Coi.build("A9999", 2026, 42)):
        assert not first <= other.unit(1).full < after
        assert not first <= other.full < after
    assert not first <= coi.full < after  # the case's own code is not a bag's
