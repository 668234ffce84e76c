"""Exports (reports, audit files, labels) are private to the user and never silently replaced."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from cart_chain.domain.errors import AlreadyExists
from cart_chain.reports import audit
from cart_chain.services.audit_rows import audit_filters
from cart_chain.services.exports import export_audit
from cart_chain.services.outfiles import write_export
from cart_chain.store import ledger
from cart_chain.store.database import Database
from tests.cli.helpers import ok, one_line_error, run
from tests.helpers import creds, enrol, password, unit_of


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _no_temporaries(folder: Path) -> None:
    assert [p.name for p in folder.iterdir() if p.name.startswith(".")] == []


def test_write_export_is_private_whole_and_never_silently_replaces(tmp_path: Path) -> None:
    old_umask = os.umask(0o022)  # a usual umask: files would be world-readable
    try:
        out = tmp_path / "label.zpl"
        write_export(out, b"first")
        assert out.read_bytes() == b"first" and _mode(out) == 0o600
        with pytest.raises(AlreadyExists, match="already exists"):
            write_export(out, b"second")
        assert out.read_bytes() == b"first"
        write_export(out, b"second", overwrite=True)
        assert out.read_bytes() == b"second" and _mode(out) == 0o600

        def half_written(path: Path) -> None:
            path.write_bytes(b"half")
            raise RuntimeError("renderer failed")

        with pytest.raises(RuntimeError):
            write_export(tmp_path / "report.pdf", half_written)
        assert not (tmp_path / "report.pdf").exists()
        _no_temporaries(tmp_path)
    finally:
        os.umask(old_umask)


def test_audit_export_refuses_an_existing_file_and_records_nothing(
    ready_any_db: Database, tmp_path: Path
) -> None:
    db = ready_any_db
    enrol(db)
    out = tmp_path / "audit.csv"
    out.write_text("somebody's earlier export\n")
    head = db.read(ledger.head)
    with pytest.raises(AlreadyExists, match="already exists"):
        export_audit(db, creds("quinn"), audit_filters(), out, audit.write_csv)
    assert out.read_text() == "somebody's earlier export\n"
    assert db.read(ledger.head) == head  # no export entry for a file never written
    result = export_audit(db, creds("quinn"), audit_filters(), out, audit.write_csv, overwrite=True)
    assert result.path == out.resolve() and _mode(out) == 0o600
    assert out.read_text(encoding="utf-8-sig").startswith("seq")
    _no_temporaries(tmp_path)


def test_cli_report_and_label_files(ready_db: Database, tmp_path: Path) -> None:
    coi = enrol(ready_db)
    pdf = tmp_path / "custody.pdf"
    args = ("report", "custody", coi, "--out", str(pdf), "--by", "quinn")
    ok(run(ready_db.path, *args, stdin=password("quinn") + "\n"))
    assert _mode(pdf) == 0o600
    first = pdf.read_bytes()
    line = one_line_error(run(ready_db.path, *args, stdin=password("quinn") + "\n"), 1)
    assert str(pdf) in line and "already exists" in line
    assert pdf.read_bytes() == first
    ok(run(ready_db.path, *args, "--overwrite", stdin=password("quinn") + "\n"))
    assert pdf.read_bytes() != first and _mode(pdf) == 0o600

    png = tmp_path / "bag.png"
    label = ("label", unit_of(coi), "--kind", "bag", "--out", str(png), "--by", "alice")
    ok(run(ready_db.path, *label, stdin=password("alice") + "\n"))
    assert _mode(png) == 0o600
    head = ready_db.read(ledger.head)
    reprint = (*label, "--reason", "smudged")
    line = one_line_error(run(ready_db.path, *reprint, stdin=password("alice") + "\n"), 1)
    assert "already exists" in line
    assert ready_db.read(ledger.head) == head  # refused before the reprint was recorded
    ok(run(ready_db.path, *reprint, "--overwrite", stdin=password("alice") + "\n"))
    _no_temporaries(tmp_path)
