"""ISBT 128 identifiers: the DIN of each collection, and manufacturers' identifiers
linked to a case (their COI, DINs, lots, release certificate).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cart_chain.store.migrations.append_only import make_append_only

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

NEW_TABLES = ("dins", "case_links")


def _seq_fk() -> sa.ForeignKey:
    return sa.ForeignKey("ledger_entries.seq")


def upgrade() -> None:
    op.create_table(
        "dins",
        sa.Column("din", sa.String(14), primary_key=True),
        sa.Column("entry_seq", sa.BigInteger(), _seq_fk(), nullable=False),
        sa.Column("unit_code", sa.String(19), sa.ForeignKey("units.unit_code"), nullable=False),
        sa.Column("coi", sa.String(16), sa.ForeignKey("cases.coi"), nullable=False),
        sa.Column("facility", sa.String(5), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.UniqueConstraint("unit_code", name="uq_dins_unit_code"),
        sa.UniqueConstraint("facility", "year", "sequence", name="uq_dins_facility_year_sequence"),
    )
    op.create_index("ix_dins_entry_seq", "dins", ["entry_seq"])
    op.create_index("ix_dins_coi", "dins", ["coi"])
    op.create_table(
        "case_links",
        sa.Column("entry_seq", sa.BigInteger(), _seq_fk(), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("coi", sa.String(16), sa.ForeignKey("cases.coi"), nullable=False),
        sa.Column("unit_code", sa.String(19), sa.ForeignKey("units.unit_code"), nullable=True),
        sa.UniqueConstraint("kind", "value", name="uq_case_links_kind_value"),
    )
    op.create_index("ix_case_links_coi", "case_links", ["coi"])
    make_append_only(NEW_TABLES)


def downgrade() -> None:
    raise NotImplementedError("cart-chain never downgrades a custody database")
