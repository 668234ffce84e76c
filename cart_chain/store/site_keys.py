"""The site keys a ledger records, in order: the first ``site_key`` and each rotation.

Read by the services that sign (the current key), by `verify` and by the
witness checks (the key valid when a checkpoint was made: one signed before a
rotation still verifies under the key of its time).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.signed_note import SITE_KEY_KIND, SITE_KEY_ROTATED_KIND, verifier_key
from cart_chain.store.models import LedgerEntry


@dataclass(frozen=True, slots=True)
class SiteKey:
    """A site key as the ledger records it, from entry ``seq`` on."""

    seq: int
    origin: str
    public: bytes

    @property
    def vkey(self) -> str:
        return verifier_key(self.origin, self.public)


def site_keys_in(session: Session) -> list[SiteKey]:
    """Every key the ledger has had, oldest first (empty: no site key yet)."""
    rows = session.execute(
        select(LedgerEntry.seq, LedgerEntry.kind, LedgerEntry.payload)
        .where(LedgerEntry.kind.in_((SITE_KEY_KIND, SITE_KEY_ROTATED_KIND)))
        .order_by(LedgerEntry.seq)
    ).all()
    keys: list[SiteKey] = []
    for seq, kind, payload in rows:
        if (kind == SITE_KEY_KIND) != (not keys):
            continue  # only the first site_key counts, and rotations after it
        p = json.loads(payload)
        keys.append(SiteKey(seq, p["origin"], bytes.fromhex(p["public_key"])))
    return keys


def site_key_in(session: Session) -> SiteKey | None:
    """The key that signs now (the last rotation's, else the first), or None."""
    keys = site_keys_in(session)
    return keys[-1] if keys else None


def key_for_size(keys: list[SiteKey], size: int) -> SiteKey | None:
    """The key that signed checkpoints of ``size`` entries: the last one recorded within
    those entries (a checkpoint of ``size`` is recorded as entry ``size + 1``)."""
    valid = [k for k in keys if k.seq <= size]
    return valid[-1] if valid else None
