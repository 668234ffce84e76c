"""The scan gate inside every service that takes a bag, on SQLite and PostgreSQL.

Each refusal rolls the action back and leaves exactly one ``scan_refused`` entry;
the CLI's ``--expect`` is enforced by the service, as the GUI's expected case is.
"""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cart_chain.cli.main import main
from cart_chain.domain.errors import (
    CheckFailed,
    MalformedScan,
    StepNotAllowed,
    StepOrderError,
    VoidedLabel,
    WrongPatient,
)
from cart_chain.domain.identifiers import parse_coi
from cart_chain.labels.printing import print_label
from cart_chain.services.custody import record_event, split_unit
from cart_chain.services.labels import void_label
from cart_chain.services.readiness import bedside_check, override_gate, record_patient_event
from cart_chain.services.scanning import scan
from cart_chain.services.verification import verify_ledger
from cart_chain.store.database import Database
from cart_chain.store.ledger import Entry, get_entry
from cart_chain.store.models import Event, LedgerEntry
from tests.helpers import CONDITION, JOURNEY, condition_for, creds, enrol, password, unit_of, walk


@dataclass
class Two:
    db: Database
    coi_a: str
    coi_b: str
    unit_a: str
    unit_b: str
    label_b: str  # live bag label of unit_b
    void_b: str  # the bag label of unit_b voided by that reprint


@pytest.fixture
def two(ready_any_db: Database) -> Two:
    db = ready_any_db
    coi_a, coi_b = enrol(db, "Anna Alpha"), enrol(db, "Bert Beta")
    unit_a, unit_b = unit_of(coi_a), unit_of(coi_b)
    walk(db, unit_a, 1)
    walk(db, unit_b, 1)
    old = print_label(db, unit_b, "bag", creds("alice")).payload
    live = print_label(db, unit_b, "bag", creds("alice"), reason="smudged").payload
    return Two(db, coi_a, coi_b, unit_a, unit_b, live, old)


def _count(db: Database, model: Any) -> int:
    return db.read(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one())


def _last(db: Database) -> Entry:
    def run(s: Session) -> Entry:
        entry = get_entry(s, s.execute(select(func.max(LedgerEntry.seq))).scalar_one())
        assert entry is not None
        return entry

    return db.read(run)


def _refused_once(db: Database, call: Callable[[], object], error: type[Exception]) -> Entry:
    """``call`` raises ``error``, stores no event, and appends exactly one scan_refused entry."""
    entries, events = _count(db, LedgerEntry), _count(db, Event)
    with pytest.raises(error):
        call()
    assert _count(db, Event) == events
    assert _count(db, LedgerEntry) == entries + 1
    last = _last(db)
    assert last.kind == "scan_refused"
    return last


def test_record_event_refuses_another_patients_bag_inside_the_write(two: Two) -> None:
    entry = _refused_once(
        two.db,
        lambda: record_event(
            two.db,
            two.unit_b,
            "ship_to_manufacturing",
            creds("alice"),
            creds("carl"),
            expect=two.coi_a,
        ),
        WrongPatient,
    )
    assert entry.actor == "alice"
    assert entry.payload["expected_coi"] == two.coi_a
    assert entry.payload["scanned_coi"] == two.coi_b
    assert entry.payload["reason"].startswith("wrong_patient: WRONG PATIENT")
    assert "Anna" not in entry.payload["reason"] and "Bert" not in entry.payload["reason"]
    # The same bag against its own case is recorded normally.
    ok = record_event(
        two.db,
        two.label_b,
        "ship_to_manufacturing",
        creds("alice"),
        creds("carl"),
        expect=two.coi_b,
    )
    assert ok.subject == two.unit_b
    assert verify_ledger(two.db).ok


def test_record_event_refuses_a_voided_label_and_malformed_or_misread_codes(two: Two) -> None:
    ship = ("ship_to_manufacturing", creds("alice"), creds("carl"))
    _refused_once(two.db, lambda: record_event(two.db, two.void_b, *ship), VoidedLabel)
    inner_nel = two.unit_b[:8] + "\x85" + two.unit_b[8:]  # the old code dropped it silently
    _refused_once(two.db, lambda: record_event(two.db, inner_nel, *ship), MalformedScan)
    gs = two.unit_b[:8] + "\x1d" + two.unit_b[8:]
    _refused_once(two.db, lambda: record_event(two.db, gs, *ship), MalformedScan)
    typo = two.unit_b[:-1] + ("0" if two.unit_b[-1] != "0" else "1")
    _refused_once(two.db, lambda: record_event(two.db, typo, *ship), CheckFailed)
    entry = _refused_once(
        two.db,
        lambda: record_event(
            two.db, two.unit_b, "thaw", creds("ines"), creds("ivan"), condition=CONDITION
        ),
        StepNotAllowed,
    )
    assert entry.payload["reason"].startswith("step_not_allowed")
    assert issubclass(StepNotAllowed, StepOrderError)  # callers catching the old type still work
    assert verify_ledger(two.db).ok


def test_every_service_that_takes_a_bag_enforces_the_expected_case(two: Two) -> None:
    db, b, a = two.db, two.unit_b, two.coi_a
    for step, by, to in JOURNEY[1:5]:  # unit_a on to expansion, where it may be split
        record_event(
            db,
            two.unit_a,
            step,
            creds(by),
            creds(to) if to else None,
            condition=condition_for(step),
        )
    calls: list[Callable[[], object]] = [
        lambda: split_unit(db, unit_of(two.coi_b), 2, creds("lena"), expect=a),
        lambda: print_label(db, b, "tube", creds("alice"), expect=a),
        lambda: void_label(db, creds("alice"), two.label_b, "destroyed", expect=a),
        lambda: bedside_check(
            db, b, "Bert Beta", "1970-01-01", creds("ines"), creds("ivan"), expect=a
        ),
        lambda: record_patient_event(db, b, "bridging_start", creds("ines"), expect=a),
        lambda: override_gate(db, b, "post_thaw_window", "test", creds("quinn"), expect=a),
    ]
    for call in calls:
        _refused_once(db, call, WrongPatient)
    # and each accepts the bag of the expected case
    assert split_unit(db, two.unit_a, 2, creds("lena"), expect=a)
    assert print_label(db, two.unit_a, "tube", creds("alice"), expect=a).unit == two.unit_a
    assert verify_ledger(db).ok


def test_a_label_voided_after_the_scan_is_refused_when_saving(two: Two) -> None:
    """The GUI scans, then saves later: the save checks the label again in its write."""
    assert scan(two.db, two.label_b, expect=two.coi_b).unit is not None
    print_label(two.db, two.unit_b, "bag", creds("anna"), reason="torn")  # voids label_b
    _refused_once(
        two.db,
        lambda: record_event(
            two.db,
            two.label_b,
            "ship_to_manufacturing",
            creds("alice"),
            creds("carl"),
            expect=two.coi_b,
        ),
        VoidedLabel,
    )


def test_a_typo_of_a_typed_isbt_coi_never_opens_another_case(two: Two) -> None:
    """Issue 10: ``&/`` + the COI without its check character was completed, not checked."""
    body_a, body_b = two.coi_a[:15], two.coi_b[:15]
    for typed in (f"&/{body_a}", f"&/{body_b}"):
        with pytest.raises(MalformedScan, match="no check character"):
            scan(two.db, typed)
    assert scan(two.db, f"]C0&/{body_b}").coi == two.coi_b  # a Code 128 machine read
    assert scan(two.db, f"&/{body_b}", source="code128").coi == two.coi_b  # scanner setting
    with pytest.raises(WrongPatient):
        scan(two.db, f"]C0&/{body_b}", expect=two.coi_a)
    assert parse_coi(f"&/{two.coi_b}").full == two.coi_b


# -- CLI ---------------------------------------------------------------------------


def _cli(db: Database, args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(["--db", db.url, *args])


def test_cli_event_record_expect_refuses_another_patients_bag(
    two: Two, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record = ["event", "record", two.unit_b, "--step", "ship_to_manufacturing"]
    signers = ["--by", "alice", "--to", "carl"]
    pw = f"{password('alice')}\n{password('carl')}\n"
    entries, events = _count(two.db, LedgerEntry), _count(two.db, Event)
    assert _cli(two.db, [*record, *signers, "--expect", two.coi_a], pw, monkeypatch) == 1
    err = capsys.readouterr().err
    assert err.startswith("cart-chain: WRONG PATIENT - STOP") and err.count("\n") == 1
    assert _count(two.db, Event) == events
    assert _count(two.db, LedgerEntry) == entries + 1 and _last(two.db).kind == "scan_refused"

    voided = ["event", "record", two.void_b, "--step", "ship_to_manufacturing"]
    assert _cli(two.db, [*voided, *signers, "--expect", two.coi_b], pw, monkeypatch) == 1
    assert "VOID" in capsys.readouterr().err
    assert _count(two.db, Event) == events
    assert _count(two.db, LedgerEntry) == entries + 2 and _last(two.db).kind == "scan_refused"

    assert _cli(two.db, [*record, *signers, "--expect", two.coi_b], pw, monkeypatch) == 0
    assert _count(two.db, Event) == events + 1


def test_cli_scan_refuses_a_typed_isbt_coi_without_check(
    two: Two, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _cli(two.db, ["scan", f"&/{two.coi_b[:15]}"], "", monkeypatch) == 1
    assert "no check character" in capsys.readouterr().err
    assert _cli(two.db, ["scan", f"&/{two.coi_b}"], "", monkeypatch) == 0
    assert _cli(two.db, ["scan"], f"]C0&/{two.coi_b[:15]}\r\n", monkeypatch) == 0
    assert "Bert Beta" in capsys.readouterr().out
