"""What an attacker with write access to the database file does (and nothing more).

They cannot read the site key (it is outside the database), so they cannot sign.
They can edit any row (`tamper`: SQL run with the append-only triggers off, on SQLite
or PostgreSQL), recompute every later hash and the whole Merkle tree, put the
append-only triggers back, and turn the recorded ``checkpoint`` entries into
harmless-looking refused scans (`rewrite`; `consistent_rewrite` leaves them as they
are), which the ledger's own check of its checkpoints would otherwise catch: only what
left the database (a kept checkpoint, a witness) can then tell.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import text

from cart_chain.domain import merkle
from cart_chain.store.database import Database
from cart_chain.store.ledger import GENESIS, Entry, canonical, entry_hash
from cart_chain.store.models import PROJECTIONS
from cart_chain.store.projections import project


def tamper(db: Database, *statements: str) -> None:
    """Change the database behind cart-chain's back, as an attacker with file access would."""
    if db.is_sqlite:
        conn = sqlite3.connect(str(db.path))
        triggers = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='trigger'"
        ).fetchall()
        for name, _ in triggers:
            conn.execute(f"DROP TRIGGER {name}")
        conn.execute("PRAGMA foreign_keys=OFF")
        for sql in statements:
            conn.execute(sql)
        for _, sql in triggers:  # put back, so verify's trigger check does not give it away
            conn.execute(sql)
        conn.commit()
        conn.close()
        return
    with db.engine.begin() as conn:
        conn.execute(text("SET LOCAL session_replication_role = replica"))  # triggers off
        for sql in statements:
            conn.execute(text(sql))


def rewrite(
    path: Path,
    seq: int,
    change: Callable[[dict[str, Any]], None],
    *,
    hide_checkpoints: bool = True,
    truncate_after: int | None = None,
) -> None:
    """Change entry ``seq``'s payload; recompute every later hash, projection and the tree;
    with ``hide_checkpoints`` relabel checkpoint entries; with ``truncate_after`` also
    cut every entry after that one."""
    conn = sqlite3.connect(str(path))
    triggers = conn.execute("SELECT name, sql FROM sqlite_master WHERE type='trigger'").fetchall()
    for name, _ in triggers:
        conn.execute(f"DROP TRIGGER {name}")
    conn.execute("PRAGMA foreign_keys=OFF")
    if truncate_after is not None:
        for model in PROJECTIONS:
            conn.execute(
                f"DELETE FROM {model.__tablename__} WHERE entry_seq > ?", (truncate_after,)
            )
        conn.execute("DELETE FROM ledger_entries WHERE seq > ?", (truncate_after,))
    rows = conn.execute(
        "SELECT seq, recorded_at, kind, actor, payload FROM ledger_entries ORDER BY seq"
    ).fetchall()
    prev = GENESIS
    frontier = merkle.Frontier()
    tree: list[tuple[int, int, str]] = []
    for s, at, kind, actor, payload in rows:
        if s == seq:
            p = json.loads(payload)
            change(p)
            payload = canonical(p)
            entry = Entry(s, at, kind, actor, json.loads(payload), prev, "")
            for model in PROJECTIONS:
                conn.execute(f"DELETE FROM {model.__tablename__} WHERE entry_seq = ?", (s,))
            for model, row in project(entry):
                cols = ", ".join(row)
                marks = ", ".join(f":{c}" for c in row)
                conn.execute(f"INSERT INTO {model.__tablename__} ({cols}) VALUES ({marks})", row)
        if hide_checkpoints and kind == "checkpoint":
            # A declared kind that projects nothing and that any user writes, so `verify`
            # neither refuses an unknown kind nor misses a row: an innocent refused scan.
            note = {"by": actor, "reason": "misread", "scanned": "?"}
            kind, payload = "scan_refused", canonical(note)
        digest = entry_hash(s, at, kind, actor, prev, payload)
        conn.execute(
            "UPDATE ledger_entries SET kind = ?, payload = ?, prev_hash = ?, hash = ? "
            "WHERE seq = ?",
            (kind, payload, prev, digest, s),
        )
        for h in frontier.add(merkle.leaf_hash(bytes.fromhex(digest))):
            tree.append((len(tree), s, h.hex()))
        prev = digest
    conn.execute("DELETE FROM tree_hashes")
    conn.executemany("INSERT INTO tree_hashes (idx, entry_seq, hash) VALUES (?, ?, ?)", tree)
    for _, sql in triggers:
        conn.execute(sql)
    conn.commit()
    conn.close()
    rebuild_case_index(path)


def consistent_rewrite(path: Path, seq: int, change: Callable[[dict[str, Any]], None]) -> None:
    """Rewrite entry ``seq``'s payload and recompute everything that depends on it
    (the attacker of `rewrite`, leaving the checkpoint entries as they are)."""
    rewrite(path, seq, change, hide_checkpoints=False)


def rebuild_case_index(path: Path) -> None:
    """The case index is a fold of the projections: rebuilt, as `verify` would expect."""
    from sqlalchemy import create_engine

    from cart_chain.store import case_index

    engine = create_engine(f"sqlite+pysqlite:///{path}")
    try:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM case_index"))
            case_index.build(conn)
    finally:
        engine.dispose()
