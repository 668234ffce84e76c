"""A signed write takes the write lock once: its signers are learnt by a dry run first.

`signed_write` used to abort and rerun the write at each signer whose password it
had not checked, so a two-person handoff ran its whole write transaction three
times. It now rehearses the write in a read transaction, checks every signer it
met outside any transaction, and writes once. The order of the answers a user
sees must not change: a refusal met before a signer comes first (a wrong
patient's bag is still a wrong patient), and nothing met after a signer is told
before that signer's password has been checked.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cart_chain.domain.errors import AuthenticationError, WrongPatient
from cart_chain.services.accounts import Credentials
from cart_chain.services.custody import record_event
from cart_chain.store.database import Database
from cart_chain.store.models import LedgerEntry, UserChange
from tests.helpers import creds, enrol, unit_of, walk


def _count_writes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the write transactions opened (not a stub: each call still runs)."""
    calls: list[int] = []
    real = Database.write

    def counted(self, fn, *more):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(self, fn, *more)

    monkeypatch.setattr(Database, "write", counted)
    return calls


def _failures(db: Database, username: str) -> int:
    return db.read(
        lambda s: s.scalar(
            select(func.count())
            .select_from(UserChange)
            .where(UserChange.username == username, UserChange.change == "auth_failed")
        )
    )


def _entries(db: Database) -> int:
    return db.read(lambda s: s.scalar(select(func.count()).select_from(LedgerEntry)))


def test_a_two_person_handoff_is_one_write_transaction(ready_any_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    unit = unit_of(enrol(ready_any_db))
    walk(ready_any_db, unit, 1)
    calls = _count_writes(monkeypatch)
    record_event(ready_any_db, unit, "ship_to_manufacturing", creds("alice"), creds("carl"))
    assert len(calls) == 1  # was 3: one aborted run per signer, then the real one


def test_a_wrong_patient_bag_is_still_told_before_a_wrong_password(ready_db) -> None:  # type: ignore[no-untyped-def]
    mine, other = enrol(ready_db), enrol(ready_db, "Other Patient")
    before = _entries(ready_db)
    with pytest.raises(WrongPatient):
        record_event(
            ready_db,
            unit_of(other),
            "collection",
            Credentials("alice", "wrong"),
            creds("anna"),
            location="Bay 1",
            expect=mine,
        )
    # Nothing was signed, and the scan refusal could not be signed either: the wrong
    # password is counted once instead (the refusal is what the user sees).
    assert _failures(ready_db, "alice") == 1
    assert _entries(ready_db) == before + 1


def test_what_follows_a_signer_waits_for_their_password(ready_db) -> None:  # type: ignore[no-untyped-def]
    """A courier cannot sign a collection, but a guesser must not learn that (nor that
    the account is a courier's) before the password is right."""
    unit = unit_of(enrol(ready_db))
    with pytest.raises(AuthenticationError):
        record_event(
            ready_db, unit, "collection", Credentials("carl", "wrong"), creds("anna"), location="B"
        )
    assert _failures(ready_db, "carl") == 1


def test_the_second_signer_s_wrong_password_is_counted_and_nothing_is_written(ready_db) -> None:  # type: ignore[no-untyped-def]
    unit = unit_of(enrol(ready_db))
    before = _entries(ready_db)
    with pytest.raises(AuthenticationError, match="anna"):
        record_event(
            ready_db, unit, "collection", creds("alice"), Credentials("anna", "x"), location="B"
        )
    assert _failures(ready_db, "anna") == 1
    assert _failures(ready_db, "alice") == 0
    assert _entries(ready_db) == before + 1  # the failed attempt only


def _count_calls(monkeypatch: pytest.MonkeyPatch, owner: object, name: str) -> list[int]:
    """Count calls of ``owner.name`` (each call still runs the real function)."""
    calls: list[int] = []
    real = getattr(owner, name)

    def counted(*args, **kwargs):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(owner, name, counted)
    return calls


def test_a_handoff_whose_named_signers_may_sign_checks_the_bag_once(
    ready_any_db, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """Both signers are named, so their passwords are checked before the write and the
    write is not rehearsed: its checks (the bag, the step, the gates) run once, not
    twice (the rehearsal ran all of them in a read transaction first)."""
    from cart_chain.services import custody

    unit = unit_of(enrol(ready_any_db))
    walk(ready_any_db, unit, 1)
    resolved = _count_calls(monkeypatch, custody, "resolve_bag")
    record_event(ready_any_db, unit, "ship_to_manufacturing", creds("alice"), creds("carl"))
    assert len(resolved) == 1


@pytest.mark.parametrize("who", ["wrong password", "unknown name"])
def test_a_named_signer_who_cannot_sign_is_hashed_once_and_told_as_before(
    ready_db, monkeypatch, who
) -> None:  # type: ignore[no-untyped-def]
    """When a named signer cannot sign, the rehearsal decides the answer; the password
    checked before it is not hashed again (the same work for a name that does not
    exist as for a wrong password), and a failure is counted once."""
    from cart_chain.services import passwords

    unit = unit_of(enrol(ready_db))
    second = Credentials("anna", "x") if who == "wrong password" else Credentials("nobody", "x")
    hashed = _count_calls(monkeypatch, passwords, "verify_password")
    with pytest.raises(AuthenticationError, match=second.username):
        record_event(ready_db, unit, "collection", creds("alice"), second, location="B")
    assert len(hashed) == 2  # one per signer
    assert _failures(ready_db, "anna") == (1 if who == "wrong password" else 0)
    assert _failures(ready_db, "alice") == 0


def _count_rehearsals(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Count the dry runs (each still runs): a write whose signers were named and may
    all sign needs none."""
    from cart_chain.services import auth

    calls: list[int] = []
    real = auth._rehearse

    def counted(*args):  # type: ignore[no-untyped-def]
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(auth, "_rehearse", counted)
    return calls


def test_bag_writes_name_their_signers_so_none_is_rehearsed(ready_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.labels.printing import print_label
    from cart_chain.services.readiness import bedside_check

    coi = enrol(ready_db, "Pat Example")
    walk(ready_db, unit_of(coi), 11)  # through thaw
    rehearsed = _count_rehearsals(monkeypatch)
    writes = _count_writes(monkeypatch)
    print_label(ready_db, unit_of(coi), "bag", creds("anna"))
    result = bedside_check(
        ready_db, unit_of(coi), "Pat Example", "1970-01-01", creds("ines"), creds("ivan")
    )
    assert result.passed
    assert rehearsed == []  # each ran its checks twice before: a dry run, then the write
    assert len(writes) == 2
