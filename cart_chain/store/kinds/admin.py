"""Administration: shared settings, backups, restores, the site key, signed checkpoints,
and DINs given to collections enrolled before DINs existed."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from cart_chain.domain.signed_note import CHECKPOINT_KIND, SITE_KEY_KIND
from cart_chain.store.kinds.formats import fmt
from cart_chain.store.kinds.registry import (
    SIGNATURES,
    AuditText,
    Kind,
    Row,
    opt,
    register,
    req,
    signature_rows,
)
from cart_chain.store.models import CollectionDin, Setting

if TYPE_CHECKING:
    from cart_chain.store.ledger import Entry

BACKUP_MADE = "backup_made"
RESTORED = "restored"
DINS_ASSIGNED = "dins_assigned"

#: A ledger head named in a payload.
HEAD = {"seq": req(int), "hash": req(str)}


def _setting_changed(e: Entry) -> Iterator[Row]:
    yield Setting, dict(entry_seq=e.seq, key=e.payload["key"], value=e.payload["value"])


def _setting_text(p: Mapping[str, Any]) -> AuditText:
    return AuditText("setting changed", str(p.get("key")), after=fmt(p.get("value")))


def din_row(e: Entry, din: str, unit: str, coi: str) -> Row:
    """One collection's DIN: its facility, year and sequence are read from the DIN itself."""
    return (
        CollectionDin,
        dict(
            din=din,
            entry_seq=e.seq,
            unit_code=unit,
            coi=coi,
            facility=din[:5],
            year=int(din[5:7]),
            sequence=int(din[7:13]),
        ),
    )


def _dins_assigned(e: Entry) -> Iterator[Row]:
    """DINs an administrator gave collections enrolled before DINs existed (0004)."""
    for a in e.payload["assigned"]:
        yield din_row(e, a["din"], a["unit"], a["coi"])


def _restored(e: Entry) -> Iterator[Row]:
    """A restore: its only rows are its signatures (administrator, and QA when it dropped any)."""
    yield from signature_rows(e)


register(
    Kind(
        "setting_changed",
        "A shared setting's new value (facility, lock time, printers' product codes...).",
        {"key": req(str), "value": req(str)},
        rows=_setting_changed,
        audit=_setting_text,
    ),
    Kind(
        BACKUP_MADE,
        "A verified backup copy: its file name, SHA-256 and the head it ends at.",
        {"file": req(str), "sha256": req(str), "head": req(dict, fields=HEAD)},
    ),
    Kind(
        RESTORED,
        "A backup restored over the database; QA signs when signed entries were dropped.",
        {
            "backup": req(
                dict,
                fields={"file": req(str), "sha256": req(str), "head": req(dict, fields=HEAD)},
            ),
            "replaced": req(
                dict,
                fields={
                    "head": opt(dict, fields=HEAD),
                    "problem": opt(str),
                    "kept_as": opt(str),
                },
            ),
            "dropped": opt(dict, fields={"first": req(int), "last": req(int), "signed": req(int)}),
            # Entries witnesses saw after the backup, lost (services/witness_loss.py).
            "lost": opt(
                dict,
                fields={
                    "first": req(int),
                    "last": req(int),
                    "superseded": req(
                        list,
                        item=req(
                            dict,
                            fields={"witness": req(str), "size": req(int), "root": req(str)},
                        ),
                    ),
                },
            ),
            "administrator": req(dict, fields={"username": req(str), "printed_name": req(str)}),
            "reason": opt(str),
            "signatures": SIGNATURES,
        },
        rows=_restored,
    ),
    Kind(
        SITE_KEY_KIND,
        "The site's Ed25519 public key and the ledger's origin line (C2SP signed notes).",
        {"origin": req(str), "public_key": req(str), "vkey": req(str)},
    ),
    Kind(
        CHECKPOINT_KIND,
        "A signed checkpoint: the Merkle tree size and root before it, signed by the site key.",
        {"origin": req(str), "size": req(int), "root": req(str), "signature": req(str)},
    ),
    Kind(
        DINS_ASSIGNED,
        "DINs an administrator gave collections enrolled before DINs existed.",
        {
            "assigned": req(
                list,
                item=req(dict, fields={"unit": req(str), "coi": req(str), "din": req(str)}),
            ),
            "by": req(str),
        },
        rows=_dins_assigned,
    ),
)
