"""The entry kind registry (issue 14): every kind written is declared once, and the writer
refuses an undeclared kind or a payload its declaration does not describe, writing nothing."""

from __future__ import annotations

import ast
import dataclasses
import importlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from cart_chain.domain.authority import AUTHORITY, CORRECTABLE_FIELDS
from cart_chain.domain.errors import MalformedEntry
from cart_chain.services import profiles
from cart_chain.store import ledger, projections
from cart_chain.store.database import Database
from cart_chain.store.kinds import Kind, all_kinds, kind_of
from cart_chain.store.kinds.registry import req
from cart_chain.store.models import PROJECTIONS, Case, CaseProfile, LedgerEntry, Signature
from cart_chain.store.verify import verify
from tests.helpers import enrol, unit_of, walk
from tests.tamper import tamper

PACKAGE = Path(__file__).resolve().parents[2] / "cart_chain"
FIXTURE = Path(__file__).parents[1] / "fixtures" / "cart-chain-schema-0001.sqlite3"


def _written_kinds() -> dict[str, str]:
    """Every kind passed to ``ledger.append(session, KIND, ...)`` in the package, with where:
    a string literal, or a module constant resolved by importing the module."""
    found: dict[str, str] = {}
    for path in PACKAGE.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "append"
                and isinstance(node.func.value, ast.Name)
                and node.func.value.id == "ledger"
            ):
                continue
            arg = node.args[1]
            where = f"{path.relative_to(PACKAGE.parent)}:{node.lineno}"
            if isinstance(arg, ast.Constant):
                found[str(arg.value)] = where
            else:
                assert isinstance(arg, ast.Name), f"{where}: the kind is not a name or literal"
                module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
                found[getattr(importlib.import_module(module), arg.id)] = where
    return found


def test_every_kind_written_is_declared_and_every_declared_kind_is_written() -> None:
    written = _written_kinds()
    assert len(written) >= 20  # the scan finds the writers (a broken scan finds none)
    undeclared = {k: w for k, w in written.items() if k not in all_kinds()}
    assert not undeclared, f"declare these in cart_chain/store/kinds/: {undeclared}"
    assert set(all_kinds()) == set(written), "a declared kind nothing writes"


def test_each_kind_has_one_declaration_that_agrees_with_the_authority_table() -> None:
    for name, kind in all_kinds().items():
        assert kind.name == name and kind.doc
        fields = {f for rule in kind.rules() for f in rule.corrections}
        # every field the table lets someone correct has a checker, and no other
        assert fields == set(kind.correctable), name
        assert set(CORRECTABLE_FIELDS.get(name, ())) == set(kind.correctable), name
        if kind.correctable:
            assert kind.rules(), f"{name} is correctable but nobody may correct it"
    assert {k for k, _ in AUTHORITY} <= set(all_kinds())


def _counts(db: Database) -> list[int]:
    def run(session: Any) -> list[int]:
        tables = [LedgerEntry, *PROJECTIONS]
        return [session.execute(select(func.count()).select_from(t)).scalar_one() for t in tables]

    return db.read(run)


def _signature() -> dict[str, str]:
    return {
        "username": "alice",
        "printed_name": "Alice",
        "meaning": "Performed by",
        "signed_at": "2026-01-01T00:00:00.000000Z",
    }


def _gate_override(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "coi": "W000026000001",
        "unit": "W0000260000011",
        "gate": "bedside_check",
        "reason": "paper check",
        "signatures": [_signature()],
    }
    payload.update(changes)
    return {k: v for k, v in payload.items() if v is not ...}


@pytest.mark.parametrize(
    ("kind", "payload", "match"),
    [
        ("workstation_note", {"n": 1}, "'workstation_note' is not a known entry kind"),
        ("gate_override", _gate_override(reason=...), "lacks 'reason'"),
        ("gate_override", _gate_override(reason=7), r"payload.reason is int, expected str"),
        ("gate_override", _gate_override(reasn="typo"), "key 'reasn' the kind does not declare"),
        ("gate_override", _gate_override(signatures=[{"username": "alice"}]), "lacks"),
        ("gate_override", _gate_override(signatures="alice"), "signatures is str"),
        ("label_voided", {"unit": "U", "serials": [True], "by": "a", "reason": "r"}, "bool"),
        ("event_recorded", [], "not an object"),
    ],
)
def test_an_undeclared_kind_or_malformed_payload_is_refused_and_nothing_written(
    ready_db: Database, kind: str, payload: Any, match: str
) -> None:
    before = _counts(ready_db)
    with pytest.raises(MalformedEntry, match=match) as err:
        ready_db.write(lambda s: ledger.append(s, kind, "alice", payload))
    assert "nothing was written" in str(err.value)
    assert _counts(ready_db) == before
    assert ready_db.read(verify).ok


def test_a_well_formed_payload_of_each_family_is_taken(ready_db: Database) -> None:
    """Optional keys may be absent (older entries) or null; a whole number is a number."""
    coi = enrol(ready_db)
    unit = unit_of(coi)
    walk(ready_db, unit, 1)
    before = _counts(ready_db)
    entry = ready_db.write(
        lambda s: ledger.append(
            s, "scan_refused", "eleni", {"by": "eleni", "reason": "r", "expected_coi": None}
        )
    )
    assert entry.kind == "scan_refused" and _counts(ready_db)[0] == before[0] + 1
    kind_of("gate_override").check(_gate_override(coi=coi, unit=unit))
    kind_of("event_recorded").check(
        {
            "unit": unit,
            "coi": coi,
            "step": "storage",
            "occurred_at": "2026-01-01T00:00:00.000000Z",
            "temperature_c": -180,
            "location": None,
            "note": None,
            "by": "leo",
            "signatures": [],
        }
    )


def test_every_payload_of_the_oldest_schema_fits_its_declaration() -> None:
    """Entries written by the first release (schema 0001) lack later optional keys."""
    with sqlite3.connect(f"file:{FIXTURE}?mode=ro", uri=True) as conn:
        rows = conn.execute("SELECT kind, payload FROM ledger_entries").fetchall()
    assert len(rows) > 20
    for name, text in rows:
        kind_of(name).check(json.loads(text))


def test_verify_names_an_entry_of_an_undeclared_kind(
    ready_db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An entry no version wrote (a chain forged around the writer) fails verify."""
    loose = Kind("workstation_note", "forged", {"n": req(int)})

    def forged(name: str) -> Kind:
        return loose if name == "workstation_note" else kind_of(name)

    monkeypatch.setattr(ledger, "kind_of", forged)
    monkeypatch.setattr(projections, "kind_of", forged)
    seq = ready_db.write(lambda s: ledger.append(s, "workstation_note", "alice", {"n": 1})).seq
    monkeypatch.undo()
    report = ready_db.read(verify)
    assert report.problem is not None and report.problem.seq == seq
    assert "'workstation_note' is not a known entry kind" in report.problem.message


def test_the_audit_row_of_each_described_kind_comes_from_its_declaration() -> None:
    from cart_chain.services.audit_rows import audit_row

    p = {"gate": "bedside_check", "reason": "paper", "coi": "C1", "unit": "U1"}
    row = audit_row(5, "t", "gate_override", "quinn", {**p, "signatures": []}, "h")
    text = kind_of("gate_override").audit(p)  # type: ignore[misc]
    assert (row.action, row.reason, row.coi, row.unit) == (text.action, "paper", "C1", "U1")
    scan = {"by": "e", "reason": "wrong", "expected_coi": "A", "scanned_coi": "B"}
    refused = kind_of("scan_refused")
    assert refused.case(scan) == "A" and refused.cases(refused, scan) == {"A", "B"}


def _enrolment_signatures(db: Database) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """(signatures the case_created payloads carry, signatures rows projected for them)."""

    def run(session: Any) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
        entries = session.execute(
            select(LedgerEntry.seq, LedgerEntry.payload)
            .where(LedgerEntry.kind == "case_created")
            .order_by(LedgerEntry.seq)
        ).all()
        carried = [
            (seq, i, s["username"], s["meaning"], s["signed_at"])
            for seq, text in entries
            for i, s in enumerate(json.loads(text)["signatures"], start=1)
        ]
        rows = session.execute(
            select(Signature.entry_seq, Signature.ordinal, Signature.username)
            .add_columns(Signature.meaning, Signature.signed_at)
            .where(Signature.entry_seq.in_([seq for seq, _ in entries]))
            .order_by(Signature.entry_seq, Signature.ordinal)
        ).all()
        return carried, [tuple(r) for r in rows]

    return db.read(run)


def test_the_enrolment_signature_is_projected(ready_any_db: Database) -> None:
    enrol(ready_any_db)
    carried, rows = _enrolment_signatures(ready_any_db)
    assert carried and rows == carried
    assert ready_any_db.read(verify).ok


def test_the_upgrade_projects_enrolment_signatures_of_older_cases(tmp_path: Path) -> None:
    """Migration 0009 writes the rows `verify` now expects, from each entry's payload."""
    import shutil

    from tests.cli.helpers import ok, run

    path = tmp_path / "old.sqlite3"
    shutil.copy(FIXTURE, path)
    ok(run(path, "verify"))  # upgrades to the head, then verifies
    db = Database(str(path))
    try:
        carried, rows = _enrolment_signatures(db)
        assert len(carried) == 5 and rows == carried
    finally:
        db.dispose()


def test_the_enrolment_profile_copy_is_projected_and_checked(ready_db: Database) -> None:
    """profiles.of_case reads case_profiles, which verify recomputes from the payload."""
    coi = enrol(ready_db)

    def read(session: Any) -> tuple[dict[str, Any], str, str]:
        payload = json.loads(
            session.execute(
                select(LedgerEntry.payload)
                .join(Case, Case.entry_seq == LedgerEntry.seq)
                .where(Case.coi == coi)
            ).scalar_one()
        )
        row = session.execute(select(CaseProfile.profile).where(CaseProfile.coi == coi))
        return payload["profile"], row.scalar_one(), profiles.of_case(session, coi).id

    stored, projected, profile_id = ready_db.read(read)
    assert json.loads(projected) == stored and profile_id == stored["id"]
    tamper(ready_db, f"UPDATE case_profiles SET profile = '{{}}' WHERE coi = '{coi}'")
    report = ready_db.read(verify)
    assert report.problem is not None and report.problem.table == "case_profiles"


def test_migration_0009_projects_what_older_enrolments_lacked(any_db: Database) -> None:
    """A database written by 0008's code (no enrolment signature rows, no profile rows) is
    given both by the upgrade, and verifies; the case keeps its enrolment profile."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy.orm import Session

    from cart_chain.domain.identifiers import Coi
    from cart_chain.store import schema

    cfg = Config()
    cfg.set_main_option("script_location", str(schema.MIGRATIONS))
    with any_db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0008")
    case = kind_of("case_created")
    rows_0008 = dataclasses.replace(
        case, rows=lambda e: (r for r in case.rows(e) if r[0] not in (Signature, CaseProfile))
    )
    coi = Coi.build("W0000", 26, 1)
    profile = profiles.enrolment_copy(profiles.for_product("Kymriah"), None)
    with pytest.MonkeyPatch.context() as mp:
        mp.setitem(all_kinds(), "case_created", rows_0008)  # type: ignore[arg-type]
        with any_db.engine.begin() as conn, Session(bind=conn) as s:
            for actor, user, role in (
                (None, "admin", "administrator"),
                ("admin", "alice", "apheresis"),
            ):
                payload = {"username": user, "full_name": user.title(), "role": role}
                ledger.append(s, "user_created", actor, {**payload, "password_hash": "x"})
            ledger.append(
                s,
                "case_created",
                "alice",
                {
                    "coi": coi.full,
                    "facility": "W0000",
                    "year": 26,
                    "patient": {"name": "P", "dob": "1970-01-01", "mrn": "M1"},
                    "product": "Kymriah",
                    "profile": profile,
                    "units": [coi.unit(1).full],
                    "signatures": [{**_signature(), "printed_name": "Alice"}],
                },
            )
            s.flush()
    schema.upgrade(any_db)
    assert any_db.read(verify).ok
    carried, rows = _enrolment_signatures(any_db)
    assert len(rows) == 1 and rows == carried
    assert any_db.read(lambda s: profiles.of_case(s, coi.full)).id == profile["id"]
