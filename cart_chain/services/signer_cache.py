"""Signers' account states from their last check here, so a handoff by people who have
signed before needs no read ahead of its write.

`auth.signed_write` checks each typed password (argon2, slow on purpose) outside any
transaction, against the stored hash, which it read in a transaction of its own
first: on PostgreSQL two of a handoff's five round trips, on SQLite a fifth of its
time. A state kept here stands in for that read, and for nothing more. Inside the
write, `auth.authenticate_in` reads the account again and signs only when the hash
the password was verified against is still the stored one and the account may still
sign; a state gone stale (a password changed, an account locked, deactivated or given
another role at another workstation) then costs one more check outside the write,
never a signature that should have been refused.

Only states that could sign are kept, a signer who is refused is forgotten, and at
most `LIMIT` accounts per database (a workstation's staff). Nothing is written to
disk; the states hold password hashes, which every read of an account holds too.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from weakref import WeakKeyDictionary

from cart_chain.services.user_fold import UserState
from cart_chain.store.database import Database

LIMIT = 64

_lock = threading.Lock()
_kept: WeakKeyDictionary[Database, OrderedDict[str, UserState]] = WeakKeyDictionary()


def kept(db: Database, names: Iterable[str]) -> dict[str, UserState] | None:
    """The kept states of all of ``names``, or None when any is not kept."""
    with _lock:
        states = _kept.get(db)
        if states is None:
            return None
        found: dict[str, UserState] = {}
        for n in names:
            state = states.get(n)
            if state is None:
                return None
            found[n] = state
        for n in found:
            states.move_to_end(n)
        return found


def keep(db: Database, states: Mapping[str, UserState]) -> None:
    """Keep the states of accounts that could sign when they were read."""
    with _lock:
        kept_here = _kept.setdefault(db, OrderedDict())
        for name, state in states.items():
            kept_here[name] = state
            kept_here.move_to_end(name)
        while len(kept_here) > LIMIT:
            kept_here.popitem(last=False)


def forget(db: Database, names: Iterable[str]) -> None:
    with _lock:
        states = _kept.get(db)
        if states is not None:
            for n in names:
                states.pop(n, None)
