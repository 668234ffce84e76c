"""Who may correct what, and verify checks every signer's authority at signing time."""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import text

from cart_chain.cli.main import main
from cart_chain.domain.authority import AUTHORITY, CORRECTABLE_FIELDS, markdown_table
from cart_chain.domain.errors import InvalidValue, PermissionDenied, SignatureError
from cart_chain.services.accounts import set_role
from cart_chain.services.case_detail import show_case
from cart_chain.services.corrections import correct
from cart_chain.services.custody import record_event
from cart_chain.services.readiness import override_gate, review_deviation
from cart_chain.services.signing import PERFORMED, signature
from cart_chain.services.verification import verify_ledger
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.kinds import kind_of
from cart_chain.store.models import Correction
from tests.helpers import creds, enrol, password, unit_of, walk

RELEASE = 6  # index of the release step in the test journey


def _count(db: Database, model: type) -> int:
    from sqlalchemy import func, select

    return db.read(lambda s: s.execute(select(func.count()).select_from(model)).scalar_one())


# -- the table ---------------------------------------------------------------------------


def test_readme_shows_the_table_the_code_uses() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    found = re.search(
        r"<!-- authority-table: start -->\n(.*?)<!-- authority-table: end -->", readme, re.S
    )
    assert found, "README lost its authority table markers"
    assert found.group(1) == markdown_table(), (
        "README's table differs from cart_chain/domain/authority.py; paste the output of "
        "`python -c 'from cart_chain.domain.authority import markdown_table as t; print(t())'`"
    )


def test_every_correctable_field_has_a_validator_and_no_administrator_anywhere() -> None:
    for kind, fields in CORRECTABLE_FIELDS.items():
        assert set(fields) == set(kind_of(kind).correctable), kind
    for rule in AUTHORITY.values():
        for slot in rule.signers:
            assert "administrator" not in slot.roles
        for roles in rule.corrections.values():
            assert "administrator" not in roles
    assert AUTHORITY[("event_recorded", "release")].corrections["void"] == {"qa"}
    assert AUTHORITY[("event_recorded", "ship_to_site")].corrections["note"] >= {"courier"}
    assert "courier" not in AUTHORITY[("event_recorded", "storage")].corrections["note"]


# -- services ----------------------------------------------------------------------------


def test_a_courier_cannot_correct_qa_entries_but_corrects_a_courier_step(ready_any_db) -> None:  # type: ignore[no-untyped-def]
    db = ready_any_db
    coi = enrol(db)
    unit = unit_of(coi)
    seqs = walk(db, unit, RELEASE + 1)  # through release
    before = _count(db, Correction)
    with pytest.raises(PermissionDenied, match=r"carl \(Courier\) may not correct void.*needs"):
        correct(db, seqs[RELEASE], {"void": "x"}, "not released", creds("carl"))
    with pytest.raises(PermissionDenied, match="lena"):  # cell_lab verifies a release, not QA
        correct(db, seqs[RELEASE], {"note": "x"}, "r", creds("lena"))
    hot = record_event(db, unit, "storage", creds("leo"), temperature_c=-100.0)
    review = review_deviation(db, hot.seq + 1, "quarantine", "check the logger", creds("quinn"))
    with pytest.raises(PermissionDenied, match="Courier"):
        correct(db, review.seq, {"reason": "x"}, "r", creds("carl"))
    override = override_gate(db, unit, "bedside_check", "paper check", creds("quinn"))
    with pytest.raises(PermissionDenied):
        correct(db, override.seq, {"reason": "x"}, "r", creds("cora"))
    with pytest.raises(PermissionDenied):  # a courier did not sign the storage step either
        correct(db, hot.seq, {"note": "x"}, "r", creds("carl"))
    assert _count(db, Correction) == before  # nothing written

    # A courier corrects a step a courier signed; QA corrects its own entries.
    correct(db, seqs[1], {"note": "seal 1234"}, "seal number missing", creds("carl"))
    correct(db, seqs[RELEASE], {"note": "RfIC 77"}, "certificate number", creds("quinn"))
    correct(db, review.seq, {"reason": "logger read: -150 °C"}, "typo", creds("quinn"))
    correct(db, override.seq, {"reason": "paper check, scanned"}, "clearer", creds("quinn"))
    case = show_case(db, coi)
    assert case.units[0].events[1].note == "seal 1234"
    assert case.units[0].deviations[0].reason == "logger read: -150 °C"
    assert case.overrides[0].reason == "paper check, scanned"
    assert verify_ledger(db).ok


def test_identity_corrections_need_a_second_person_of_the_right_role(ready_any_db) -> None:  # type: ignore[no-untyped-def]
    db = ready_any_db
    coi = enrol(db, "Jon Smth")
    seq = show_case(db, coi).seq
    fix = {"patient_name": "Jon Smith"}
    with pytest.raises(SignatureError, match="second person"):
        correct(db, seq, fix, "typo", creds("alice"))
    with pytest.raises(SignatureError, match="two different people"):
        correct(db, seq, fix, "typo", creds("alice"), creds("alice"))
    with pytest.raises(PermissionDenied, match=r"carl \(Courier\) may not verify"):
        correct(db, seq, fix, "typo", creds("alice"), creds("carl"))
    with pytest.raises(PermissionDenied, match="admin"):
        correct(db, seq, fix, "typo", creds("alice"), creds("admin"))
    with pytest.raises(PermissionDenied, match=r"lena \(Cell lab\) may not correct"):
        correct(db, seq, fix, "typo", creds("lena"), creds("alice"))  # not an enrolling role
    with pytest.raises(InvalidValue, match="only taken for corrections of patient identity"):
        correct(db, seq, {"product": "Yescarta"}, "wrong", creds("alice"), creds("anna"))
    assert _count(db, Correction) == 0

    r = correct(db, seq, fix, "typo", creds("alice"), creds("lena"))
    assert [(s.username, s.meaning) for s in r.signatures] == [
        ("alice", "Performed by"),
        ("lena", "Verified by"),
    ]
    case = show_case(db, coi)
    assert case.patient_name == "Jon Smith"
    correct(db, seq, {"product": "Yescarta"}, "wrong product", creds("ines"))  # no witness
    assert verify_ledger(db).ok


def test_cli_correct_takes_a_witness(ready_db, capsys, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import io

    coi = enrol(ready_db, "Jon Smth")
    seq = show_case(ready_db, coi).seq
    args = ["--db", str(ready_db.path), "correct", str(seq), "--set", "mrn=MRN-2"]
    args += ["--reason", "wrong MRN", "--by", "alice"]
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{password('alice')}\n"))
    assert main(args) == 1
    assert "second person" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(f"{password('alice')}\n{password('quinn')}\n"))
    assert main([*args, "--witness", "quinn"]) == 0
    assert show_case(ready_db, coi).mrn == "MRN-2"


# -- verify --------------------------------------------------------------------------------


def _edit_role(db: Database, username: str, role: str) -> None:
    """Rewrite a user's row behind cart-chain's back (its append-only trigger dropped)."""
    if db.is_sqlite:
        conn = sqlite3.connect(str(db.path))
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='trigger' AND tbl_name='users'"
        ).fetchall():
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("UPDATE users SET role = ? WHERE username = ?", (role, username))
        conn.commit()
        conn.close()
        return
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # triggers off
        conn.execute(
            text("UPDATE users SET role = :r WHERE username = :u"), dict(r=role, u=username)
        )


def test_a_role_edited_to_sign_and_put_back_fails_verify(ready_any_db) -> None:  # type: ignore[no-untyped-def]
    db = ready_any_db
    coi = enrol(db)
    walk(db, unit_of(coi), 3)
    assert verify_ledger(db).ok
    _edit_role(db, "carl", "qa")
    r = override_gate(db, unit_of(coi), "bedside_check", "needed it", creds("carl"))
    _edit_role(db, "carl", "courier")
    report = verify_ledger(db)
    assert not report.ok
    assert report.problem.seq == r.seq and report.problem.table == "signatures"
    assert "carl was courier" in report.problem.message and "needs qa" in report.problem.message


def test_a_legitimate_role_change_counts_from_its_entry_on(ready_any_db) -> None:  # type: ignore[no-untyped-def]
    db = ready_any_db
    coi = enrol(db)
    walk(db, unit_of(coi), 3)
    set_role(db, creds("admin"), "carl", "qa")
    override_gate(db, unit_of(coi), "bedside_check", "paper check", creds("carl"))
    set_role(db, creds("admin"), "carl", "courier")
    assert verify_ledger(db).ok


def _forge(db: Database, kind: str, actor: str | None, payload: dict) -> int:  # type: ignore[type-arg]
    """Append an entry with its projections and a valid hash chain, bypassing the services."""
    return db.write(lambda s: ledger.append(s, kind, actor, payload)).seq


def _sig(db: Database, username: str, meaning: str) -> dict[str, str]:
    from cart_chain.services.accounts import load_user

    return signature(db.read(lambda s: load_user(s, username)), meaning)


def test_a_forged_release_signed_by_a_courier_fails_verify(ready_any_db) -> None:  # type: ignore[no-untyped-def]
    db = ready_any_db
    coi = enrol(db)
    unit = unit_of(coi)
    walk(db, unit, RELEASE)  # through cryopreservation
    seq = _forge(
        db,
        "event_recorded",
        "carl",
        {
            "unit": unit,
            "coi": coi,
            "step": "release",
            "occurred_at": "2026-01-01T00:00:00Z",
            "started_at": None,
            "location": None,
            "temperature_c": None,
            "condition": None,
            "note": None,
            "by": "carl",
            "to": "lena",
            "signatures": [_sig(db, "carl", "Released by"), _sig(db, "lena", "Verified by")],
        },
    )
    report = verify_ledger(db)
    assert not report.ok and report.problem.seq == seq
    assert "carl was courier when signing 'Released by'; needs qa" in report.problem.message


@pytest.mark.parametrize(
    ("signers", "words"),
    [
        ((("alice", "Performed by"),), "'Verified by' signature is missing"),
        ((("alice", "Performed by"), ("carl", "Verified by")), "carl was courier"),
        ((("carl", "Performed by"),), "carl was courier"),
    ],
)
def test_forged_identity_corrections_fail_verify(ready_db, signers, words: str) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db)
    seq = show_case(ready_db, coi).seq
    forged = _forge(
        ready_db,
        "correction",
        signers[0][0],
        {
            "target_seq": seq,
            "target_kind": "case_created",
            "coi": coi,
            "unit": None,
            "changes": [{"field": "patient_name", "old": "Test Patient", "new": "Someone Else"}],
            "reason": "forged",
            "signatures": [_sig(ready_db, u, m) for u, m in signers],
        },
    )
    report = verify_ledger(ready_db)
    assert not report.ok and report.problem.seq == forged
    assert words in report.problem.message


def test_a_user_or_setting_change_by_a_non_administrator_fails_verify(ready_db) -> None:  # type: ignore[no-untyped-def]
    seq = _forge(
        ready_db, "user_changed", "carl", {"username": "carl", "change": "role", "value": "qa"}
    )
    report = verify_ledger(ready_db)
    assert not report.ok and report.problem.seq == seq
    assert "only an active administrator" in report.problem.message


def test_an_unknown_signer_and_a_deactivated_signer_fail_verify(ready_db) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.services.accounts import set_active

    coi = enrol(ready_db)
    sig = _sig(ready_db, "alice", "Performed by")
    set_active(ready_db, creds("admin"), "alice", False)
    seq = _forge(
        ready_db,
        "patient_event",
        "alice",
        {
            "coi": coi,
            "kind": "bridging_start",
            "occurred_at": "2026-01-01T00:00:00Z",
            "unit": None,
            "detail": None,
            "by": "alice",
            "to": None,
            "signatures": [sig],
        },
    )
    report = verify_ledger(ready_db)
    assert not report.ok and report.problem.seq == seq and "deactivated" in report.problem.message


def test_a_forged_case_link_signed_by_a_courier_fails_verify(ready_db) -> None:  # type: ignore[no-untyped-def]
    db = ready_db
    coi = enrol(db)
    payload = {"coi": coi, "unit": None, "links": {"lot": "LOT-F"}, "by": "carl"}
    seq = _forge(
        db, "case_linked", "carl", {**payload, "signatures": [_sig(db, "carl", PERFORMED)]}
    )
    report = verify_ledger(db)
    assert not report.ok and report.problem.seq == seq
    assert "carl was courier when signing 'Performed by'" in report.problem.message
