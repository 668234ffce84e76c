"""A user's state is the fold of their ledger history: password, role, active, lock.

Nothing about a user is updated in place, so every change is attributable; this
module is the one place that history is read and folded (`find_user`), for the
signature checks in `auth` and for the administrators' views.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import now_iso, parse_iso
from cart_chain.domain.roles import Role
from cart_chain.services.shared_settings import get_in
from cart_chain.store import batch
from cart_chain.store.models import LedgerEntry, User, UserChange

#: A lock written by an older version has no end time: it lasts until unlocked.
_UNTIL_UNLOCKED = "until-unlocked"


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
    rows = batch.rows(session, _USER_HISTORY, {"username": username})
    return _fold(username, rows, now or now_iso()) if rows else None


def user_reads(usernames: Iterable[str]) -> list[batch.Read]:
    """The reads `find_user` makes of each of ``usernames`` (`batch.read_ahead`)."""
    return [(_USER_HISTORY, {"username": name}) for name in sorted(set(usernames))]


def _fold(username: str, rows: Sequence[Any], now: str) -> UserState:
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
