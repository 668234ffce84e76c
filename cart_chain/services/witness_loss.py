"""Witnessed entries lost in a restore: the one way a ledger may end before a witness.

After a disaster (the database lost, its newest backup older than what a witness
has seen) the entries after the backup are gone, and every witness holding a
later checkpoint says so: `verify` of the backup fails, and so `restore` refused
it, leaving the site with no ledger at all. The decision taken here: such a
restore goes ahead only when asked for explicitly (``--accept-witnessed-loss``)
and signed by an administrator and by QA with a reason. Its ``restored`` entry
names every checkpoint it supersedes (witness, tree size, root) and the entries
lost. From then on a witness still holding exactly one of those checkpoints is a
warning naming the restore, its QA signer and its reason, in every `verify`;
any other checkpoint the ledger does not extend still fails, so a cut or a
rewrite without such a signed entry is caught as before. The lost records
themselves are re-entered from the paper downtime forms, as after any outage.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.store.kinds.admin import RESTORED
from cart_chain.store.models import LedgerEntry


@dataclass(frozen=True, slots=True)
class Superseded:
    """A witness's checkpoint beyond a restored backup's end: the entries it saw are lost."""

    witness: str  # the witness's label when the restore was signed
    size: int
    root: bytes

    def as_json(self) -> dict[str, object]:
        return {
            "witness": self.witness,
            "size": self.size,
            "root": base64.b64encode(self.root).decode(),
        }


@dataclass(frozen=True, slots=True)
class Loss:
    """One signed restore's account of a superseded checkpoint."""

    seq: int  # the ``restored`` entry
    first: int  # first and last entry lost
    last: int
    approved_by: str
    reason: str

    def describe(self, label: str, size: int) -> str:
        return (
            f"{label} holds a checkpoint of {size} entries that the restore recorded as "
            f"entry {self.seq} superseded: entries {self.first}..{self.last} were lost "
            f"(approved by QA {self.approved_by}: {self.reason})"
        )


def payload(superseded: list[Superseded], backup_entries: int) -> dict[str, object] | None:
    """The ``lost`` part of a ``restored`` entry (None when no witness was ahead)."""
    if not superseded:
        return None
    return {
        "first": backup_entries + 1,
        "last": max(s.size for s in superseded),
        "superseded": [s.as_json() for s in superseded],
    }


def losses_in(session: Session) -> dict[tuple[int, bytes], Loss]:
    """Every checkpoint a signed restore in this ledger superseded, by (size, root)."""
    found: dict[tuple[int, bytes], Loss] = {}
    rows = session.execute(
        select(LedgerEntry.seq, LedgerEntry.payload).where(LedgerEntry.kind == RESTORED)
    )
    for seq, text in rows:
        entry = json.loads(text)
        lost = entry.get("lost")
        if not lost:
            continue
        signers = [s.get("printed_name") or s.get("username") for s in entry["signatures"]]
        loss = Loss(
            seq, lost["first"], lost["last"], ", ".join(map(str, signers)), entry["reason"] or ""
        )
        for s in lost["superseded"]:
            found[(int(s["size"]), base64.b64decode(s["root"]))] = loss
    return found
