"""The enrolment signature is projected, like every other signature.

``case_created`` entries always carried their "Performed by" signature in the
payload, but no ``signatures`` row: readers had to parse the ledger's JSON to
show who enrolled a case. From now on `ledger.append` writes the rows (the
kind's declaration in `store.kinds.cases`), and this migration writes them for
the cases enrolled before, from each entry's own payload, so `verify` (which
recomputes them from the same declaration) finds them in place. No schema
change: rows only, each one explained by the ledger entry it names.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_ENTRIES = sa.table(
    "ledger_entries", sa.column("seq", sa.Integer), sa.column("kind"), sa.column("payload")
)
_SIGNATURES = sa.table(
    "signatures",
    sa.column("entry_seq", sa.Integer),
    sa.column("ordinal", sa.Integer),
    sa.column("username"),
    sa.column("printed_name"),
    sa.column("meaning"),
    sa.column("signed_at"),
)


def upgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(_ENTRIES.c.seq, _ENTRIES.c.payload)
        .where(_ENTRIES.c.kind == "case_created")
        .order_by(_ENTRIES.c.seq)
    )
    batch: list[dict[str, object]] = []
    for seq, payload in rows:
        for ordinal, sig in enumerate(json.loads(payload).get("signatures", ()), start=1):
            batch.append(
                dict(
                    entry_seq=seq,
                    ordinal=ordinal,
                    username=sig["username"],
                    printed_name=sig["printed_name"],
                    meaning=sig["meaning"],
                    signed_at=sig["signed_at"],
                )
            )
    if batch:
        conn.execute(sa.insert(_SIGNATURES), batch)


def downgrade() -> None:
    raise NotImplementedError("cart-chain never downgrades a custody database")
