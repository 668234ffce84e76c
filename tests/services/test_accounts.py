"""Users, passwords, lockout and separation of duties."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from cart_chain.domain.errors import (
    AuthenticationError,
    InvalidValue,
    PermissionDenied,
)
from cart_chain.services import accounts, setup
from cart_chain.services.accounts import Credentials
from cart_chain.services.cases import new_case
from cart_chain.services.demo import add_user_with_own_password
from cart_chain.store.models import LedgerEntry, UserChange
from tests.helpers import ADMIN, creds, enrol, password, unit_of


def _entries(db) -> int:  # type: ignore[no-untyped-def]
    return db.read(lambda s: s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one())


@pytest.mark.real_argon2
def test_passwords_are_argon2id_at_owasp_parameters(db) -> None:  # type: ignore[no-untyped-def]
    # A fresh database: the shared one's hashes are low-cost (tests/conftest.py).
    setup.init_database(db, ADMIN[0], ADMIN[1], ADMIN[3])
    add_user_with_own_password(
        db, creds("admin"), "alice", "Alice A", "apheresis", password("alice")
    )
    hashes = db.read(
        lambda s: (
            s.execute(
                select(UserChange.value).where(
                    UserChange.change.in_(("password", "password_temporary"))
                )
            )
            .scalars()
            .all()
        )
    )
    assert hashes and all(h.startswith("$argon2id$v=19$m=19456,t=2,p=1$") for h in hashes)
    assert not any("secret" in h for h in hashes)


@pytest.mark.parametrize(
    "pw",
    ["short", "eleven-char", "password1234", "PASSWORD1234", "newbie", "x" * 1025],
)
def test_weak_passwords_refused(ready_db, pw: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidValue):
        accounts.add_user(ready_db, creds("admin"), "newbie", "New Bie", "courier", pw)


def test_twelve_characters_and_long_passphrases_allowed(ready_db) -> None:  # type: ignore[no-untyped-def]
    accounts.add_user(ready_db, creds("admin"), "newbie", "New Bie", "courier", "twelve-chars")
    accounts.change_own_password(ready_db, "newbie", "twelve-chars", "x" * 80)
    assert accounts.login(ready_db, Credentials("newbie", "x" * 80)).role == "courier"


def test_five_failures_lock_and_an_administrator_unlocks_at_once(ready_db) -> None:  # type: ignore[no-untyped-def]
    for _ in range(5):
        with pytest.raises(AuthenticationError) as info:
            accounts.login(ready_db, Credentials("carl", "nope-nope-nope"))
        assert type(info.value) is AuthenticationError
    with pytest.raises(AuthenticationError):  # the right password: still locked
        accounts.login(ready_db, creds("carl"))
    info = {u.username: u for u in accounts.list_users(ready_db)}
    assert info["carl"].locked
    with pytest.raises(PermissionDenied):
        accounts.unlock_user(ready_db, creds("quinn"), "carl")
    accounts.unlock_user(ready_db, creds("admin"), "carl")
    assert accounts.login(ready_db, creds("carl")).username == "carl"


def test_success_resets_the_failure_count(ready_db) -> None:  # type: ignore[no-untyped-def]
    for _ in range(3):
        with pytest.raises(AuthenticationError):
            accounts.login(ready_db, Credentials("carl", "nope-nope-nope"))
    accounts.login(ready_db, creds("carl"))
    for _ in range(4):
        with pytest.raises(AuthenticationError):
            accounts.login(ready_db, Credentials("carl", "nope-nope-nope"))
    assert accounts.login(ready_db, creds("carl")).username == "carl"


def test_failed_signature_stores_nothing_but_the_attempt(ready_db) -> None:  # type: ignore[no-untyped-def]
    before = _entries(ready_db)
    with pytest.raises(AuthenticationError):
        new_case(ready_db, Credentials("alice", "wrong-one-wrong"), "P", "1970-01-01", "M", "X")
    assert _entries(ready_db) == before + 1  # only the auth_failed entry
    kinds = ready_db.read(
        lambda s: s.execute(
            select(UserChange.change).order_by(UserChange.entry_seq.desc()).limit(1)
        ).scalar()
    )
    assert kinds == "auth_failed"


def test_administrator_manages_users_but_signs_no_custody_record(ready_db) -> None:  # type: ignore[no-untyped-def]
    from cart_chain.services.custody import record_event

    with pytest.raises(PermissionDenied):
        new_case(ready_db, creds("admin"), "P", "1970-01-01", "M", "X")
    coi = enrol(ready_db)
    with pytest.raises(PermissionDenied, match="administrators sign no custody record"):
        record_event(ready_db, unit_of(coi), "collection", creds("admin"), creds("anna"))
    with pytest.raises(PermissionDenied, match="manage users"):
        accounts.add_user(ready_db, creds("alice"), "eve", "Eve", "qa", "eve-secret-1")


def test_deactivated_user_cannot_sign(ready_db) -> None:  # type: ignore[no-untyped-def]
    accounts.set_active(ready_db, creds("admin"), "alice", False)
    with pytest.raises(AuthenticationError):
        accounts.login(ready_db, creds("alice"))
    with pytest.raises(AuthenticationError):
        new_case(ready_db, creds("alice"), "P", "1970-01-01", "M", "X")
    with pytest.raises(PermissionDenied):
        accounts.set_active(ready_db, creds("admin"), "admin", False)


def test_role_change_and_password_reset(ready_db) -> None:  # type: ignore[no-untyped-def]
    accounts.set_role(ready_db, creds("admin"), "carl", "cell_lab")
    accounts.reset_password(ready_db, creds("admin"), "carl", "brand-new-pass")
    info = accounts.login(ready_db, Credentials("carl", "brand-new-pass"))
    assert info.role == "cell_lab" and info.must_change
    with pytest.raises(AuthenticationError):
        accounts.login(ready_db, creds("carl"))
