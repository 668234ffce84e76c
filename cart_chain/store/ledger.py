"""The append-only, hash-chained ledger: the one write path for every fact.

Each entry's hash covers its sequence number, time, kind, actor, the hash of
the entry before it and its canonical JSON payload. Changing, removing,
inserting or reordering any entry breaks the chain from that entry on. Time
never goes back: ``recorded_at`` comes from the database server on PostgreSQL
(read with the head, in one query) and from this workstation on SQLite, and is
never earlier than the head's (`clock.entry_time`). The
caller holds the database's write lock (BEGIN IMMEDIATE on SQLite, an advisory
transaction lock on PostgreSQL), so two processes can never both extend the
same head; the unique constraint on ``prev_hash`` is the second line of defence.
"""

from __future__ import annotations

import hashlib
import json
import json.scanner
from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from cart_chain.domain.clock import entry_time, now_iso
from cart_chain.store import batch, case_index, tree
from cart_chain.store.kinds import kind_of
from cart_chain.store.models import LedgerEntry
from cart_chain.store.projections import project
from cart_chain.store.tree import leaf_rows

GENESIS = "0" * 64
_HASH_PREFIX = b"cart-chain/ledger/1\n"


#: The C scanner behind `json.loads`, called without its per-call checks and whitespace
#: skipping: a stored payload is canonical text (`canonical`), and the audit export and
#: `verify` parse a million of them.
_scan = json.scanner.make_scanner(json.JSONDecoder())  # type: ignore[attr-defined]


def parse_payload(text: str) -> Any:
    """A stored payload's value; `ValueError` when the text is not one JSON value."""
    try:
        value, end = _scan(text, 0)
    except StopIteration:
        raise ValueError("payload is not JSON") from None
    if end != len(text):
        raise ValueError("payload has text after its JSON value")
    return value


def canonical(payload: dict[str, Any]) -> str:
    """The single textual form of a payload that is stored and hashed."""
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def entry_hash(
    seq: int, recorded_at: str, kind: str, actor: str | None, prev_hash: str, payload_text: str
) -> str:
    # Every header field is free of newlines (validated on write), and the payload
    # comes last, so this framing is unambiguous.
    h = hashlib.sha256(_HASH_PREFIX)
    h.update(f"{seq}\n{recorded_at}\n{kind}\n{actor or ''}\n{prev_hash}\n".encode())
    h.update(payload_text.encode())
    return h.hexdigest()


@dataclass(frozen=True, slots=True)
class Entry:
    seq: int
    recorded_at: str
    kind: str
    actor: str | None
    payload: dict[str, Any]
    prev_hash: str
    hash: str


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """Last sequence number and its hash: printed, it later proves nothing was cut off."""

    seq: int
    hash: str

    def __str__(self) -> str:
        return f"{self.seq}:{self.hash}"


# Built once: constructing SQLAlchemy statements costs more than running them on the hot path.
_HEAD = (
    select(LedgerEntry.seq, LedgerEntry.hash, LedgerEntry.recorded_at)
    .order_by(LedgerEntry.seq.desc())
    .limit(1)
)
#: PostgreSQL: the server's clock (in the stored format) and the head, in one round trip.
#: clock_timestamp(), not now(): now() is the transaction's start, which may precede
#: the commit of a writer that took the advisory lock first.
_PG_HEAD_AND_NOW = text(
    "SELECT n.now, h.seq, h.hash, h.recorded_at FROM (SELECT to_char("
    "clock_timestamp() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"') AS now) AS n "
    "LEFT JOIN (SELECT seq, hash, recorded_at FROM ledger_entries "
    "ORDER BY seq DESC LIMIT 1) AS h ON true"
)
_SERVER_CLOCK = "the database server's clock"
_INSERT_ENTRY = insert(LedgerEntry.__table__)
_INSERTS: dict[Any, Any] = {}


def head(session: Session) -> Checkpoint:
    row = session.connection().execute(_HEAD).first()
    return Checkpoint(0, GENESIS) if row is None else Checkpoint(row[0], row[1])


_HeadRead = tuple[Checkpoint, str | None, str | None]  # head, its time, the server's time


def head_reads(session: Session) -> list[batch.Read]:
    """The read of the head (and the server's time) `next_recorded_at` makes."""
    pg = batch.connection(session).dialect.name == "postgresql"
    return [(_PG_HEAD_AND_NOW, {})] if pg else [(_HEAD, {})]


def _read_head(session: Session, keep: bool = False) -> _HeadRead:
    """The head (`batch.rows`: read ahead, or now); ``keep``: and leave the rows for the
    next question, the append that follows (the caller holds the write lock, so nothing
    else can move the head, and any append before it drops them, `batch.forget`)."""
    stmt = _PG_HEAD_AND_NOW if batch.connection(session).dialect.name == "postgresql" else _HEAD
    rows = batch.rows(session, stmt, {})
    if keep:
        batch.keep(session, stmt, {}, rows)
    if stmt is _PG_HEAD_AND_NOW:
        server_now, seq, digest, head_at = rows[0]
        last = Checkpoint(0, GENESIS) if seq is None else Checkpoint(seq, digest)
        return last, head_at, server_now
    row = next(iter(rows), None)
    return (
        (Checkpoint(0, GENESIS), None, None)
        if row is None
        else (Checkpoint(row[0], row[1]), row[2], None)
    )


def _head_and_time(read: _HeadRead, proposed: str | None) -> tuple[Checkpoint, str]:
    """The head, and the time the next entry gets (``proposed`` is a time already taken)."""
    last, head_at, server_now = read
    if server_now is not None:
        return last, entry_time(proposed or server_now, head_at, _SERVER_CLOCK)
    return last, entry_time(proposed or now_iso(), head_at)


#: `Session.info` key of a dry run: a rehearsal of a write in a read transaction, which
#: ends at its first append (`DryRunEnd`) so that nothing is even attempted.
DRY_RUN = "cart_chain_dry_run"


class DryRunEnd(Exception):
    """Internal: a dry run reached its first append; what it came to learn is known."""


def next_recorded_at(session: Session) -> str:
    """The time the next entry will carry, for a caller that must show it before appending.

    Pass it to `append` as ``recorded_at`` in the same transaction (e.g. the time
    printed on a label is the time of its ledger entry).
    """
    return _head_and_time(_read_head(session, keep=True), None)[1]


def append(
    session: Session,
    kind: str,
    actor: str | None,
    payload: dict[str, Any],
    *,
    recorded_at: str | None = None,
) -> Entry:
    """Append one entry, its Merkle tree hashes, its projection rows and its change to
    the case index (`store.case_index`) inside the caller's transaction.

    ``recorded_at``, when given, must come from `next_recorded_at` in the same
    transaction; it is held to the same rule (never before the head).

    A kind not declared in `cart_chain.store.kinds`, or a payload its declaration
    does not describe, is refused (`MalformedEntry`) before anything is written.
    """
    kind_of(kind).check(payload)
    if session.info.get(DRY_RUN):
        raise DryRunEnd(kind)
    conn = batch.connection(session)
    read = _read_head(session)
    batch.forget(session)  # read before this entry: not an answer after it
    last, at = _head_and_time(read, recorded_at)
    seq = last.seq + 1
    text = canonical(payload)
    digest = entry_hash(seq, at, kind, actor, last.hash, text)
    row = dict(
        seq=seq,
        recorded_at=at,
        kind=kind,
        actor=actor,
        payload=text,
        prev_hash=last.hash,
        hash=digest,
    )
    writes: list[batch.Write] = [
        (_INSERT_ENTRY, [row]),
        (tree.INSERT, leaf_rows(conn, seq, digest, last.hash)),
    ]
    entry = Entry(seq, at, kind, actor, json.loads(text), last.hash, digest)
    by_table: dict[Any, list[dict[str, Any]]] = {}
    for model, projected in project(entry):
        by_table.setdefault(model, []).append(projected)
    for model, rows in by_table.items():
        stmt = _INSERTS.get(model)
        if stmt is None:
            stmt = _INSERTS[model] = insert(model.__table__)
        writes.append((stmt, rows))
    # The index change, when it needs no read of the rows just written (most kinds), goes
    # with them; a correction's is the fold of those rows, so it is made once they are in.
    index = case_index.plain_writes(kind, entry.payload, seq)
    batch.write(session, writes + (index or []))
    if index is None:
        case_index.apply(conn, kind, entry.payload, seq)
    return entry


def get_entry(session: Session, seq: int) -> Entry | None:
    row = session.get(LedgerEntry, seq)
    if row is None:
        return None
    return Entry(
        row.seq,
        row.recorded_at,
        row.kind,
        row.actor,
        json.loads(row.payload),
        row.prev_hash,
        row.hash,
    )
