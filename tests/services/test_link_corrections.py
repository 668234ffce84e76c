"""A wrong link is corrected like any entry (`correct`, with a reason), on SQLite and
PostgreSQL: the case_links projection follows the correction, so a corrected-away
identifier no longer resolves and the new one does, and `verify` still passes."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import func, select

from cart_chain.domain.din import Din
from cart_chain.domain.errors import (
    AlreadyExists,
    IdentifierError,
    InvalidValue,
    MalformedScan,
    PermissionDenied,
    UnknownUnit,
    WrongPatient,
)
from cart_chain.domain.identifiers import Coi
from cart_chain.services.case_detail import show_case
from cart_chain.services.corrections import correct
from cart_chain.services.links import link_case
from cart_chain.services.scanning import scan
from cart_chain.services.verification import verify_ledger
from cart_chain.store.database import Database
from cart_chain.store.models import LedgerEntry
from tests.helpers import creds, enrol, unit_of

WRONG_DIN = Din.build("C4321", 2026, 5)
RIGHT_DIN = Din.build("C4321", 2026, 6)
MAKER_COI = Coi.build("B1234", 2026, 777)


def _entries(db: Database) -> int:
    return db.read(lambda s: s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one())


@pytest.fixture
def linked(ready_any_db: Database) -> tuple[Database, str, str, int]:
    db = ready_any_db
    a, b = enrol(db, "Patient A"), enrol(db, "Patient B")
    seq = link_case(db, b, creds("lena"), din=WRONG_DIN.full, lot="LOT-B1").seq
    link_case(db, unit_of(a), creds("alice"), manufacturer_coi=MAKER_COI.full, lot="LOT-A1")
    return db, a, b, seq


def test_a_corrected_identifier_resolves_and_the_old_one_does_not(linked) -> None:  # type: ignore[no-untyped-def]
    db, a, b, seq = linked
    assert scan(db, WRONG_DIN.full, expect=b).coi == b
    fixed = correct(db, seq, {"din": RIGHT_DIN.grouped()}, "DIN misread", creds("ines")).seq
    assert scan(db, RIGHT_DIN.full, expect=b).coi == b
    with pytest.raises(WrongPatient):
        scan(db, RIGHT_DIN.full, expect=a)
    with pytest.raises(UnknownUnit, match="not linked to a case"):
        scan(db, WRONG_DIN.full, expect=b)
    shown = {(lk.kind, lk.value, lk.seq, lk.corrected_in) for lk in show_case(db, b).links}
    assert shown == {("din", RIGHT_DIN.full, seq, fixed), ("lot", "LOT-B1", seq, None)}
    # Corrected again: the latest value is in force, the one before no longer is.
    correct(db, seq, {"din": Din.build("C4321", 2026, 7).full}, "still wrong", creds("lena"))
    with pytest.raises(UnknownUnit):
        scan(db, RIGHT_DIN.full, expect=b)
    assert scan(db, Din.build("C4321", 2026, 7).full, expect=b).coi == b
    assert verify_ledger(db).ok


def test_an_identifier_is_taken_off_with_an_empty_value(linked) -> None:  # type: ignore[no-untyped-def]
    db, _a, b, seq = linked
    correct(db, seq, {"lot": ""}, "lot belongs to another product", creds("quinn"))
    with pytest.raises(MalformedScan):
        scan(db, "LOT-B1", expect=b)
    assert [lk.kind for lk in show_case(db, b).links] == ["din"]
    with pytest.raises(InvalidValue, match="links no lot"):
        correct(db, seq, {"lot": "LOT-B2"}, "x", creds("quinn"))
    assert verify_ledger(db).ok


def test_a_link_correction_is_refused_as_a_link_would_be(linked) -> None:  # type: ignore[no-untyped-def]
    db, _a, b, seq = linked
    before = _entries(db)
    with pytest.raises(PermissionDenied):
        correct(db, seq, {"lot": "LOT-B2"}, "x", creds("carl"))  # a courier may not link
    with pytest.raises(AlreadyExists, match="already linked to case"):
        correct(db, seq, {"lot": "lot-a1"}, "x", creds("lena"))
    with pytest.raises(InvalidValue, match="already"):
        correct(db, seq, {"lot": "lot-b1"}, "x", creds("lena"))
    with pytest.raises(IdentifierError, match="check"):
        correct(db, seq, {"din": RIGHT_DIN.full[:-1] + "0"}, "x", creds("lena"))
    with pytest.raises(InvalidValue, match="links no manufacturer's COI"):
        correct(db, seq, {"manufacturer_coi": "M-1"}, "x", creds("lena"))
    with pytest.raises(InvalidValue, match="needs a reason"):
        correct(db, seq, {"lot": "LOT-B2"}, " ", creds("lena"))
    with pytest.raises(AlreadyExists, match=r"corrected away|already linked"):
        correct(db, seq, {"din": RIGHT_DIN.full, "lot": "LOT-A1"}, "x", creds("lena"))
    assert _entries(db) == before  # every refusal wrote nothing
    assert scan(db, WRONG_DIN.full, expect=b).coi == b
    assert verify_ledger(db).ok


def test_a_corrected_away_identifier_is_linked_again_to_the_right_case(linked) -> None:  # type: ignore[no-untyped-def]
    """Regression: the unique (kind, value) constraint refused it forever (migration 0006)."""
    db, a, b, seq = linked
    correct(db, seq, {"din": ""}, "wrong case", creds("lena"))
    again = link_case(db, a, creds("lena"), din=WRONG_DIN.full).seq
    assert scan(db, WRONG_DIN.full, expect=a).coi == a
    with pytest.raises(WrongPatient):
        scan(db, WRONG_DIN.full, expect=b)
    assert [(lk.kind, lk.seq) for lk in show_case(db, a).links if lk.kind == "din"] == [
        ("din", again)
    ]
    # In force again: a second link, or a correction to it, of the same value is refused.
    before = _entries(db)
    with pytest.raises(AlreadyExists, match="already linked to case"):
        link_case(db, b, creds("lena"), din=WRONG_DIN.full)
    with pytest.raises(AlreadyExists, match="already linked to this case"):
        link_case(db, a, creds("lena"), din=WRONG_DIN.full)
    with pytest.raises(AlreadyExists, match="already linked to case"):
        correct(db, seq, {"lot": "LOT-A1"}, "x", creds("lena"))
    assert _entries(db) == before
    assert verify_ledger(db).ok


def test_a_value_corrected_away_in_its_own_entry_can_be_put_back(linked) -> None:  # type: ignore[no-untyped-def]
    db, _a, b, seq = linked
    correct(db, seq, {"lot": "LOT-B9"}, "misread", creds("lena"))
    correct(db, seq, {"lot": "LOT-B1"}, "it was right", creds("lena"))
    assert scan(db, "LOT-B1", expect=b).coi == b
    assert {lk.value for lk in show_case(db, b).links if lk.kind == "lot"} == {"LOT-B1"}
    assert verify_ledger(db).ok


def test_correct_a_link_on_the_command_line(linked) -> None:  # type: ignore[no-untyped-def]
    db, _a, b, seq = linked
    if not db.is_sqlite:
        pytest.skip("the command line is the same on PostgreSQL; the service is tested there")
    env = {k: v for k, v in os.environ.items() if k not in ("CART_CHAIN_DB", "CART_CHAIN_USER")}
    args = ["correct", str(seq), "--set", f"din={RIGHT_DIN.full}", "--reason", "misread"]
    done = subprocess.run(
        [sys.executable, "-m", "cart_chain", "--db", str(db.path), *args, "--by", "lena"],
        input="lena-secret-1\n",
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    shown = subprocess.run(
        [sys.executable, "-m", "cart_chain", "--db", str(db.path), "case", "show", b],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    ).stdout
    assert f"Linked    DIN {RIGHT_DIN.full}" in shown and "corrected in entry" in shown
    assert WRONG_DIN.full not in shown
