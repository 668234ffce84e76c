"""Re-linking corrected-away identifiers; the collection's volume and anticoagulant.

case_links loses its unique (kind, value); events gain volume_ml and anticoagulant.

The constraint refused any second row for a value, so an identifier corrected away
from the wrong case could never be linked to the right one. Uniqueness among the
identifiers *in force* is now the service's rule (`services.links.check_free`),
checked inside the write transaction.

The collection step's volume (mL) and anticoagulant are in the entry's payload;
the two nullable columns are their projection (ADD COLUMN keeps the triggers).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from cart_chain.store.migrations.append_only import make_append_only

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        # SQLite cannot drop a constraint: the table is rebuilt (rows, index kept), which
        # drops its append-only triggers, so they are made again for the new table.
        with op.batch_alter_table("case_links", recreate="always") as batch:
            batch.drop_constraint("uq_case_links_kind_value", type_="unique")
        make_append_only(("case_links",))
    else:
        op.drop_constraint("uq_case_links_kind_value", "case_links", type_="unique")
    op.create_index("ix_case_links_kind_value", "case_links", ["kind", "value"])
    op.add_column("events", sa.Column("volume_ml", sa.Float(), nullable=True))
    op.add_column("events", sa.Column("anticoagulant", sa.String(40), nullable=True))


def downgrade() -> None:
    raise NotImplementedError("cart-chain never downgrades a custody database")
