"""Recompute the ledger's hash chain and every projection, and find the first lie.

Streams each table in keyset-paged batches next to the ledger, so memory stays
flat at any size and a table is read once. Every projection row carries the
sequence number of the entry that produced it, so rows are compared in
(entry, key) order: a changed, deleted, inserted or reordered row shows up as a
mismatch at the first entry it touches.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

from sqlalchemy import Column
from sqlalchemy.orm import Session

from cart_chain.domain.errors import MalformedEntry, VerificationFailed
from cart_chain.domain.merkle import EMPTY_ROOT
from cart_chain.domain.signed_note import CHECKPOINT_KIND
from cart_chain.store import case_index, keyset
from cart_chain.store.attachments import AttachmentCheck
from cart_chain.store.checkpoints import CheckpointCheck
from cart_chain.store.kinds import kind_of
from cart_chain.store.ledger import GENESIS, Checkpoint, Entry, entry_hash, parse_payload
from cart_chain.store.models import ENTRY_COLUMNS, PROJECTIONS, Base, LedgerEntry
from cart_chain.store.projections import project
from cart_chain.store.resume import Resume, earlier_entries, link_problem, walk_before
from cart_chain.store.signers import SignerCheck
from cart_chain.store.tree import TreeCheck


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
    #: The first entry checked in full. Above 1 (`verify` resumed at a checkpoint a full
    #: run passed), the entries before it were walked for their sequence, links and time
    #: and for who could sign; their hashes, payloads and projection rows were not redone.
    since: int = 1
    #: When the full run that checked the entries before ``since`` ended (set by the caller).
    earlier_checked_at: str = ""
    #: The Merkle tree root recomputed from the entries (size ``entries``), once every
    #: entry was read.
    root: bytes = EMPTY_ROOT
    #: What `verify` could not check, or found behind, without failing (a witness that
    #: cannot be read, an overdue checkpoint): shown, never hidden.
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.problem is None


def _order(model: type[Base]) -> list[Column[Any]]:
    table = model.__table__
    keys = [c for c in table.primary_key.columns if c.name != "entry_seq"]
    return [table.c.entry_seq, *keys]


class _TableCursor:
    """One projection table read in (entry, key) order, with getters built once."""

    def __init__(self, session: Session, model: type[Base], start: int) -> None:
        self.name = model.__tablename__
        columns = list(model.__table__.columns)
        order = _order(model)
        self.names = [c.name for c in columns]
        self.seq_index = self.names.index("entry_seq")
        since = [model.__table__.c.entry_seq >= start] if start > 1 else []
        self.rows = keyset.rows(session.connection(), columns, order, since)
        key_names = [c.name for c in order]
        self.row_of = lambda r, g=itemgetter(*self.names): g(r)  # dict -> tuple in table order
        self.key_of = lambda r, g=itemgetter(*key_names): g(r)  # dict -> sort key
        key_index = [self.names.index(k) for k in key_names]
        self.key_of_row = lambda t, g=itemgetter(*key_index): g(t)  # stored row -> sort key

    def next(self) -> tuple[Any, ...] | None:
        return next(self.rows, None)

    def describe(self, row: tuple[Any, ...]) -> str:
        return ", ".join(f"{k}={v!r}" for k, v in zip(self.names, row, strict=True))


def _diff(names: list[str], want: tuple[Any, ...], got: tuple[Any, ...]) -> str:
    for n, w, g in zip(names, want, got, strict=True):
        if w != g:
            return f"column {n}: ledger says {w!r}, table has {g!r}"
    return "rows differ"


def _mismatch(
    cur: _TableCursor,
    seq: int,
    want_row: dict[str, Any],
    want: tuple[Any, ...],
    got: tuple[Any, ...],
) -> Problem:
    """Name what differs: an extra row, a missing row, or a changed column."""
    got_seq = got[cur.seq_index]
    got_key = cur.key_of_row(got)
    if got_seq < seq or (got_seq == seq and got_key < cur.key_of(want_row)):
        return Problem(
            got_seq, cur.name, f"row not written by the ledger (inserted): {cur.describe(got)}"
        )
    if got_key != cur.key_of(want_row):
        return Problem(seq, cur.name, "row is missing (deleted or moved)")
    return Problem(seq, cur.name, _diff(cur.names, want, got))


def verify(
    session: Session,
    progress: Callable[[int], None] | None = None,
    resume: Resume | None = None,
) -> Report:
    """Check the ledger, or with ``resume`` only from that checkpoint on (`store.resume`)."""
    start = 1 if resume is None else resume.seq
    report = Report(since=start)
    cursors = {m: _TableCursor(session, m, start) for m in PROJECTIONS}
    pending = {m: cursors[m].next() for m in PROJECTIONS}
    signers = SignerCheck(None if resume is None else earlier_entries(session, start))
    checkpoints = CheckpointCheck()
    attachments = AttachmentCheck()
    prev, prev_at = GENESIS, ""
    if resume is not None:
        walked = walk_before(session, start, signers, checkpoints, attachments, GENESIS)
        if walked.problem is not None:
            report.problem = Problem(*walked.problem)
            return report
        prev, prev_at = walked.prev, walked.prev_at
    try:
        tree = TreeCheck(session, start - 1)
    except VerificationFailed as exc:
        report.problem = Problem(start, "tree_hashes", str(exc))
        return report
    touched: set[str] | None = None if resume is None else set()
    expected_seq = start

    rows = keyset.rows(
        session.connection(), ENTRY_COLUMNS, [LedgerEntry.seq], [LedgerEntry.seq >= start]
    )
    for seq, at, kind, actor, text, prev_hash, digest in rows:
        misplaced = link_problem(seq, expected_seq, prev_hash, prev, at, prev_at)
        if misplaced is not None:
            report.problem = Problem(*misplaced)
            return report
        if entry_hash(seq, at, kind, actor, prev_hash, text) != digest:
            report.problem = Problem(
                seq, "ledger_entries", "content does not match its hash (entry altered)"
            )
            return report
        if resume is not None and seq == start and (digest, kind) != (resume.hash, CHECKPOINT_KIND):
            report.problem = Problem(
                seq,
                "ledger_entries",
                "is not the checkpoint entry a full verify passed: the ledger before it "
                "was rewritten (run verify without --quick)",
            )
            return report
        root_before = tree.root() if kind == CHECKPOINT_KIND else None
        wrong_tree = tree.check(seq, digest)
        if wrong_tree is not None:
            report.problem = Problem(seq, "tree_hashes", wrong_tree)
            return report
        try:
            payload = parse_payload(text)
        except ValueError:
            report.problem = Problem(seq, "ledger_entries", "payload is not valid JSON")
            return report
        try:  # what the writer refuses, verify refuses: the kind's declaration
            undeclared = kind_of(kind).problem(payload)
        except MalformedEntry as exc:  # a kind nobody declared
            undeclared = str(exc).split(";")[0]
        if undeclared is not None:
            report.problem = Problem(seq, "ledger_entries", f"{kind} entry: {undeclared}")
            return report
        if touched is not None:
            declared = kind_of(kind)
            touched.update(declared.cases(declared, payload))
        entry = Entry(seq, at, kind, actor, payload, prev_hash, digest)
        unauthorised = signers.check(entry)
        if unauthorised is not None:
            report.problem = Problem(seq, *unauthorised)
            return report
        undescribed = attachments.note(seq, kind, payload)
        if undescribed is not None:
            report.problem = Problem(seq, "ledger_entries", undescribed)
            return report
        unsigned = checkpoints.check(entry, root_before)
        if unsigned is not None:
            report.problem = Problem(seq, "ledger_entries", unsigned)
            return report
        try:
            produced = project(entry)
        except MalformedEntry as exc:
            report.problem = Problem(seq, "ledger_entries", str(exc).split(";")[0])
            return report
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            report.problem = Problem(seq, "ledger_entries", f"{kind} entry is malformed ({exc!r})")
            return report
        if len(produced) > 1:
            # rows of one table within an entry are compared in key order
            produced.sort(key=lambda mr: (id(mr[0]), cursors[mr[0]].key_of(mr[1])))
        for model, want_row in produced:
            cur = cursors[model]
            want = cur.row_of(want_row)
            got = pending[model]
            if got is None:
                report.problem = Problem(seq, cur.name, "row is missing (deleted)")
                return report
            if got != want:
                report.problem = _mismatch(cur, seq, want_row, want, got)
                return report
            pending[model] = cur.next()
            report.rows += 1
        prev, prev_at = digest, at
        report.entries = seq
        report.checkpoint = Checkpoint(seq, digest)
        expected_seq += 1
        if progress is not None and seq % 10000 == 0:
            progress(seq)
    if resume is not None and report.entries < start:
        report.problem = Problem(
            start, "ledger_entries", "the checkpoint entry is missing (cut off)"
        )
        return report
    report.root = tree.root()
    extra = tree.extra()
    if extra is not None:
        report.problem = Problem(extra[0], "tree_hashes", extra[1])
        return report
    wrong_file = attachments.check(session)
    if wrong_file is not None:
        report.problem = Problem(wrong_file[0], "condition_files", wrong_file[1])
        return report
    for model, got in pending.items():
        if got is not None:
            cur = cursors[model]
            report.problem = Problem(
                got[cur.names.index("entry_seq")],
                cur.name,
                f"row not written by the ledger (inserted): {cur.describe(got)}",
            )
            return report
    # The case index is a fold of the projections just proved, so it is checked last.
    wrong_index = case_index.check(session.connection(), touched)
    if wrong_index is not None:
        report.problem = Problem(wrong_index[0], "case_index", wrong_index[1])
    return report
