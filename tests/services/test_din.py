"""ISBT 128 DINs (Data Structure 001): parsing with check character and flags, and the
DIN each collection gets at enrolment, shown in `case show`."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from cart_chain.domain.din import Din, check_flags, parse_din, parse_din_symbol
from cart_chain.domain.errors import IdentifierError
from cart_chain.domain.identifiers import mod37_2
from cart_chain.services.case_detail import show_case
from cart_chain.services.custody import split_unit
from cart_chain.services.verification import verify_ledger
from cart_chain.store.database import Database
from tests.helpers import creds, enrol, unit_of, walk


def test_din_check_character_is_iso_7064_mod_37_2_over_13_characters() -> None:
    # The examples ISBT 128 gives for its keyboard check character.
    assert Din("G123498654321").check == "H"
    assert Din("A999818123456").check == "N"
    assert parse_din("G123498654321H").body == "G123498654321"


def test_din_structure_is_fin_year_sequence() -> None:
    din = Din.build("a9998", 2026, 42)
    assert (din.body, din.fin, din.year, din.sequence) == ("A999826000042", "A9998", 26, 42)
    assert din.full == "A999826000042" + mod37_2("A999826000042")
    assert din.barcode == "=A99982600004200"
    assert din.grouped() == f"A9998 26 000042 00 [{din.check}]"


@pytest.mark.parametrize(
    "typed",
    [
        "A999818123456N",
        "=A999818123456N",
        "A9998 18 123456 [N]",
        "a999818123456n",
        "A999818123456 00 N",
        "A99981812345600N",
    ],
)
def test_typed_dins_parse_with_their_check_character(typed: str) -> None:
    assert parse_din(typed) == Din("A999818123456")


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("A999818123456", "no check character"),
        ("A999818123456M", "does not match"),
        ("A999818123465N", "does not match"),  # two neighbours swapped
        ("O999818123456" + mod37_2("O999818123456"), "is not a DIN"),  # FIN never starts O
        ("A99981812345", "got 12"),
        ("A9998181234567N", "got 15"),
        ("A999818123456\u0085N", "control character"),
    ],
)
def test_bad_dins_say_what_is_wrong(typed: str, message: str) -> None:
    with pytest.raises(IdentifierError, match=message):
        parse_din(typed)


def test_flag_characters() -> None:
    body = "A999818123456"
    # Type 1 (00-59): process control, kept as read.
    assert parse_din_symbol(body + "07").flags == "07"
    # Type 2 (60-96): the check character itself, value + 60 ('N' is 23 -> 83).
    assert check_flags(body) == "83"
    assert parse_din_symbol(body + "83") == Din(body, "83")
    with pytest.raises(IdentifierError, match="carry a check character that does not match"):
        parse_din_symbol(body + "84")
    with pytest.raises(IdentifierError, match="not defined"):
        parse_din_symbol(body + "97")
    with pytest.raises(IdentifierError, match="two digits"):
        parse_din_symbol(body + "AB")
    with pytest.raises(IdentifierError, match="2 flags"):
        parse_din_symbol(body)


def test_each_collection_gets_its_own_din_in_sequence(ready_db: Database) -> None:
    first = show_case(ready_db, enrol(ready_db, bags=2))
    second = show_case(ready_db, enrol(ready_db))
    dins = [u.din for u in first.units] + [u.din for u in second.units]
    assert all(dins) and len(set(dins)) == 3
    parsed = [parse_din(d) for d in dins if d]
    assert [d.sequence for d in parsed] == [1, 2, 3]
    assert {d.fin for d in parsed} == {first.facility}
    assert first.units[0].din_grouped == parsed[0].grouped()
    assert verify_ledger(ready_db).ok


def test_a_split_bag_keeps_its_collections_din(ready_db: Database) -> None:
    coi = enrol(ready_db)
    walk(ready_db, unit_of(coi), 5)  # up to expansion
    split_unit(ready_db, unit_of(coi), 2, creds("lena"))
    units = show_case(ready_db, coi).units
    assert len(units) == 2 and units[0].din and units[0].din == units[1].din


def test_the_database_refuses_a_second_din_for_a_unit(ready_db: Database) -> None:
    enrol(ready_db)
    with ready_db.engine.begin() as conn, pytest.raises(IntegrityError):
        conn.execute(
            text(
                "INSERT INTO dins (din, entry_seq, unit_code, coi, facility, year, sequence) "
                "SELECT 'B999826000001X', entry_seq, unit_code, coi, 'B9998', year, sequence "
                "FROM dins"
            )
        )


def test_case_show_prints_the_din_and_json_has_it(ready_db: Database, capsys) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.cli.main import main

    coi = enrol(ready_db)
    din = show_case(ready_db, coi).units[0].din
    assert din is not None
    assert main(["--db", str(ready_db.path), "case", "show", coi]) == 0
    out = capsys.readouterr().out
    assert f"DIN {parse_din(din).grouped()}" in out
    assert main(["--db", str(ready_db.path), "case", "show", coi, "--json"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["units"][0]["din"] == din
