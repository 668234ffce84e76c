"""Every label prints the short checkpoint signed at its print (issue 13).

The short checkpoint is the tree size and the first 8 base64 characters of the
root of the checkpoint recorded right after the label's ``label_printed`` entry.
The printed PDF's text (read by pypdf, not by our drawing code) must show exactly
that, so every bag carries a witness of the ledger at the moment it was labelled.
"""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from cart_chain.domain.label_layout import load_layout
from cart_chain.domain.signed_note import CHECKPOINT_KIND
from cart_chain.labels.printing import print_label
from cart_chain.services import site_key
from cart_chain.services.verification import verify_ledger
from cart_chain.store import ledger
from cart_chain.store.database import Database
from tests.helpers import creds, enrol, populate, unit_of, walk


def pdf_text(pdf: bytes) -> str:
    return re.sub(r"\s+", " ", PdfReader(io.BytesIO(pdf)).pages[0].extract_text())


@pytest.mark.parametrize("kind", ["bag", "transport", "tube"])
def test_the_label_prints_the_checkpoint_recorded_for_its_print(
    ready_db: Database, kind: str
) -> None:
    unit = unit_of(enrol(ready_db))
    walk(ready_db, unit, 1)
    first = print_label(ready_db, unit, kind, creds("anna"), fmt="pdf")
    again = print_label(ready_db, unit, kind, creds("anna"), fmt="pdf", reason="smudged")
    for printed in (first, again):
        entry = ready_db.read(lambda s, p=printed: ledger.get_entry(s, p.receipt.seq + 1))
        assert entry is not None and entry.kind == CHECKPOINT_KIND
        size, root = entry.payload["size"], entry.payload["root"]
        assert size == printed.receipt.seq  # the tree includes the label's own entry
        short = f"{size} {root[:8]}"
        assert short in pdf_text(printed.output)
        assert printed.data.checkpoint == short
        assert f"@{load_layout(kind).revision}" in printed.data.template
    assert first.data.checkpoint != again.data.checkpoint  # each print its own witness
    assert verify_ledger(ready_db).ok


def test_a_ledger_without_a_site_key_says_so_on_the_label(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(str(tmp_path / "db.sqlite3"))
    monkeypatch.setattr(site_key, "record_site_key_in", lambda *a, **k: None)
    populate(db)
    unit = unit_of(enrol(db))
    printed = print_label(db, unit, "bag", creds("alice"), fmt="pdf")
    assert "none (no site key)" in pdf_text(printed.output)
    assert db.read(lambda s: ledger.get_entry(s, printed.receipt.seq + 1)) is None
