"""Recompute the ledger's hash chain and every projection, and find the first lie.

Streams each table in keyset-paged batches next to the ledger, so memory stays
flat at any size and a table is read once. Every projection row carries the
sequence number of the entry that produced it, so rows are compared in
(entry, key) order: a changed, deleted, inserted or reordered row shows up as a
mismatch at the first entry it touches.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Column, select, tuple_
from sqlalchemy.orm import Session

from cart_chain.store.ledger import GENESIS, Checkpoint, Entry, entry_hash
from cart_chain.store.models import PROJECTIONS, Base, LedgerEntry
from cart_chain.store.projections import project

BATCH = 5000


@dataclass(frozen=True, slots=True)
class Problem:
    seq: int  # first ledger entry concerned (0 when none can be named)
    table: str
    message: str

    def __str__(self) -> str:
        return f"entry {self.seq} ({self.table}): {self.message}"


@dataclass(slots=True)
class Report:
    entries: int = 0
    rows: int = 0
    checkpoint: Checkpoint = field(default_factory=lambda: Checkpoint(0, GENESIS))
    problem: Problem | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None


def _order(model: type[Base]) -> list[Column[Any]]:
    table = model.__table__
    keys = [c for c in table.primary_key.columns if c.name != "entry_seq"]
    return [table.c.entry_seq, *keys]


def _stream(
    session: Session, columns: list[Column[Any]], order: list[Column[Any]]
) -> Iterator[tuple[Any, ...]]:
    """All rows in ``order``, fetched by keyset pages (no OFFSET, no server cursor)."""
    n = len(order)
    last: tuple[Any, ...] | None = None
    idx = [columns.index(c) for c in order]
    while True:
        q = select(*columns).order_by(*order).limit(BATCH)
        if last is not None:
            q = q.where(tuple_(*order) > tuple_(*last)) if n > 1 else q.where(order[0] > last[0])
        rows = session.execute(q).all()
        if not rows:
            return
        yield from (tuple(r) for r in rows)
        if len(rows) < BATCH:
            return
        last = tuple(rows[-1][i] for i in idx)


class _TableCursor:
    def __init__(self, session: Session, model: type[Base]) -> None:
        self.name = model.__tablename__
        self.columns = list(model.__table__.columns)
        self.names = [c.name for c in self.columns]
        self.rows = _stream(session, self.columns, _order(model))
        self.key_of: Callable[[dict[str, Any]], tuple[Any, ...]] = lambda r: tuple(
            r[c.name] for c in _order(model)
        )
        self.count = 0

    def next(self) -> tuple[Any, ...] | None:
        return next(self.rows, None)

    def describe(self, row: tuple[Any, ...]) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in zip(self.names, row, strict=True))


def _diff(names: list[str], want: tuple[Any, ...], got: tuple[Any, ...]) -> str:
    for n, w, g in zip(names, want, got, strict=True):
        if w != g:
            return f"column {n}: ledger says {w!r}, table has {g!r}"
    return "rows differ"


def _mismatch(cur: _TableCursor, seq: int, want_row: dict[str, Any], want: tuple[Any, ...],
              got: tuple[Any, ...]) -> Problem:
    """Name what differs: an extra row, a missing row, or a changed column."""
    got_seq = got[cur.names.index("entry_seq")]
    got_key = cur.key_of(dict(zip(cur.names, got, strict=True)))
    if got_seq < seq or (got_seq == seq and got_key < cur.key_of(want_row)):
        return Problem(got_seq, cur.name,
                       f"row not written by the ledger (inserted): {cur.describe(got)}")
    if got_key != cur.key_of(want_row):
        return Problem(seq, cur.name, "row is missing (deleted or moved)")
    return Problem(seq, cur.name, _diff(cur.names, want, got))


def verify(session: Session, progress: Callable[[int], None] | None = None) -> Report:
    report = Report()
    cursors = {m: _TableCursor(session, m) for m in PROJECTIONS}
    pending = {m: cursors[m].next() for m in PROJECTIONS}
    expected_seq = 1
    prev = GENESIS

    cols = [
        LedgerEntry.seq,
        LedgerEntry.recorded_at,
        LedgerEntry.kind,
        LedgerEntry.actor,
        LedgerEntry.payload,
        LedgerEntry.prev_hash,
        LedgerEntry.hash,
    ]
    for seq, at, kind, actor, text, prev_hash, digest in _stream(session, cols, [LedgerEntry.seq]):
        if seq != expected_seq:
            what = "deleted" if seq > expected_seq else "duplicated or reordered"
            report.problem = Problem(
                expected_seq, "ledger_entries", f"sequence jumps to {seq}: entry {what}"
            )
            return report
        if prev_hash != prev:
            report.problem = Problem(
                seq,
                "ledger_entries",
                "does not link to the entry before it "
                "(an entry was removed, inserted or reordered)",
            )
            return report
        if entry_hash(seq, at, kind, actor, prev_hash, text) != digest:
            report.problem = Problem(
                seq, "ledger_entries", "content does not match its hash (entry altered)"
            )
            return report
        try:
            payload = json.loads(text)
        except ValueError:
            report.problem = Problem(seq, "ledger_entries", "payload is not valid JSON")
            return report
        entry = Entry(seq, at, kind, actor, payload, prev_hash, digest)
        produced: dict[type[Base], list[dict[str, Any]]] = {}
        for model, row in project(entry):
            produced.setdefault(model, []).append(row)
        for model, rows in produced.items():
            cur = cursors[model]
            for want_row in sorted(rows, key=cur.key_of):
                want = tuple(want_row[n] for n in cur.names)
                got = pending[model]
                if got is None:
                    report.problem = Problem(seq, cur.name, "row is missing (deleted)")
                    return report
                if got != want:
                    report.problem = _mismatch(cur, seq, want_row, want, got)
                    return report
                pending[model] = cur.next()
                report.rows += 1
        prev = digest
        report.entries = seq
        report.checkpoint = Checkpoint(seq, digest)
        expected_seq += 1
        if progress is not None and seq % 10000 == 0:
            progress(seq)
    for model, got in pending.items():
        if got is not None:
            cur = cursors[model]
            report.problem = Problem(
                got[cur.names.index("entry_seq")],
                cur.name,
                f"row not written by the ledger (inserted): {cur.describe(got)}",
            )
            return report
    return report
