"""Refused scans are projected: a case's custody report reads its near misses by key.

A ``scan_refused`` entry had no projection, so the custody report found a case's
refused scans by a text search of every ledger payload (``LIKE '%COI%'``) and parsed
each one's JSON: a read of the whole ledger for every report. From now on
`ledger.append` writes one ``refused_scans`` row per case the refusal concerns (the
kind's declaration in `store.kinds.labels`), and this migration writes them for the
refusals recorded before.

The rows are made by the kind's own declaration, not by a copy of it here: `verify`
recomputes every projection from that declaration, so the rows it checks and the
rows this writes cannot differ. A later change to the rows would come with its own
migration, as this one does.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from cart_chain.store.migrations.append_only import make_append_only

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_ENTRIES = sa.table(
    "ledger_entries",
    sa.column("seq", sa.Integer),
    sa.column("recorded_at"),
    sa.column("kind"),
    sa.column("actor"),
    sa.column("payload"),
    sa.column("prev_hash"),
    sa.column("hash"),
)
_ROWS = sa.table(
    "refused_scans",
    sa.column("entry_seq", sa.Integer),
    sa.column("coi"),
    sa.column("unit_code"),
    sa.column("scanned"),
    sa.column("reason"),
    sa.column("by_user"),
)


def upgrade() -> None:
    from cart_chain.store.kinds import kind_of
    from cart_chain.store.ledger import Entry

    op.create_table(
        "refused_scans",
        sa.Column(
            "entry_seq", sa.BigInteger(), sa.ForeignKey("ledger_entries.seq"), primary_key=True
        ),
        sa.Column("coi", sa.String(64), primary_key=True),
        sa.Column("unit_code", sa.String(200)),
        sa.Column("scanned", sa.Text()),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("by_user", sa.String(64)),
    )
    op.create_index("ix_refused_scans_coi", "refused_scans", ["coi", "entry_seq"])
    make_append_only(("refused_scans",))
    conn = op.get_bind()
    refused = kind_of("scan_refused")
    rows: list[dict[str, object]] = []
    for seq, at, kind, actor, text, prev, digest in conn.execute(
        sa.select(*_ENTRIES.c).where(_ENTRIES.c.kind == "scan_refused").order_by(_ENTRIES.c.seq)
    ):
        entry = Entry(seq, at, kind, actor, json.loads(text), prev, digest)
        rows.extend(row for _, row in refused.rows(entry))
    if rows:
        conn.execute(sa.insert(_ROWS), rows)


def downgrade() -> None:
    raise NotImplementedError("cart-chain never downgrades a custody database")
