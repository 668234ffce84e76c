"""The ledger, its projections and the append-only triggers.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cart_chain.store.migrations.append_only import make_append_only

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TABLES = (
    "ledger_entries",
    "users",
    "user_changes",
    "settings",
    "cases",
    "units",
    "events",
    "signatures",
    "corrections",
)


def _seq_fk() -> sa.ForeignKey:
    return sa.ForeignKey("ledger_entries.seq")


def upgrade() -> None:
    op.create_table(
        "ledger_entries",
        sa.Column("seq", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("recorded_at", sa.String(32), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("hash", sa.String(64), nullable=False, unique=True),
    )
    op.create_index("ix_ledger_entries_kind", "ledger_entries", ["kind"])
    op.create_table(
        "users",
        sa.Column("username", sa.String(64), primary_key=True),
        sa.Column("entry_seq", sa.BigInteger(), _seq_fk(), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
    )
    op.create_index("ix_users_entry_seq", "users", ["entry_seq"])
    op.create_table(
        "user_changes",
        sa.Column("entry_seq", sa.BigInteger(), _seq_fk(), primary_key=True),
        sa.Column("username", sa.String(64), sa.ForeignKey("users.username"), nullable=False),
        sa.Column("change", sa.String(20), nullable=False),
        sa.Column("value", sa.Text(), nullable=True),
    )
    op.create_index("ix_user_changes_username", "user_changes", ["username", "entry_seq"])
    op.create_table(
        "settings",
        sa.Column("entry_seq", sa.BigInteger(), _seq_fk(), primary_key=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
    )
    op.create_index("ix_settings_key", "settings", ["key", "entry_seq"])
    op.create_table(
        "cases",
        sa.Column("coi", sa.String(16), primary_key=True),
        sa.Column("entry_seq", sa.BigInteger(), _seq_fk(), nullable=False),
        sa.Column("facility", sa.String(5), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("patient_name", sa.String(200), nullable=False),
        sa.Column("patient_dob", sa.String(10), nullable=False),
        sa.Column("mrn", sa.String(64), nullable=False),
        sa.Column("product", sa.String(200), nullable=False),
    )
    op.create_index("ix_cases_entry_seq", "cases", ["entry_seq"])
    op.create_index("ix_cases_mrn", "cases", ["mrn"])
    op.create_index("ix_cases_facility_year", "cases", ["facility", "year"])
    op.create_table(
        "units",
        sa.Column("unit_code", sa.String(19), primary_key=True),
        sa.Column("entry_seq", sa.BigInteger(), _seq_fk(), nullable=False),
        sa.Column("coi", sa.String(16), sa.ForeignKey("cases.coi"), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("parent_unit", sa.String(19), sa.ForeignKey("units.unit_code"), nullable=True),
    )
    op.create_index("ix_units_entry_seq", "units", ["entry_seq"])
    op.create_index("ix_units_coi", "units", ["coi"])
    op.create_table(
        "events",
        sa.Column("entry_seq", sa.BigInteger(), _seq_fk(), primary_key=True),
        sa.Column("unit_code", sa.String(19), sa.ForeignKey("units.unit_code"), primary_key=True),
        sa.Column("step", sa.String(40), nullable=False),
        sa.Column("occurred_at", sa.String(32), nullable=False),
        sa.Column("location", sa.String(200), nullable=True),
        sa.Column("temperature_c", sa.Float(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("by_user", sa.String(64), sa.ForeignKey("users.username"), nullable=False),
        sa.Column("to_user", sa.String(64), sa.ForeignKey("users.username"), nullable=True),
    )
    op.create_index("ix_events_unit", "events", ["unit_code", "entry_seq"])
    op.create_table(
        "signatures",
        sa.Column("entry_seq", sa.BigInteger(), _seq_fk(), primary_key=True),
        sa.Column("ordinal", sa.Integer(), primary_key=True),
        sa.Column("username", sa.String(64), sa.ForeignKey("users.username"), nullable=False),
        sa.Column("printed_name", sa.String(200), nullable=False),
        sa.Column("meaning", sa.String(40), nullable=False),
        sa.Column("signed_at", sa.String(32), nullable=False),
    )
    op.create_table(
        "corrections",
        sa.Column("entry_seq", sa.BigInteger(), _seq_fk(), primary_key=True),
        sa.Column("ordinal", sa.Integer(), primary_key=True),
        sa.Column("target_seq", sa.BigInteger(), _seq_fk(), nullable=False),
        sa.Column("field", sa.String(40), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
    )
    op.create_index("ix_corrections_target_seq", "corrections", ["target_seq"])
    make_append_only(TABLES)


def downgrade() -> None:
    raise NotImplementedError("cart-chain never downgrades a custody database")
