"""The ledger as an RFC 6962 Merkle tree: table tree_hashes, built for existing entries.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cart_chain.domain import merkle
from cart_chain.store.migrations.append_only import make_append_only

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    tree = op.create_table(
        "tree_hashes",
        sa.Column("idx", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column(
            "entry_seq", sa.BigInteger(), sa.ForeignKey("ledger_entries.seq"), nullable=False
        ),
        sa.Column("hash", sa.String(64), nullable=False),
    )
    op.create_index("ix_tree_hashes_entry_seq", "tree_hashes", ["entry_seq"])
    # The tree of the entries already recorded, leaf i = entry i + 1 (the 32 bytes of its
    # hash), in the order appends would have stored it; O(log n) hashes held in memory.
    conn = op.get_bind()
    ledger = sa.table("ledger_entries", sa.column("seq"), sa.column("hash"))
    frontier = merkle.Frontier()
    page = sa.select(ledger.c.seq, ledger.c.hash).order_by(ledger.c.seq).limit(BATCH)
    position, last = 0, 0
    while True:  # keyset pages: flat memory at any size, no server-side cursor
        entries = conn.execute(page.where(ledger.c.seq > last)).all()
        if not entries:
            break
        rows = []
        for seq, digest in entries:
            for h in frontier.add(merkle.leaf_hash(bytes.fromhex(digest))):
                rows.append({"idx": position, "entry_seq": seq, "hash": h.hex()})
                position += 1
        conn.execute(sa.insert(tree), rows)
        last = entries[-1][0]
    make_append_only(("tree_hashes",))


def downgrade() -> None:
    raise NotImplementedError("cart-chain never downgrades a custody database")
