"""Labels carry what ISBT 128 (ST-004, ST-018) and 21 CFR 1271.370 require.

Printed through the real service from a real case: the PDF's text is read back
with pypdf and each required element is looked for; every symbol of the PNG and
of the PDF (rasterised by poppler, which shares nothing with reportlab) is decoded
with zxing-cpp and its text checked against the case's DIN, the site's product
code, the COI and the label payload. Superseded templates stay loadable.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

import pytest
from PIL import Image

from cart_chain.cli.main import main
from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.label_layout import KINDS, load_layout, revisions
from cart_chain.labels.plan import BiohazardOp, plan
from cart_chain.labels.printing import print_label
from cart_chain.labels.render import render
from cart_chain.store.database import Database
from cart_chain.store.ledger import get_entry
from tests.helpers import creds, password, walk
from tests.labels.cases import PRODUCT_CODE, configure_product_code, din_of, enrol_unit
from tests.labels.helpers import decode, pdf_text, pdf_to_image, sample_data, zpl_to_image

STATEMENTS = (
    "For Autologous Use Only",
    "Properly Identify Intended Recipient and Product",
    "Warning: This product may transmit infectious agents",
)


def test_collection_label_carries_every_st018_element(ready_db: Database) -> None:
    db = ready_db
    configure_product_code(db)
    unit = enrol_unit(db)
    walk(db, unit, 1)  # collection, at "collection room"
    din = din_of(db, unit)
    printed = print_label(db, unit, "collection", creds("anna"), fmt="pdf")
    text = pdf_text(printed.output)
    for statement in STATEMENTS:
        assert statement in text
    assert f"{din.body[:5]} {din.body[5:7]} {din.body[7:]} {din.flags}" in text  # DIN text
    assert din.check in text
    assert PRODUCT_CODE in text and "Tecartus" in text
    assert f"collection room · FIN {din.fin}" in text
    assert printed.data.collection_end in text and "UTC" in printed.data.collection_end
    assert "VOLUME" in text and "ANTICOAGULANT" in text and "(write in)" in text
    assert "2 °C to 8 °C" in text  # Tecartus apheresis ships fresh
    assert "EXPIRES none set by the product profile" in text
    expected = sorted(
        [
            ("Code128", din.barcode),
            ("Code128", f"=<{PRODUCT_CODE}"),
            ("DataMatrix", printed.payload),
        ]
    )
    assert decode(pdf_to_image(printed.output, 300)) == expected
    png = print_label(db, unit, "collection", creds("anna"), reason="spoiled", fmt="png")
    expected[-1] = ("DataMatrix", png.payload)
    assert decode(Image.open(io.BytesIO(png.output))) == sorted(expected)
    entry = db.read(lambda s: get_entry(s, printed.receipt.seq))
    assert entry is not None
    assert entry.payload["layout"] == f"collection@{load_layout('collection').revision}"


def test_a_site_without_a_product_code_gets_no_invented_one(ready_db: Database) -> None:
    db = ready_db
    unit = enrol_unit(db)
    printed = print_label(db, unit, "collection", creds("anna"), fmt="pdf")
    text = pdf_text(printed.output)
    assert "product code not configured" in text
    found = decode(pdf_to_image(printed.output, 300))
    assert not any(t.startswith("=<") for _, t in found)
    assert ("Code128", din_of(db, unit).barcode) in found
    # not collected yet: the end of collection and the facility are written in by hand
    assert "END OF COLLECTION ________________ (write in)" in text


def test_container_label_carries_the_isbt_minimum_warnings_and_statements(
    ready_db: Database,
) -> None:
    db = ready_db
    configure_product_code(db)
    unit = enrol_unit(db)
    din = din_of(db, unit)
    printed = print_label(db, unit, "container", creds("anna"), fmt="pdf")
    text = pdf_text(printed.output)
    for statement in STATEMENTS:
        assert statement in text
    assert "Do not irradiate" in text and "leukodepleting filter" in text  # Tecartus warnings
    assert (
        PRODUCT_CODE in text
        and printed.data.coi_grouped in text
        and printed.data.din_grouped in text
    )
    coi_isbt = "&/" + printed.data.coi[:-1]
    expected = sorted(
        [
            ("Code128", coi_isbt),
            ("Code128", din.barcode),
            ("Code128", f"=<{PRODUCT_CODE}"),
            ("Code128", printed.payload),
            ("DataMatrix", printed.payload),
        ]
    )
    assert decode(pdf_to_image(printed.output, 300)) == expected


@pytest.mark.parametrize("kind", ["collection", "container"])
@pytest.mark.parametrize("dpi", [203, 300])
def test_the_biohazard_symbol_is_drawn_in_png_pdf_and_zpl(kind: str, dpi: int) -> None:
    layout, data = load_layout(kind), sample_data(kind)
    (op,) = [o for o in plan(layout, data, dpi).ops if isinstance(o, BiohazardOp)]
    r = op.rect
    png = Image.open(io.BytesIO(render(layout, data, "png", dpi))).convert("L")
    zpl = zpl_to_image(render(layout, data, "zpl", dpi).decode("ascii"))
    pdf = pdf_to_image(render(layout, data, "pdf", dpi), dpi)
    assert abs(pdf.width - png.width) <= 1 and abs(pdf.height - png.height) <= 1  # rounding
    a = min(r.w / 49, r.h / 46.5)  # the symbol's units (see labels.biohazard)
    cx, cy = r.x + r.w / 2, r.y + (r.h - 46.5 * a) / 2 + 26 * a
    probes = {
        (cx, cy): 255,  # the open centre
        (cx, cy - 4 * a): 255,  # the gap splitting the upper crescent's inner end
        (cx, cy - 8.75 * a): 0,  # the ring, seen through the upper crescent's cut
        (cx, cy - 24.5 * a): 255,  # inside the upper crescent's cut
        (cx - 24 * a, cy + 6 * a): 0,  # the left crescent's outer edge
    }
    for img, what in ((png, "PNG"), (zpl, "ZPL"), (pdf, "PDF")):
        box = img.crop((r.x, r.y, r.x + r.w, r.y + r.h))
        dark = sum(1 for v in box.tobytes() if v < 128) / (r.w * r.h)
        assert 0.25 < dark < 0.6, f"{what}: {dark:.0%} of the biohazard box is dark"
        for (x, y), ink in probes.items():
            assert (img.getpixel((round(x), round(y))) < 128) == (ink == 0), (what, x, y)
    pdf_bytes = render(layout, data, "pdf", dpi)
    assert pdf_bytes.count(b"/Subtype /Image") == 0  # vector, not an embedded picture


def test_every_shipped_template_revision_still_loads() -> None:
    for kind in KINDS:
        for rev in revisions(kind):
            layout = load_layout(kind, revision=rev)
            assert (layout.kind, layout.revision) == (kind, rev)
            render(layout, sample_data(kind), "png", layout.dpi)
    old = load_layout("container", revision="1")
    assert old.ref == "container@1" and (old.width_mm, old.height_mm) == (100, 100)
    assert load_layout("container").ref != old.ref
    with pytest.raises(InvalidValue, match="shipped revisions: 1, "):
        load_layout("container", revision="0")
    with pytest.raises(InvalidValue):
        load_layout("container", revision="../bag")


def test_cli_prints_the_collection_label(
    ready_db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = ready_db
    unit = enrol_unit(db)
    walk(db, unit, 1)
    out = tmp_path / "collection.pdf"
    monkeypatch.setattr(sys, "stdin", io.StringIO(password("anna") + "\n"))
    args = ["--db", db.url, "label", unit, "--kind", "collection", "--out", str(out)]
    assert main([*args, "--by", "anna"]) == 0, capsys.readouterr().err
    assert "printed collection label 001" in capsys.readouterr().out
    text = pdf_text(out.read_bytes())
    assert all(statement in text for statement in STATEMENTS)
    assert main(["--db", db.url, "label-list", unit]) == 0
    rev = load_layout("collection").revision
    assert f"collection@{rev}" in capsys.readouterr().out
