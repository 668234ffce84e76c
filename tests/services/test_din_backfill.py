"""Collections enrolled before DINs existed get one from a signed admin command (issue 12).

The 0001 fixture's collections are found after its upgrade (its administrator's
password is not known to the tests, so the signed command runs on cases enrolled
as before 0004: the same ledger entry without ``dins``). Then `case show` and the
collection label carry the DIN, `verify` passes, and enrolment continues the sequence."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from cart_chain.domain.errors import PermissionDenied
from cart_chain.domain.identifiers import Coi
from cart_chain.labels.printing import print_label
from cart_chain.services.case_detail import show_case
from cart_chain.services.din_backfill import backfill, missing
from cart_chain.services.verification import verify_ledger
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.ledger import get_entry
from tests.cli.helpers import ok, one_line_error, run
from tests.helpers import ADMIN, creds, enrol, unit_of
from tests.labels.helpers import pdf_text

FIXTURES = Path(__file__).parents[1] / "fixtures"
OLD_UNIT = "CHA999926000002U02L"  # the second bag of case 2, enrolled at schema 0001


def _old(tmp_path: Path) -> Path:
    path = tmp_path / "old.sqlite3"
    shutil.copy(FIXTURES / "cart-chain-schema-0001.sqlite3", path)
    return path


def _dins(path: Path, unit: str) -> list[str | None]:
    shown = json.loads(ok(run(path, "case", "show", unit, "--json")))
    return [u["din"] for u in shown["units"]]


def _enrol_before_dins(db: Database, bags: int = 2) -> str:
    """A case as enrolment wrote it before 0004: the same entry without ``dins``."""
    template = enrol(db)

    def run(session: Session) -> str:
        entry = get_entry(session, show_case(db, template).seq)
        assert entry is not None
        coi = Coi.build(entry.payload["facility"], entry.payload["year"], 900)
        payload = {k: v for k, v in entry.payload.items() if k != "dins"}
        payload |= {"coi": coi.full, "units": [coi.unit(n).full for n in range(1, bags + 1)]}
        ledger.append(session, "case_created", entry.actor, payload)
        return coi.full

    return db.write(run)


def test_the_fixture_s_collections_are_found_after_the_upgrade(tmp_path: Path) -> None:
    path = _old(tmp_path)
    assert _dins(path, OLD_UNIT) == [None, None]  # upgraded to the head: still no DIN
    db = Database(str(path))
    try:
        found = db.read(missing)
        assert len(found) == 6 and OLD_UNIT in {u for u, *_ in found}
        assert not any(u == "CHA999926000002U02L" and c != "CHA999926000002Y" for u, c, *_ in found)
    finally:
        db.dispose()


def test_backfill_gives_every_old_collection_a_din(ready_any_db: Database) -> None:
    db = ready_any_db
    coi = _enrol_before_dins(db)
    assert [u.din for u in show_case(db, coi).units] == [None, None]
    text = pdf_text(print_label(db, unit_of(coi), "collection", creds("anna"), fmt="pdf").output)
    assert "DIN not assigned" in text
    with pytest.raises(PermissionDenied, match="may not assign DINs"):
        backfill(db, creds("quinn"))
    assigned = backfill(db, creds("admin"))
    assert [u for u, _ in assigned] == [unit_of(coi, 1), unit_of(coi, 2)]
    dins = [u.din for u in show_case(db, coi).units]
    assert dins == [d for _, d in assigned] and len(set(dins)) == 2
    assert backfill(db, creds("admin")) == []  # nothing left: nothing recorded
    text = pdf_text(
        print_label(
            db, unit_of(coi), "collection", creds("anna"), reason="no DIN", fmt="pdf"
        ).output
    )
    assert "DIN not assigned" not in text
    new = show_case(db, enrol(db)).units[0].din
    assert new is not None and new not in dins  # enrolment continues after the backfill
    report = verify_ledger(db)
    assert report.ok, report.problem  # the dins rows are rebuilt from the signed entry


def test_backfill_on_the_command_line(ready_db: Database, tmp_path: Path) -> None:
    coi = _enrol_before_dins(ready_db, bags=1)
    refused = run(ready_db.path, "din", "backfill", "--by", "carl", stdin="carl-secret-1\n")
    assert "may not assign DINs" in one_line_error(refused, 1)
    out = ok(run(ready_db.path, "din", "backfill", "--by", "admin", stdin=f"{ADMIN[3]}\n"))
    assert f"{unit_of(coi)}  DIN " in out and "gave 1 collection(s) a DIN" in out
    again = ok(run(ready_db.path, "din", "backfill", "--by", "admin", stdin=f"{ADMIN[3]}\n"))
    assert "nothing recorded" in again
    shown = json.loads(ok(run(ready_db.path, "case", "show", coi, "--json")))
    assert shown["units"][0]["din"]


def test_only_an_administrator_backfills(ready_db: Database) -> None:
    with pytest.raises(PermissionDenied):
        backfill(ready_db, creds("quinn"))
    assert backfill(ready_db, creds("admin")) == []  # new cases already have their DINs
