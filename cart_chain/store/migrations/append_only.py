"""The database-level guard on custody tables, used by every migration that adds one.

Part of the migration history: a later change of policy is a new function (and a
new migration), never an edit here, so re-running old migrations on a new
database always builds the same schema.
"""

from __future__ import annotations

from alembic import op

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION cart_chain_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'cart-chain: % is append-only', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def make_append_only(tables: tuple[str, ...]) -> None:
    """Triggers that make the database itself refuse UPDATE and DELETE (and TRUNCATE)."""
    if op.get_bind().dialect.name == "sqlite":
        for t in tables:
            for action in ("UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {t}_no_{action.lower()} BEFORE {action} ON {t} "
                    f"BEGIN SELECT RAISE(ABORT, 'cart-chain: {t} is append-only'); END"
                )
        return
    op.execute(_PG_FUNCTION)
    for t in tables:
        op.execute(
            f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} "
            "FOR EACH ROW EXECUTE FUNCTION cart_chain_append_only()"
        )
        op.execute(
            f"CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} "
            "FOR EACH STATEMENT EXECUTE FUNCTION cart_chain_append_only()"
        )
