"""The workstation's scanner form on the command line: ``--scanner`` and $CART_CHAIN_SCANNER.

A check-less ISBT 128 ``&/`` COI is a Code 128 machine read. Typed, or from a
scanner that is not declared to send such reads, it is refused (its typo would
name another case); with ``--scanner code128`` it is accepted.
"""

from __future__ import annotations

import io
import sys

import pytest
from sqlalchemy import func, select

from cart_chain.cli.main import main
from cart_chain.domain.identifiers import parse_coi
from cart_chain.store.database import Database
from cart_chain.store.models import LedgerEntry, PatientEvent
from tests.helpers import enrol, password


def _count(db: Database, model: type) -> int:
    return db.read(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one())


def _cli(monkeypatch: pytest.MonkeyPatch, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(list(args))


@pytest.fixture
def isbt(ready_any_db: Database) -> tuple[Database, str, str]:
    """A case, and its COI as a Code 128 symbol carries it: ``&/`` and no check character."""
    coi = enrol(ready_any_db)
    return ready_any_db, coi, "&/" + coi[:-1]


def test_scan_accepts_a_checkless_isbt_coi_only_from_a_code128_scanner(
    isbt: tuple[Database, str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db, coi, read = isbt
    monkeypatch.delenv("CART_CHAIN_SCANNER", raising=False)
    entries = _count(db, LedgerEntry)
    assert _cli(monkeypatch, "--db", db.url, "scan", read) == 1
    assert "no check character" in capsys.readouterr().err
    assert _cli(monkeypatch, "--db", db.url, "--scanner", "keyboard", "scan", read) == 1
    capsys.readouterr()
    assert _count(db, LedgerEntry) == entries  # `scan` writes nothing, refused or not

    assert _cli(monkeypatch, "--db", db.url, "--scanner", "code128", "scan", read) == 0
    assert parse_coi(coi).grouped() in capsys.readouterr().out
    monkeypatch.setenv("CART_CHAIN_SCANNER", "code128")
    assert _cli(monkeypatch, "--db", db.url, "scan", read, "--expect", coi) == 0
    capsys.readouterr()
    # The option wins over the environment; a bad environment value is a usage error.
    assert _cli(monkeypatch, "--db", db.url, "--scanner", "keyboard", "scan", read) == 1
    monkeypatch.setenv("CART_CHAIN_SCANNER", "qr")
    assert _cli(monkeypatch, "--db", db.url, "scan", read) == 2
    assert "CART_CHAIN_SCANNER must be one of keyboard, code128" in capsys.readouterr().err
    assert _count(db, LedgerEntry) == entries


def test_a_writing_command_takes_the_scanner_setting(
    isbt: tuple[Database, str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``patient event`` names its case by a scan: refused from the keyboard (nothing of
    it stored; the refusal itself is recorded as a refused scan), accepted from a
    Code 128 scanner."""
    db, _coi, read = isbt
    monkeypatch.delenv("CART_CHAIN_SCANNER", raising=False)
    args = ("patient", "event", read, "--kind", "bridging_start", "--by", "alice")
    entries, events = _count(db, LedgerEntry), _count(db, PatientEvent)
    pw = password("alice") + "\n"
    assert _cli(monkeypatch, "--db", db.url, *args, stdin=pw) == 1
    assert "no check character" in capsys.readouterr().err
    assert _count(db, PatientEvent) == events
    assert _count(db, LedgerEntry) == entries + 1  # the scan_refused entry, nothing else
    kind = db.read(lambda s: s.get(LedgerEntry, entries + 1).kind)  # type: ignore[union-attr]
    assert kind == "scan_refused"
    assert _cli(monkeypatch, "--db", db.url, "--scanner", "code128", *args, stdin=pw) == 0
    assert "recorded bridging_start" in capsys.readouterr().out
    assert _count(db, PatientEvent) == events + 1
