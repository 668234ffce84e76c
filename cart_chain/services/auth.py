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
  A caller that knows its signers (a handoff names both) passes them: their
  passwords are checked first, from one read (none, for signers whose states are
  kept from their last signature here: `signer_cache`), and when every one may
  sign the write runs with no rehearsal. The rehearsal is only needed to decide which
  answer comes first when one of them cannot sign.
- **Locks expire.** Five failures lock an account for the ``lockout_minutes``
  setting (the end time is in the lock entry); an administrator may unlock at
  once. A guesser can therefore never lock every administrator out for good.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from typing import TypeVar

from sqlalchemy.orm import Session

from cart_chain.domain.clock import now_iso, parse_iso, utc_iso
from cart_chain.domain.errors import (
    AuthenticationError,
    CartChainError,
    DatabaseLocked,
    PermissionDenied,
)
from cart_chain.domain.roles import Role, role_name
from cart_chain.services import passwords, signer_cache
from cart_chain.services.checkpoints import daily_checkpoint_in
from cart_chain.services.shared_settings import get_in, setting_reads
from cart_chain.services.user_fold import UserState as UserState
from cart_chain.services.user_fold import find_user as find_user
from cart_chain.services.user_fold import password_expired as password_expired
from cart_chain.services.user_fold import user_reads
from cart_chain.store import batch, ledger
from cart_chain.store.database import Database

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


# -- checking signers -------------------------------------------------------------------


class _CheckNeeded(Exception):
    """Internal: aborts a write so `signed_write` can verify a password outside it."""

    def __init__(self, creds: Credentials, username: str, user: UserState | None) -> None:
        super().__init__(username)
        self.creds, self.username, self.user = creds, username, user


#: Per `signed_write` call: user name -> the stored hash its password was verified against.
_VERIFIED: ContextVar[dict[str, str] | None] = ContextVar("cart_chain_verified", default=None)
#: Per `signed_write` call: (user name, stored hash) -> whether the typed password matched,
#: for a check made before the rehearsal that the rehearsal then needs.
_Tried = dict[tuple[str, str], bool]
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


def _check_outside(
    db: Database, need: _CheckNeeded, verified: dict[str, str], tried: _Tried
) -> None:
    """The argon2 check, with no transaction open; a wrong password is recorded apart."""
    user = need.user
    stored = user.password_hash if user is not None else passwords.DUMMY_HASH
    ok = tried.pop((need.username, stored), None)
    if ok is None:
        ok = passwords.verify_password(stored, need.creds.password)
    if user is None or not user.active or user.locked:
        raise refused(need.creds.username)
    if not ok:
        db.write(lambda s: _record_failure(s, need.username))
        raise refused(need.creds.username)
    verified[need.username] = user.password_hash


def _precheck(
    db: Database, signers: Sequence[Credentials], verified: dict[str, str], tried: _Tried
) -> bool:
    """Check the named signers' passwords before the write, from one read: True when
    every one of them may sign, so the write needs no rehearsal.

    Each password is hashed once, whatever the account's state (the same work for
    an unknown name); a result the rehearsal then needs is taken from ``tried``,
    so nothing is hashed twice and nothing is recorded here.
    """
    names = {c.username.strip().lower(): c for c in signers}

    def states(session: Session) -> dict[str, tuple[UserState, bool]]:
        batch.read_ahead(session, [*user_reads(names), *setting_reads("password_expiry_days")])
        found = {n: find_user(session, n) for n in names}
        return {n: (u, _may_sign_now(session, u)) for n, u in found.items() if u is not None}

    kept = signer_cache.kept(db, names)  # the write reads them again (`signer_cache`)
    users = db.read(states) if kept is None else {n: (u, True) for n, u in kept.items()}
    fine = True
    for name, creds in names.items():
        user, may_sign = users.get(name, (None, False))
        stored = user.password_hash if user is not None else passwords.DUMMY_HASH
        ok = passwords.verify_password(stored, creds.password)
        if ok and user is not None and may_sign:
            verified[name] = stored
        else:
            tried[(name, stored)] = ok
            fine = False
    if not fine:
        signer_cache.forget(db, names)
    elif kept is None:
        signer_cache.keep(db, {n: users[n][0] for n in names})
    return fine


def _rehearse(
    db: Database, fn: Callable[[Session], T], verified: dict[str, str], tried: _Tried
) -> None:
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
            _check_outside(db, need, verified, tried)


def _dry_run(session: Session, fn: Callable[[Session], T]) -> T:
    session.info[ledger.DRY_RUN] = True
    return fn(session)


def signed_write(
    db: Database,
    fn: Callable[[Session], T],
    signers: Iterable[Credentials | None] = (),
    ahead: Callable[[Session], list[batch.Read]] | None = None,
) -> T:
    """Run a write whose signers are checked with `authenticate_in`.

    Passwords are verified between attempts, outside any transaction (see the
    module docstring). A wrong password rolls back the whole operation, then the
    failed attempt (and a lock, at the fifth) is committed on its own. ``signers``,
    when the caller knows who signs, are checked first (`_precheck`); when all may
    sign, the write runs without a rehearsal. Otherwise the rehearsal decides which
    answer comes first, as though they had not been named. ``ahead``: the reads
    ``fn`` makes, sent with the write lock (`Database.write`).
    """
    verified: dict[str, str] = {}
    tried: _Tried = {}
    named = [c for c in signers if c is not None]
    token = _VERIFIED.set(verified)
    try:
        if not named or not _precheck(db, named, verified, tried):
            _rehearse(db, fn, verified, tried)
        for _ in range(_MAX_RUNS):
            try:
                return db.write(fn, ahead)
            except _CheckNeeded as need:
                signer_cache.forget(db, [need.username])
                _check_outside(db, need, verified, tried)
        raise DatabaseLocked(
            "the accounts kept changing while signing; nothing was saved, try again"
        )
    except AuthenticationError:  # refused in the write: its kept state was stale
        signer_cache.forget(db, (c.username.strip().lower() for c in named))
        raise
    finally:
        _VERIFIED.reset(token)


def require_role(user: UserState, allowed: frozenset[Role], action: str) -> None:
    if user.role not in allowed:
        names = ", ".join(sorted(role_name(r) for r in allowed))
        raise PermissionDenied(
            f"{user.username} ({role_name(user.role)}) may not {action}; needs one of: {names}"
        )
