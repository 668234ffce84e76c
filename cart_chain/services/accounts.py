"""Users, roles, authentication, lockout and signing credentials.

A user's state (password, role, active, failed attempts, locked) is the fold of
their ledger entries, so every change is attributable and nothing is updated
in place. Failed attempts are committed in their own transaction even though
the operation they belonged to is rolled back: the attempt happened.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cart_chain.domain.errors import (
    AccountLocked,
    AlreadyExists,
    AuthenticationError,
    InvalidValue,
    NotFound,
    PermissionDenied,
)
from cart_chain.domain.roles import Role, parse_role
from cart_chain.services import passwords
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import User, UserChange

MAX_FAILURES = 5
USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,31}")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Credentials:
    """What a signer types: user name and password. Never stored, never logged."""

    username: str
    password: str = ""

    def __repr__(self) -> str:
        return f"Credentials({self.username!r}, password=***)"


@dataclass(frozen=True, slots=True)
class UserState:
    username: str
    full_name: str
    role: Role
    password_hash: str
    active: bool
    failures: int
    locked: bool


@dataclass(frozen=True, slots=True)
class UserInfo:
    username: str
    full_name: str
    role: str
    active: bool
    locked: bool
    failures: int


class _BadPassword(Exception):
    """Internal: raised inside a write to roll it back; turned into a recorded failure."""

    def __init__(self, username: str) -> None:
        self.username = username


def validate_username(username: str) -> str:
    u = username.strip().lower()
    if not USERNAME.fullmatch(u):
        raise InvalidValue(
            f"user name {username!r} must be 2-32 characters: a letter, then letters, "
            "digits, '.', '_' or '-'"
        )
    return u


_USER_HISTORY = (
    select(User.full_name, User.role, UserChange.change, UserChange.value)
    .join(UserChange, UserChange.username == User.username)
    .where(User.username == bindparam("username"))
    .order_by(UserChange.entry_seq)
)


def load_user(session: Session, username: str) -> UserState:
    """Fold the user's ledger history (one query: it runs at every signature)."""
    rows = session.connection().execute(_USER_HISTORY, {"username": username}).all()
    if not rows:
        raise NotFound(f"no user {username!r}")
    full_name, role_text = rows[0][0], rows[0][1]
    password_hash, role, active, failures, locked = "", Role(role_text), True, 0, False
    for _, _, change, value in rows:
        if change == "password":
            password_hash, failures = value or "", 0
        elif change == "role":
            role = Role(value)
        elif change == "active":
            active = value == "1"
        elif change == "auth_failed":
            failures += 1
        elif change == "auth_ok":
            failures = 0
        elif change == "locked":
            locked = True
        elif change == "unlocked":
            locked, failures = False, 0
    return UserState(username, full_name, role, password_hash, active, failures, locked)


def _authenticate_in(session: Session, creds: Credentials) -> UserState:
    """Check a signer inside the caller's transaction (see `signed_write`)."""
    username = creds.username.strip().lower()
    try:
        user = load_user(session, username)
    except NotFound:
        raise AuthenticationError(f"unknown user {creds.username!r}") from None
    if user.locked:
        raise AccountLocked(
            f"account {username!r} is locked after {MAX_FAILURES} failed attempts; "
            "an administrator must unlock it"
        )
    if not user.active:
        raise AuthenticationError(f"account {username!r} is deactivated")
    if not passwords.verify_password(user.password_hash, creds.password):
        raise _BadPassword(username)
    if user.failures:
        ledger.append(
            session,
            "user_changed",
            username,
            {"username": username, "change": "auth_ok", "value": None},
        )
    return user


def _record_failure(session: Session, username: str) -> bool:
    user = load_user(session, username)
    ledger.append(
        session,
        "user_changed",
        username,
        {"username": username, "change": "auth_failed", "value": None},
    )
    if user.failures + 1 >= MAX_FAILURES and not user.locked:
        ledger.append(
            session,
            "user_changed",
            username,
            {"username": username, "change": "locked", "value": None},
        )
        return True
    return False


def signed_write(db: Database, fn: Callable[[Session], T]) -> T:
    """Run a write whose signers are checked with `authenticate_in`.

    A wrong password rolls back the whole operation, then the failed attempt
    (and a lock, at the fifth) is committed on its own.
    """
    try:
        return db.write(fn)
    except _BadPassword as bad:
        username = bad.username
        locked = db.write(lambda s: _record_failure(s, username))
        if locked:
            raise AccountLocked(
                f"wrong password for {bad.username!r}; the account is now locked after "
                f"{MAX_FAILURES} failed attempts and an administrator must unlock it"
            ) from None
        raise AuthenticationError(f"wrong password for {bad.username!r}") from None


authenticate_in = _authenticate_in


def require_role(user: UserState, allowed: frozenset[Role], action: str) -> None:
    if user.role not in allowed:
        names = ", ".join(sorted(r.value for r in allowed))
        raise PermissionDenied(
            f"{user.username} ({user.role.value}) may not {action}; needs one of: {names}"
        )


# -- use cases -------------------------------------------------------------------


def create_user(
    session: Session, actor: str | None, username: str, full_name: str, role: Role, password: str
) -> ledger.Entry:
    if session.get(User, username) is not None:
        raise AlreadyExists(f"user {username!r} already exists")
    full_name = full_name.strip()
    if not full_name or "\n" in full_name:
        raise InvalidValue("a user needs a printed full name (it appears on every signature)")
    passwords.check_policy(password, username)
    return ledger.append(
        session,
        "user_created",
        actor,
        {
            "username": username,
            "full_name": full_name,
            "role": role.value,
            "password_hash": passwords.hash_password(password),
        },
    )


def add_user(
    db: Database, by: Credentials, username: str, full_name: str, role: str, password: str
) -> ledger.Entry:
    username, parsed = validate_username(username), parse_role(role)

    def run(session: Session) -> ledger.Entry:
        admin = _authenticate_in(session, by)
        require_role(admin, frozenset({Role.ADMINISTRATOR}), "manage users")
        return create_user(session, admin.username, username, full_name, parsed, password)

    return signed_write(db, run)


def _admin_change(
    db: Database,
    by: Credentials,
    username: str,
    change: str,
    value: str | None,
    check: Callable[[UserState], None] | None = None,
) -> ledger.Entry:
    username = username.strip().lower()

    def run(session: Session) -> ledger.Entry:
        admin = _authenticate_in(session, by)
        require_role(admin, frozenset({Role.ADMINISTRATOR}), "manage users")
        target = load_user(session, username)
        if check is not None:
            check(target)
        return ledger.append(
            session,
            "user_changed",
            admin.username,
            {"username": username, "change": change, "value": value},
        )

    return signed_write(db, run)


def unlock_user(db: Database, by: Credentials, username: str) -> ledger.Entry:
    return _admin_change(db, by, username, "unlocked", None)


def set_role(db: Database, by: Credentials, username: str, role: str) -> ledger.Entry:
    return _admin_change(db, by, username, "role", parse_role(role).value)


def set_active(db: Database, by: Credentials, username: str, active: bool) -> ledger.Entry:
    def not_self(target: UserState) -> None:
        if target.username == by.username.strip().lower() and not active:
            raise PermissionDenied("an administrator cannot deactivate their own account")

    return _admin_change(db, by, username, "active", "1" if active else "0", not_self)


def reset_password(db: Database, by: Credentials, username: str, new_password: str) -> ledger.Entry:
    username = username.strip().lower()
    passwords.check_policy(new_password, username)
    return _admin_change(db, by, username, "password", passwords.hash_password(new_password))


def login(db: Database, creds: Credentials) -> UserInfo:
    """Check a user at log-in or unlock; failures count towards the lockout."""
    user = signed_write(db, lambda s: _authenticate_in(s, creds))
    return UserInfo(
        user.username, user.full_name, user.role.value, user.active, user.locked, user.failures
    )


def list_users(db: Database) -> list[UserInfo]:
    def run(session: Session) -> list[UserInfo]:
        names = session.execute(select(User.username).order_by(User.username)).scalars().all()
        out = []
        for name in names:
            u = load_user(session, name)
            out.append(
                UserInfo(u.username, u.full_name, u.role.value, u.active, u.locked, u.failures)
            )
        return out

    return db.read(run)
