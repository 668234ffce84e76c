"""1,000 random payloads through real encode and decode, at every label size and resolution.

Each payload is planned on a real template (so its module size and position are
the ones printed), its payload symbols are drawn exactly as the PNG renderer
draws them, and zxing-cpp reads them back; the text must parse to the same
unit and serial. The payloads are spread over the 8 template/resolution pairs
(125 each) so the whole run stays within seconds. Full-label decoding of every
format is in test_labels_render.
"""

from __future__ import annotations

import random
import string

import pytest
from PIL import Image, ImageDraw

from cart_chain.domain.identifiers import UnitId
from cart_chain.domain.label_layout import load_layout
from cart_chain.domain.labelcode import MAX_SERIAL, LabelCode, parse_scan
from cart_chain.labels.plan import SymbolOp, plan
from cart_chain.labels.png import draw_symbol
from cart_chain.labels.symbols import QUIET
from tests.labels.helpers import DPIS, KINDS, decode, sample_data, with_payload

TOTAL = 1000
ALNUM = string.digits + string.ascii_uppercase
#: ST-001: a FIN starts with A-N, P-Z or 1-9 (never O, never 0).
FIN_FIRST = ALNUM.replace("O", "").replace("0", "")


def random_code(rng: random.Random) -> LabelCode:
    fin = rng.choice(FIN_FIRST) + "".join(rng.choices(string.digits, k=4))
    seq = "".join(rng.choices(ALNUM, k=6))
    body = f"CH{fin}{rng.randrange(100):02d}{seq}U{rng.randint(1, 99):02d}"
    return LabelCode(UnitId(body), rng.randint(1, MAX_SERIAL))


def _crop_symbol(op: SymbolOp) -> Image.Image:
    """The symbol with its quiet zone, drawn by the PNG renderer's own drawing code."""
    q = QUIET[op.symbol.symbology] * op.module
    w = op.symbol.width * op.module + 2 * q
    h = (op.bar_height if op.bar_height else op.symbol.height * op.module) + 2 * q
    img = Image.new("L", (w, h), 255)
    shifted = SymbolOp(q, q, op.module, op.bar_height, op.symbol, op.area)
    draw_symbol(ImageDraw.Draw(img), shifted)
    return img.point(lambda v: 255 if v >= 128 else 0)


@pytest.mark.parametrize("dpi", DPIS)
@pytest.mark.parametrize("kind", KINDS)
def test_random_payloads_round_trip(kind: str, dpi: int) -> None:
    combos = len(KINDS) * len(DPIS)
    index = KINDS.index(kind) * len(DPIS) + DPIS.index(dpi)
    rng = random.Random(f"cart-chain labels {index}")
    layout = load_layout(kind)
    base = sample_data(kind)
    count = TOTAL // combos
    decoded = 0
    for _ in range(count):
        code = random_code(rng)
        p = plan(layout, with_payload(base, code), dpi)
        ops = [op for op in p.ops if isinstance(op, SymbolOp) and op.symbol.data == code.payload]
        assert ops, "every template carries the payload"
        for op in ops:
            found = decode(_crop_symbol(op))
            assert [text for _, text in found] == [code.payload], (code.payload, found)
            assert parse_scan(found[0][1]).label == code
            decoded += 1
    assert decoded >= count
