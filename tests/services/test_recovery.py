"""Break-glass: QA and a witness recover an administrator who cannot log in (issue 10).

On SQLite and PostgreSQL: the recovery sets a temporary password that signs
nothing until changed, is one signed entry that `verify` accepts, raises an
alert for administrators and QA, and every refusal writes nothing.
"""

from __future__ import annotations

import io
import sys
from dataclasses import replace

import pytest
from sqlalchemy import func, select

from cart_chain.cli.main import main
from cart_chain.domain.errors import (
    AuthenticationError,
    InvalidValue,
    PermissionDenied,
    SignatureError,
)
from cart_chain.services import accounts
from cart_chain.services.accounts import Credentials, PasswordChangeRequired
from cart_chain.services.recovery import recover_admin
from cart_chain.services.verification import verify_ledger
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import LedgerEntry
from cart_chain.store.signers import SignerCheck
from tests.helpers import creds

TEMPORARY = "break-glass-temp-1"


def _entries(db: Database) -> int:
    return db.read(lambda s: s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one())


def test_qa_and_a_witness_give_a_forgotten_administrator_a_temporary_password(
    ready_any_db: Database,
) -> None:
    db = ready_any_db
    r = recover_admin(
        db, "admin", creds("quinn"), creds("lena"), "admin password forgotten", TEMPORARY
    )
    entry = db.read(lambda s: ledger.get_entry(s, r.seq))
    assert entry is not None and entry.kind == "admin_recovered" and entry.actor == "quinn"
    assert entry.payload["username"] == "admin" and entry.payload["witness"] == "lena"
    assert [(s.username, s.meaning) for s in r.signatures] == [
        ("quinn", "Performed by"),
        ("lena", "Verified by"),
    ]
    # The old password is gone; the temporary one only leads to a forced change.
    with pytest.raises(AuthenticationError):
        accounts.login(db, creds("admin"))
    assert accounts.login(db, Credentials("admin", TEMPORARY)).must_change
    with pytest.raises(PasswordChangeRequired):  # it manages nobody until changed
        accounts.unlock_user(db, Credentials("admin", TEMPORARY), "carl")
    # Administrators and QA see it as an alert, until an administrator clears it.
    (alert,) = accounts.open_alerts(db)
    assert alert.seq == r.seq and alert.username == "admin"
    assert "break-glass" in alert.text and "quinn" in alert.text and "lena" in alert.text
    accounts.change_own_password(db, "admin", TEMPORARY, "admin-own-again-1")
    accounts.unlock_user(db, Credentials("admin", "admin-own-again-1"), "admin")
    assert accounts.open_alerts(db) == []
    assert verify_ledger(db).ok


@pytest.mark.parametrize(
    ("by", "witness", "admin", "error", "words"),
    [
        ("lena", "quinn", "admin", PermissionDenied, "may not recover"),  # performer not QA
        ("quinn", "quinn", "admin", SignatureError, "two different people"),
        ("quinn", "lena", "alice", PermissionDenied, "not an active administrator"),
        ("quinn", "admin", "admin", SignatureError, "their own account"),
    ],
)
def test_refused_recoveries_write_nothing(
    ready_any_db: Database, by: str, witness: str, admin: str, error: type, words: str
) -> None:
    db = ready_any_db
    before = _entries(db)
    with pytest.raises(error, match=words):
        recover_admin(db, admin, creds(by), creds(witness), "forgotten", TEMPORARY)
    assert _entries(db) == before
    assert accounts.login(db, creds("admin")).username == "admin"  # untouched


def test_a_recovery_needs_a_reason_a_good_password_and_the_right_passwords(
    ready_any_db: Database,
) -> None:
    db = ready_any_db
    before = _entries(db)
    with pytest.raises(InvalidValue, match="reason"):
        recover_admin(db, "admin", creds("quinn"), creds("lena"), "  ", TEMPORARY)
    with pytest.raises(InvalidValue, match="at least 12"):
        recover_admin(db, "admin", creds("quinn"), creds("lena"), "forgotten", "short")
    assert _entries(db) == before
    with pytest.raises(AuthenticationError):
        recover_admin(db, "admin", creds("quinn"), Credentials("lena", "wrong"), "x", TEMPORARY)
    assert _entries(db) == before + 1  # only the witness's failed attempt
    assert accounts.login(db, creds("admin")).username == "admin"


def test_verify_refuses_a_forged_recovery(ready_any_db: Database) -> None:
    """A recovery performed by a non-QA user, or of a user who is not an administrator,
    written around the service, fails `verify`."""
    from cart_chain.services.signing import signature

    db = ready_any_db

    def sig(username: str, meaning: str) -> dict[str, str]:
        return signature(db.read(lambda s: accounts.load_user(s, username)), meaning)

    def forge(actor: str, target: str, sigs: list[dict[str, str]]) -> int:
        payload = {
            "username": target,
            "password_hash": "$argon2id$forged",
            "reason": "forged",
            "by": actor,
            "witness": "lena",
            "signatures": sigs,
        }
        return db.write(lambda s: ledger.append(s, "admin_recovered", actor, payload)).seq

    seq = forge("carl", "admin", [sig("carl", "Performed by"), sig("lena", "Verified by")])
    report = verify_ledger(db)
    assert not report.ok and report.problem.seq == seq
    assert "carl was courier when signing 'Performed by'; needs qa" in report.problem.message

    # A recovery of a user who is not an administrator (checked on the entry itself:
    # the authority table alone cannot say whom an entry names).
    check = SignerCheck()
    for e in db.read(lambda s: [ledger.get_entry(s, n) for n in range(1, seq)]):
        assert e is not None and check.check(e) is None
    forged = db.read(lambda s: ledger.get_entry(s, seq))
    assert forged is not None
    good = [sig("quinn", "Performed by"), sig("lena", "Verified by")]
    of_alice = replace(forged, actor="quinn", payload={**forged.payload, "username": "alice"})
    of_alice.payload["signatures"] = good
    problem = check.check(of_alice)
    assert problem is not None and "'alice', who was not an active administrator" in problem[1]
    of_admin = replace(of_alice, payload={**of_alice.payload, "username": "admin"})
    assert check.check(of_admin) is None


def test_cli_recover_admin(
    ready_db: Database, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = ready_db
    args = ["--db", db.url, "user", "recover-admin", "admin", "--by", "quinn", "--witness"]
    stdin = f"{creds('quinn').password}\n{creds('lena').password}\n{TEMPORARY}\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    before = _entries(db)
    assert main([*args, "quinn", "--reason", "forgotten"]) == 1  # same person twice
    assert "two different people" in capsys.readouterr().err
    assert _entries(db) == before
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    assert main([*args, "lena", "--reason", "every admin password forgotten"]) == 0
    out = capsys.readouterr().out
    assert "temporary password set for administrator admin" in out and "unlock admin" in out
    assert accounts.login(db, Credentials("admin", TEMPORARY)).must_change
    assert verify_ledger(db).ok
