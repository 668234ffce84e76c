"""The collection step records the product's volume and anticoagulant (issue 12), and the
ST-018 collection label prints them instead of write-in lines; any other step, an
out-of-range volume or a malformed name is refused with nothing written."""

from __future__ import annotations

import io
import sys

import pytest
from sqlalchemy import func, select

from cart_chain.cli.main import main
from cart_chain.domain.errors import InvalidValue
from cart_chain.labels.printing import print_label
from cart_chain.services.case_detail import show_case
from cart_chain.services.corrections import correct
from cart_chain.services.custody import record_event
from cart_chain.services.verification import verify_ledger
from cart_chain.store.database import Database
from cart_chain.store.ledger import get_entry
from cart_chain.store.models import LedgerEntry
from tests.helpers import creds, password, walk
from tests.labels.cases import enrol_unit
from tests.labels.helpers import pdf_text


def _entries(db: Database) -> int:
    return db.read(lambda s: s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one())


def _collect(db: Database, unit: str, **kw: object) -> int:
    return record_event(
        db, unit, "collection", creds("alice"), creds("anna"), location="apheresis", **kw
    ).seq  # type: ignore[arg-type]


def test_volume_and_anticoagulant_are_recorded_and_shown(ready_any_db: Database) -> None:
    db = ready_any_db
    unit = enrol_unit(db)
    seq = _collect(db, unit, volume_ml=212.5, anticoagulant="  ACD-A ")
    (event,) = show_case(db, unit).units[0].events
    assert (event.volume_ml, event.anticoagulant) == (212.5, "ACD-A")
    entry = db.read(lambda s: get_entry(s, seq))
    assert entry is not None
    assert (entry.payload["volume_ml"], entry.payload["anticoagulant"]) == (212.5, "ACD-A")
    assert verify_ledger(db).ok  # the projection columns are rebuilt from the payload


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"volume_ml": 0.0}, "more than 0"),
        ({"volume_ml": -5.0}, "more than 0"),
        ({"volume_ml": 2000.5}, "at most 2000"),
        ({"volume_ml": float("nan")}, "number"),
        ({"anticoagulant": "A" * 41}, "40"),
        ({"anticoagulant": "ACD\nA"}, "anticoagulant"),
    ],
)
def test_a_bad_volume_or_anticoagulant_is_refused(
    ready_any_db: Database, kw: dict[str, object], match: str
) -> None:
    db = ready_any_db
    unit = enrol_unit(db)
    before = _entries(db)
    with pytest.raises(InvalidValue, match=match):
        _collect(db, unit, **kw)
    assert _entries(db) == before


def test_the_limits_themselves_are_accepted(ready_db: Database) -> None:
    unit = enrol_unit(ready_db)
    _collect(ready_db, unit, volume_ml=2000.0, anticoagulant="A" * 40)
    (event,) = show_case(ready_db, unit).units[0].events
    assert event.volume_ml == 2000.0


def test_only_the_collection_step_takes_them(ready_any_db: Database) -> None:
    db = ready_any_db
    unit = enrol_unit(db)
    walk(db, unit, 1)
    before = _entries(db)
    with pytest.raises(InvalidValue, match="at the collection step"):
        record_event(
            db,
            unit,
            "ship_to_manufacturing",
            creds("alice"),
            creds("carl"),
            location="dock",
            temperature_c=4.0,
            volume_ml=200.0,
        )
    assert _entries(db) == before


def test_the_collection_label_prints_them(ready_db: Database) -> None:
    db = ready_db
    unit = enrol_unit(db)
    _collect(db, unit, volume_ml=212.5, anticoagulant="ACD-A")
    text = pdf_text(print_label(db, unit, "collection", creds("anna"), fmt="pdf").output)
    assert "VOLUME ANTICOAGULANT 212.5 mL ACD-A" in text
    assert "(write in)" not in text.split("STORAGE")[0].split("VOLUME")[1]


def test_unrecorded_ones_stay_write_in_lines(ready_db: Database) -> None:
    db = ready_db
    unit = enrol_unit(db)
    _collect(db, unit, volume_ml=300.0)
    text = pdf_text(print_label(db, unit, "collection", creds("anna"), fmt="pdf").output)
    assert "300 mL ________________ (write in)" in text


def test_event_record_on_the_command_line(
    ready_db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ready_db
    unit = enrol_unit(db)
    base = ["--db", db.url, "event", "record", unit, "--step", "collection"]
    base += ["--by", "alice", "--to", "anna", "--location", "apheresis"]
    stdin = f"{password('alice')}\n{password('anna')}\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    before = _entries(db)
    assert main([*base, "--volume-ml", "0"]) == 1
    assert "more than 0" in capsys.readouterr().err
    assert _entries(db) == before
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert main([*base, "--volume-ml", "245,5", "--anticoagulant", "ACD-A"]) == 0, (
        capsys.readouterr().err
    )
    (event,) = show_case(db, unit).units[0].events
    assert (event.volume_ml, event.anticoagulant) == (245.5, "ACD-A")


# -- corrections (issue 14: issue 12 left volume and anticoagulant uncorrectable) ----------


def test_volume_and_anticoagulant_are_corrected_and_the_label_prints_the_new_values(
    ready_db: Database,
) -> None:
    db = ready_db
    unit = enrol_unit(db)
    seq = _collect(db, unit, volume_ml=212.5, anticoagulant="ACD-A")
    correct(db, seq, {"volume_ml": "250,5"}, "scale read wrongly", creds("alice"))
    correct(db, seq, {"anticoagulant": " heparin "}, "wrong bag picked", creds("anna"))
    (event,) = show_case(db, unit).units[0].events
    assert (event.volume_ml, event.anticoagulant) == (250.5, "heparin")
    assert [(c.field, c.old_value, c.new_value) for c in event.corrections] == [
        ("volume_ml", "212.5", "250.5"),
        ("anticoagulant", "ACD-A", "heparin"),
    ]
    entry = db.read(lambda s: get_entry(s, seq))
    assert entry is not None and entry.payload["volume_ml"] == 212.5  # the original stays
    text = pdf_text(print_label(db, unit, "collection", creds("anna"), fmt="pdf").output)
    assert "VOLUME ANTICOAGULANT 250.5 mL heparin" in text
    assert verify_ledger(db).ok


@pytest.mark.parametrize(
    ("field", "value", "match"),
    [
        ("volume_ml", "0", "more than 0"),
        ("volume_ml", "2001", "at most 2000"),
        ("volume_ml", "lots", "not a number"),
        ("volume_ml", " ", "cannot be empty"),
        ("anticoagulant", "A" * 41, "40"),
        ("anticoagulant", "", "cannot be empty"),
        ("volume_ml", "212.5", "already"),
    ],
)
def test_a_bad_corrected_volume_or_anticoagulant_is_refused(
    ready_db: Database, field: str, value: str, match: str
) -> None:
    db = ready_db
    unit = enrol_unit(db)
    seq = _collect(db, unit, volume_ml=212.5, anticoagulant="ACD-A")
    before = _entries(db)
    with pytest.raises(InvalidValue, match=match):
        correct(db, seq, {field: value}, "typo", creds("alice"))
    assert _entries(db) == before


def test_only_a_collection_step_has_a_volume_to_correct(ready_db: Database) -> None:
    db = ready_db
    unit = enrol_unit(db)
    shipped = walk(db, unit, 2)[1]
    before = _entries(db)
    with pytest.raises(InvalidValue, match="cannot be corrected; correctable: location") as err:
        correct(db, shipped, {"volume_ml": "100"}, "typo", creds("alice"))
    assert "volume_ml" not in str(err.value).split("correctable:")[1]
    assert _entries(db) == before


def test_a_volume_is_corrected_on_the_command_line(
    ready_db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ready_db
    unit = enrol_unit(db)
    seq = _collect(db, unit, volume_ml=212.5)
    base = ["--db", db.url, "correct", str(seq), "--reason", "scale misread", "--by", "alice"]
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{password('alice')}\n"))
    before = _entries(db)
    assert main([*base, "--set", "volume_ml=lots"]) == 1
    assert "not a number" in capsys.readouterr().err
    assert _entries(db) == before
    monkeypatch.setattr(sys, "stdin", io.StringIO(f"{password('alice')}\n"))
    assert main([*base, "--set", "volume_ml=245"]) == 0, capsys.readouterr().err
    (event,) = show_case(db, unit).units[0].events
    assert event.volume_ml == 245.0
