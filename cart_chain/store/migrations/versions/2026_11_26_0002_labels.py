"""Label prints and voids: every printed label is a projection of a ledger entry.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cart_chain.store.migrations.append_only import make_append_only

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TABLES = ("label_prints", "label_voids")


def upgrade() -> None:
    op.create_table(
        "label_prints",
        sa.Column("unit_code", sa.String(19), sa.ForeignKey("units.unit_code"), primary_key=True),
        sa.Column("serial", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column(
            "entry_seq", sa.BigInteger(), sa.ForeignKey("ledger_entries.seq"), nullable=False
        ),
        sa.Column("coi", sa.String(16), sa.ForeignKey("cases.coi"), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("layout", sa.String(60), nullable=False),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("printed_by", sa.String(64), sa.ForeignKey("users.username"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
    )
    op.create_index("ix_label_prints_entry_seq", "label_prints", ["entry_seq"])
    op.create_index("ix_label_prints_coi", "label_prints", ["coi"])
    op.create_index("ix_label_prints_unit_kind", "label_prints", ["unit_code", "kind"])
    op.create_table(
        "label_voids",
        sa.Column(
            "entry_seq", sa.BigInteger(), sa.ForeignKey("ledger_entries.seq"), primary_key=True
        ),
        sa.Column("unit_code", sa.String(19), sa.ForeignKey("units.unit_code"), primary_key=True),
        sa.Column("serial", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("replaced_by", sa.Integer(), nullable=True),
    )
    op.create_index("ix_label_voids_unit_serial", "label_voids", ["unit_code", "serial"])
    make_append_only(TABLES)


def downgrade() -> None:
    raise NotImplementedError("cart-chain never downgrades a custody database")
