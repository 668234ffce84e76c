"""ZPL labels rasterised by a ZPL renderer cart-chain did not write, then decoded.

`tests/labels/helpers.zpl_to_image` draws our own symbols at our own
positions, so it cannot catch a ZPL command the printer reads differently from
us (ZPL's default Code 128 mode is subset B only: the unit barcode came out
wider than planned, off the label and over the Data Matrix). Here the ZPL goes to
zpl-renderer-js (IngridHQ's zebrash, a Go ZPL renderer compiled to WebAssembly),
pinned in tests/zpl_renderer/package-lock.json and installed by `npm ci` into a
cache directory outside the repository; it runs offline once installed.

For every label kind at 203 and 300 dpi: the whole label decodes (zxing-cpp) to
exactly the planned symbols' data, and each symbol, rendered alone from the same
command, sits where the plan put it, as wide and high as planned, inside the
label, clear of the other symbols and of the text graphic, with its quiet zone.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image

from cart_chain.domain.label_layout import KINDS, load_layout
from cart_chain.labels.plan import Plan, Rect, SymbolOp, plan
from cart_chain.labels.render import render
from tests.labels.helpers import DPIS, sample_data

TOOL = Path(__file__).parents[1] / "zpl_renderer"
TOOL_FILES = ("package.json", "package-lock.json", "render.cjs")
#: Dots per millimetre the renderer takes (whole numbers): Zebra's 8 and 12 dpmm heads.
DPMM = {203: 8, 300: 12}
FORMATS = {"qr": "QRCode", "datamatrix": "DataMatrix", "code128": "Code128"}
#: Quiet zones the symbol standards require, in modules: QR 4 (ISO/IEC 18004),
#: Data Matrix 1 (ISO/IEC 16022), Code 128 10 (ISO/IEC 15417, ISBT 128). Templates
#: reserve more (`labels.symbols.QUIET`); these are what a scanner needs.
MIN_QUIET = {"qr": 4, "datamatrix": 1, "code128": 10}

Job = tuple[str, int, int, int]  # zpl, width, height, dpi
Renderer = Callable[[list[Job]], list[Image.Image]]


def _cache_root() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "cart-chain"


def _install() -> Path:
    """npm ci the pinned renderer into a cache directory named by its files' hash."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip("node and npm are not installed: ZPL is not checked with an external renderer")
    digest = hashlib.sha256(b"".join((TOOL / f).read_bytes() for f in TOOL_FILES)).hexdigest()
    target = _cache_root() / f"zpl-renderer-{digest[:16]}"
    if (target / "node_modules" / "zpl-renderer-js" / "package.json").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="zpl-renderer-", dir=target.parent))
    for f in TOOL_FILES:
        shutil.copy2(TOOL / f, staging / f)
    done = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts"],
        cwd=staging,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        message = f"npm ci of the ZPL renderer failed:\n{done.stdout}\n{done.stderr}"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        staging.rename(target)
    except OSError:  # another run installed it meanwhile
        shutil.rmtree(staging, ignore_errors=True)
    return target


@pytest.fixture(scope="module")
def zebrash() -> Iterator[Renderer]:
    tool = _install()
    node = shutil.which("node")
    assert node is not None

    def run(jobs: list[Job]) -> list[Image.Image]:
        with tempfile.TemporaryDirectory() as tmp:
            spec = [
                {
                    "zpl": zpl,
                    "width": w,
                    "height": h,
                    "dpmm": DPMM[dpi],
                    "out": str(Path(tmp, f"{i}.png")),
                }
                for i, (zpl, w, h, dpi) in enumerate(jobs)
            ]
            subprocess.run(
                [node, str(tool / "render.cjs")],
                input=json.dumps(spec),
                text=True,
                check=True,
                capture_output=True,
                timeout=300,
            )
            images = []
            for job, (_, w, h, _) in zip(spec, jobs, strict=True):
                with Image.open(job["out"]) as im:
                    img = im.convert("L")
                assert img.size == (w, h), "the renderer must draw the label at its size in dots"
                images.append(img)
            return images

    yield run


def _split(zpl: str) -> tuple[list[str], str, list[str], list[str]]:
    """Header lines, the ^GFA text graphic, one line per symbol, trailer lines."""
    lines = zpl.strip().split("\n")
    graphic = next(line for line in lines if line.startswith("^FO0,0^GFA"))
    symbols = [line for line in lines if line.startswith("^FO") and line != graphic]
    head = lines[: lines.index(graphic)]
    tail = [line for line in lines if line in ("^PQ1", "^XZ")]
    return head, graphic, symbols, tail


def _ink(img: Image.Image, box: Rect | None = None) -> tuple[int, int, int, int] | None:
    """Bounding box (x0, y0, x1, y1 exclusive) of dark pixels, optionally within ``box``."""
    mask = img.point(lambda v: 255 if v < 128 else 0)
    if box is not None:
        region = mask.crop((box.x, box.y, box.x + box.w, box.y + box.h))
        found = region.getbbox()
        if found is None:
            return None
        return (found[0] + box.x, found[1] + box.y, found[2] + box.x, found[3] + box.y)
    return mask.getbbox()


def _planned(op: SymbolOp) -> tuple[int, int, int, int]:
    s = op.symbol
    h = op.bar_height if op.bar_height else op.module * s.height
    return (op.x, op.y, op.x + op.module * s.width, op.y + h)


def _quiet(op: SymbolOp, p: Plan) -> Rect:
    """The symbol with its quiet zone (left and right only for Code 128), clipped to the label."""
    x0, y0, x1, y1 = _planned(op)
    q = MIN_QUIET[op.symbol.symbology] * op.module
    qy = 0 if op.bar_height else q
    x0, y0 = max(0, x0 - q), max(0, y0 - qy)
    x1, y1 = min(p.width, x1 + q), min(p.height, y1 + qy)
    return Rect(x0, y0, x1 - x0, y1 - y0)


def _overlap(a: tuple[int, int, int, int], b: tuple[int, int, int, int]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.mark.slow
@pytest.mark.parametrize("dpi", DPIS)
def test_every_zpl_label_renders_and_decodes_in_an_independent_renderer(
    zebrash: Renderer, dpi: int
) -> None:
    assert {"container", "collection"} <= set(KINDS)  # the ISBT 128 labels are among them
    cases = []
    jobs: list[Job] = []
    for kind in KINDS:
        layout, data = load_layout(kind), sample_data(kind)
        p = plan(layout, data, dpi)
        zpl = render(layout, data, "zpl", dpi).decode("ascii")
        head, graphic, symbol_lines, tail = _split(zpl)
        ops = [op for op in p.ops if isinstance(op, SymbolOp)]
        assert len(symbol_lines) == len(ops)
        first = len(jobs)
        jobs.append((zpl, p.width, p.height, dpi))
        jobs.append(("\n".join([*head, graphic, *tail]), p.width, p.height, dpi))
        for line in symbol_lines:
            jobs.append(("\n".join([*head, line, *tail]), p.width, p.height, dpi))
        cases.append((kind, p, ops, first))
    images = zebrash(jobs)

    for kind, p, ops, first in cases:
        whole, text_only = images[first], images[first + 1]
        alone = images[first + 2 : first + 2 + len(ops)]
        where = f"{kind} label at {dpi} dpi"
        found = sorted((r.format.name, r.text) for r in zxingcpp.read_barcodes(whole))
        expected = sorted((FORMATS[op.symbol.symbology], op.symbol.data) for op in ops)
        assert found == expected, f"{where}: decoded {found}, planned {expected}"
        drawn = []
        for op, img in zip(ops, alone, strict=True):
            what = f"{where}: {op.symbol.symbology} {op.symbol.data!r}"
            (read,) = zxingcpp.read_barcodes(img)
            assert (read.format.name, read.text) == (FORMATS[op.symbol.symbology], op.symbol.data)
            ink = _ink(img)
            assert ink is not None
            assert ink == _planned(op), f"{what}: drawn at {ink}, planned at {_planned(op)}"
            assert min(ink[0], ink[1]) >= 0 and ink[2] <= p.width and ink[3] <= p.height, (
                f"{what}: runs off the label ({p.width} x {p.height} dots): {ink}"
            )
            clear = _quiet(op, p)
            assert _ink(text_only, clear) is None, f"{what}: text or lines print over it"
            drawn.append((what, ink, (clear.x, clear.y, clear.x + clear.w, clear.y + clear.h)))
        for what, _, zone in drawn:
            for other, ink, _ in drawn:
                if other != what:
                    assert not _overlap(zone, ink), f"{other} prints over {what} or its quiet zone"
