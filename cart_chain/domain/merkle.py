"""The ledger as an RFC 6962 Merkle tree: hashes, proofs and their checks (pure).

The hash chain proves a ledger is whole only to someone who trusts the copy
they are shown: whoever can write the file can rewrite an entry and recompute
every later hash. A Merkle tree head (size and root) that left the workstation
pins all history up to it, and anyone can check, with standard tools and
without the database, that an entry is in it (inclusion proof) and that a later
head extends it (consistency proof). The algorithms are RFC 6962 section 2.1
(RFC 9162 section 2.1), so Go's ``golang.org/x/mod/sumdb/tlog`` (``CheckRecord``,
``CheckTree``) and Certificate Transparency tools accept our proofs.

Interior hashes are kept in the stored-hash layout of ``sumdb/tlog``: every
complete subtree of 2**level leaves starting at leaf ``index * 2**level`` has
the position `stored_hash_index` (level, index), assigned in the order appends
create them, so the store only ever appends, O(log n) hashes per leaf, and any
subtree hash needs at most O(log n) of them.

Proof functions read hashes through a ``read(positions) -> hashes`` callable.
What they read never depends on the hash values, so a store can ask for the
positions first (`positions_read`) and fetch them all in one query.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

HASH_SIZE = 32
#: MTH({}) = SHA-256 of nothing (RFC 6962 2.1).
EMPTY_ROOT = hashlib.sha256(b"").digest()

#: Reads stored hashes by position (`stored_hash_index`), in the order asked.
HashReader = Callable[[Sequence[int]], Sequence[bytes]]


@dataclass(frozen=True, slots=True)
class TreeHead:
    """A tree size and its root: what a checkpoint pins, kept outside the database."""

    size: int
    root: bytes


def leaf_hash(data: bytes) -> bytes:
    """MTH({d}) = SHA-256(0x00 || d): the prefix keeps a leaf from passing for a node."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two smaller than ``n`` (n > 1): where RFC 6962 splits."""
    return 1 << ((n - 1).bit_length() - 1)


def tree_hash(leaves: Sequence[bytes]) -> bytes:
    """MTH(D[n]) straight from the definition: the reference the stored hashes must match."""
    if not leaves:
        return EMPTY_ROOT
    level = [leaf_hash(d) for d in leaves]
    # Pairing left to right and carrying an odd last node up gives RFC 6962's shape.
    while len(level) > 1:
        nxt = [node_hash(level[i], level[i + 1]) for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


# -- the stored-hash layout of sumdb/tlog ---------------------------------------------


def stored_hash_index(level: int, index: int) -> int:
    """Position of the hash of the subtree at (level, index), as tlog's StoredHashIndex."""
    n = index
    for _ in range(level):
        n = 2 * n + 1
    i = 0
    while n > 0:
        i += n
        n >>= 1
    return i + level


def stored_hash_count(size: int) -> int:
    """How many hashes a tree of ``size`` leaves stores (tlog's StoredHashCount)."""
    if size == 0:
        return 0
    count = stored_hash_index(0, size - 1) + 1
    i = size - 1
    while i & 1:
        count += 1
        i >>= 1
    return count


def split_stored_hash_index(position: int) -> tuple[int, int]:
    """(level, index) of a stored position: for messages and for `verify`."""
    # Leaf n sits at stored_hash_index(0, n), followed by the subtrees it completes.
    lo, hi = 0, position + 1
    while lo + 1 < hi:  # the last leaf whose position is <= position
        mid = (lo + hi) // 2
        if stored_hash_index(0, mid) <= position:
            lo = mid
        else:
            hi = mid
    level = position - stored_hash_index(0, lo)
    return level, lo >> level


def append_positions(n: int) -> list[int]:
    """The positions `appended_hashes` reads to add leaf ``n``: the left siblings it completes."""
    m = ((n + 1) & -(n + 1)).bit_length() - 1  # trailing zeros of n + 1
    return [stored_hash_index(i, (n >> i) - 1) for i in range(m)]


def appended_hashes(n: int, leaf: bytes, siblings: Sequence[bytes]) -> list[bytes]:
    """The hashes stored when leaf ``n`` (its leaf hash) joins: itself, then each subtree
    it completes, for positions ``stored_hash_count(n)`` on. ``siblings`` are the hashes
    at `append_positions` (n), in that order.
    """
    out = [leaf]
    h = leaf
    for left in siblings:
        h = node_hash(left, h)
        out.append(h)
    return out


class Frontier:
    """The stored hashes of a tree built leaf by leaf in memory, O(log n) of them kept.

    Used where every leaf is at hand anyway (migration, `verify`): the hashes it yields
    are exactly what `appended_hashes` stores, and `root` is MTH of what was added.
    """

    def __init__(self, size: int = 0, stack: Sequence[bytes] = ()) -> None:
        """Empty, or resumed at ``size`` leaves from the roots of its complete subtrees
        (the stored hashes at `frontier_positions`, largest first)."""
        if len(stack) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} complete subtrees")
        self.size = size
        self._stack: list[bytes] = list(stack)  # roots of the complete subtrees, largest first

    def add(self, leaf: bytes) -> list[bytes]:
        """Add a leaf hash; return the hashes it stores (positions follow on from before)."""
        n = self.size
        out = [leaf]
        h = leaf
        while n & 1:
            h = node_hash(self._stack.pop(), h)
            out.append(h)
            n >>= 1
        self._stack.append(h)
        self.size += 1
        return out

    def root(self) -> bytes:
        if not self._stack:
            return EMPTY_ROOT
        h = self._stack[-1]
        for left in reversed(self._stack[:-1]):
            h = node_hash(left, h)
        return h


# -- subtree hashes and proofs from stored hashes -------------------------------------


def _subtrees(lo: int, hi: int) -> list[int]:
    """Stored positions of the complete subtrees that make up leaves [lo, hi), left first.

    ``lo`` is always a multiple of a power of two at least hi - lo here (RFC 6962
    splits only at powers of two), so the pieces follow the bits of hi - lo.
    """
    out = []
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        size = 1 << level
        out.append(stored_hash_index(level, lo >> level))
        lo += size
    return out


def frontier_positions(size: int) -> list[int]:
    """Stored positions of the complete subtrees of the first ``size`` leaves, largest
    first: what `Frontier` holds, so that it can be resumed from the stored tree."""
    return _subtrees(0, size)


def _fold(hashes: Sequence[bytes]) -> bytes:
    h = hashes[-1]
    for left in reversed(hashes[:-1]):
        h = node_hash(left, h)
    return h


class _Tree:
    """MTH(D[lo:hi]) for any range the proofs need, through one reader."""

    def __init__(self, read: HashReader) -> None:
        self.read = read

    def mth(self, lo: int, hi: int) -> bytes:
        return _fold(self.read(_subtrees(lo, hi)))

    def path(self, m: int, lo: int, hi: int) -> list[bytes]:
        """PATH(m, D[lo:hi]) of RFC 6962 2.1.1, m relative to lo."""
        n = hi - lo
        if n <= 1:
            return []
        k = _split(n)
        if m < k:
            return [*self.path(m, lo, lo + k), self.mth(lo + k, hi)]
        return [*self.path(m - k, lo + k, hi), self.mth(lo, lo + k)]

    def subproof(self, m: int, lo: int, hi: int, whole: bool) -> list[bytes]:
        """SUBPROOF(m, D[lo:hi], b) of RFC 6962 2.1.2, m relative to lo."""
        n = hi - lo
        if m == n:
            return [] if whole else [self.mth(lo, hi)]
        k = _split(n)
        if m <= k:
            return [*self.subproof(m, lo, lo + k, whole), self.mth(lo + k, hi)]
        return [*self.subproof(m - k, lo + k, hi, False), self.mth(lo, lo + k)]


def root(size: int, read: HashReader) -> bytes:
    """MTH of the first ``size`` leaves, from stored hashes."""
    return EMPTY_ROOT if size == 0 else _Tree(read).mth(0, size)


def inclusion_proof(index: int, size: int, read: HashReader) -> list[bytes]:
    """The audit path of leaf ``index`` in the tree of ``size`` leaves (0 <= index < size)."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    return _Tree(read).path(index, 0, size)


def consistency_proof(old: int, new: int, read: HashReader) -> list[bytes]:
    """The proof that the tree of ``new`` leaves extends the tree of ``old`` (0 < old <= new)."""
    if not 0 < old <= new:
        raise ValueError(f"no consistency proof from size {old} to {new}")
    return _Tree(read).subproof(old, 0, new, True)


def positions_read(compute: Callable[[HashReader], object]) -> list[int]:
    """The stored positions ``compute`` reads, found by running it on placeholder hashes."""
    seen: list[int] = []

    def record(positions: Sequence[int]) -> list[bytes]:
        seen.extend(positions)
        return [bytes(HASH_SIZE)] * len(positions)

    compute(record)
    return list(dict.fromkeys(seen))


# -- verification (RFC 9162 2.1.3.2 and 2.1.4.2) --------------------------------------


def root_from_inclusion(index: int, size: int, leaf: bytes, proof: Sequence[bytes]) -> bytes | None:
    """The root an inclusion proof leads to, or None when it cannot be a proof for (index, size)."""
    if not 0 <= index < size or any(len(p) != HASH_SIZE for p in proof):
        return None
    fn, sn, r = index, size - 1, leaf
    for p in proof:
        if sn == 0:
            return None
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return r if sn == 0 else None


def verify_inclusion(
    index: int, size: int, leaf: bytes, proof: Sequence[bytes], root: bytes
) -> bool:
    """Whether ``proof`` shows the leaf hash ``leaf`` at ``index`` in the tree (size, root)."""
    return root_from_inclusion(index, size, leaf, proof) == root


def verify_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """Whether ``proof`` shows the tree (new, new_root) extends the tree (old, old_root)."""
    if not 0 <= old <= new or any(len(p) != HASH_SIZE for p in proof):
        return False
    if old == 0:  # the empty tree is a prefix of every tree
        return not proof
    if old == new:
        return not proof and old_root == new_root
    if not proof:
        return False
    path = list(proof)
    if old & (old - 1) == 0:  # an exact power of two: the old root is a node of the new tree
        path.insert(0, old_root)
    fn, sn = old - 1, new - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while fn and not fn & 1:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == old_root and sr == new_root and sn == 0
