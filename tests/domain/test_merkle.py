"""domain/merkle.py against published RFC 6962 vectors and by its defining properties.

The vectors are copied from transparency-dev/merkle (the Merkle code of Trillian and
Certificate Transparency, Apache-2.0):
- testonly/constants.go (commit 582a6ad190b6848f1d26f8bf08ddef29955d9db1): LeafInputs,
  NodeHashes (every complete subtree), RootHashes (each size 0..8);
- proof/verify_test.go (commit 02194e9afb6c1d95b5381350007963aa70fff472):
  inclusionProofs (leaf numbered from 1 there) and consistencyProofs.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cart_chain.domain import merkle as m

LEAVES = [
    bytes.fromhex(h)
    for h in (
        "",
        "00",
        "10",
        "2021",
        "3031",
        "40414243",
        "5051525354555657",
        "606162636465666768696a6b6c6d6e6f",
    )
]
NODES = [
    [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7",
        "07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658",
        "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        "46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1",
    ],
    [
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
    ],
    [
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    ["5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"],
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
#: (leaf index from 0, tree size, proof)
INCLUSION = [
    (0, 8, [NODES[0][1], NODES[1][1], NODES[2][1]]),
    (5, 8, [NODES[0][4], NODES[1][3], NODES[2][0]]),
    (2, 3, [NODES[1][0]]),
    (1, 5, [NODES[0][0], NODES[1][1], NODES[0][4]]),
]
CONSISTENCY = [
    (1, 8, [NODES[0][1], NODES[1][1], NODES[2][1]]),
    (6, 8, [NODES[1][2], NODES[1][3], NODES[2][0]]),
    (2, 5, [NODES[1][1], NODES[0][4]]),
    (6, 7, [NODES[1][2], NODES[0][6], NODES[2][0]]),
]


def build(leaves: list[bytes]) -> list[bytes]:
    """Every stored hash, appended leaf by leaf as the ledger does."""
    stored: list[bytes] = []
    for i, data in enumerate(leaves):
        siblings = [stored[p] for p in m.append_positions(i)]
        stored.extend(m.appended_hashes(i, m.leaf_hash(data), siblings))
    return stored


def reader(stored: list[bytes]) -> m.HashReader:
    return lambda positions: [stored[p] for p in positions]


def test_roots_and_every_stored_node_match_the_vectors() -> None:
    stored = build(LEAVES)
    assert len(stored) == m.stored_hash_count(8) == 15
    for level, row in enumerate(NODES):
        for index, want in enumerate(row):
            assert stored[m.stored_hash_index(level, index)].hex() == want
    for size, want in enumerate(ROOTS):
        assert m.tree_hash(LEAVES[:size]).hex() == want
        assert m.root(size, reader(stored)).hex() == want


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION)
def test_inclusion_proofs_match_the_vectors(index: int, size: int, proof: list[str]) -> None:
    stored = build(LEAVES)
    got = m.inclusion_proof(index, size, reader(stored))
    assert [h.hex() for h in got] == proof
    leaf = m.leaf_hash(LEAVES[index])
    root = bytes.fromhex(ROOTS[size])
    assert m.verify_inclusion(index, size, leaf, got, root)
    # the same proof for another leaf, root or tree height, or altered in any way, fails
    # (sizes of one shape share a path: RFC 6962 proofs bind the height, as in the
    # vectors' own corruption tests)
    assert not m.verify_inclusion(index ^ 1, size, leaf, got, root)
    assert not m.verify_inclusion(index, size * 2, leaf, got, root)
    assert not m.verify_inclusion(index, size // 2, leaf, got, root)
    assert not m.verify_inclusion(index, size, m.leaf_hash(b"other"), got, root)
    assert not m.verify_inclusion(index, size, leaf, got[:-1], root)
    assert not m.verify_inclusion(index, size, leaf, [*got, root], root)
    for i in range(len(got)):
        bad = list(got)
        bad[i] = bytes([bad[i][0] ^ 8]) + bad[i][1:]
        assert not m.verify_inclusion(index, size, leaf, bad, root)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY)
def test_consistency_proofs_match_the_vectors(old: int, new: int, proof: list[str]) -> None:
    stored = build(LEAVES)
    got = m.consistency_proof(old, new, reader(stored))
    assert [h.hex() for h in got] == proof
    r1, r2 = bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new])
    assert m.verify_consistency(old, new, r1, r2, got)
    assert not m.verify_consistency(old, new, r2, r1, got)
    assert not m.verify_consistency(old + 1, new, r1, r2, got)
    assert not m.verify_consistency(old, new * 2, r1, r2, got)
    assert not m.verify_consistency(old, new // 2, r1, r2, got)
    assert not m.verify_consistency(old, new, r1, r2, [])
    assert not m.verify_consistency(old, new, r1, r2, got[:-1])
    for i in range(len(got)):
        bad = list(got)
        bad[i] = bytes([bad[i][0] ^ 16]) + bad[i][1:]
        assert not m.verify_consistency(old, new, r1, r2, bad)


def test_trivial_and_out_of_range_cases() -> None:
    root = bytes.fromhex(ROOTS[1])
    assert m.inclusion_proof(0, 1, reader(build(LEAVES[:1]))) == []
    assert m.verify_inclusion(0, 1, root, [], root)
    assert not m.verify_inclusion(0, 0, root, [], root)
    assert not m.verify_inclusion(1, 1, root, [], root)
    assert m.verify_consistency(3, 3, root, root, [])
    assert not m.verify_consistency(3, 3, root, bytes(32), [])
    assert not m.verify_consistency(4, 3, root, root, [])
    with pytest.raises(ValueError):
        m.inclusion_proof(8, 8, reader(build(LEAVES)))
    with pytest.raises(ValueError):
        m.consistency_proof(0, 8, reader(build(LEAVES)))
    with pytest.raises(ValueError):
        m.consistency_proof(5, 4, reader(build(LEAVES)))


def test_stored_positions_follow_tlog() -> None:
    # sumdb/tlog's doc comment: leaves and the nodes they complete are numbered in order
    # 0:(0,0) 1:(0,1) 2:(1,0) 3:(0,2) 4:(0,3) 5:(1,1) 6:(2,0) 7:(0,4)
    want = [(0, 0), (0, 1), (1, 0), (0, 2), (0, 3), (1, 1), (2, 0), (0, 4)]
    assert [m.split_stored_hash_index(p) for p in range(8)] == want
    assert [m.stored_hash_index(*li) for li in want] == list(range(8))
    assert [m.stored_hash_count(n) for n in range(9)] == [0, 1, 3, 4, 7, 8, 10, 11, 15]


leaf_lists = st.lists(st.binary(max_size=8), min_size=1, max_size=70)


@settings(max_examples=60, deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_proofs_from_stored_hashes_verify_and_match_the_definition(
    leaves: list[bytes], data: st.DataObject
) -> None:
    n = len(leaves)
    stored = build(leaves)
    read = reader(stored)
    size = data.draw(st.integers(1, n), label="size")
    old = data.draw(st.integers(1, size), label="old")
    index = data.draw(st.integers(0, size - 1), label="index")
    root = m.root(size, read)
    assert root == m.tree_hash(leaves[:size])
    proof = m.inclusion_proof(index, size, read)
    assert len(proof) <= size.bit_length()
    assert m.verify_inclusion(index, size, m.leaf_hash(leaves[index]), proof, root)
    other = leaves[(index + 1) % size]
    if other != leaves[index]:
        assert not m.verify_inclusion(index, size, m.leaf_hash(other), proof, root)
    cons = m.consistency_proof(old, size, read)
    assert len(cons) <= 2 * size.bit_length()
    old_root = m.tree_hash(leaves[:old])
    assert m.verify_consistency(old, size, old_root, root, cons)
    if old < size:
        changed = list(leaves)
        changed[data.draw(st.integers(0, old - 1), label="rewritten")] = b"rewritten"
        assert not m.verify_consistency(old, size, m.tree_hash(changed[:old]), root, cons)


@settings(max_examples=40, deadline=None)
@given(leaves=leaf_lists)
def test_frontier_stores_what_appends_store(leaves: list[bytes]) -> None:
    frontier = m.Frontier()
    flat = [h for d in leaves for h in frontier.add(m.leaf_hash(d))]
    assert flat == build(leaves)
    assert frontier.root() == m.tree_hash(leaves)


@settings(max_examples=40, deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_a_frontier_resumed_from_stored_hashes_goes_on_as_if_never_stopped(
    leaves: list[bytes], data: st.DataObject
) -> None:
    """`verify --quick` resumes the tree at a checkpoint from the stored subtree roots."""
    stored = build(leaves)
    cut = data.draw(st.integers(0, len(leaves)), label="cut")
    resumed = m.Frontier(cut, [stored[p] for p in m.frontier_positions(cut)])
    assert resumed.root() == m.tree_hash(leaves[:cut])
    rest = [h for d in leaves[cut:] for h in resumed.add(m.leaf_hash(d))]
    assert rest == stored[m.stored_hash_count(cut) :]
    assert resumed.root() == m.tree_hash(leaves)
    with pytest.raises(ValueError, match="complete subtrees"):
        m.Frontier(cut + 1, [stored[p] for p in m.frontier_positions(cut)] + [b"", b""])


def test_proof_reads_are_known_before_any_hash_is_read() -> None:
    stored = build(LEAVES * 4)
    positions = m.positions_read(lambda r: m.consistency_proof(5, 27, r))
    fetched = dict(zip(positions, reader(stored)(positions), strict=True))
    via_dict = m.consistency_proof(5, 27, lambda ps: [fetched[p] for p in ps])
    assert via_dict == m.consistency_proof(5, 27, reader(stored))
