"""Signing checkpoints inside a write: on demand, at each export and print, and daily.

Kept apart from `site_key` (the signed use cases) so that the authentication
core can make the daily checkpoint inside any signed write without an import
cycle. Every checkpoint made here goes to every witness once its write commits.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import parse_iso
from cart_chain.domain.errors import ClockBehind, EnvironmentProblem, NotFound
from cart_chain.domain.merkle import TreeHead
from cart_chain.domain.signed_note import (
    CHECKPOINT_KIND,
    SITE_KEY_KIND,
    SITE_KEY_ROTATED_KIND,
    sign,
)
from cart_chain.services import witnesses
from cart_chain.services.key_file import KEY_ENV, key_path, load_private_key
from cart_chain.store import batch, ledger
from cart_chain.store.database import after_commit
from cart_chain.store.models import LedgerEntry
from cart_chain.store.site_keys import SiteKey, site_key_in
from cart_chain.store.tree import root_at

log = logging.getLogger("cart_chain.checkpoints")
#: A checkpoint is made at the first signed write once the last one is this old.
CHECKPOINT_EVERY = timedelta(hours=24)


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint made and recorded: its note text and its ledger entry."""

    note: str
    head: TreeHead
    seq: int


def _signing_key(site: SiteKey) -> Ed25519PrivateKey:
    key = load_private_key()
    if key.public_key().public_bytes_raw() != site.public:
        raise EnvironmentProblem(
            f"the site key at {key_path()} is not the one this ledger records; set ${KEY_ENV}"
        )
    return key


def checkpoint_in(
    session: Session, actor: str, *, required: bool = True
) -> SignedCheckpoint | None:
    """Sign the current tree head with the site key and record it as a ``checkpoint``;
    once the write commits, it goes to every witness.

    Without ``required``, a ledger that has no site key yet gets no checkpoint (the
    automatic ones at each export); a recorded key whose private half is not on this
    workstation is refused either way: the evidence would silently be missing.
    """
    site = site_key_in(session)
    if site is None:
        if required:
            raise NotFound(
                "this ledger has no site key: an administrator creates it with "
                "'cart-chain site key --create --by ADMIN'"
            )
        return None
    key = _signing_key(site)
    size = ledger.head(session).seq
    head = TreeHead(size, root_at(session, size))
    note, signature = sign(site.origin, head, key)
    entry = ledger.append(
        session,
        CHECKPOINT_KIND,
        actor,
        {
            "origin": site.origin,
            "size": head.size,
            "root": note.splitlines()[2],
            "signature": signature,
        },
    )
    if not session.info.get("cart_chain_witnessed"):
        session.info["cart_chain_witnessed"] = True
        after_commit(session, witnesses.deliver_quietly)
    return SignedCheckpoint(note, head, entry.seq)


#: When the newest checkpoint or site key entry was recorded. ``max(seq + 0)`` is an
#: expression, so no planner answers it by walking the primary key backwards until a
#: checkpoint turns up: PostgreSQL without table statistics (autovacuum off) did, and
#: read the whole ledger on every signed write when its only checkpoint was old (80 ms
#: at 100k entries). The kind index finds the few such entries instead. Its constants
#: are written into the SQL, not bound: with parameters, PostgreSQL could plan the
#: statement afresh at each execution (0.29 ms of every signed write at 10k entries, in
#: the server's log); without any, a prepared statement has one plan.
_LAST_CHECKPOINT_AT = select(LedgerEntry.recorded_at).where(
    LedgerEntry.seq
    == select(func.max(LedgerEntry.seq + literal_column("0")))
    .where(
        LedgerEntry.kind.in_(
            bindparam(
                "kinds",
                [CHECKPOINT_KIND, SITE_KEY_KIND, SITE_KEY_ROTATED_KIND],
                expanding=True,
                literal_execute=True,  # rendered into the SQL, quoted by the dialect
            )
        )
    )
    .scalar_subquery()
)


def due_reads() -> list[batch.Read]:
    """The read `checkpoint_due_in` makes before it asks the head (`batch.read_ahead`)."""
    return [(_LAST_CHECKPOINT_AT, {})]


def checkpoint_due_in(session: Session) -> bool:
    """Whether the last checkpoint (or the site key, before any) is a day old or more."""
    found = batch.rows(session, _LAST_CHECKPOINT_AT, {})
    last = found[0][0] if found else None
    if last is None:
        return False
    try:
        now = ledger.next_recorded_at(session)
    except ClockBehind:
        return False  # the write itself is refused, saying why
    return parse_iso(now) - parse_iso(last) >= CHECKPOINT_EVERY


#: `Session.info` key: this transaction has already asked whether a checkpoint is due.
_DUE_ASKED = "cart_chain_checkpoint_due_asked"


def daily_checkpoint_in(session: Session, actor: str) -> None:
    """The daily checkpoint, made by the first signed write of the day (no daemon: a
    site where nobody writes has nothing new to witness). A workstation without the
    private key skips it rather than refusing the custody record; `verify` warns.
    Asked once per transaction, however many people sign in it."""
    if session.info.get(_DUE_ASKED):
        return
    session.info[_DUE_ASKED] = True
    if not checkpoint_due_in(session):
        return
    try:
        checkpoint_in(session, actor, required=False)
    except EnvironmentProblem as err:
        log.warning("daily checkpoint skipped: %s", err)
