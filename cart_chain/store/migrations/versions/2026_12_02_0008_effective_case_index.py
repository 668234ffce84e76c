"""The case index: each case's effective values and search keys, keyset-paged.

One row per case, kept by `ledger.append` (`store.case_index`) and checked by
`verify`; built here for the cases already recorded. It is the one table whose rows
are updated (a fold, not a fact), so it gets no append-only triggers.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cart_chain.store import case_index

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_index",
        sa.Column("coi", sa.String(16), sa.ForeignKey("cases.coi"), primary_key=True),
        sa.Column("seq", sa.BigInteger(), sa.ForeignKey("ledger_entries.seq"), nullable=False),
        sa.Column("patient_name", sa.String(200), nullable=False),
        sa.Column("patient_dob", sa.String(10), nullable=False),
        sa.Column("mrn", sa.String(64), nullable=False),
        sa.Column("product", sa.String(200), nullable=False),
        sa.Column("name_key", sa.Text(), nullable=False),
        sa.Column("mrn_key", sa.Text(), nullable=False),
        sa.Column("product_key", sa.Text(), nullable=False),
        sa.Column("last_event_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_case_index_seq", "case_index", ["seq"], unique=True)
    for name, column in (
        ("name", "name_key"),
        ("mrn", "mrn_key"),
        ("product", "product_key"),
        ("last_event", "last_event_at"),
    ):
        op.create_index(f"ix_case_index_{name}", "case_index", [column, "seq"])
    case_index.build(op.get_bind())


def downgrade() -> None:
    raise NotImplementedError("cart-chain never downgrades a custody database")
