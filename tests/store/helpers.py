"""Plain helpers for the tests of the ledger's Merkle tree (tests/store/test_tree*.py).

`entry_hashes` reads the leaves straight from the ledger, `stored` the tree rows the
store kept, and `expected_rows` computes the rows those leaves should give, with
`domain.merkle` alone.
"""

from __future__ import annotations

from sqlalchemy import text

from cart_chain.domain import merkle
from cart_chain.store.database import Database


def entry_hashes(db: Database) -> list[bytes]:
    """Leaf data straight from the ledger: the raw bytes of each entry's hash, in order."""
    with db.engine.connect() as conn:
        rows = conn.execute(text("SELECT hash FROM ledger_entries ORDER BY seq")).all()
    return [bytes.fromhex(r[0]) for r in rows]


def stored(db: Database) -> list[tuple[int, int, str]]:
    with db.engine.connect() as conn:
        q = "SELECT idx, entry_seq, hash FROM tree_hashes ORDER BY idx"
        return [tuple(r) for r in conn.execute(text(q)).all()]  # type: ignore[misc]


def expected_rows(leaves: list[bytes]) -> list[tuple[int, int, str]]:
    frontier = merkle.Frontier()
    rows = []
    for seq, data in enumerate(leaves, start=1):
        for h in frontier.add(merkle.leaf_hash(data)):
            rows.append((len(rows), seq, h.hex()))
    return rows
