"""Bad input is refused by the services, naming the field and the limit; nothing is stored.

Issue 10, "Bad input": length limits, control / invisible / direction-changing
characters, temperatures Python's float() would accept, and dates before enrolment.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from cart_chain.cli.main import main
from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.temperature import parse_temperature
from cart_chain.domain.text import clean_location, clean_name, clean_note, clean_reason
from cart_chain.services import accounts, corrections, custody, readiness, scanning
from cart_chain.services.case_detail import show_case
from cart_chain.services.cases import new_case
from cart_chain.services.verification import verify_ledger
from cart_chain.store.database import Database
from tests.helpers import creds, enrol, unit_of

#: One of each kind of character the issue names: NUL, a C0 control (ANSI escape),
#: a C1 control, line separator, bidi override and isolate, zero-width space and joiner,
#: word joiner, byte-order mark, a lone surrogate (undecodable command-line bytes).
BAD = (
    "\x00",
    "\x1b[31m",
    "\x85",
    "\x9b",
    "\u2028",
    "\u061c",
    "\u200e",
    "\u202e",
    "\u2067",
    "\u200b",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\udcff",
    "\t",
)


@pytest.mark.parametrize("bad", BAD)
def test_names_refuse_control_and_invisible_characters(bad: str) -> None:
    with pytest.raises(InvalidValue, match="patient name contains U\\+"):
        clean_name(f"Anna{bad}Smith", "patient name")
    with pytest.raises(InvalidValue, match="location contains"):
        clean_location(f"Room{bad}1")


def test_notes_keep_newlines_and_tabs_but_refuse_other_controls() -> None:
    assert clean_note("line one\r\nline\ttwo\n") == "line one\nline\ttwo"
    assert clean_reason("spilled\nbag") == "spilled bag"
    for bad in BAD[:-1]:
        with pytest.raises(InvalidValue, match="note contains"):
            clean_note(f"a{bad}b")
        with pytest.raises(InvalidValue, match="reason contains"):
            clean_reason(f"a{bad}b")


def test_text_is_nfc_and_limits_name_field_and_limit() -> None:
    assert clean_name("Jose\u0301  Garci\u0301a") == "Jos\u00e9 Garc\u00eda"
    assert len(clean_name("x" * 200)) == 200
    with pytest.raises(InvalidValue, match="patient name is longer than 200 characters"):
        clean_name("x" * 201, "patient name")
    with pytest.raises(InvalidValue, match="location is longer than 200"):
        clean_location("x" * 201)
    with pytest.raises(InvalidValue, match="note is longer than 2000"):
        clean_note("x" * 2001)
    with pytest.raises(InvalidValue, match="reason is longer than 2000"):
        clean_reason("x" * 2001)


@pytest.mark.parametrize(
    "text", ["-inf", "inf", "nan", "-1e309", "1e2", "\u0663\u0667", "３７", "1_0", "", "4.5.1"]
)
def test_temperature_parser_refuses_what_float_accepts(text: str) -> None:
    with pytest.raises(InvalidValue, match="not a number in °C"):
        parse_temperature(text)


def test_temperature_parser_reads_what_people_write() -> None:
    assert parse_temperature("-150") == -150.0
    assert parse_temperature(" 4,5 ") == 4.5
    assert parse_temperature("+37.") == 37.0
    assert parse_temperature("\u2212196") == -196.0
    with pytest.raises(InvalidValue, match="not physically plausible"):
        parse_temperature("-300")


@pytest.mark.parametrize("text", ["-inf", "-1e309", "\u0663\u0667"])
def test_cli_temperature_gives_a_clear_error(text: str, tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    db = str(tmp_path / "none.sqlite3")
    argv = ["--db", db, "event", "record", "X", "--step", "thaw", "--temperature", text]
    with pytest.raises(SystemExit) as stopped:
        main(argv)
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert "not a number in °C" in err and "Traceback" not in err
    assert not (tmp_path / "none.sqlite3").exists()


def _entries(db: Database) -> int:
    return verify_ledger(db).entries


def test_every_service_refuses_bad_text_and_stores_nothing(ready_any_db: Database) -> None:
    db = ready_any_db
    coi = enrol(db)
    unit = unit_of(coi)
    before = _entries(db)
    huge = "Z" * 10_000_000
    tries = [
        (
            "patient name is longer than 200",
            lambda: new_case(db, creds("alice"), huge, "1970-01-01", "M1", "Kymriah"),
        ),
        (
            "patient name contains U\\+0000",
            lambda: new_case(db, creds("alice"), "A\x00B", "1970-01-01", "M1", "Kymriah"),
        ),
        (
            "patient name contains U\\+001B",
            lambda: new_case(db, creds("alice"), "\x1b[2JX", "1970-01-01", "M1", "Kymriah"),
        ),
        (
            "MRN contains U\\+202E",
            lambda: new_case(db, creds("alice"), "Ann", "1970-01-01", "M\u202e1", "Kymriah"),
        ),
        (
            "MRN is longer than 64",
            lambda: new_case(db, creds("alice"), "Ann", "1970-01-01", "M" * 65, "Kymriah"),
        ),
        (
            "product contains U\\+200B",
            lambda: new_case(db, creds("alice"), "Ann", "1970-01-01", "M1", "Kym\u200briah"),
        ),
        (
            "date of birth",
            lambda: new_case(db, creds("alice"), "Ann", "\u0661\u0669\u0667\u0660-01-01", "M", "K"),
        ),
        (
            "full name contains U\\+0000",
            lambda: accounts.add_user(
                db, creds("admin"), "newbie", "New\x00Bie", "courier", "newbie-secret-1"
            ),
        ),
        (
            "full name is longer than 200",
            lambda: accounts.add_user(
                db, creds("admin"), "newbie", "N" * 201, "courier", "newbie-secret-1"
            ),
        ),
        (
            "location contains U\\+000A",
            lambda: custody.record_event(
                db, unit, "collection", creds("alice"), creds("anna"), location="A\nB"
            ),
        ),
        (
            "location is longer than 200",
            lambda: custody.record_event(
                db, unit, "collection", creds("alice"), creds("anna"), location="L" * 201
            ),
        ),
        (
            "note is longer than 2000",
            lambda: custody.record_event(
                db, unit, "collection", creds("alice"), creds("anna"), note="N" * 2001
            ),
        ),
        (
            "condition contains U\\+2066",
            lambda: custody.record_event(
                db, unit, "collection", creds("alice"), creds("anna"), condition="ok\u2066"
            ),
        ),
        (
            "detail contains U\\+0000",
            lambda: readiness.record_patient_event(
                db, coi, "bridging_start", creds("ines"), detail="R\x00"
            ),
        ),
        (
            "reason is longer than 2000",
            lambda: readiness.review_deviation(db, 1, "accept", "R" * 2001, creds("quinn")),
        ),
        (
            "reason contains U\\+001B",
            lambda: readiness.override_gate(db, unit, "lymphodepletion", "\x1b[0m", creds("quinn")),
        ),
        (
            "reason contains U\\+FEFF",
            lambda: corrections.correct(db, 1, {"note": "x"}, "\ufeffwhy", creds("alice")),
        ),
        (
            "reason is longer than 2000",
            lambda: scanning.record_refused_scan(db, creds("alice"), coi, "XYZ", "R" * 2001),
        ),
    ]
    for expected, attempt in tries:
        with pytest.raises(InvalidValue, match=expected):
            attempt()
    assert _entries(db) == before
    assert [c.patient_name for c in [show_case(db, coi)]] == ["Test Patient"]


def test_correction_values_are_checked_like_new_values(ready_any_db: Database) -> None:
    db = ready_any_db
    coi = enrol(db)
    case_seq = show_case(db, coi).seq
    step = custody.record_event(
        db, unit_of(coi), "collection", creds("alice"), creds("anna"), temperature_c=20
    ).seq
    before = _entries(db)
    for field, value, expected in (
        ("patient_name", "Ann\u202eX", "contains U\\+202E"),
        ("patient_name", "A" * 201, "longer than 200"),
        ("mrn", "M\x00", "MRN contains U\\+0000"),
    ):
        with pytest.raises(InvalidValue, match=expected):
            corrections.correct(db, case_seq, {field: value}, "typo", creds("alice"), creds("anna"))
    for field, value, expected in (
        ("temperature_c", "-inf", "not a number in °C"),
        ("temperature_c", "\u0663\u0667", "not a number in °C"),
        ("location", "x\x1b", "location contains"),
        ("note", "n" * 2001, "note is longer than 2000"),
    ):
        with pytest.raises(InvalidValue, match=expected):
            corrections.correct(db, step, {field: value}, "typo", creds("alice"))
    assert _entries(db) == before


def test_steps_and_patient_events_long_before_enrolment_are_refused(
    ready_any_db: Database,
) -> None:
    db = ready_any_db
    coi = enrol(db)
    unit = unit_of(coi)
    now = datetime.now(UTC)
    before = _entries(db)
    with pytest.raises(InvalidValue, match="more than 60 days before the case was enrolled"):
        custody.record_event(
            db,
            unit,
            "collection",
            creds("alice"),
            creds("anna"),
            occurred_at=now.replace(year=now.year - 1),
        )
    with pytest.raises(InvalidValue, match="more than 60 days before the case was enrolled"):
        readiness.record_patient_event(
            db, coi, "bridging_start", creds("ines"), occurred_at=now - timedelta(days=61)
        )
    assert _entries(db) == before
    # 59 days back is a late entry, not a typing error: accepted.
    readiness.record_patient_event(
        db, coi, "bridging_start", creds("ines"), occurred_at=now - timedelta(days=59)
    )
    custody.record_event(
        db,
        unit,
        "collection",
        creds("alice"),
        creds("anna"),
        occurred_at=now - timedelta(days=59),
        temperature_c=20,
    )
    assert _entries(db) == before + 2


def test_text_stored_before_these_rules_is_printed_escaped(ready_db: Database) -> None:
    """An ANSI escape already in the records (stored by an older version) is shown as text."""
    from cart_chain.domain.identifiers import Coi
    from cart_chain.services import profiles
    from cart_chain.store import ledger
    from tests.cli.helpers import ok, run

    coi = Coi.build("W0000", 26, 900)

    def old_record(session):  # type: ignore[no-untyped-def]
        patient = {"name": "Evil\x1b[2J\x1b[31mName", "dob": "1970-01-01", "mrn": "M\u202e9"}
        ledger.append(
            session,
            "case_created",
            "alice",
            {
                "coi": coi.full,
                "facility": "W0000",
                "year": 26,
                "patient": patient,
                "product": "Kymriah",
                "profile": profiles.for_product("Kymriah").to_dict(),
                "units": [coi.unit(1).full],
                "signatures": [],
            },
        )

    ready_db.write(old_record)
    for args in (("case", "list"), ("case", "show", coi.full)):
        out = ok(run(ready_db.path, *args))
        assert "\x1b" not in out and "\u202e" not in out
        assert "Evil\\x1b[2J\\x1b[31mName" in out
