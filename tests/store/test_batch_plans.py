"""`store.batch` works out each statement's driver SQL once, and keeps read-ahead rows
by statement: what it keeps must stay the statement's own.

Both were keyed by ``id(stmt)`` alone. A statement built for one call and then freed
leaves its address to the next object; a different statement built there was given
the first one's SQL, or the first one's rows, without any error.
"""

from __future__ import annotations

import gc

from sqlalchemy import literal_column, select

from cart_chain.store import batch


def test_a_statement_built_where_a_freed_one_was_gets_its_own_sql(any_db) -> None:  # type: ignore[no-untyped-def]
    def read(session) -> list[int]:  # type: ignore[no-untyped-def]
        seen = []
        for n in range(40):
            stmt = select(literal_column(str(n)))  # built here, freed after the call
            batch.read_ahead(session, [(stmt, {})])
            seen.append(batch.rows(session, stmt, {})[0][0])
            del stmt
            gc.collect(0)  # the youngest objects: enough to free it, and 1 ms, not 100
        return seen

    assert any_db.read(read) == list(range(40))


def test_rows_kept_for_a_freed_statement_never_answer_another(any_db) -> None:  # type: ignore[no-untyped-def]
    def read(session) -> list[int]:  # type: ignore[no-untyped-def]
        ahead = [(select(literal_column(str(n))), {}) for n in range(200)]
        batch.read_ahead(session, ahead)  # read ahead, never asked for
        del ahead
        gc.collect()
        seen = []
        for n in range(200):
            stmt = select(literal_column(str(1000 + n)))
            seen.append(batch.rows(session, stmt, {})[0][0])
            del stmt
        return seen

    assert any_db.read(read) == [1000 + n for n in range(200)]
