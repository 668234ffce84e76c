"""The audit export resumes `verify` at the checkpoint a full run on this workstation
passed, and rehashes every entry it prints.

A resumed `verify` does not rehash the entries before its checkpoint, and the audit
export prints ledger entries: without the rehash, an entry edited behind the
database's back (content changed, hash left) would be printed under a header that
says verify passed. The export refuses it and writes nothing.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from pypdf import PdfReader

from cart_chain.domain.errors import VerificationFailed
from cart_chain.reports import audit
from cart_chain.services.accounts import Credentials
from cart_chain.services.audit_rows import audit_filters
from cart_chain.services.exports import export_audit
from cart_chain.services.verification import verify_ledger
from cart_chain.store import ledger
from cart_chain.store.database import Database
from tests.cli.helpers import ok, run
from tests.helpers import checkpointed_history, creds
from tests.tamper import tamper


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"), newline="")))


def test_an_audit_export_after_a_full_run_resumes_at_its_checkpoint(
    ready_db: Database, tmp_path: Path
) -> None:
    _, checkpoint, _ = checkpointed_history(ready_db)
    assert verify_ledger(ready_db, remember=True).ok
    out = tmp_path / "audit.pdf"
    result = export_audit(ready_db, _quinn(), audit_filters(), out, audit.write_pdf)
    assert result.ledger.verified and result.ledger.since == checkpoint
    text = " ".join(page.extract_text() for page in PdfReader(out).pages)
    assert f"verify: in full from entry {checkpoint} (a signed checkpoint)" in " ".join(
        text.split()
    )
    recorded = ready_db.read(lambda s: ledger.get_entry(s, result.receipt.seq))
    assert recorded is not None and recorded.payload["verified_from"] == checkpoint
    assert verify_ledger(ready_db).ok  # the export entry is declared and projected


def test_an_entry_changed_before_the_checkpoint_is_not_exported(
    ready_db: Database, tmp_path: Path
) -> None:
    before, _, _ = checkpointed_history(ready_db)
    assert verify_ledger(ready_db, remember=True).ok
    tamper(
        ready_db,
        "UPDATE ledger_entries SET payload = replace(payload, ' room', ' hall') "
        f"WHERE seq = {before[1]}",
    )
    head = ready_db.read(ledger.head)
    folder = tmp_path / "exports"
    folder.mkdir()
    with pytest.raises(VerificationFailed, match=f"entry {before[1]} does not match its hash"):
        export_audit(ready_db, _quinn(), audit_filters(), folder / "audit.csv", audit.write_csv)
    assert not list(folder.iterdir())  # no file, no staging file
    assert ready_db.read(ledger.head) == head  # and no export recorded


def test_without_a_full_run_here_the_export_verifies_in_full(
    ready_db: Database, tmp_path: Path
) -> None:
    """A tampered ledger still exports, its header saying verify FAILED, as before."""
    before, _, _ = checkpointed_history(ready_db)
    tamper(
        ready_db,
        "UPDATE ledger_entries SET payload = replace(payload, ' room', ' hall') "
        f"WHERE seq = {before[1]}",
    )
    out = tmp_path / "audit.csv"
    result = export_audit(ready_db, _quinn(), audit_filters(), out, audit.write_csv)
    assert not result.ledger.verified and result.ledger.since == 1
    assert any(r["seq"] == str(before[1]) for r in _csv(out))


def test_cli_audit_export_says_how_much_verify_redid(ready_db: Database, tmp_path: Path) -> None:
    _, checkpoint, _ = checkpointed_history(ready_db)
    ready_db.dispose()
    ok(run(ready_db.path, "verify"))  # type: ignore[arg-type]
    out = tmp_path / "audit.csv"
    printed = ok(
        run(
            ready_db.path,  # type: ignore[arg-type]
            "report",
            "audit",
            "--out",
            str(out),
            "--by",
            "quinn",
            stdin=creds("quinn").password + "\n",
        )
    )
    assert f"in full from entry {checkpoint} (a signed checkpoint)" in printed
    assert len(_csv(out)) > checkpoint


def _quinn() -> Credentials:
    return creds("quinn")
