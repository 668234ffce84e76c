"""Part 11 signature manifestations: printed name, date and time (UTC), meaning."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import now_iso
from cart_chain.domain.steps import PERFORMED, RECEIVED, RELEASED, VERIFIED
from cart_chain.services.views import Receipt, SignatureView
from cart_chain.store.models import Signature

if TYPE_CHECKING:
    from cart_chain.services.accounts import UserState
    from cart_chain.store.ledger import Entry

MEANINGS = frozenset({PERFORMED, RELEASED, RECEIVED, VERIFIED})
__all__ = ["MEANINGS", "PERFORMED", "VERIFIED", "receipt", "signature", "signatures_of"]


def signature(user: UserState, meaning: str) -> dict[str, str]:
    if meaning not in MEANINGS:
        raise ValueError(f"unknown signature meaning {meaning!r}")
    return {
        "username": user.username,
        "printed_name": user.full_name,
        "meaning": meaning,
        "signed_at": now_iso(),
    }


def receipt(entry: Entry, subject: str, deviations: tuple[str, ...] = ()) -> Receipt:
    """What a signed write returns: its ledger entry and the signatures the entry carries."""
    sigs = tuple(SignatureView(**s) for s in entry.payload.get("signatures", ()))
    return Receipt(entry.seq, entry.hash, entry.recorded_at, entry.kind, subject, sigs, deviations)


def signatures_of(session: Session, seqs: list[int]) -> dict[int, tuple[SignatureView, ...]]:
    """The signatures of each entry in ``seqs``, in signing order (one query)."""
    out: dict[int, list[SignatureView]] = defaultdict(list)
    if seqs:
        rows = session.execute(
            select(Signature)
            .where(Signature.entry_seq.in_(seqs))
            .order_by(Signature.entry_seq, Signature.ordinal)
        ).scalars()
        for s in rows:
            out[s.entry_seq].append(
                SignatureView(s.username, s.printed_name, s.meaning, s.signed_at)
            )
    return {k: tuple(v) for k, v in out.items()}
