"""Every accepted scan form, proven exhaustively: no typo or swap names another bag.

Pure domain tests (no database): `parse_scan` either refuses a mutated input or
resolves it to the same case and unit as the original, for every single
substitution over the whole alphabet and every swap of two neighbours.
"""

from __future__ import annotations

import pytest

from cart_chain.domain.errors import IdentifierError, MalformedScan
from cart_chain.domain.identifiers import ALPHABET, Coi, UnitId, parse_coi, screen
from cart_chain.domain.labelcode import LabelCode, Scanned, parse_scan

#: Real identifiers: several facilities, years, sequences, and check characters
#: including '*' and digits, with units of them.
COIS = [
    Coi.build("A9999", 2026, 1),
    Coi.build("A9999", 2026, 2),
    Coi.build("W1234", 2025, 123456),
    Coi.build("Z0001", 2030, 999999),
    *[Coi.build("B0042", 2026, n) for n in range(3, 40)],
]
CHECKS = {c.check for c in COIS}
UNITS = [c.unit(n) for c in COIS[:6] for n in (1, 2, 12, 99)]
LABELS = [LabelCode(u, s) for u in UNITS[:8] for s in (1, 36, 46655)]
#: The whole alphabet a scan might carry: identifier characters, lower case, the
#: separators and the ISBT and AIM punctuation.
SUBSTITUTES = ALPHABET + "abcdefghijklmnopqrstuvwxyz&/]-. ·[@"
INNER_CONTROLS = "\x00\t\r\n\x1d\x1e\x1b\x7f\x85\u2028\u2029\u200b\u200d\u200e\u202e\u2066\ufeff"


def typed_forms(
    coi: Coi, unit: UnitId, label: LabelCode
) -> dict[str, tuple[str, Coi, UnitId | None]]:
    return {
        "coi": (coi.full, coi, None),
        "coi_grouped": (coi.grouped(), coi, None),
        "coi_isbt_typed": (f"&/{coi.full}", coi, None),
        "coi_in_qr": (f"]Q1{coi.full}", coi, None),
        "unit": (unit.full, unit.coi, unit),
        "unit_grouped": (unit.grouped(), unit.coi, unit),
        "unit_code128": (f"]C0{unit.full}", unit.coi, unit),
        "payload": (label.payload, label.unit.coi, label.unit),
        "payload_qr": (f"]Q1{label.payload}", label.unit.coi, label.unit),
        "payload_datamatrix": (f"]d1{label.payload}", label.unit.coi, label.unit),
    }


def _same_or_refused(text: str, coi: Coi, unit: UnitId | None) -> Scanned | None:
    try:
        r = parse_scan(text)
    except IdentifierError:
        return None
    assert r.coi == coi, (text, r)
    assert r.unit is None or r.unit == unit, (text, r)
    return r


def _near(text: str) -> set[str]:
    subs = {text[:i] + c + text[i + 1 :] for i in range(len(text)) for c in SUBSTITUTES}
    swaps = {text[:i] + text[i + 1] + text[i] + text[i + 2 :] for i in range(len(text) - 1)}
    return (subs | swaps) - {text}


def test_the_identifiers_cover_several_check_characters() -> None:
    assert "*" in CHECKS or len(CHECKS) > 20


@pytest.mark.parametrize("index", range(0, len(UNITS), 3))
def test_no_substitution_or_swap_of_a_typed_form_names_another_bag(index: int) -> None:
    unit = UNITS[index]
    label = LABELS[index % len(LABELS)]
    checked = 0
    for _form, (text, coi, want_unit) in typed_forms(unit.coi, unit, label).items():
        assert parse_scan(text).coi == coi
        for near in _near(text):
            _same_or_refused(near, coi, want_unit)
            checked += 1
    assert checked > 10_000


def test_no_mutation_of_the_code128_prefix_makes_a_typed_coi_pass_unchecked() -> None:
    for coi in COIS:
        text = f"]C0&/{coi.body}"
        assert parse_scan(text) == Scanned("coi", coi, symbology="C0")
        for near in _near(text):
            r = _same_or_refused_or_machine(near, coi)
            if r is not None and r.coi != coi:
                # only a clean Code 128 read of another COI body, which is a different barcode
                assert r.symbology == "C0" and near.startswith("]C0&/"), near


def _same_or_refused_or_machine(text: str, coi: Coi) -> Scanned | None:
    try:
        return parse_scan(text)
    except IdentifierError:
        return None


def test_a_typed_isbt_coi_needs_its_check_character() -> None:
    """Issue 10: a typo of ``&/CHA999926000001`` opened case 2; now it is refused."""
    one, two = COIS[0], COIS[1]
    assert two.body == one.body[:-1] + "2"
    for text in (f"&/{one.body}", f"&/{two.body}", f"&/{two.body.lower()}", f" &/{two.body}\n"):
        with pytest.raises(MalformedScan, match="no check character"):
            parse_scan(text)
    assert parse_scan(f"&/{two.full}").coi == two
    assert parse_scan(f"]C0&/{two.body}").coi == two
    assert parse_scan(f"&/{two.body}", source="code128").coi == two
    with pytest.raises(MalformedScan):  # ISBT 128 never encodes the check in the symbol
        parse_scan(f"]C0&/{two.full}")
    with pytest.raises(ValueError):
        parse_scan(two.full, source="wedge")  # type: ignore[arg-type]


@pytest.mark.parametrize("ch", list(INNER_CONTROLS))
def test_control_characters_inside_any_form_are_refused_not_stripped(ch: str) -> None:
    unit, label = UNITS[0], LABELS[0]
    for text, _coi, _unit in typed_forms(unit.coi, unit, label).values():
        for i in range(1, len(text)):
            with pytest.raises(MalformedScan):
                parse_scan(text[:i] + ch + text[i:])
    with pytest.raises(MalformedScan):
        parse_coi(COIS[0].full[:5] + ch + COIS[0].full[5:])


def test_only_cr_lf_tab_and_space_are_stripped_at_the_edges() -> None:
    unit = UNITS[0]
    for edge in ("\r\n", "\n", "\t", " ", "\r\n\r\n", "\t\n"):
        assert parse_scan(edge + unit.full + edge).unit == unit
        assert parse_scan(unit.full + edge).unit == unit
    for edge in ("\x1d", "\x85", "\u2028", "\ufeff", "\x00", "\x0b"):
        with pytest.raises(MalformedScan):
            parse_scan(unit.full + edge)
        with pytest.raises(MalformedScan):
            parse_scan(edge + unit.full)
    assert screen("  x\t") == "x"


def test_aim_prefixes_are_recognised_and_unknown_ones_refused() -> None:
    unit, label = UNITS[0], LABELS[0]
    assert parse_scan(f"]Q1{label.payload}").symbology == "Q1"
    assert parse_scan(f"]d1{label.payload}").unit == label.unit
    assert parse_scan(f"]C0{unit.full}").symbology == "C0"
    for bad in ("]C1", "]E0", "]X0", "]A0", "]", "]C", "]Q1]Q1"):
        with pytest.raises(MalformedScan):
            parse_scan(bad + unit.full)
    with pytest.raises(MalformedScan, match="nothing usable"):
        parse_scan("]C0")


@pytest.mark.parametrize(
    "text",
    [
        "ＣＨＡ９９９９２６００００００１",
        "CHA9999260000ß1",
        "CHA99992600000ı",
        "/-CHA999926000001",  # a US scanner on a German layout sends &/ as /-
    ],
)
def test_keyboard_layout_mixups_are_refused(text: str) -> None:
    with pytest.raises(IdentifierError):
        parse_scan(text)
