"""A signer's state kept from their last signature (`services.signer_cache`) is never
trusted for a signature: another workstation changes the account, and the next
handoff at this one, whose kept state is then stale, is refused with nothing written
(but a failed attempt, when the password typed is the old one).

Each test first shows the state kept here really is stale, so the refusal comes from
the write's own read of the account, not from a state read afresh before it.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cart_chain.domain.errors import AuthenticationError, PermissionDenied
from cart_chain.services import signer_cache
from cart_chain.services.accounts import (
    Credentials,
    change_own_password,
    login,
    set_active,
    set_role,
)
from cart_chain.services.custody import record_event
from cart_chain.store import ledger
from cart_chain.store.database import Database
from tests.helpers import TEMPERATURES, creds, enrol, password, unit_of, walk

NEW_PASSWORD = "alice-changed-secret-2"


@pytest.fixture
def other(ready_any_db: Database) -> Iterator[Database]:
    """Another workstation on the same database."""
    db = Database(ready_any_db.url)
    yield db
    db.dispose()


def _collected(db: Database) -> str:
    """A bag collected, after another was shipped by alice and carl: both their states
    are now kept here, so the next shipment reads neither before its write."""
    walk(db, unit_of(enrol(db, "Shipped Before")), 2)
    unit = unit_of(enrol(db))
    walk(db, unit, 1)
    assert signer_cache.kept(db, ["alice", "carl"]) is not None
    return unit


def _ship(db: Database, unit: str, by: Credentials, to: str = "carl") -> int:
    return record_event(
        db,
        unit,
        "ship_to_manufacturing",
        by,
        creds(to),
        location="dock",
        temperature_c=TEMPERATURES["ship_to_manufacturing"],
    ).seq


def _entries_after(db: Database, seq: int) -> list[tuple[str, dict[str, object]]]:
    head = db.read(ledger.head).seq
    return [
        (e.kind, e.payload)
        for e in (db.read(lambda s, n=n: ledger.get_entry(s, n)) for n in range(seq + 1, head + 1))
    ]


def _stale(db: Database, other: Database, name: str) -> None:
    kept = signer_cache.kept(db, [name])
    assert kept is not None
    from cart_chain.services.auth import find_user

    now = other.read(lambda s: find_user(s, name))
    assert now != kept[name], "the other workstation did not change the account"


def test_the_old_password_after_a_change_elsewhere_is_refused(
    ready_any_db: Database, other: Database
) -> None:
    db = ready_any_db
    unit = _collected(db)
    change_own_password(other, "alice", password("alice"), NEW_PASSWORD)
    _stale(db, other, "alice")
    before = db.read(ledger.head).seq
    with pytest.raises(AuthenticationError):
        _ship(db, unit, creds("alice"))
    # Only the failed attempt is recorded: no step, no signature.
    after = _entries_after(db, before)
    assert [(k, p["change"], p["username"]) for k, p in after] == [
        ("user_changed", "auth_failed", "alice")
    ]
    assert signer_cache.kept(db, ["alice"]) is None
    # The new password signs (its state is read again).
    seq = _ship(db, unit, Credentials("alice", NEW_PASSWORD))
    assert db.read(lambda s: ledger.get_entry(s, seq)).kind == "event_recorded"


def test_an_account_deactivated_elsewhere_signs_nothing(
    ready_any_db: Database, other: Database
) -> None:
    db = ready_any_db
    unit = _collected(db)
    set_active(other, creds("admin"), "alice", False)
    _stale(db, other, "alice")
    before = db.read(ledger.head).seq
    with pytest.raises(AuthenticationError):
        _ship(db, unit, creds("alice"))
    assert _entries_after(db, before) == []


def test_an_account_locked_elsewhere_signs_nothing(ready_any_db: Database, other: Database) -> None:
    db = ready_any_db
    unit = _collected(db)
    for _ in range(5):
        with pytest.raises(AuthenticationError):
            login(other, Credentials("alice", "not-her-password-1"))
    _stale(db, other, "alice")
    before = db.read(ledger.head).seq
    with pytest.raises(AuthenticationError):
        _ship(db, unit, creds("alice"))  # her right password
    assert _entries_after(db, before) == []


def test_a_role_taken_away_elsewhere_is_checked_in_the_write(
    ready_any_db: Database, other: Database
) -> None:
    db = ready_any_db
    unit = _collected(db)
    set_role(other, creds("admin"), "alice", "qa")
    _stale(db, other, "alice")
    before = db.read(ledger.head).seq
    with pytest.raises(PermissionDenied):
        _ship(db, unit, creds("alice"))
    assert _entries_after(db, before) == []


def test_at_most_limit_accounts_are_kept_the_least_recent_going_first(
    ready_any_db: Database,
) -> None:
    from cart_chain.services.auth import find_user

    db = ready_any_db
    alice = db.read(lambda s: find_user(s, "alice"))
    assert alice is not None
    signer_cache.keep(db, {f"user{i}": alice for i in range(signer_cache.LIMIT)})
    assert signer_cache.kept(db, ["user0"]) is not None  # now the most recent
    signer_cache.keep(db, {"newest": alice})
    assert signer_cache.kept(db, ["user1"]) is None  # the least recent went
    assert signer_cache.kept(db, ["user0", "newest"]) is not None
    assert signer_cache.kept(db, ["user0", "nobody"]) is None  # all or nothing
    signer_cache.forget(db, ["user0"])
    assert signer_cache.kept(db, ["user0"]) is None
