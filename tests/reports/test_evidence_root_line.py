"""The checkpoint's root hash is printed on one line, whatever its letters.

`evidence check` reads the root back from the report's text. Printed in the
proportional body font, a root of wide letters (W, M, m) was wider than its
100 mm column and wrapped, and a genuine report failed its own check; which
roots wrapped depended on the hash, so the CI saw it only now and then. The
box is rendered here with the widest and the narrowest roots base64 can make,
its text read back with pypdf, and checked by the same code `evidence check` runs.
"""

from __future__ import annotations

import base64
from pathlib import Path
from types import SimpleNamespace

import pytest
from pypdf import PdfReader
from reportlab.lib.pagesizes import A4
from reportlab.platypus import SimpleDocTemplate

from cart_chain.domain.evidence import CheckpointShown, check_text
from cart_chain.domain.merkle import TreeHead
from cart_chain.reports import base
from cart_chain.reports.custody_evidence import checkpoint_box

#: Roots whose base64 is all wide or all narrow letters (32 bytes -> 43 letters and "=").
WIDE = base64.b64decode("W" * 42 + "Q=")
NARROW = base64.b64decode("i" * 42 + "g=")


def _printed_box(root: bytes, out: Path) -> tuple[CheckpointShown, str]:
    shown = CheckpointShown("A9999.example/cart-chain", TreeHead(1_000_128, root))
    ev = SimpleNamespace(  # the report's evidence as the box reads it
        shown=shown,
        fingerprint="SHA256:" + "ab" * 32,
        recorded_seq=7,
        evidence=SimpleNamespace(vkey="A9999+0123abcd+AAAA", entries=(), checkpoint="note"),
    )
    data = SimpleNamespace(evidence=ev, no_evidence="")
    SimpleDocTemplate(str(out), pagesize=A4).build(checkpoint_box(data, base.styles()))
    return shown, "\n".join(page.extract_text() for page in PdfReader(str(out)).pages)


@pytest.mark.parametrize("root", [WIDE, NARROW], ids=["wide", "narrow"])
def test_the_root_hash_is_read_back_whole(root: bytes, tmp_path: Path) -> None:
    shown, text = _printed_box(root, tmp_path / "box.pdf")
    assert shown.root_b64 in text  # on one line, not split by a wrap
    check_text(SimpleNamespace(entries=()), shown, text)  # what evidence check runs
