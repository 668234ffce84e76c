"""Inclusion and consistency proofs of the ledger's Merkle tree, for anyone to check.

Read-only: a proof is computed on one snapshot from the stored tree hashes, so it
works from read-only media, and what it shows is in the RFC 6962 form that Go's
``sumdb/tlog`` (``CheckRecord``, ``CheckTree``) and Certificate Transparency tools
accept. Out-of-range sizes and entries are refused with `InvalidValue`.
"""

from __future__ import annotations

import base64
from typing import Any

from cart_chain.store import tree
from cart_chain.store.database import Database


def _b64(h: bytes) -> str:
    return base64.b64encode(h).decode("ascii")


def inclusion_proof(db: Database, seq: int, size: int | None = None) -> tree.InclusionProof:
    """The proof that entry ``seq`` is in the tree of ``size`` entries (default: all)."""
    return db.read(lambda s: tree.inclusion(s, seq, size))


def consistency_proof(db: Database, old: int, new: int | None = None) -> tree.ConsistencyProof:
    """The proof that the tree of ``new`` entries (default: all) extends that of ``old``."""
    return db.read(lambda s: tree.consistency(s, old, new))


def inclusion_json(p: tree.InclusionProof) -> dict[str, Any]:
    """The form `cart-chain proof inclusion --json` prints (issue 13)."""
    return {
        "seq": p.seq,
        "leaf_index": p.leaf_index,
        "tree_size": p.tree_size,
        "leaf_data": p.leaf_data.hex(),
        "proof": [_b64(h) for h in p.proof],
        "root": _b64(p.root),
    }


def consistency_json(p: tree.ConsistencyProof) -> dict[str, Any]:
    """The form `cart-chain proof consistency --json` prints (issue 13)."""
    return {
        "from": p.old_size,
        "to": p.new_size,
        "proof": [_b64(h) for h in p.proof],
        "old_root": _b64(p.old_root),
        "new_root": _b64(p.new_root),
    }
