"""`verify` resumed at a checkpoint that a full run passed: the walk of what came before.

A full `verify` redoes every hash, payload check and projection row, at tens of
thousands of entries a second: a minute at a million. A resumed run redoes all of
that only from a recorded ``checkpoint`` entry on. Before it, it still reads every
entry's sequence number, links and time (so a removed, inserted or reordered entry
fails as in a full run) and folds the few entries later checks need: users and
their roles (who could sign), the site key (who signed the checkpoints), and the
kept files. It does not rehash those entries' contents or re-derive their
projection rows; `verify` without ``--quick`` does, and is what an inspector runs.

What binds the walked part to the checked part: the checkpoint entry must still
have the hash the full run saw, and its signed root must be the root of the stored
tree before it, so a rewrite of history that recomputed the hashes, the tree or both
fails at the checkpoint.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from cart_chain.domain.signed_note import SITE_KEY_KIND, SITE_KEY_ROTATED_KIND
from cart_chain.store import keyset
from cart_chain.store.attachments import FILE_KINDS, AttachmentCheck
from cart_chain.store.checkpoints import CheckpointCheck
from cart_chain.store.ledger import Entry, get_entry, parse_payload
from cart_chain.store.models import ENTRY_COLUMNS, LedgerEntry
from cart_chain.store.signers import SignerCheck

#: The kinds whose payloads the walk reads: who could sign, the site key, kept files.
FOLDED = frozenset({"user_created", "user_changed", SITE_KEY_KIND, SITE_KEY_ROTATED_KIND})
_READ = FOLDED | FILE_KINDS


#: (first entry concerned, table, message), as `verify.Problem` takes them.
Found = tuple[int, str, str]


@dataclass(frozen=True, slots=True)
class Resume:
    """A recorded checkpoint entry, and the hash it had when a full `verify` passed it."""

    seq: int
    hash: str


def link_problem(
    seq: int, expected_seq: int, prev_hash: str, prev: str, at: str, prev_at: str
) -> Found | None:
    """What is wrong with where entry ``seq`` sits in the chain, or None.

    Entries never go back in time; the stored strings sort as text, so the time
    check costs one comparison.
    """
    if seq != expected_seq:
        what = "deleted" if seq > expected_seq else "duplicated or reordered"
        return expected_seq, "ledger_entries", f"sequence jumps to {seq}: entry {what}"
    if prev_hash != prev:
        return (
            seq,
            "ledger_entries",
            "does not link to the entry before it (an entry was removed, inserted or reordered)",
        )
    if at < prev_at:
        return (
            seq,
            "ledger_entries",
            f"recorded at {at}, earlier than the entry before it ({prev_at}): time went back",
        )
    return None


@dataclass(slots=True)
class Walked:
    """Where the walk stopped: the hash and time of the last entry before the start."""

    prev: str
    prev_at: str
    problem: Found | None = None


#: The first entry before the start that does not follow on from the one before it:
#: one statement, run by the database, instead of a row to Python per entry.
#: ``a.seq = b.seq - 1``, not ``b.seq = a.seq + 1``: the entry before is then found by its
#: key (PostgreSQL without statistics otherwise compared every pair: n squared rows).
_OUT_OF_LINE = text(
    "SELECT b.seq FROM ledger_entries b JOIN ledger_entries a ON a.seq = b.seq - 1 "
    "WHERE b.seq < :start AND (b.prev_hash <> a.hash OR b.recorded_at < a.recorded_at) "
    "ORDER BY b.seq LIMIT 1"
)
_SPAN = text("SELECT count(*), min(seq), max(seq) FROM ledger_entries WHERE seq < :start")
_AT = text("SELECT prev_hash, hash, recorded_at FROM ledger_entries WHERE seq = :seq")


def walk_before(
    session: Session,
    start: int,
    signers: SignerCheck,
    checkpoints: CheckpointCheck,
    attachments: AttachmentCheck,
    genesis: str,
) -> Walked:
    """Check the entries before ``start`` follow on one from another, then fold `FOLDED`.

    The order, links and times are compared set-wise in SQL; only when that finds
    something are the entries walked one by one, to name it as a full run would.
    """
    conn = session.connection()
    count, low, high = conn.execute(_SPAN, {"start": start}).one()
    first = conn.execute(_AT, {"seq": 1}).first()
    last = conn.execute(_AT, {"seq": start - 1}).first()
    in_line = (
        (count, low, high) == (start - 1, 1, start - 1)
        and first is not None
        and first[0] == genesis
        and last is not None
        and conn.execute(_OUT_OF_LINE, {"start": start}).first() is None
    )
    if not in_line:
        rows = _stream(conn, [LedgerEntry.seq < start])
        walked = _walk(rows, start, genesis)
        if walked.problem is None:  # the statement and the walk disagree: say so
            walked.problem = (1, "ledger_entries", "entries before the checkpoint do not link")
        return walked
    walked = Walked(last[1], last[2])
    folded = [LedgerEntry.seq < start, LedgerEntry.kind.in_(sorted(_READ))]
    for seq, at, kind, actor, text_, prev_hash, digest in _stream(conn, folded):
        try:
            payload = parse_payload(text_)
        except ValueError:
            walked.problem = seq, "ledger_entries", "payload is not valid JSON"
            return walked
        entry = Entry(seq, at, kind, actor, payload, prev_hash, digest)
        walked.problem = _fold(entry, signers, checkpoints, attachments)
        if walked.problem is not None:
            return walked
    return walked


def _walk(rows: Iterator[tuple[Any, ...]], start: int, genesis: str) -> Walked:
    """The entries one by one, to name the first that does not follow on."""
    walked = Walked(genesis, "")
    expected = 1
    for seq, at, _kind, _actor, _text, prev_hash, digest in rows:
        found = link_problem(seq, expected, prev_hash, walked.prev, at, walked.prev_at)
        if found is not None:
            walked.problem = found
            return walked
        walked.prev, walked.prev_at = digest, at
        expected += 1
    if expected != start:
        walked.problem = (expected, "ledger_entries", "entry is missing (deleted)")
    return walked


def _stream(conn: Connection, where: list[ColumnElement[bool]]) -> Iterator[tuple[Any, ...]]:
    """Entries matching ``where`` in order."""
    return keyset.rows(conn, ENTRY_COLUMNS, [LedgerEntry.seq], where)


def _fold(
    entry: Entry, signers: SignerCheck, checkpoints: CheckpointCheck, attachments: AttachmentCheck
) -> Found | None:
    if entry.kind in FILE_KINDS:
        wrong = attachments.note(entry.seq, entry.kind, entry.payload)
        return None if wrong is None else (entry.seq, "ledger_entries", wrong)
    if entry.kind in (SITE_KEY_KIND, SITE_KEY_ROTATED_KIND):
        wrong = checkpoints.check(entry, None)
        return None if wrong is None else (entry.seq, "ledger_entries", wrong)
    unauthorised = signers.check(entry)
    return None if unauthorised is None else (entry.seq, *unauthorised)


def earlier_entries(session: Session, start: int) -> Callable[[int], Entry | None]:
    """Read an entry before ``start`` when a later correction names it (`ledger.get_entry`)."""

    def read(seq: int) -> Entry | None:
        if not 1 <= seq < start:
            return None
        try:
            return get_entry(session, seq)
        except ValueError:  # a payload that is not JSON: the correction names no target
            return None

    return read
