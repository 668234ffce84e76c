"""The label tests' own helpers (tests/labels/helpers.py) do what they say: the ^GFA
decoder of `zpl_to_image` reads ZPL's ASCII compression, and `sample_data` makes a
well-formed label payload.
"""

from __future__ import annotations

import re

from cart_chain.domain.identifiers import mod37_2
from tests.labels.helpers import gfa_rows, sample_data


def test_gfa_decoder_understands_zpl_ascii_compression() -> None:
    # 2 bytes per row, 4 rows: explicit, "," (rest white), ":" (repeat), full row.
    _, rows = gfa_rows("8,8,2,FF00F,:0F0F")
    assert rows == [b"\xff\x00", b"\xf0\x00", b"\xf0\x00", b"\x0f\x0f"]


def test_sample_payload_is_well_formed() -> None:
    data = sample_data()
    assert len(data.payload) == 25
    assert data.payload[-1] == mod37_2(data.payload[:-1])
    assert re.fullmatch(r"CC1[0-9A-Z]{21}[0-9A-Z*]", data.payload)
