"""What PostgreSQL's plans read, for tests of hot statements without table statistics.

This server runs with autovacuum off, so a fresh schema has no statistics, as on a
site whose DBA turned it off. A statement whose plan depends on them can read a
whole table where it needs a row; these helpers show it without timing anything.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import event

from cart_chain.store.database import Database


def statements_of(db: Database, fn: Callable[[], object]) -> list[tuple[str, Any]]:
    """The SELECT statements ``fn`` sent, with their driver parameters."""
    seen: list[tuple[str, Any]] = []

    def note(conn, cursor, statement, parameters, context, executemany) -> None:  # type: ignore[no-untyped-def]
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", note)
    return [(s, p) for s, p in seen if s.lstrip().upper().startswith("SELECT")]


def rows_touched(db: Database, sql: str, params: Any) -> float:
    """Rows every node of the statement's plan returned or filtered out (EXPLAIN ANALYZE)."""
    with db.engine.connect() as conn:
        plan = conn.exec_driver_sql("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params).scalar()
    return _touched(plan[0]["Plan"])


def _touched(node: dict[str, Any]) -> float:
    # Per-loop figures: a node run once per outer row (a nested loop's inner side) counts
    # each run, and rows a join condition threw away count too.
    per_loop = (
        node.get("Actual Rows", 0)
        + node.get("Rows Removed by Filter", 0)
        + node.get("Rows Removed by Join Filter", 0)
    )
    own = per_loop * node.get("Actual Loops", 1)
    return own + sum(_touched(child) for child in node.get("Plans", ()))
