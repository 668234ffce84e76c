"""Plain helpers shared by the label tests: sample data, decoding, a ZPL subset
rasteriser, a PDF's text.

There is no Zebra printer here, so `zpl_to_image` reads back what a printer
would print from our ZPL: the ^GFA graphic (with ZPL's ASCII compression) and
the native ^BQ / ^BX / ^BC symbols, drawn at their ^FO positions and module
sizes with the same encoders (a ^BQ QR code, as the firmware draws it, the ^BY
height below its ^FO). It proves positions, sizes and graphic encoding;
it does not prove a Zebra firmware draws ^BQ exactly like `qrcode` does
(test_labels_zpl_external checks it against another renderer).

Importing this module needs neither the database layer nor Qt (a test of
test_labels_service renders labels with `sample_data` in a process that must load
neither); the helpers that make a case to print for are in tests/labels/cases.py.
The helpers' own tests are in test_labels_support.py.
"""

from __future__ import annotations

import io
import re
import shutil
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image, ImageDraw
from pypdf import PdfReader

from cart_chain.domain.identifiers import UnitId, mod37_2
from cart_chain.domain.label_data import LabelData
from cart_chain.domain.label_layout import KIND_TITLES
from cart_chain.domain.labelcode import LabelCode
from cart_chain.labels.symbols import make_symbol

KINDS = ("bag", "transport", "tube", "container", "collection")
DPIS = (203, 300)


def unit_id(fin: str = "A9999", year: int = 26, seq: int = 1, number: int = 1) -> UnitId:
    return UnitId(f"CH{fin}{year:02d}{seq:06d}U{number:02d}")


def sample_data(
    kind: str = "bag", code: LabelCode | None = None, name: str = "María José García"
) -> LabelData:
    code = code or LabelCode(unit_id(), 1)
    u = code.unit
    coi = u.coi
    return LabelData(
        payload=code.payload,
        coi=coi.full,
        coi_grouped=coi.grouped().rsplit(" [", 1)[0],
        coi_check=coi.check,
        coi_isbt=f"&/{coi.body}",
        unit=u.full,
        unit_grouped=u.grouped().rsplit(" [", 1)[0],
        unit_check=u.check,
        unit_suffix=f"U{u.number:02d}",
        bag=f"bag {u.number} of 3",
        product="Kymriah (tisagenlecleucel)",
        kind_title=KIND_TITLES[kind],
        step="Receipt at treatment centre",
        printed_at="2026-11-26 01:47 CET (00:47 UTC)",
        printed_at_utc="2026-11-26 00:47 UTC",
        patient_name=name,
        patient_dob="12 APR 1968",
        serial=code.serial_text,
        reprint="",
        printed_by="alice",
        template=f"{kind}@1",
        din_barcode="=A999926000001" + "00",
        din_grouped="A9999 26 000001 00",
        din_check=mod37_2("A999926000001"),
        product_code_barcode="=<S1234V00",
        product_code="S1234V00",
        profile_name="Kymriah (tisagenlecleucel)",
        collection_facility="Apheresis unit, City Hospital · FIN A9999",
        collection_end="2026-11-20 14:05 CET (13:05 UTC)",
        volume="________________ mL (write in)",
        anticoagulant="________________ (write in)",
        collection_storage="2 °C to 8 °C in the manufacturer's shipper",
        product_storage="at or below −120 °C, vapour phase of liquid nitrogen",
        expiry="none set by the product profile",
        warnings="Do not irradiate; Do not use a leukodepleting filter",
        checkpoint="1048576 Zm9v+/Ba",  # a seven-digit tree size: the longest a label must fit
    )


def with_payload(data: LabelData, code: LabelCode) -> LabelData:
    return replace(data, payload=code.payload, serial=code.serial_text)


def decode(img: Image.Image) -> list[tuple[str, str]]:
    """Every symbol zxing-cpp finds, as (format name, text), sorted."""
    found = zxingcpp.read_barcodes(img.convert("L"))
    return sorted((r.format.name, r.text) for r in found)


# -- ZPL ---------------------------------------------------------------------------

_HEX = "0123456789ABCDEF"


def zpl_commands(zpl: str) -> list[tuple[str, str]]:
    """(command, parameters) in order, e.g. ("PW", "799"), ("FD", "QA,CC1...")."""
    assert zpl.lstrip().startswith("^XA") and zpl.rstrip().endswith("^XZ")
    out = []
    for part in zpl.split("^")[1:]:
        out.append((part[:2], part[2:].rstrip("\n")))
    return out


def gfa_rows(params: str) -> tuple[int, list[bytes]]:
    total, _, row_bytes, data = params.split(",", 3)
    n_rows = int(total) // int(row_bytes)
    width = int(row_bytes) * 2
    rows: list[str] = []
    i = 0
    current = ""
    while i < len(data):
        ch = data[i]
        if ch in _HEX:
            current += ch
            if len(current) == width:
                rows.append(current)
                current = ""
        elif ch == ",":
            rows.append(current.ljust(width, "0"))
            current = ""
        elif ch == ":":
            assert current == ""
            rows.append(rows[-1])
        elif ch == "!":
            rows.append(current.ljust(width, "F"))
            current = ""
        else:
            raise AssertionError(f"unexpected {ch!r} in ^GFA data")
        i += 1
    assert current == ""
    assert len(rows) == n_rows, (len(rows), n_rows)
    return int(row_bytes), [bytes.fromhex(r) for r in rows]


def zpl_to_image(zpl: str) -> Image.Image:
    """Rasterise the ZPL subset cart-chain writes (see the module docstring)."""
    cmds = zpl_commands(zpl)
    params = dict(cmds)
    width, height = int(params["PW"]), int(params["LL"])
    img = Image.new("L", (width, height), 255)
    draw = ImageDraw.Draw(img)
    x = y = 0
    bar_module, by_height = 2, 10
    pending: tuple[str, str] | None = None
    for cmd, p in cmds:
        if cmd == "FO":
            x, y = (int(v) for v in p.split(","))
        elif cmd == "GF":
            row_bytes, rows = gfa_rows(p[2:] if p.startswith("A,") else p)
            bits = Image.frombytes("1", (row_bytes * 8, len(rows)), b"".join(rows))
            black = bits.convert("L").point(lambda v: 0 if v else 255)
            mask = bits.convert("L")
            img.paste(black.crop((0, 0, width, height)), (x, y), mask.crop((0, 0, width, height)))
        elif cmd == "BY":
            by = p.split(",")
            bar_module = int(by[0])
            by_height = int(by[2]) if len(by) > 2 and by[2] else by_height
        elif cmd in ("BQ", "BX", "BC"):
            pending = (cmd, p)
        elif cmd == "FD" and pending is not None:
            kind, p2 = pending
            if kind == "BQ":
                module = int(p2.split(",")[2])
                assert p.startswith("QA,"), "QR field data must set error level Q, automatic"
                sym = make_symbol("qr", p[3:])
            elif kind == "BX":
                module = int(p2.split(",")[1])
                assert p2.split(",")[2] == "200"
                sym = make_symbol("datamatrix", p)
            else:
                module = bar_module
                sym = make_symbol("code128", p)
            bar_h = int(p2.split(",")[1]) if kind == "BC" else 0
            top = y + by_height if kind == "BQ" else y
            for r, row in enumerate(sym.rows):
                for c, dark in enumerate(row):
                    if dark:
                        x0, y0 = x + c * module, top + r * module
                        y1 = y0 + (bar_h if bar_h else module) - 1
                        draw.rectangle((x0, y0, x0 + module - 1, y1), fill=0)
            pending = None
    return img


def pdf_to_image(pdf: bytes, dpi: int) -> Image.Image:
    """Rasterise a PDF with poppler's pdftoppm (a renderer independent of reportlab)."""
    exe = shutil.which("pdftoppm")
    if exe is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed: PDF labels cannot be rasterised")
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp, "label.pdf")
        src.write_bytes(pdf)
        subprocess.run(
            [exe, "-r", str(dpi), "-png", "-singlefile", str(src), str(Path(tmp, "out"))],
            check=True,
            capture_output=True,
            timeout=60,
        )
        with Image.open(Path(tmp, "out.png")) as im:
            return im.convert("L")


def pdf_text(pdf: bytes) -> str:
    """The PDF's text with line breaks and runs of spaces as single spaces."""
    return re.sub(r"\s+", " ", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())
