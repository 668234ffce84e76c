"""Chain of condition: temperature-logger files imported per transport leg.

condition_logs is the projection of ``condition_imported`` entries (unit, leg,
the file's SHA-256, unique, and size, the logger's serial and layout);
condition_files keeps each original file's bytes under its entry, checked by
`verify` against the SHA-256 the entry records. Both are append-only.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cart_chain.store.migrations.append_only import make_append_only

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "condition_logs",
        sa.Column(
            "entry_seq",
            sa.BigInteger(),
            sa.ForeignKey("ledger_entries.seq"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("unit_code", sa.String(19), sa.ForeignKey("units.unit_code"), nullable=False),
        sa.Column("coi", sa.String(16), sa.ForeignKey("cases.coi"), nullable=False),
        sa.Column("leg_seq", sa.BigInteger(), sa.ForeignKey("ledger_entries.seq"), nullable=False),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("serial", sa.String(64), nullable=True),
        sa.Column("format", sa.String(40), nullable=False),
        sa.UniqueConstraint("sha256", name="uq_condition_logs_sha256"),
    )
    op.create_index("ix_condition_logs_unit_code", "condition_logs", ["unit_code"])
    op.create_index("ix_condition_logs_coi", "condition_logs", ["coi"])
    op.create_table(
        "condition_files",
        sa.Column(
            "entry_seq",
            sa.BigInteger(),
            sa.ForeignKey("ledger_entries.seq"),
            primary_key=True,
            autoincrement=False,
        ),
        sa.Column("content", sa.LargeBinary(), nullable=False),
    )
    make_append_only(("condition_logs", "condition_files"))


def downgrade() -> None:
    raise NotImplementedError("cart-chain never downgrades a custody database")
