"""Keyset paging (`store.keyset`): every row once, in order, whatever the page size,
the key's width, or a filter."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    insert,
    select,
)

from cart_chain.store import keyset

_meta = MetaData()
_t = Table(
    "t",
    _meta,
    Column("a", Integer, primary_key=True),
    Column("b", String, primary_key=True),
    Column("v", Integer),
)
_engine = create_engine("sqlite://")
_meta.create_all(_engine)

_keys = st.sets(st.tuples(st.integers(0, 6), st.sampled_from(["", "a", "b", "ab", "z"])))


@settings(max_examples=60, deadline=None)
@given(keys=_keys, size=st.integers(1, 7), cut=st.integers(0, 7))
def test_pages_give_every_row_once_in_key_order(keys, size, cut) -> None:  # type: ignore[no-untyped-def]
    with _engine.begin() as conn:
        conn.execute(_t.delete())
        if keys:
            conn.execute(insert(_t), [{"a": a, "b": b, "v": a * 10} for a, b in keys])
        order = [_t.c.a, _t.c.b]
        where = [_t.c.a >= cut]
        want = [tuple(r) for r in conn.execute(select(_t).where(*where).order_by(*order))]
        pages = list(keyset.pages(conn, list(_t.c), order, where, size))
        assert [tuple(r) for page in pages for r in page] == want
        assert all(len(p) == size for p in pages[:-1])
        assert list(keyset.rows(conn, [_t.c.v, _t.c.a, _t.c.b], order, where, size)) == [
            (v, a, b) for a, b, v in want
        ]


def test_a_single_column_key_pages_too() -> None:
    with _engine.begin() as conn:
        conn.execute(_t.delete())
        conn.execute(insert(_t), [{"a": i, "b": "", "v": i} for i in range(11)])
        got = list(keyset.rows(conn, [_t.c.a], [_t.c.a], size=4))
    assert got == [(i,) for i in range(11)]


def test_a_late_page_costs_what_the_first_did_under_a_lower_bound() -> None:
    """SQLite starts an index search at the first lower bound it is given: with the
    filter's ``a >= 0`` before the page's ``a > :k``, each page read the index from the
    start. Counted in SQLite's own virtual machine steps (its progress handler), per
    page: the last of 50 pages may cost no more than twice the second."""
    engine = create_engine("sqlite://")
    _meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(_t), [{"a": i, "b": "", "v": i} for i in range(20_000)])
        steps = [0]

        def count() -> int:
            steps[0] += 1
            return 0

        raw = conn.connection.dbapi_connection
        raw.set_progress_handler(count, 10)  # type: ignore[union-attr]
        per_page = []
        before = 0
        for _page in keyset.pages(conn, list(_t.c), [_t.c.a], [_t.c.a >= 0], 400):
            per_page.append(steps[0] - before)
            before = steps[0]
        raw.set_progress_handler(None, 0)  # type: ignore[union-attr]
    assert len(per_page) == 50
    assert per_page[-1] <= 2 * per_page[1], per_page


def test_a_column_whose_type_converts_what_is_read_is_converted() -> None:
    """Pages come as the driver's tuples only where no column's type converts what is
    read; a Boolean (stored 0/1 by SQLite) still reads as a bool."""
    meta = MetaData()
    flags = Table("flags", meta, Column("a", Integer, primary_key=True), Column("on", Boolean))
    engine = create_engine("sqlite://")
    meta.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(flags), [{"a": i, "on": i % 2 == 0} for i in range(5)])
        got = list(keyset.rows(conn, list(flags.c), [flags.c.a], size=2))
    assert got == [(i, i % 2 == 0) for i in range(5)]
    assert all(type(on) is bool for _, on in got)
