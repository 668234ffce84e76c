"""Where a full `verify` on this workstation got to, so that ``verify --quick`` can resume.

A mark names a recorded checkpoint entry (its number and hash) of one database that
a full run passed, and when that full run was. It lives in this user's state folder,
never in the database: a copy of the database taken elsewhere (a backup, an
inspector's copy) has no mark there, so it is always checked in full. The file holds
no patient data and no database address: each database is keyed by SHA-256s of its
address and of its first entry's hash. A restore forgets the marks of its address;
a mark file that cannot be read is no mark.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.signed_note import CHECKPOINT_KIND
from cart_chain.store.models import LedgerEntry

#: Overrides the file's place (tests, and sites that keep state elsewhere).
ENV_VAR = "CART_CHAIN_VERIFY_MARKS"


@dataclass(frozen=True, slots=True)
class Mark:
    seq: int  # the checkpoint entry
    hash: str  # its hash when the run passed it
    full_at: str  # when the full run that covers everything before it ended


def marks_path() -> Path:
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override)
    from platformdirs import user_state_path

    return user_state_path("cart-chain", appauthor=False) / "verified.json"


def _place(url: str) -> str:
    return hashlib.sha256(url.encode()).hexdigest()


def database_key(session: Session, url: str) -> str | None:
    """This database's key in the file, or None for an empty ledger."""
    first = session.execute(select(LedgerEntry.hash).where(LedgerEntry.seq == 1)).scalar()
    if first is None:
        return None
    return f"{_place(url)}:{hashlib.sha256(first.encode()).hexdigest()}"


def forget_place(url: str) -> None:
    """Drop every mark of the database at ``url`` (a restore put another file there:
    the next ``--quick`` checks it in full). Best effort: a mark that stays only makes
    ``--quick`` fail at its checkpoint, and say to verify in full."""
    path = marks_path()
    every = _read_all(path)
    kept = {k: v for k, v in every.items() if not k.startswith(_place(url) + ":")}
    if kept != every:
        _write(path, kept)


def _read_all(path: Path) -> dict[str, dict[str, object]]:
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return found if isinstance(found, dict) else {}


def load(key: str) -> Mark | None:
    raw = _read_all(marks_path()).get(key)
    if not isinstance(raw, dict):
        return None
    try:
        seq, digest, at = raw["seq"], raw["hash"], raw["full_at"]
    except KeyError:
        return None
    if not (isinstance(seq, int) and isinstance(digest, str) and isinstance(at, str)):
        return None
    return Mark(seq, digest, at)


def last_checkpoint(session: Session, upto: int) -> tuple[int, str] | None:
    """The newest recorded checkpoint entry at or before ``upto``: (seq, hash)."""
    row = session.execute(
        select(LedgerEntry.seq, LedgerEntry.hash)
        .where(LedgerEntry.kind == CHECKPOINT_KIND, LedgerEntry.seq <= upto)
        .order_by(LedgerEntry.seq.desc())
        .limit(1)
    ).first()
    return None if row is None else (row[0], row[1])


def save(key: str, mark: Mark) -> bool:
    """Keep ``mark``; False when it cannot be."""
    path = marks_path()
    every = _read_all(path)
    every[key] = asdict(mark)
    return _write(path, every)


def _write(path: Path, every: dict[str, dict[str, object]]) -> bool:
    """Write the file whole, then rename it into place."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps(every, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(tmp, path)
    except OSError:
        return False
    return True
