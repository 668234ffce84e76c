"""Who a signer is: the fold of a user's ledger history, password checks and lockout.

A user's state (password, role, active, failed attempts, lock) is the fold of
their ledger entries, so every change is attributable and nothing is updated in
place. Three rules shape this module:

- **One answer.** An unknown user, a wrong password, a locked and a deactivated
  account all get the same `AuthenticationError` text, after the same argon2
  work (an unknown name is checked against `passwords.DUMMY_HASH`), so a guesser
  learns nothing about which names exist. The facts (failures, locks) are still
  recorded for administrators.
- **No argon2 under the write lock.** `authenticate_in` never hashes. `signed_write`
  first rehearses the write in a read transaction (a dry run, which ends at its
  first append): every signer it meets is noted and taken as checked for the
  rest of the rehearsal, so the scan checks and rules before each signer run in
  the same order as in the real write. Then it verifies the noted passwords
  outside any transaction and runs the write once, in which `authenticate_in`
  only compares the stored hash with the verified one. A signer the rehearsal
  could not take (unknown, locked, a temporary password) or did not reach aborts
  the write with `_CheckNeeded`: checked outside, then the write runs again.
- **Locks expire.** Five failures lock an account for the ``lockout_minutes``
  setting (the end time is in the lock entry); an administrator may unlock at
  once. A guesser can therefore never lock every administrator out for good.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import now_iso, parse_iso, utc_iso
from cart_chain.domain.errors import (
    AuthenticationError,
    CartChainError,
    DatabaseLocked,
    PermissionDenied,
)
from cart_chain.domain.roles import Role, role_name
from cart_chain.services import passwords
from cart_chain.services.checkpoints import daily_checkpoint_in
from cart_chain.services.shared_settings import get_in
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import LedgerEntry, User, UserChange

MAX_FAILURES = 5
#: The one message for every failed log-in or signature, whatever the reason.
REFUSED = (
    "user name or password is wrong, or the account cannot sign now; "
    "ask an administrator if this persists"
)


def refused(typed_name: str) -> AuthenticationError:
    """The one refusal. It repeats the name as typed (so two signers know whose entry
    failed) and nothing about why: unknown, wrong, locked and deactivated read alike."""
    return AuthenticationError(f"{typed_name.strip()!r}: {REFUSED}")


#: A lock written by an older version has no end time: it lasts until unlocked.
_UNTIL_UNLOCKED = "until-unlocked"
#: Each signer costs one extra run of the write; more than this means the hash keeps moving.
_MAX_RUNS = 8
T = TypeVar("T")


class PasswordChangeRequired(AuthenticationError):
    """The password is right but temporary or expired: it signs nothing until changed."""


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
    #: The password was set by an administrator: it must be changed before any signature.
    must_change: bool = False
    #: When the password in force was set (UTC ISO), for the optional expiry.
    password_set_at: str = ""
    #: Until when the account is locked (UTC ISO, or "until-unlocked"); "" when not locked.
    locked_until: str = ""
    #: Ledger entry of a lock no administrator has yet cleared (an open alert), or 0.
    open_lock_seq: int = 0
    open_lock_at: str = ""
    #: Ledger entry of a break-glass recovery of this account no administrator has yet
    #: cleared (an open alert, like a lock), or 0.
    open_recovery_seq: int = 0


_USER_HISTORY = (
    select(
        User.full_name,
        User.role,
        UserChange.change,
        UserChange.value,
        LedgerEntry.recorded_at,
        UserChange.entry_seq,
    )
    .join(UserChange, UserChange.username == User.username)
    .join(LedgerEntry, LedgerEntry.seq == UserChange.entry_seq)
    .where(User.username == bindparam("username"))
    .order_by(UserChange.entry_seq)
)


def find_user(session: Session, username: str, now: str | None = None) -> UserState | None:
    """Fold the user's ledger history (one query: it runs at every signature)."""
    rows = session.connection().execute(_USER_HISTORY, {"username": username}).all()
    if not rows:
        return None
    full_name, role = rows[0][0], Role(rows[0][1])
    password_hash, set_at, must_change, active, failures = "", "", False, True, 0
    locked_until, open_seq, open_at, recovery_seq = "", 0, "", 0
    for _, _, change, value, at, seq in rows:
        if change in ("password", "password_temporary", "password_recovered"):
            password_hash, set_at, failures = value or "", at, 0
            must_change = change != "password"
            if change == "password_recovered":
                recovery_seq = seq
        elif change == "role":
            role = Role(value)
        elif change == "active":
            active = value == "1"
        elif change == "auth_failed":
            failures += 1
        elif change == "auth_ok":
            failures = 0
        elif change == "locked":
            # The count starts again after the lock: once it expires, five more tries.
            locked_until, failures, open_seq, open_at = value or _UNTIL_UNLOCKED, 0, seq, at
        elif change == "unlocked":  # an administrator's unlock also clears a recovery alert
            locked_until, failures, open_seq, open_at, recovery_seq = "", 0, 0, "", 0
    now = now or now_iso()
    locked = locked_until == _UNTIL_UNLOCKED or (bool(locked_until) and now < locked_until)
    return UserState(
        username,
        full_name,
        role,
        password_hash,
        active,
        failures,
        locked,
        must_change,
        set_at,
        locked_until if locked else "",
        open_seq,
        open_at,
        recovery_seq,
    )


def password_expired(session: Session, user: UserState, now: str | None = None) -> bool:
    """True when the ``password_expiry_days`` setting is on and the password is older."""
    days = int(get_in(session, "password_expiry_days"))
    if not days or not user.password_set_at:
        return False
    return parse_iso(now or now_iso()) >= parse_iso(user.password_set_at) + timedelta(days=days)


# -- checking signers -------------------------------------------------------------------


class _CheckNeeded(Exception):
    """Internal: aborts a write so `signed_write` can verify a password outside it."""

    def __init__(self, creds: Credentials, username: str, user: UserState | None) -> None:
        super().__init__(username)
        self.creds, self.username, self.user = creds, username, user


#: Per `signed_write` call: user name -> the stored hash its password was verified against.
_VERIFIED: ContextVar[dict[str, str] | None] = ContextVar("cart_chain_verified", default=None)
#: During the dry run of a `signed_write`: the signers met so far, in order, unchecked.
_NOTED: ContextVar[list[_CheckNeeded] | None] = ContextVar("cart_chain_noted", default=None)


def _may_sign_now(session: Session, user: UserState) -> bool:
    """True when nothing but the password stands between this user and a signature."""
    return (
        user.active
        and not user.locked
        and not user.must_change
        and not password_expired(session, user)
    )


def authenticate_in(
    session: Session, creds: Credentials, *, allow_password_change: bool = False
) -> UserState:
    """Check a signer inside the caller's write, which must run under `signed_write`.

    A temporary or expired password is refused (`PasswordChangeRequired`) unless
    ``allow_password_change``: only log-in and changing one's own password take it.
    """
    verified = _VERIFIED.get()
    if verified is None:
        raise RuntimeError("authenticate_in runs only inside signed_write")
    username = creds.username.strip().lower()
    user = find_user(session, username)
    if user is None or verified.get(username) != user.password_hash:
        noted = _NOTED.get()
        if noted is None or user is None or not _may_sign_now(session, user):
            raise _CheckNeeded(creds, username, user)
        # Dry run: note the signer and go on to the next, as though checked. What
        # follows a signer in the rehearsal is not shown until their password is.
        noted.append(_CheckNeeded(creds, username, user))
        return user
    if not user.active or user.locked:
        raise refused(creds.username)
    if not allow_password_change:
        if user.must_change:
            raise PasswordChangeRequired(
                f"{username} has a temporary password set by an administrator; it signs "
                f"nothing: change it first (at log-in, or 'cart-chain user password {username}')"
            )
        if password_expired(session, user):
            raise PasswordChangeRequired(
                f"the password of {username} has expired; change it first (at log-in, "
                f"or 'cart-chain user password {username}')"
            )
    if user.failures:
        ledger.append(
            session,
            "user_changed",
            username,
            {"username": username, "change": "auth_ok", "value": None},
        )
    # At least one checkpoint a day, made by the first signed write of the day.
    daily_checkpoint_in(session, username)
    return user


def _record_failure(session: Session, username: str) -> None:
    """One failed attempt; the fifth also locks the account (that lock is the alert)."""
    user = find_user(session, username)
    if user is None or user.locked or not user.active:
        return  # locked meanwhile by another workstation: nothing more to count
    ledger.append(
        session,
        "user_changed",
        username,
        {"username": username, "change": "auth_failed", "value": None},
    )
    if user.failures + 1 >= MAX_FAILURES:
        minutes = int(get_in(session, "lockout_minutes"))
        until = utc_iso(parse_iso(now_iso()) + timedelta(minutes=minutes))
        ledger.append(
            session,
            "user_changed",
            username,
            {"username": username, "change": "locked", "value": until},
        )


def _check_outside(db: Database, need: _CheckNeeded, verified: dict[str, str]) -> None:
    """The argon2 check, with no transaction open; a wrong password is recorded apart."""
    user = need.user
    ok = passwords.verify_password(
        user.password_hash if user is not None else passwords.DUMMY_HASH, need.creds.password
    )
    if user is None or not user.active or user.locked:
        raise refused(need.creds.username)
    if not ok:
        db.write(lambda s: _record_failure(s, need.username))
        raise refused(need.creds.username)
    verified[need.username] = user.password_hash


def _rehearse(db: Database, fn: Callable[[Session], T], verified: dict[str, str]) -> None:
    """Dry-run ``fn`` to learn its signers, then check their passwords outside it.

    A refusal the rehearsal meets before any signer is the answer (the real write
    would give it too); one met after a signer waits until that signer's password
    is checked, then the real write gives it, from its own transaction.
    """
    noted: list[_CheckNeeded] = []
    token = _NOTED.set(noted)
    failure: BaseException | None = None
    try:
        db.read(lambda s: _dry_run(s, fn))
    except (ledger.DryRunEnd, _CheckNeeded) as end:
        if isinstance(end, _CheckNeeded):
            noted.append(end)
    except CartChainError as exc:
        failure = exc
    finally:
        _NOTED.reset(token)
    if failure is not None and not noted:
        raise failure
    for need in noted:
        if verified.get(need.username) is None:
            _check_outside(db, need, verified)


def _dry_run(session: Session, fn: Callable[[Session], T]) -> T:
    session.info[ledger.DRY_RUN] = True
    return fn(session)


def signed_write(db: Database, fn: Callable[[Session], T]) -> T:
    """Run a write whose signers are checked with `authenticate_in`.

    Passwords are verified between attempts, outside any transaction (see the
    module docstring). A wrong password rolls back the whole operation, then the
    failed attempt (and a lock, at the fifth) is committed on its own.
    """
    verified: dict[str, str] = {}
    token = _VERIFIED.set(verified)
    try:
        _rehearse(db, fn, verified)
        for _ in range(_MAX_RUNS):
            try:
                return db.write(fn)
            except _CheckNeeded as need:
                _check_outside(db, need, verified)
        raise DatabaseLocked(
            "the accounts kept changing while signing; nothing was saved, try again"
        )
    finally:
        _VERIFIED.reset(token)


def require_role(user: UserState, allowed: frozenset[Role], action: str) -> None:
    if user.role not in allowed:
        names = ", ".join(sorted(role_name(r) for r in allowed))
        raise PermissionDenied(
            f"{user.username} ({role_name(user.role)}) may not {action}; needs one of: {names}"
        )
