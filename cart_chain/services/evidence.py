"""The evidence a custody report carries: a signed checkpoint and inclusion proofs.

Made after the report's data is read (one snapshot, `exports.custody_report_in`),
in the write that renders it: sign the head as a ``checkpoint`` entry
(`site_key.checkpoint_in`) and prove every entry the report shows against that
tree. The head signed is at or after the snapshot's, so every entry read is in
it. A ledger that fails `verify` gets no signed checkpoint (the site key must not
vouch for a tree that does not check), nor does a ledger without a site key yet;
the report then says so instead of carrying evidence.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from cart_chain.domain.evidence import (
    CheckpointShown,
    Evidence,
    ProvenEntry,
    ReportEvidence,
    fingerprint,
    mentioned_seqs,
)
from cart_chain.services.accounts import Credentials, authenticate_in, signed_write
from cart_chain.services.site_key import checkpoint_in, site_key_in
from cart_chain.store import tree
from cart_chain.store.database import Database

D = TypeVar("D")

#: Why a custody report carries no signed checkpoint (printed on it).
NO_EVIDENCE_UNVERIFIED = "the ledger failed verify, and the site key signs no ledger that fails it"
NO_EVIDENCE_NO_KEY = (
    "this ledger has no site key yet (an administrator creates it with "
    "'cart-chain site key --create')"
)


def shown_seqs(data: Any) -> list[int]:
    """Every ledger entry a report's data names: each ``seq`` field in its tree of views,
    and each "#N" in its text (`mentioned_seqs`: a note may name an entry).

    Walked generically so that a new section whose views carry ``seq`` is covered
    without touching this module."""
    found: set[int] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            found.update(n for n in mentioned_seqs(value) if n > 0)
        elif dataclasses.is_dataclass(value) and not isinstance(value, type):
            for f in dataclasses.fields(value):
                item = getattr(value, f.name)
                if f.name == "seq" and isinstance(item, int) and item > 0:
                    found.add(item)
                else:
                    walk(item)
        elif isinstance(value, (tuple, list)):
            for item in value:
                walk(item)

    walk(data)
    return sorted(found)


def evidence_in(session: Session, by: Credentials, seqs: Iterable[int]) -> ReportEvidence | None:
    """Authenticate ``by``, sign and record a checkpoint, and prove each of ``seqs`` in it.

    None when the ledger has no site key yet (nothing is signed then)."""
    user = authenticate_in(session, by)
    made = checkpoint_in(session, user.username, required=False)
    site = site_key_in(session)
    if made is None or site is None:
        return None
    size = made.head.size
    entries = []
    for seq in seqs:
        if seq > size:  # "#N" in free text naming no entry of this tree: cannot be proven
            continue
        p = tree.inclusion(session, seq, size)
        entries.append(ProvenEntry(p.seq, p.leaf_index, p.leaf_data, tuple(p.proof)))
    evidence = Evidence(made.note, site.vkey, tuple(entries))
    shown = CheckpointShown(site.origin, made.head)
    return ReportEvidence(evidence, shown, fingerprint(site.public), made.seq)


def render_with_evidence(
    db: Database, by: Credentials, data: D, render: Callable[[D, Path], None], tmp: Path
) -> D:
    """Render ``data`` to ``tmp`` with its evidence, and return what was rendered.

    The checkpoint is signed, the entries proven and the report rendered in one write
    transaction, so a render that fails (a full disk) leaves no checkpoint behind and
    a wrong password leaves nothing at all. ``data`` is a `CustodyReportData` (typed
    loosely: that module imports this one)."""
    if not data.ledger.verified:  # type: ignore[attr-defined]
        shown = dataclasses.replace(data, no_evidence=NO_EVIDENCE_UNVERIFIED)  # type: ignore[type-var]
        render(shown, tmp)
        return shown
    seqs = shown_seqs(data)

    def run(session: Session) -> D:
        made = evidence_in(session, by, seqs)
        shown = dataclasses.replace(data, evidence=made, no_evidence=NO_EVIDENCE_NO_KEY)  # type: ignore[type-var]
        render(shown, tmp)
        return shown

    return signed_write(db, run)
