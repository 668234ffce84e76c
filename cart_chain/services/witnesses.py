"""Sending every checkpoint to every witness, and checking the ledger against them.

Delivery runs once the write that made a checkpoint has committed (a witness is
not part of the transaction): the custody record is stored whatever a witness
does. The queue is the ledger itself: each delivery sends, in order, every
recorded checkpoint larger than the latest one the witness holds, so a witness
that was unreachable (unplugged media, a site that is down) catches up at the
next checkpoint or with ``witness sync``, and nothing needs to be kept aside.
A witness that refuses (a rollback, a history that does not extend what it
holds) is reported and never overwritten: that refusal is the evidence.

`findings_in` is `verify`'s check: the tree now must be consistent with the
latest checkpoint each witness holds (signature, cosignature, consistency proof).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from cart_chain.domain.cosignature import open_cosignature, parse_cosigner_vkey
from cart_chain.domain.errors import (
    CartChainError,
    EnvironmentProblem,
    InvalidValue,
    WitnessRefused,
)
from cart_chain.domain.merkle import TreeHead, verify_consistency
from cart_chain.domain.signed_note import (
    CHECKPOINT_KIND,
    SITE_KEY_ROTATED_KIND,
    note_text,
    open_note,
)
from cart_chain.domain.witnesses import FOLDER, SETTING, Witness, parse
from cart_chain.services import witness_folder, witness_site
from cart_chain.services.shared_settings import get_in
from cart_chain.services.witness_loss import Superseded, losses_in
from cart_chain.store.database import Database
from cart_chain.store.models import LedgerEntry
from cart_chain.store.site_keys import key_for_size, site_keys_in
from cart_chain.store.tree import consistency, root_at, tree_size

#: Witness problems after a committed write are warnings on this logger: the CLI prints
#: them, the main window shows them, the log file keeps them (no patient data: a
#: witness's place, tree sizes and why).
LOGGER = "cart_chain.witness"
log = logging.getLogger(LOGGER)


@dataclass(frozen=True, slots=True)
class Held:
    """The latest checkpoint a witness holds for this ledger."""

    size: int
    root: bytes
    note: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """What one delivery did: checkpoints handed over, or why not (then queued)."""

    witness: Witness
    delivered: int
    problem: str | None = None
    refused: bool = False


def configured_in(session: Session) -> list[Witness]:
    return parse(get_in(session, SETTING))


@contextmanager
def _witness_db(w: Witness, *, read_only: bool) -> Iterator[Database]:
    db = Database(w.url, read_only=read_only)
    try:
        yield db
    finally:
        db.dispose()


def held_by(w: Witness, origin: str) -> Held | None:
    """The witness's latest checkpoint of ``origin``; `EnvironmentProblem` if unreachable."""
    if w.kind == FOLDER:
        found = witness_folder.latest(Path(w.path), origin)
        if found is None:
            return None
        try:
            root = base64.b64decode(found.note.split("\n")[2], validate=True)
        except (IndexError, ValueError):
            root = b""
        return Held(found.size, root, found.note)
    try:
        with _witness_db(w, read_only=True) as wdb:
            seen = witness_site.held(wdb, origin)
    except (CartChainError, SQLAlchemyError) as err:  # not reachable, or not a cart-chain site
        raise EnvironmentProblem(f"{w.label} cannot be read: {err}") from err
    return None if seen is None else Held(seen.size, seen.root, seen.note)


def notes_in(session: Session, above: int = 0) -> list[tuple[int, str]]:
    """(size, signed note) of every recorded checkpoint larger than ``above``, in order."""
    out: list[tuple[int, str]] = []
    for (payload,) in session.execute(
        select(LedgerEntry.payload)
        .where(LedgerEntry.kind == CHECKPOINT_KIND)
        .order_by(LedgerEntry.seq)
    ):
        p = json.loads(payload)
        size = int(p["size"])
        if size > above:
            head = TreeHead(size, base64.b64decode(p["root"]))
            out.append((size, note_text(p["origin"], head, p["signature"])))
    return out


def rotations_in(session: Session) -> list[dict[str, str]]:
    """The ledger's key hand-overs, oldest first, as a witness needs them."""
    return [
        json.loads(payload)
        for (payload,) in session.execute(
            select(LedgerEntry.payload)
            .where(LedgerEntry.kind == SITE_KEY_ROTATED_KIND)
            .order_by(LedgerEntry.seq)
        )
    ]


def _plan(session: Session, w: Witness, held: Held | None) -> list[tuple[str, list[bytes]]]:
    """The checkpoints ``w`` still needs, each with the proof from the one before it."""
    if held is not None and (held.size, held.root) in losses_in(session):
        if w.kind != FOLDER:  # a cosigning site keeps refusing: its people must decide
            raise WitnessRefused(
                f"{w.label} holds a checkpoint a signed restore superseded; the witness site "
                "must accept the restored ledger before it cosigns again"
            )
        return [(note, []) for size, note in notes_in(session, held.size)]
    if held is not None:
        entries = tree_size(session)
        if held.size > entries:
            raise WitnessRefused(
                f"{w.label} holds a checkpoint of {held.size} entries but the ledger has "
                f"{entries}: it was cut off or rolled back"
            )
        if root_at(session, held.size) != held.root:
            raise WitnessRefused(
                f"the ledger is not consistent with the checkpoint of {held.size} entries "
                f"{w.label} holds: its history was rewritten"
            )
    before = 0 if held is None else held.size
    plan: list[tuple[str, list[bytes]]] = []
    for size, note in notes_in(session, before):
        proof = consistency(session, before, size).proof if before else []
        plan.append((note, proof))
        before = size
    return plan


def deliver_to(db: Database, w: Witness) -> int:
    """Hand ``w`` every checkpoint it lacks; the number handed over."""
    keys = db.read(site_keys_in)
    if not keys:
        return 0
    origin = keys[0].origin
    held = held_by(w, origin)
    plan = db.read(lambda s: _plan(s, w, held))
    if not plan:
        return 0
    if w.kind == FOLDER:
        for note, _ in plan:
            witness_folder.append(Path(w.path), origin, int(note.split("\n")[1]), note)
        return len(plan)
    if not w.key:
        raise EnvironmentProblem(
            f"{w.label} cosigns by file exchange (its key is not on this workstation): "
            "'cart-chain witness request' there, then 'witness cosign' at the witness site"
        )
    hand_overs = db.read(rotations_in)
    with _witness_db(w, read_only=False) as wdb:
        for note, proof in plan:
            witness_site.cosign_checkpoint(wdb, note, proof, Path(w.key), hand_overs)
    return len(plan)


def deliver(db: Database) -> list[Outcome]:
    """Every checkpoint to every witness; each witness's outcome, problems included."""
    outcomes: list[Outcome] = []
    for w in db.read(configured_in):
        try:
            outcomes.append(Outcome(w, deliver_to(db, w)))
        except WitnessRefused as err:
            outcomes.append(Outcome(w, 0, str(err), refused=True))
        except (CartChainError, SQLAlchemyError) as err:
            why = err if isinstance(err, CartChainError) else "its database cannot be written"
            outcomes.append(Outcome(w, 0, f"{why}; the checkpoint stays queued for it"))
    return outcomes


def deliver_quietly(db: Database) -> None:
    """`deliver` after a committed write: problems are warnings (the record is stored)."""
    for outcome in deliver(db):
        if outcome.problem:
            log.warning("%s: %s", outcome.witness.label, outcome.problem)


def _check_signatures(w: Witness, held: Held, origin: str, public: bytes) -> None:
    open_note(held.note, origin, public)
    if w.kind != FOLDER:
        name, cosigner = parse_cosigner_vkey(w.vkey)
        open_cosignature(held.note, name, cosigner)


@dataclass(slots=True)
class Findings:
    """`findings_in`'s result; ``ahead`` is filled instead of ``problems`` when asked."""

    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    ahead: list[Superseded] = field(default_factory=list)


def findings_in(session: Session, entries: int, *, collect_ahead: bool = False) -> Findings:
    """The ledger, as verified up to ``entries``, against the latest checkpoint each
    witness holds. A witness that cannot be read is a warning; a held checkpoint that
    does not verify, or that the tree no longer extends, fails, unless a signed restore
    in this ledger superseded exactly that checkpoint (`witness_loss`): then it is a
    warning naming the restore. With ``collect_ahead`` (a restore deciding whether to
    accept a loss), checkpoints beyond ``entries`` are listed in ``ahead`` instead."""
    found = Findings()
    problems, warnings = found.problems, found.warnings
    witnesses = configured_in(session)
    keys = site_keys_in(session)
    if not witnesses or not keys:
        return found
    origin = keys[0].origin
    recorded = notes_in(session)
    last = recorded[-1][0] if recorded else 0
    losses = losses_in(session)
    for w in witnesses:
        try:
            held = held_by(w, origin)
        except EnvironmentProblem as err:
            warnings.append(f"{w.label} could not be read, so it was not checked ({err})")
            continue
        if held is None:
            warnings.append(f"{w.label} holds no checkpoint of this ledger yet")
            continue
        key = key_for_size(keys, held.size)
        try:
            if key is None:
                raise InvalidValue("it is older than the ledger's site key")
            _check_signatures(w, held, origin, key.public)
        except InvalidValue as err:
            problems.append(f"{w.label} holds a checkpoint that does not verify: {err}")
            continue
        loss = losses.get((held.size, held.root))
        if loss is not None:
            warnings.append(loss.describe(w.label, held.size))
            continue
        if held.size > entries:
            if collect_ahead:
                found.ahead.append(Superseded(w.label, held.size, held.root))
                continue
            problems.append(
                f"{w.label} holds a checkpoint of {held.size} entries but the ledger ends at "
                f"{entries}: entries were cut off or an old backup was restored"
            )
            continue
        proof = consistency(session, held.size, entries)
        if not verify_consistency(held.size, entries, held.root, proof.new_root, proof.proof):
            problems.append(
                f"the ledger is not consistent with the checkpoint of {held.size} entries "
                f"{w.label} holds: its history was rewritten"
            )
            continue
        if held.size < last:
            warnings.append(
                f"{w.label} holds {held.size} entries, the last checkpoint covers {last}: "
                "it is behind (queued; 'cart-chain witness sync' retries)"
            )
    return found
