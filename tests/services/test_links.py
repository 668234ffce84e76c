"""A manufacturer's identifiers linked to a case (`case link`), on SQLite and PostgreSQL:
scans of them resolve through the one scan gate, another patient's is a wrong-patient
stop recorded as a refused scan, and one identifier never names two cases."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from cart_chain.domain.din import Din, check_flags
from cart_chain.domain.errors import (
    AlreadyExists,
    CheckFailed,
    IdentifierError,
    InvalidValue,
    MalformedScan,
    PermissionDenied,
    UnknownUnit,
    WrongPatient,
)
from cart_chain.domain.identifiers import Coi
from cart_chain.services.case_detail import show_case
from cart_chain.services.custody import record_event
from cart_chain.services.links import link_case
from cart_chain.services.scanning import scan
from cart_chain.services.verification import verify_ledger
from cart_chain.store.database import Database
from cart_chain.store.ledger import get_entry
from cart_chain.store.models import CaseLink, Event, LedgerEntry
from tests.helpers import creds, enrol, unit_of

#: A manufacturer's ISBT 128 COI under its own FIN (not this facility's).
MAKER_COI = Coi.build("B1234", 2026, 777)
MAKER_DIN = Din.build("C4321", 2026, 5)


def _count(db: Database, model: type) -> int:
    return db.read(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.fixture
def two(ready_any_db: Database) -> tuple[Database, str, str]:
    db = ready_any_db
    a, b = enrol(db, "Patient A"), enrol(db, "Patient B")
    link_case(db, unit_of(a), creds("alice"), manufacturer_coi=MAKER_COI.full, lot="lot-a1")
    link_case(db, b, creds("lena"), din=MAKER_DIN.grouped(), lot="LOT-B1", rfic="RFIC-2026-9")
    return db, a, b


def test_linked_identifiers_are_recorded_signed_and_shown(two) -> None:  # type: ignore[no-untyped-def]
    db, a, b = two
    shown = {(lk.kind, lk.value, lk.unit) for lk in show_case(db, b).links}
    assert shown == {
        ("din", MAKER_DIN.full, None),
        ("lot", "LOT-B1", None),
        ("rfic", "RFIC-2026-9", None),
    }
    first = show_case(db, a).links
    assert {(lk.kind, lk.value, lk.unit) for lk in first} == {
        ("manufacturer_coi", MAKER_COI.full, unit_of(a)),
        ("lot", "LOT-A1", unit_of(a)),
    }
    entry = db.read(lambda s: get_entry(s, first[0].seq))
    assert entry is not None and entry.kind == "case_linked"
    assert [s["username"] for s in entry.payload["signatures"]] == ["alice"]
    assert verify_ledger(db).ok


@pytest.mark.parametrize(
    ("text", "kind", "bag"),
    [
        ("lot-a1", "manufacturer", True),
        (MAKER_COI.full, "manufacturer", True),
        (f"]C0&/{MAKER_COI.body}", "manufacturer", True),  # a Code 128 read, no check
        ("LOT-B1\r\n", "manufacturer", False),
        ("RFIC-2026-9", "manufacturer", False),
        (MAKER_DIN.full, "manufacturer", False),
        (MAKER_DIN.grouped(), "manufacturer", False),
        (f"]C0{MAKER_DIN.barcode}", "manufacturer", False),  # DS 001 symbol, flags 00
        (f"={MAKER_DIN.body}{check_flags(MAKER_DIN.body)}", "manufacturer", False),
    ],
)
def test_a_scan_of_a_linked_identifier_names_its_case(two, text, kind, bag) -> None:  # type: ignore[no-untyped-def]
    db, a, b = two
    coi = a if bag else b
    result = scan(db, text, expect=coi)
    assert (result.scanned, result.coi) == (kind, coi)
    assert (result.unit.unit if result.unit else None) == (unit_of(a) if bag else None)


def test_our_own_din_names_its_bag(two) -> None:  # type: ignore[no-untyped-def]
    db, a, b = two
    din = show_case(db, a).units[0].din
    assert din is not None
    result = scan(db, din, expect=a)
    assert (result.scanned, result.unit.unit if result.unit else None) == ("din", unit_of(a))
    with pytest.raises(CheckFailed):
        scan(db, din[:-1] + ("A" if din[-1] != "A" else "B"), expect=a)
    symbol = f"]C0={din[:-1]}00"  # the DIN barcode on our own collection label
    assert scan(db, symbol, expect=a).unit is not None
    with pytest.raises(WrongPatient):
        scan(db, symbol, expect=b)


@pytest.mark.parametrize("text", ["LOT-B1", "RFIC-2026-9", MAKER_DIN.full])
def test_another_patients_manufacturer_identifier_is_a_wrong_patient_stop(two, text) -> None:  # type: ignore[no-untyped-def]
    db, a, b = two
    with pytest.raises(WrongPatient, match=re.escape(f"belongs to COI {Coi(b[:-1]).grouped()}")):
        scan(db, text, expect=a)


def test_wrong_patient_bag_action_is_refused_and_recorded(two) -> None:  # type: ignore[no-untyped-def]
    db, a, b = two
    entries, events = _count(db, LedgerEntry), _count(db, Event)
    with pytest.raises(WrongPatient, match="manufacturer's COI"):
        record_event(db, MAKER_COI.full, "collection", creds("alice"), creds("anna"), expect=b)
    assert _count(db, Event) == events
    assert _count(db, LedgerEntry) == entries + 1
    last = db.read(lambda s: get_entry(s, entries + 1))
    assert last is not None and last.kind == "scan_refused"
    assert last.payload["reason"].startswith("wrong_patient")
    assert last.payload["expected_coi"] == b
    # Regression: the entry names the case and bag the manufacturer's COI is linked to.
    assert (last.payload["scanned_coi"], last.payload["scanned_unit"]) == (a, unit_of(a))
    with pytest.raises(WrongPatient, match="DIN"):
        record_event(db, MAKER_DIN.full, "collection", creds("alice"), creds("anna"), expect=a)
    last = db.read(lambda s: get_entry(s, entries + 2))
    assert last is not None and last.kind == "scan_refused"
    assert (last.payload["scanned_coi"], last.payload["scanned_unit"]) == (b, None)
    # The right case: the manufacturer's COI linked to the bag names the bag itself.
    record_event(db, MAKER_COI.full, "collection", creds("alice"), creds("anna"), expect=a)
    assert show_case(db, a).units[0].current_step == "collection"


def test_one_identifier_is_never_linked_to_two_cases(two) -> None:  # type: ignore[no-untyped-def]
    db, a, b = two
    before = _count(db, LedgerEntry)
    with pytest.raises(AlreadyExists, match="already linked to case"):
        link_case(db, a, creds("alice"), lot="LOT-B1")
    with pytest.raises(AlreadyExists, match="already linked to this case"):
        link_case(db, b, creds("alice"), rfic="rfic-2026-9")
    with pytest.raises(AlreadyExists, match="already linked to case"):  # all or nothing
        link_case(db, a, creds("alice"), lot="LOT-A2", din=MAKER_DIN.full)
    own = show_case(db, a).units[0].din
    assert own is not None
    with pytest.raises(AlreadyExists, match="DIN this facility gave"):
        link_case(db, b, creds("alice"), din=own)
    assert _count(db, LedgerEntry) == before and _count(db, CaseLink) == 5


def test_links_are_checked_before_anything_is_written(two) -> None:  # type: ignore[no-untyped-def]
    db, a, _ = two
    before = _count(db, LedgerEntry)
    with pytest.raises(PermissionDenied):
        link_case(db, a, creds("carl"), lot="LOT-X")
    with pytest.raises(IdentifierError, match="looks like an ISBT 128 COI"):
        link_case(db, a, creds("alice"), manufacturer_coi=MAKER_COI.body + "0")
    with pytest.raises(IdentifierError, match="does not match"):
        link_case(db, a, creds("alice"), din=MAKER_DIN.body + "0")
    with pytest.raises(IdentifierError, match="only letters, digits"):
        link_case(db, a, creds("alice"), lot="LOT 1")
    with pytest.raises(InvalidValue, match="at least one identifier"):
        link_case(db, a, creds("alice"))
    assert _count(db, LedgerEntry) == before


def test_an_unlinked_manufacturer_identifier_stays_unknown(two) -> None:  # type: ignore[no-untyped-def]
    db, a, _ = two
    with pytest.raises(MalformedScan):
        scan(db, "LOT-NOT-LINKED", expect=a)
    other = Coi.build("B1234", 2026, 778)
    with pytest.raises(UnknownUnit):
        scan(db, other.full)
    with pytest.raises(UnknownUnit, match="not linked to a case"):
        scan(db, f"]C0{Din.build('C4321', 2026, 6).barcode}", expect=a)


def test_case_link_on_the_command_line(ready_db: Database) -> None:
    coi = enrol(ready_db)
    env = {k: v for k, v in os.environ.items() if k not in ("CART_CHAIN_DB", "CART_CHAIN_USER")}

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cart_chain", "--db", str(ready_db.path), *args],
            input=stdin,
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
        )

    done = cli(
        "case",
        "link",
        coi,
        "--lot",
        "L-42",
        "--rfic",
        "R-1",
        "--by",
        "alice",
        stdin="alice-secret-1\n",
    )
    assert done.returncode == 0, done.stderr
    shown = json.loads(cli("case", "show", coi, "--json").stdout)
    assert {(lk["kind"], lk["value"]) for lk in shown["links"]} == {
        ("lot", "L-42"),
        ("rfic", "R-1"),
    }
    assert "Linked    lot L-42" in cli("case", "show", coi).stdout
    again = cli(
        "case",
        "link",
        enrol(ready_db, "Other"),
        "--lot",
        "l-42",
        "--by",
        "alice",
        stdin="alice-secret-1\n",
    )
    assert again.returncode == 1 and "already linked to case" in again.stderr
