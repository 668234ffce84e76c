"""The ledger's Merkle tree in the database: appended with each entry, read for proofs.

Leaf ``i`` is entry ``i + 1``; its data is the 32 raw bytes of that entry's hash.
Each append reads the left siblings it completes (one query, at most log2 n keys)
and writes its leaf and those subtrees (one multi-row insert), inside the
entry's own transaction: an entry never exists without its tree hashes.
`TreeCheck` recomputes every stored hash for `verify`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from cart_chain.domain import merkle
from cart_chain.domain.errors import InvalidValue, VerificationFailed
from cart_chain.store import keyset
from cart_chain.store.models import LedgerEntry, TreeHash

_T = TreeHash.__table__
_READ = select(_T.c.idx, _T.c.hash).where(_T.c.idx.in_(bindparam("idx", expanding=True)))
INSERT = insert(_T)
_SIZE = select(LedgerEntry.seq).order_by(LedgerEntry.seq.desc()).limit(1)
_LEAF = select(LedgerEntry.hash).where(LedgerEntry.seq == bindparam("seq"))


def leaf_data(entry_hash: str) -> bytes:
    """What the tree holds for an entry: its SHA-256 hash as 32 raw bytes."""
    return bytes.fromhex(entry_hash)


def rows_for(seq: int, hashes: Sequence[bytes]) -> list[dict[str, object]]:
    """Stored rows for the hashes entry ``seq`` adds (positions follow on from before)."""
    start = merkle.stored_hash_count(seq - 1)
    return [{"idx": start + i, "entry_seq": seq, "hash": h.hex()} for i, h in enumerate(hashes)]


def read_hashes(conn: Connection, positions: Sequence[int]) -> list[bytes]:
    """Stored hashes by position, in the order asked; a missing one is a broken tree."""
    if not positions:
        return []
    found = dict(conn.execute(_READ, {"idx": list(positions)}).all())
    missing = [p for p in positions if p not in found]
    if missing:
        level, index = merkle.split_stored_hash_index(missing[0])
        raise VerificationFailed(
            f"the Merkle tree has no hash at level {level}, index {index}: run 'cart-chain verify'"
        )
    return [bytes.fromhex(found[p]) for p in positions]


#: Tree frontiers this process worked out, by the head they follow: (entry seq, its
#: hash) -> the roots of the complete subtrees of the first seq leaves. The head's hash
#: chains every earlier entry, so it fixes the tree of that size: a frontier found here
#: is the one the stored hashes hold (`verify` checks those), whatever database or
#: workstation asks, and an append after one of this process's own needs no read.
#: A frontier is taken out when used, and the next one put back after the append; one
#: rolled back is never asked for again (no other entry can have its hash).
_FRONTIERS: dict[tuple[int, str], merkle.Frontier] = {}
_KEPT = 16
_FRONTIERS_LOCK = threading.Lock()


def leaf_rows(
    conn: Connection, seq: int, entry_hash: str, prev_hash: str
) -> list[dict[str, object]]:
    """The rows (`INSERT`) that add entry ``seq`` (chained to ``prev_hash``) as leaf
    ``seq - 1`` (the caller holds the write lock and writes them, with the entry's other
    rows). The left siblings come from the frontier kept after the append before it,
    or are read: with the rest of the frontier, so the next append needs no read."""
    n = seq - 1
    leaf = merkle.leaf_hash(leaf_data(entry_hash))
    with _FRONTIERS_LOCK:
        frontier = _FRONTIERS.pop((n, prev_hash), None)
    if frontier is None:
        if not merkle.append_positions(n):  # completes no subtree: nothing to read
            return rows_for(seq, merkle.appended_hashes(n, leaf, []))
        frontier = merkle.Frontier(n, read_hashes(conn, merkle.frontier_positions(n)))
    rows = rows_for(seq, frontier.add(leaf))
    with _FRONTIERS_LOCK:
        while len(_FRONTIERS) >= _KEPT:
            del _FRONTIERS[next(iter(_FRONTIERS))]
        _FRONTIERS[(seq, entry_hash)] = frontier
    return rows


def tree_size(session: Session) -> int:
    """Leaves in the tree: the number of entries."""
    return session.connection().execute(_SIZE).scalar() or 0


@dataclass(frozen=True, slots=True)
class InclusionProof:
    """Entry ``seq`` (leaf ``leaf_index``) is in the tree (``tree_size``, ``root``)."""

    seq: int
    leaf_index: int
    tree_size: int
    leaf_data: bytes
    proof: list[bytes]
    root: bytes


@dataclass(frozen=True, slots=True)
class ConsistencyProof:
    """The tree (``new_size``, ``new_root``) extends the tree (``old_size``, ``old_root``)."""

    old_size: int
    new_size: int
    proof: list[bytes]
    old_root: bytes
    new_root: bytes


def _size_or_head(session: Session, size: int | None) -> tuple[int, int]:
    head = tree_size(session)
    return head, head if size is None else size


def _read_all(conn: Connection, compute_positions: list[int]) -> merkle.HashReader:
    """Fetch every position a computation reads in one query, then serve it from memory."""
    fetched = dict(zip(compute_positions, read_hashes(conn, compute_positions), strict=True))
    return lambda positions: [fetched[p] for p in positions]


def root_at(session: Session, size: int) -> bytes:
    """MTH of the first ``size`` entries, from the stored hashes (one query)."""
    positions = merkle.positions_read(lambda r: merkle.root(size, r))
    return merkle.root(size, _read_all(session.connection(), positions))


def inclusion(session: Session, seq: int, size: int | None = None) -> InclusionProof:
    """The proof that entry ``seq`` is in the tree of ``size`` entries (default: all)."""
    head, size = _size_or_head(session, size)
    if not 1 <= size <= head:
        raise InvalidValue(f"tree size {size} is out of range: the ledger has {head} entries")
    if not 1 <= seq <= size:
        raise InvalidValue(f"entry {seq} is not in a tree of {size} entries (1..{size})")
    conn = session.connection()

    def compute(read: merkle.HashReader) -> tuple[list[bytes], bytes]:
        return merkle.inclusion_proof(seq - 1, size, read), merkle.root(size, read)

    proof, root = compute(_read_all(conn, merkle.positions_read(compute)))
    digest = conn.execute(_LEAF, {"seq": seq}).scalar_one()
    return InclusionProof(seq, seq - 1, size, leaf_data(digest), proof, root)


def consistency(session: Session, old: int, new: int | None = None) -> ConsistencyProof:
    """The proof that the tree of ``new`` entries (default: all) extends that of ``old``."""
    head, new = _size_or_head(session, new)
    if not 1 <= new <= head:
        raise InvalidValue(f"tree size {new} is out of range: the ledger has {head} entries")
    if not 1 <= old <= new:
        raise InvalidValue(f"--from {old} is out of range: it must be 1..{new}")

    def compute(read: merkle.HashReader) -> tuple[list[bytes], bytes, bytes]:
        return (
            merkle.consistency_proof(old, new, read),
            merkle.root(old, read),
            merkle.root(new, read),
        )

    proof, old_root, new_root = compute(
        _read_all(session.connection(), merkle.positions_read(compute))
    )
    return ConsistencyProof(old, new, proof, old_root, new_root)


def _stream(conn: Connection, start: int) -> Iterator[tuple[Any, ...]]:
    columns = [_T.c.idx, _T.c.entry_seq, _T.c.hash]
    return keyset.rows(conn, columns, [_T.c.idx], [_T.c.idx >= start])


class TreeCheck:
    """Recompute the stored tree entry by entry, against the table read in order."""

    def __init__(self, session: Session, size: int = 0) -> None:
        """From the first entry, or resumed after ``size`` entries from the stored roots of
        their complete subtrees (then `root` is only as good as those: the caller proves
        it against a signed checkpoint of that size)."""
        conn = session.connection()
        positions = merkle.frontier_positions(size)
        self.frontier = merkle.Frontier(size, read_hashes(conn, positions))
        self.position = merkle.stored_hash_count(size)
        self.rows = _stream(conn, self.position)

    def check(self, seq: int, entry_hash: str) -> str | None:
        """Why the hashes stored for entry ``seq`` are wrong, or None when they are right."""
        for want in self.frontier.add(merkle.leaf_hash(leaf_data(entry_hash))):
            got = next(self.rows, None)
            if got is None:
                return f"{self._where()} is missing (deleted)"
            idx, by, digest = got
            if idx != self.position:
                return f"{self._where()} is missing (deleted), the next stored is position {idx}"
            if by != seq or digest != want.hex():
                return f"{self._where()} does not match the ledger (altered)"
            self.position += 1
        return None

    def _where(self) -> str:
        level, index = merkle.split_stored_hash_index(self.position)
        return f"Merkle tree hash at level {level}, index {index}"

    def extra(self) -> tuple[int, str] | None:
        """A stored hash past the last entry's: (its entry_seq, why)."""
        got = next(self.rows, None)
        if got is None:
            return None
        return got[1], f"Merkle tree hash at position {got[0]} not written by the ledger"

    def root(self) -> bytes:
        return self.frontier.root()
