"""Handling windows, patient readiness and QA review: profiles on cases, thaw and
infusion start times, condition, patient events, deviations, reviews, overrides.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cart_chain.store.migrations.append_only import make_append_only

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

NEW_TABLES = ("patient_events", "deviations", "deviation_reviews", "gate_overrides")


def _seq_fk() -> sa.ForeignKey:
    return sa.ForeignKey("ledger_entries.seq")


def upgrade() -> None:
    # New nullable columns: ADD COLUMN never rewrites rows, so no UPDATE trigger fires.
    op.add_column("events", sa.Column("started_at", sa.String(32), nullable=True))
    op.add_column("events", sa.Column("condition", sa.String(200), nullable=True))
    op.add_column("cases", sa.Column("profile_id", sa.String(40), nullable=True))
    op.add_column("cases", sa.Column("profile_version", sa.Integer(), nullable=True))
    op.create_table(
        "patient_events",
        sa.Column("entry_seq", sa.BigInteger(), _seq_fk(), primary_key=True),
        sa.Column("coi", sa.String(16), sa.ForeignKey("cases.coi"), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("occurred_at", sa.String(32), nullable=False),
        sa.Column("unit_code", sa.String(19), sa.ForeignKey("units.unit_code"), nullable=True),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.Column("by_user", sa.String(64), sa.ForeignKey("users.username"), nullable=False),
        sa.Column("to_user", sa.String(64), sa.ForeignKey("users.username"), nullable=True),
    )
    op.create_index("ix_patient_events_coi", "patient_events", ["coi", "entry_seq"])
    op.create_table(
        "deviations",
        sa.Column("entry_seq", sa.BigInteger(), _seq_fk(), primary_key=True),
        sa.Column("coi", sa.String(16), sa.ForeignKey("cases.coi"), nullable=False),
        sa.Column("unit_code", sa.String(19), sa.ForeignKey("units.unit_code"), nullable=False),
        sa.Column("event_seq", sa.BigInteger(), _seq_fk(), nullable=False),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.Column("limit_value", sa.String(80), nullable=False),
        sa.Column("actual", sa.String(80), nullable=False),
    )
    op.create_index("ix_deviations_unit", "deviations", ["unit_code", "entry_seq"])
    op.create_index("ix_deviations_coi", "deviations", ["coi"])
    op.create_table(
        "deviation_reviews",
        sa.Column("entry_seq", sa.BigInteger(), _seq_fk(), primary_key=True),
        sa.Column("deviation_seq", sa.BigInteger(), _seq_fk(), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_deviation_reviews_deviation_seq", "deviation_reviews", ["deviation_seq"])
    op.create_table(
        "gate_overrides",
        sa.Column("entry_seq", sa.BigInteger(), _seq_fk(), primary_key=True),
        sa.Column("coi", sa.String(16), sa.ForeignKey("cases.coi"), nullable=False),
        sa.Column("unit_code", sa.String(19), sa.ForeignKey("units.unit_code"), nullable=False),
        sa.Column("gate", sa.String(40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_gate_overrides_unit", "gate_overrides", ["unit_code", "gate"])
    make_append_only(NEW_TABLES)


def downgrade() -> None:
    raise NotImplementedError("cart-chain never downgrades a custody database")
