"""The enrolment signature is projected, like every other signature; so is the profile copy.

``case_created`` entries always carried their "Performed by" signature in the
payload, but no ``signatures`` row: readers had to parse the ledger's JSON to
show who enrolled a case. From now on `ledger.append` writes the rows (the
kind's declaration in `store.kinds.cases`), and this migration writes them for
the cases enrolled before, from each entry's own payload, so `verify` (which
recomputes them from the same declaration) finds them in place. No schema
change for that: rows only, each one explained by the ledger entry it names.

The product profile a case is held to (the copy in its enrolment entry) gets its
own append-only table, ``case_profiles``, filled here for the cases enrolled
with a profile, so `services.profiles.of_case` reads a projection instead of
parsing the enrolment entry's JSON. The text is the form
`store.kinds.cases.profile_text` writes (sorted keys, no spaces).

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

from cart_chain.store.migrations.append_only import make_append_only

revision = "0009"
down_revision = "0008"
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


_PROFILES = sa.table(
    "case_profiles",
    sa.column("coi"),
    sa.column("entry_seq", sa.Integer),
    sa.column("profile"),
)


def upgrade() -> None:
    op.create_table(
        "case_profiles",
        sa.Column("coi", sa.String(16), sa.ForeignKey("cases.coi"), primary_key=True),
        sa.Column(
            "entry_seq", sa.BigInteger(), sa.ForeignKey("ledger_entries.seq"), nullable=False
        ),
        sa.Column("profile", sa.Text(), nullable=False),
    )
    op.create_index("ix_case_profiles_entry_seq", "case_profiles", ["entry_seq"])
    make_append_only(("case_profiles",))
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(_ENTRIES.c.seq, _ENTRIES.c.payload)
        .where(_ENTRIES.c.kind == "case_created")
        .order_by(_ENTRIES.c.seq)
    )
    batch: list[dict[str, object]] = []
    profiles: list[dict[str, object]] = []
    for seq, text in rows:
        payload = json.loads(text)
        if payload.get("profile"):
            copy = json.dumps(
                payload["profile"], sort_keys=True, separators=(",", ":"), ensure_ascii=False
            )
            profiles.append(dict(coi=payload["coi"], entry_seq=seq, profile=copy))
        for ordinal, sig in enumerate(payload.get("signatures", ()), start=1):
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
    if profiles:
        conn.execute(sa.insert(_PROFILES), profiles)


def downgrade() -> None:
    raise NotImplementedError("cart-chain never downgrades a custody database")
