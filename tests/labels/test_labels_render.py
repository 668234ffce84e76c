"""Rendering: every kind, resolution and format is decoded by zxing-cpp.

PNG is decoded as written; PDF after rasterising with poppler (a renderer that
shares nothing with reportlab); ZPL after `zpl_to_image` (see
tests/labels/helpers.py for what that does and does not prove).
"""

from __future__ import annotations

import io
import json
from importlib import resources

import pytest
from PIL import Image
from pypdf import PdfReader

from cart_chain.domain.din import Din
from cart_chain.domain.errors import InvalidValue, UsageError
from cart_chain.domain.isbt128 import ProductCode, parse_isbt
from cart_chain.domain.label_layout import load_layout, parse_layout
from cart_chain.domain.labelcode import LabelCode, parse_scan
from cart_chain.labels.plan import SymbolOp, TextOp, plan
from cart_chain.labels.render import format_of, render
from tests.labels.helpers import (
    DPIS,
    KINDS,
    decode,
    pdf_to_image,
    sample_data,
    unit_id,
    zpl_commands,
    zpl_to_image,
)

CODE = LabelCode(unit_id(seq=4321, number=2), 7)


def _template(kind: str) -> dict:  # type: ignore[type-arg]
    path = resources.files("cart_chain") / "resources" / "labels" / f"{kind}.json"
    return json.loads(path.read_text(encoding="utf-8"))


def _expected(kind: str) -> list[tuple[str, str]]:
    data = sample_data(kind, CODE)
    isbt = [("Code128", data.din_barcode), ("Code128", data.product_code_barcode)]
    if kind == "container":
        return sorted(
            [
                ("Code128", data.coi_isbt),
                ("Code128", data.payload),
                ("DataMatrix", data.payload),
                *isbt,
            ]
        )
    if kind == "collection":
        return sorted([("DataMatrix", data.payload), *isbt])
    return [("QRCode", data.payload)]


@pytest.mark.parametrize("dpi", DPIS)
@pytest.mark.parametrize("kind", KINDS)
def test_png_is_exact_size_and_every_symbol_decodes(kind: str, dpi: int) -> None:
    layout = load_layout(kind)
    png = render(layout, sample_data(kind, CODE), "png", dpi)
    img = Image.open(io.BytesIO(png))
    assert img.size == (round(layout.width_mm / 25.4 * dpi), round(layout.height_mm / 25.4 * dpi))
    assert img.mode == "1"  # bilevel, as a thermal printer prints
    assert [round(v) for v in img.info["dpi"]] == [dpi, dpi]
    found = decode(img)
    assert found == _expected(kind)
    data = sample_data(kind, CODE)
    for fmt, text in found:
        # a scanner set up as the README says sends Code 128 reads with their AIM ]C0
        sent = ("]C0" if fmt == "Code128" else "") + text
        if text in (data.din_barcode, data.product_code_barcode):  # ISBT 128, read as such
            isbt = parse_isbt(sent[3:], aim="C0")
            assert isinstance(isbt, Din if text == data.din_barcode else ProductCode)
            if isinstance(isbt, Din):
                assert (isbt.body, isbt.check) == ("A999926000001", data.din_check)
            else:
                assert isbt.code == data.product_code
            continue
        scanned = parse_scan(sent)
        assert scanned.coi == CODE.unit.coi
        if scanned.kind == "label":
            assert scanned.label == CODE


@pytest.mark.parametrize("kind", KINDS)
def test_pdf_has_the_exact_label_size_and_decodes_when_rasterised(kind: str) -> None:
    layout = load_layout(kind)
    pdf = render(layout, sample_data(kind, CODE), "pdf", 300)
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert float(page.mediabox.width) == pytest.approx(layout.width_mm / 25.4 * 72, abs=0.01)
    assert float(page.mediabox.height) == pytest.approx(layout.height_mm / 25.4 * 72, abs=0.01)
    text = page.extract_text()
    assert "12 APR 1968" in text and "Kymriah" in text
    assert decode(pdf_to_image(pdf, 300)) == _expected(kind)


@pytest.mark.parametrize("dpi", DPIS)
@pytest.mark.parametrize("kind", KINDS)
def test_zpl_declares_size_in_dots_and_its_symbols_decode(kind: str, dpi: int) -> None:
    layout = load_layout(kind)
    data = sample_data(kind, CODE)
    zpl = render(layout, data, "zpl", dpi).decode("ascii")
    params = dict(zpl_commands(zpl))
    assert (int(params["PW"]), int(params["LL"])) == layout.size_px(dpi)
    fields = [p for c, p in zpl_commands(zpl) if c == "FD"]
    isbt = [data.din_barcode, data.product_code_barcode]
    if kind == "container":
        assert sorted(fields) == sorted([data.coi_isbt, data.payload, data.payload, *isbt])
    elif kind == "collection":
        assert sorted(fields) == sorted([data.payload, *isbt])
    else:
        assert fields == [f"QA,{data.payload}"]
    img = zpl_to_image(zpl)
    assert decode(img) == _expected(kind)
    # The graphic part carries the text: the ZPL image matches the PNG outside the symbols.
    png = Image.open(io.BytesIO(render(layout, data, "png", dpi))).convert("L")
    assert png.size == img.size
    differing = sum(1 for a, b in zip(png.tobytes(), img.tobytes(), strict=True) if a != b)
    assert differing / (img.width * img.height) < 0.002


def test_text_shows_bedside_identifiers_in_groups_with_boxed_checks() -> None:
    p = plan(load_layout("bag"), sample_data("bag", CODE), 300)
    texts = {op.text: op for op in p.ops if isinstance(op, TextOp)}
    coi = CODE.unit.coi
    grouped = coi.grouped().rsplit(" [", 1)[0]
    assert texts[grouped].check == coi.check and texts[grouped].check_box is not None
    unit_grouped = CODE.unit.grouped().rsplit(" [", 1)[0]
    assert texts[unit_grouped].check == CODE.unit.check
    for needed in ("María José García", "12 APR 1968", "bag 2 of 3", "BAG LABEL"):
        assert needed in texts
    # identifiers are set in the mono font that tells 0 from O and 1 from I
    assert {key for _, key in texts[grouped].lines[0].runs} == {"mono-bold"}


def test_non_latin_names_use_a_fallback_font_and_still_render() -> None:
    data = sample_data("bag", CODE, name="山田 太郎")
    p = plan(load_layout("bag"), data, 300)
    name = next(op for op in p.ops if isinstance(op, TextOp) and "山田" in op.text)
    assert name.lines[0].runs[0][1] == "cjk"
    assert decode(Image.open(io.BytesIO(render(load_layout("bag"), data, "png", 300)))) == [
        ("QRCode", CODE.payload)
    ]


def test_a_character_no_font_has_is_refused_not_printed_as_boxes() -> None:
    data = sample_data("bag", CODE, name="Anna \ue000")  # private use: in no font
    with pytest.raises(InvalidValue, match="no label font"):
        render(load_layout("bag"), data, "png", 300)


def test_a_long_name_shrinks_then_wraps_then_is_refused_rather_than_cut() -> None:
    layout = load_layout("bag")
    nominal = round(5.2 / 25.4 * 300)
    longer = "María de los Ángeles Fernández"
    op = next(
        o
        for o in plan(layout, sample_data("bag", CODE, name=longer), 300).ops
        if isinstance(o, TextOp) and o.text == longer
    )
    assert len(op.lines) == 1 and op.size < nominal
    longest = "Maximiliane Alexandra Konstantinopoulou-Papadopoulou"
    op = next(
        o
        for o in plan(layout, sample_data("bag", CODE, name=longest), 300).ops
        if isinstance(o, TextOp) and o.text == longest
    )
    assert [("".join(t for t, _ in ln.runs)) for ln in op.lines] == [
        "Maximiliane Alexandra",
        "Konstantinopoulou-Papadopoulou",
    ]
    assert op.lines[1].baseline > op.lines[0].baseline
    for kind in KINDS:  # every template either shows the whole name or refuses
        with pytest.raises(InvalidValue, match="does not fit"):
            plan(load_layout(kind), sample_data(kind, CODE, name="X" * 120), 300)


def test_barcode_modules_are_whole_dots_of_at_least_two() -> None:
    for kind in KINDS:
        for dpi in DPIS:
            for op in plan(load_layout(kind), sample_data(kind, CODE), dpi).ops:
                if isinstance(op, SymbolOp):
                    assert isinstance(op.module, int) and op.module >= 2


def test_templates_are_validated_before_use() -> None:
    raw = _template("bag")
    ok = parse_layout(json.dumps(raw))
    assert ok.ref == f"bag@{raw['revision']}" and len(ok.sha256) == 64
    off = json.loads(json.dumps(raw))
    off["elements"][0]["x_mm"] = 90  # band 62 mm wide would stick out of a 100 mm label
    with pytest.raises(InvalidValue, match="outside"):
        parse_layout(json.dumps(off))
    no_name = json.loads(json.dumps(raw))
    no_name["elements"] = [e for e in raw["elements"] if "{patient_name}" not in e.get("text", "")]
    with pytest.raises(InvalidValue, match="patient_name"):
        parse_layout(json.dumps(no_name))
    unknown = json.loads(json.dumps(raw))
    unknown["elements"].append({"type": "text", "x_mm": 1, "y_mm": 1, "w_mm": 5, "text": "{mrn}"})
    with pytest.raises(InvalidValue, match="unknown fields"):
        parse_layout(json.dumps(unknown))
    with pytest.raises(InvalidValue, match="dpi"):
        parse_layout(json.dumps({**raw, "dpi": 600}))


def test_a_too_small_template_is_refused_at_low_resolution() -> None:
    raw = _template("tube")
    for el in raw["elements"]:
        if el["type"] == "symbol":
            el["w_mm"] = el["h_mm"] = 8
    layout = parse_layout(json.dumps(raw))
    with pytest.raises(InvalidValue, match="too small"):
        plan(layout, sample_data("tube", CODE), 203)


def test_format_follows_the_file_extension() -> None:
    assert format_of("x.PNG") == "png" and format_of("a/b.zpl") == "zpl"
    with pytest.raises(UsageError):
        format_of("label.jpg")


def test_payload_carries_no_patient_data() -> None:
    data = sample_data("bag", CODE)
    for part in ("María", "García", "1968", "APR"):
        assert part not in data.payload


def test_an_80_character_name_prints_in_every_format() -> None:
    """Issue 11: wrapped or shrunk within its box, never refused; the symbols still decode."""
    name = "Maximiliane Alexandra Konstantinopoulou-Papadopoulou von Hohenzollern-Sigmaringen"
    assert len(name) >= 80
    for kind in KINDS:
        data = sample_data(kind, CODE, name=name)
        layout = load_layout(kind)
        op = next(
            o for o in plan(layout, data, 300).ops if isinstance(o, TextOp) and o.text == name
        )
        assert len(op.lines) >= 1
        expected = _expected(kind)
        assert decode(Image.open(io.BytesIO(render(layout, data, "png", 300)))) == expected
        assert decode(zpl_to_image(render(layout, data, "zpl", 300).decode())) == expected
        assert decode(pdf_to_image(render(layout, data, "pdf", 300), 300)) == expected
