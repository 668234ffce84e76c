"""`verify`: prove the ledger and its projections are what was signed.

Besides the records, it checks what keeps them honest tomorrow: SQLite's check of
every page of the file, the append-only triggers, and a schema version row that
matches the tables. A problem with the
records is reported first; any problem makes `verify` fail.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import now_iso
from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.merkle import HASH_SIZE, TreeHead
from cart_chain.domain.signed_note import open_note
from cart_chain.services import verify_marks as marks
from cart_chain.services.checkpoints import checkpoint_due_in
from cart_chain.services.verify_marks import Mark
from cart_chain.services.witnesses import findings_in
from cart_chain.store import pg_stats
from cart_chain.store.database import Database
from cart_chain.store.integrity import (
    missing_table,
    schema_problem,
    storage_problem,
    trigger_problem,
)
from cart_chain.store.ledger import Checkpoint
from cart_chain.store.models import LedgerEntry
from cart_chain.store.resume import Resume
from cart_chain.store.site_keys import key_for_size, site_key_in, site_keys_in
from cart_chain.store.tree import root_at
from cart_chain.store.verify import Problem, Report, verify


def is_seq_hash(text: str) -> bool:
    """Whether ``--checkpoint`` was given the SEQ:HASH form (else it names a signed note)."""
    seq, sep, digest = text.strip().partition(":")
    return bool(sep) and seq.isdigit() and len(digest) == 64


def parse_checkpoint(text: str) -> Checkpoint:
    seq, sep, digest = text.strip().partition(":")
    if not sep or not seq.isdigit() or len(digest) != 64:
        raise InvalidValue("a checkpoint is SEQ:HASH as printed by verify or on a report")
    return Checkpoint(int(seq), digest.lower())


def parse_tree_head(size: int, root: str) -> TreeHead:
    """A tree head the user kept: ``size`` entries and the base64 root `proof` or verify printed."""
    try:
        raw = base64.b64decode(root.strip(), validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if len(raw) != HASH_SIZE:
        raise InvalidValue("--root is a Merkle tree root: 32 bytes in base64, as verify prints it")
    if size < 1:
        raise InvalidValue("--size is the number of entries the root covers (1 or more)")
    return TreeHead(size, raw)


def _head_problem(session: Session, report: Report, head: TreeHead) -> Problem | None:
    """The kept tree head is no longer a prefix of the verified tree."""
    if head.size > report.entries:
        return Problem(
            head.size,
            "tree_hashes",
            f"the ledger ends at {report.entries}: entries up to the kept tree head "
            f"({head.size}) were cut off",
        )
    # The stored hashes were just recomputed from the entries, so this is the root
    # of the entries as they are now.
    if root_at(session, head.size) != head.root:
        return Problem(
            head.size,
            "tree_hashes",
            f"the tree of the first {head.size} entries no longer has the root that was "
            "kept: the ledger was rewritten",
        )
    return None


def _note_problem(session: Session, report: Report, note: str) -> Problem | None:
    """A signed checkpoint that is not this ledger's, or that the ledger no longer extends."""
    keys = site_keys_in(session)
    if not keys:
        return Problem(0, "ledger_entries", "this ledger has no site key to check a checkpoint")
    # Each key the ledger has had, newest first; a checkpoint counts only under the key
    # that was the site's when a checkpoint of its size was made (before a rotation, the
    # old key: a retired key cannot sign checkpoints of the tree after it).
    error: InvalidValue | None = None
    for site in reversed(keys):
        try:
            opened = open_note(note, site.origin, site.public)
        except InvalidValue as err:
            error = error or err
            continue
        if key_for_size(keys, opened.head.size) != site:
            return Problem(
                0, "checkpoint", "the checkpoint is signed by a key not valid at its size"
            )
        return _head_problem(session, report, opened.head)
    return Problem(0, "checkpoint", str(error))


def _witness_problem(session: Session, report: Report) -> Problem | None:
    """The witnesses' check (`witnesses.findings_in`), and a warning when the last
    checkpoint is more than a day old (the daily one is made at the next signed write)."""
    found = findings_in(session, report.entries)
    problems = found.problems
    report.warnings.extend(found.warnings)
    if site_key_in(session) is not None and checkpoint_due_in(session):
        report.warnings.append(
            "the last checkpoint is more than a day old: the next signed write makes one"
        )
    return Problem(0, "witness", problems[0]) if problems else None


def _resume_at(key: str | None, quick: bool) -> tuple[Mark | None, str]:
    """The mark a quick run resumes at, or None and why it checks in full."""
    if not quick:
        return None, ""
    mark = None if key is None else marks.load(key)
    if mark is None:
        return None, "no full verify of this database is recorded here: checked in full"
    return mark, ""


def _remember(
    session: Session, key: str, report: Report, mark: Mark | None, quick: bool
) -> str | None:
    """Record the newest checkpoint a passed run checked; a warning when it cannot be."""
    found = marks.last_checkpoint(session, report.entries)
    if found is None:
        return (
            "the ledger has no signed checkpoint for --quick to resume at: it checks in "
            "full until one is recorded ('cart-chain checkpoint')"
            if quick
            else None
        )
    if mark is not None and found[0] < mark.seq:
        return None
    full_at = now_iso() if mark is None else mark.full_at
    if marks.save(key, Mark(found[0], found[1], full_at)):
        return None
    return f"could not record this verify in {marks.marks_path()}: the next --quick checks in full"


def verify_ledger(
    db: Database,
    expect: Checkpoint | None = None,
    progress: Callable[[int], None] | None = None,
    head: TreeHead | None = None,
    note: str | None = None,
    *,
    quick: bool = False,
    remember: bool = False,
) -> Report:
    """Recompute everything; with ``expect`` (an entry's SEQ:HASH), ``head`` (a Merkle
    tree size and root) or ``note`` (a signed checkpoint, checked against the site key
    the ledger records), also prove what was kept is still the start of this ledger.

    ``remember``: a passed run records its newest checkpoint for this workstation
    (`verify_marks`). ``quick``: resume at that checkpoint (`store.resume`); a run
    that proves something kept, or finds no mark, checks in full.
    """
    quick = quick and expect is None and head is None and note is None

    def run(session: Session) -> Report:
        absent = missing_table(session)
        if absent is not None:
            return Report(problem=absent)
        key = marks.database_key(session, db.url) if (remember or quick) else None
        mark, why_full = _resume_at(key, quick)
        resume = None if mark is None else Resume(mark.seq, mark.hash)
        report = verify(session, progress, resume)
        if why_full:
            report.warnings.append(why_full)
        planner = pg_stats.warning(session.connection(), report.entries)
        if planner is not None:
            report.warnings.append(planner)
        if mark is not None:
            report.earlier_checked_at = mark.full_at
        if report.ok and expect is not None:
            found = session.execute(
                select(LedgerEntry.hash).where(LedgerEntry.seq == expect.seq)
            ).scalar()
            if found is None:
                report.problem = Problem(
                    expect.seq,
                    "ledger_entries",
                    f"the ledger ends at {report.checkpoint.seq}: entries "
                    f"up to the checkpoint {expect.seq} were cut off",
                )
            elif found != expect.hash:
                report.problem = Problem(
                    expect.seq,
                    "ledger_entries",
                    "hash differs from the printed checkpoint: the ledger was rewritten",
                )
        if report.ok and head is not None:
            report.problem = _head_problem(session, report, head)
        if report.ok and note is not None:
            report.problem = _note_problem(session, report, note)
        if report.ok:
            report.problem = _witness_problem(session, report)
        if report.ok:
            report.problem = (
                storage_problem(session) or schema_problem(session) or trigger_problem(session)
            )
        if report.ok and key is not None and (remember or mark is not None):
            failed = _remember(session, key, report, mark, quick)
            if failed is not None:
                report.warnings.append(failed)
        return report

    return db.read(run)
