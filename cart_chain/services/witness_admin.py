"""Configuring witnesses (an administrator, recorded in the ledger) and the file exchange.

On the log's side an administrator adds or removes witness locations (the
``witnesses`` shared setting, so the ledger says who changed them and when). A
site witness's cosigner key is read from its database and pinned when it is
added. On the witness's side its administrator accepts the logs it witnesses.
For a witness whose key is not on the log's workstation, ``witness request``
writes the checkpoint and the consistency proof it needs into a folder, and
``witness cosign`` at the witness site checks, cosigns and records them.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from pathlib import Path

from sqlalchemy.orm import Session

from cart_chain.domain.errors import InvalidValue, NotFound
from cart_chain.domain.roles import Role
from cart_chain.domain.witnesses import FOLDER, SETTING, SITE, Witness, dump
from cart_chain.services import witness_site
from cart_chain.services.auth import Credentials, authenticate_in, require_role, signed_write
from cart_chain.services.shared_settings import set_in
from cart_chain.services.witnesses import (
    Outcome,
    configured_in,
    deliver,
    held_by,
    notes_in,
    rotations_in,
)
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.site_keys import site_key_in
from cart_chain.store.tree import consistency

_ADMINS = frozenset({Role.ADMINISTRATOR})


def _change(
    db: Database, by: Credentials, edit: Callable[[list[Witness]], list[Witness]]
) -> list[Witness]:
    def run(session: Session) -> list[Witness]:
        admin = authenticate_in(session, by)
        require_role(admin, _ADMINS, "configure witnesses")
        now = edit(configured_in(session))
        set_in(session, admin.username, SETTING, dump(now))
        return configured_in(session)

    return signed_write(db, run)


def add_folder(db: Database, by: Credentials, folder: Path) -> list[Witness]:
    """Add a folder witness (it must exist: a missing mount is not silently created)."""
    folder = folder.expanduser().resolve()
    if not folder.is_dir():
        raise InvalidValue(f"the witness folder {folder} does not exist or is not a folder")
    return _change(db, by, lambda ws: [*ws, Witness(0, FOLDER, path=str(folder))])


def add_site(db: Database, by: Credentials, url: str, key: Path | None) -> list[Witness]:
    """Add a site witness; its cosigner key is read from its database and pinned."""
    wdb = Database(url, read_only=True)
    try:
        vkey = witness_site.cosigner_key(wdb)
        resolved = wdb.url
    finally:
        wdb.dispose()
    where = str(key.expanduser().resolve()) if key else ""
    return _change(db, by, lambda ws: [*ws, Witness(0, SITE, url=resolved, vkey=vkey, key=where)])


def remove(db: Database, by: Credentials, number: int) -> list[Witness]:
    def edit(ws: list[Witness]) -> list[Witness]:
        if not 1 <= number <= len(ws):
            raise NotFound(f"there is no witness {number} ({len(ws)} configured)")
        return [w for w in ws if w.number != number]

    return _change(db, by, edit)


def sync(db: Database) -> list[Outcome]:
    """`witness sync`: retry every queued checkpoint now."""
    return deliver(db)


def accept(db: Database, by: Credentials, vkey: str) -> ledger.Entry:
    """At the witness site: witness the log of ``vkey`` from now on (an administrator)."""

    def run(session: Session) -> ledger.Entry:
        admin = authenticate_in(session, by)
        require_role(admin, _ADMINS, "accept a log to witness")
        return witness_site.accept_in(session, admin.username, vkey)

    return signed_write(db, run)


def request(db: Database, number: int, out: Path, since: int | None) -> tuple[Path, Path]:
    """Write ``checkpoint.txt`` (the latest checkpoint) and ``proof.json`` (consistency
    from the size the witness last cosigned, read from it or given as ``since``)."""

    def plan(session: Session) -> tuple[str, dict[str, object]]:
        ws = configured_in(session)
        if not 1 <= number <= len(ws):
            raise NotFound(f"there is no witness {number} ({len(ws)} configured)")
        notes = notes_in(session)
        if not notes:
            raise NotFound("this ledger has no checkpoint yet ('cart-chain checkpoint')")
        size, note = notes[-1]
        old = since
        if old is None:
            site = site_key_in(session)
            held = held_by(ws[number - 1], site.origin) if site else None
            old = held.size if held else 0
        proof = consistency(session, old, size).proof if old else []
        return note, {
            "from": old,
            "to": size,
            "proof": [base64.b64encode(h).decode("ascii") for h in proof],
            "rotations": rotations_in(session),
        }

    note, proof = db.read(plan)
    out.mkdir(parents=True, exist_ok=True)
    note_file, proof_file = out / "checkpoint.txt", out / "proof.json"
    note_file.write_text(note, encoding="utf-8")
    proof_file.write_text(json.dumps(proof, indent=1) + "\n", encoding="utf-8")
    return note_file, proof_file


def read_proof(text: str, note: str) -> tuple[list[bytes], list[dict[str, str]]]:
    """The hashes and key hand-overs of a ``proof.json`` (or the output of ``proof
    consistency --json``) for ``note``."""
    try:
        data = json.loads(text)
        size = int(note.split("\n")[1])
        if int(data.get("to", size)) != size:
            raise InvalidValue(f"the proof ends at {data['to']}, the checkpoint at {size}")
        rotations = list(data.get("rotations", []))
        return [base64.b64decode(h, validate=True) for h in data["proof"]], rotations
    except (ValueError, KeyError, TypeError, IndexError, AttributeError):
        raise InvalidValue(
            "the proof file is not a consistency proof as 'proof consistency --json' prints it"
        ) from None
