"""Users and roles: creating them, administrators' changes, one's own password, alerts.

Checking who signs (the fold, passwords, lockout, `signed_write`) lives in
`auth`; its public names are re-exported here for the services that sign.

An administrator never knows a working signature password: a password an
administrator types (a new user's first one, a reset) is *temporary*: it logs
in only into a forced change and signs nothing. Every argon2 hash is computed
before the write transaction begins.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.errors import AlreadyExists, InvalidValue, NotFound, PermissionDenied
from cart_chain.domain.roles import Role, parse_role
from cart_chain.domain.text import clean_name
from cart_chain.services import passwords
from cart_chain.services.auth import (
    MAX_FAILURES,
    REFUSED,
    Credentials,
    PasswordChangeRequired,
    UserState,
    authenticate_in,
    find_user,
    password_expired,
    refused,
    require_role,
    signed_write,
)
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import User

__all__ = [
    "MAX_FAILURES",
    "REFUSED",
    "Alert",
    "Credentials",
    "PasswordChangeRequired",
    "UserInfo",
    "UserState",
    "add_user",
    "authenticate_in",
    "change_own_password",
    "create_user",
    "current_user",
    "list_users",
    "load_user",
    "login",
    "open_alerts",
    "refused",
    "require_role",
    "reset_password",
    "set_active",
    "set_role",
    "signed_write",
    "unlock_user",
    "validate_username",
]

USERNAME = re.compile(r"[a-z][a-z0-9._-]{1,31}")
_ADMINS = frozenset({Role.ADMINISTRATOR})


@dataclass(frozen=True, slots=True)
class UserInfo:
    username: str
    full_name: str
    role: str
    active: bool
    locked: bool
    failures: int
    #: Temporary (administrator-set) or expired password: log-in leads to a forced change.
    must_change: bool = False
    locked_until: str = ""


@dataclass(frozen=True, slots=True)
class Alert:
    """An account locked after repeated failures, or an administrator's account recovered
    by break-glass (`recovery`), until an administrator clears it."""

    seq: int
    at: str
    username: str
    full_name: str
    text: str


def validate_username(username: str) -> str:
    u = username.strip().lower()
    if not USERNAME.fullmatch(u):
        raise InvalidValue(
            f"user name {username!r} must be 2-32 characters: a letter, then letters, "
            "digits, '.', '_' or '-'"
        )
    return u


def load_user(session: Session, username: str) -> UserState:
    """The user's state; `NotFound` names an unknown user (never at log-in or signing)."""
    user = find_user(session, username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def _info(session: Session, u: UserState) -> UserInfo:
    stale = u.must_change or password_expired(session, u)
    return UserInfo(
        u.username, u.full_name, u.role.value, u.active, u.locked, u.failures, stale, u.locked_until
    )


# -- use cases -------------------------------------------------------------------


def create_user(
    session: Session,
    actor: str | None,
    username: str,
    full_name: str,
    role: Role,
    password_hash: str,
    *,
    temporary: bool,
) -> ledger.Entry:
    """Append ``user_created``; the hash is computed by the caller, before the write."""
    if session.get(User, username) is not None:
        raise AlreadyExists(f"user {username!r} already exists")
    if not full_name.strip():
        raise InvalidValue("a user needs a printed full name (it appears on every signature)")
    full_name = clean_name(full_name, "full name")
    payload = {
        "username": username,
        "full_name": full_name,
        "role": role.value,
        "password_hash": password_hash,
    }
    if temporary:
        payload["temporary"] = True
    return ledger.append(session, "user_created", actor, payload)


def add_user(
    db: Database, by: Credentials, username: str, full_name: str, role: str, password: str
) -> ledger.Entry:
    """An administrator adds a user with a temporary first password."""
    username, parsed = validate_username(username), parse_role(role)
    passwords.check_policy(password, username)
    password_hash = passwords.hash_password(password)

    def run(session: Session) -> ledger.Entry:
        admin = authenticate_in(session, by)
        require_role(admin, _ADMINS, "manage users")
        return create_user(
            session, admin.username, username, full_name, parsed, password_hash, temporary=True
        )

    return signed_write(db, run)


def _active_admins(session: Session) -> list[str]:
    names = session.execute(select(User.username)).scalars().all()
    out = []
    for name in names:
        u = find_user(session, name)
        if u is not None and u.active and u.role is Role.ADMINISTRATOR:
            out.append(name)
    return out


def _admin_change(
    db: Database,
    by: Credentials,
    username: str,
    change: str,
    value: str | None,
    check: Callable[[Session, UserState], None] | None = None,
) -> ledger.Entry:
    username = username.strip().lower()

    def run(session: Session) -> ledger.Entry:
        admin = authenticate_in(session, by)
        require_role(admin, _ADMINS, "manage users")
        target = load_user(session, username)
        if check is not None:
            check(session, target)
        return ledger.append(
            session,
            "user_changed",
            admin.username,
            {"username": username, "change": change, "value": value},
        )

    return signed_write(db, run)


def _not_last_admin(session: Session, target: UserState) -> None:
    last = _active_admins(session) == [target.username]
    if target.role is Role.ADMINISTRATOR and target.active and last:
        raise PermissionDenied(
            f"{target.username} is the last active administrator; make another user "
            "administrator first"
        )


def unlock_user(db: Database, by: Credentials, username: str) -> ledger.Entry:
    """Unlock at once (and clear the alert), also when the lock has already expired."""
    return _admin_change(db, by, username, "unlocked", None)


def set_role(db: Database, by: Credentials, username: str, role: str) -> ledger.Entry:
    new = parse_role(role)

    def check(session: Session, target: UserState) -> None:
        if new is not Role.ADMINISTRATOR:
            _not_last_admin(session, target)

    return _admin_change(db, by, username, "role", new.value, check)


def set_active(db: Database, by: Credentials, username: str, active: bool) -> ledger.Entry:
    def check(session: Session, target: UserState) -> None:
        if active:
            return
        if target.username == by.username.strip().lower():
            raise PermissionDenied("an administrator cannot deactivate their own account")
        _not_last_admin(session, target)

    return _admin_change(db, by, username, "active", "1" if active else "0", check)


def reset_password(db: Database, by: Credentials, username: str, new_password: str) -> ledger.Entry:
    """An administrator sets a temporary password: it signs nothing until the user changes it."""
    username = username.strip().lower()
    passwords.check_policy(new_password, username)
    temporary = passwords.hash_password(new_password)
    return _admin_change(db, by, username, "password_temporary", temporary)


def change_own_password(db: Database, username: str, old: str, new: str) -> ledger.Entry:
    """The user sets their own password (also replacing a temporary or expired one)."""
    username = username.strip().lower()
    if new == old:
        raise InvalidValue("the new password must differ from the old one")
    passwords.check_policy(new, username)
    new_hash = passwords.hash_password(new)

    def run(session: Session) -> ledger.Entry:
        user = authenticate_in(session, Credentials(username, old), allow_password_change=True)
        return ledger.append(
            session,
            "user_changed",
            user.username,
            {"username": user.username, "change": "password", "value": new_hash},
        )

    return signed_write(db, run)


def login(db: Database, creds: Credentials) -> UserInfo:
    """Check a user at log-in or unlock; failures count towards the lockout.

    A temporary or expired password logs in with ``must_change`` set: the caller
    must then lead to `change_own_password` before anything else.
    """

    def run(session: Session) -> UserInfo:
        return _info(session, authenticate_in(session, creds, allow_password_change=True))

    return signed_write(db, run)


def current_user(db: Database, username: str) -> UserInfo | None:
    """The user as the ledger says now (a GUI session re-reads it before each action)."""

    def run(session: Session) -> UserInfo | None:
        u = find_user(session, username.strip().lower())
        return None if u is None else _info(session, u)

    return db.read(run)


def list_users(db: Database) -> list[UserInfo]:
    def run(session: Session) -> list[UserInfo]:
        names = session.execute(select(User.username).order_by(User.username)).scalars().all()
        return [_info(session, load_user(session, name)) for name in names]

    return db.read(run)


def _recovery_alert(session: Session, u: UserState) -> Alert:
    entry = ledger.get_entry(session, u.open_recovery_seq)
    assert entry is not None  # the fold found its user change
    p = entry.payload
    return Alert(
        entry.seq,
        entry.recorded_at,
        u.username,
        u.full_name,
        f"{u.username}: administrator password reset by break-glass recovery (QA "
        f"{p.get('by')}, witness {p.get('witness')}, entry {entry.seq}); unlock to clear",
    )


def open_alerts(db: Database) -> list[Alert]:
    """Accounts locked after repeated failures, or recovered by break-glass, that no
    administrator has cleared yet.

    Shown to administrators and QA; an expired lock stays an alert until an
    administrator unlocks (clears) it, so a guessing attempt is never missed.
    """

    def run(session: Session) -> list[Alert]:
        names = session.execute(select(User.username).order_by(User.username)).scalars().all()
        out = []
        for name in names:
            u = load_user(session, name)
            if u.open_lock_seq:
                still = "locked" if u.locked else "lock expired"
                out.append(
                    Alert(
                        u.open_lock_seq,
                        u.open_lock_at,
                        u.username,
                        u.full_name,
                        f"{u.username}: {MAX_FAILURES} wrong passwords, account locked "
                        f"({still}); unlock to clear",
                    )
                )
            if u.open_recovery_seq:
                out.append(_recovery_alert(session, u))
        return sorted(out, key=lambda a: a.seq)

    return db.read(run)
