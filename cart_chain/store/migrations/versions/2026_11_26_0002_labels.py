"""Label prints and voids: every printed label is a projection of a ledger entry.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

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
    _append_only(TABLES)


def _append_only(tables: tuple[str, ...]) -> None:
    """Same triggers as 0001; on PostgreSQL the trigger function from 0001 is reused."""
    if op.get_bind().dialect.name == "sqlite":
        for t in tables:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {t}_no_{action.lower()} BEFORE {action} ON {t} "
                    f"BEGIN SELECT RAISE(ABORT, 'cart-chain: {t} is append-only'); END"
                )
        return
    for t in tables:
        op.execute(
            f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
            "FOR EACH ROW EXECUTE FUNCTION cart_chain_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
            "FOR EACH STATEMENT EXECUTE FUNCTION cart_chain_append_only()"
        )


def downgrade() -> None:
    raise NotImplementedError("cart-chain never downgrades a custody database")
