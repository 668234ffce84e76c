"""A custody report's own proof, and its offline check (pure: no I/O, no database).

A report embeds ``custody-evidence.json``: the signed checkpoint made for it, the
site's verifier key, and for every ledger entry the report shows its leaf data
(the entry's SHA-256) with an RFC 6962 inclusion proof against that checkpoint's
tree. Anyone holding the PDF can then check, without cart-chain's database, that
the site signed a tree head and that each entry printed is in that tree - and, with
Go's ``sumdb/note`` and ``sumdb/tlog``, without cart-chain's code.

What the evidence proves depends on the key: checked with a verifier key obtained
from the site (``--vkey``), a good result means the site signed it; checked with
the key embedded in the file, it only shows the file is self-consistent (anyone can
make a key and sign their own forgery). `check` says which.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import re
from dataclasses import dataclass
from typing import Any

from cart_chain.domain.errors import InvalidValue, VerificationFailed
from cart_chain.domain.merkle import HASH_SIZE, TreeHead, leaf_hash, root_from_inclusion
from cart_chain.domain.signed_note import ALG_ED25519, key_hash, open_note

#: The name of the attachment in every custody report PDF.
ATTACHMENT = "custody-evidence.json"
#: Characters of the base64 root a label prints (with the tree size).
SHORT_ROOT = 8


@dataclass(frozen=True, slots=True)
class ProvenEntry:
    """One ledger entry and its inclusion proof against the evidence's checkpoint."""

    seq: int
    leaf_index: int
    leaf_data: bytes
    proof: tuple[bytes, ...]


@dataclass(frozen=True, slots=True)
class Evidence:
    """What a report embeds: the checkpoint note, the verifier key, the proven entries."""

    checkpoint: str
    vkey: str
    entries: tuple[ProvenEntry, ...]


@dataclass(frozen=True, slots=True)
class CheckpointShown:
    """The parts of a checkpoint a report or label prints for a reader with no computer."""

    origin: str
    head: TreeHead

    @property
    def root_b64(self) -> str:
        return base64.b64encode(self.head.root).decode("ascii")

    @property
    def short(self) -> str:
        """``SIZE ROOT8``: what a label prints (tree size, first 8 base64 characters)."""
        return short_checkpoint(self.head)


@dataclass(frozen=True, slots=True)
class Verdict:
    """A passed check: what was proven and with which key."""

    origin: str
    head: TreeHead
    entries: int
    fingerprint: str
    key_given: bool


def short_checkpoint(head: TreeHead) -> str:
    """The short checkpoint printed on labels: tree size and the root's first 8 base64 chars."""
    return f"{head.size} {base64.b64encode(head.root).decode('ascii')[:SHORT_ROOT]}"


def fingerprint(public: bytes) -> str:
    """The key's fingerprint as printed: ``SHA256:`` and the hex SHA-256 of the raw key,
    in groups of four (readable aloud, comparable by eye with the site's record)."""
    digest = hashlib.sha256(public).hexdigest()
    return "SHA256:" + " ".join(digest[i : i + 4] for i in range(0, len(digest), 4))


def parse_vkey(vkey: str) -> tuple[str, bytes]:
    """(name, Ed25519 public key) of a ``NAME+HASH+BASE64`` verifier key, or `InvalidValue`."""
    name, sep, rest = vkey.strip().partition("+")
    khash, sep2, b64 = rest.partition("+")  # the base64 may itself hold '+'
    if not (sep and sep2 and name):
        raise InvalidValue("the verifier key is not in the form NAME+HASH+BASE64")
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidValue("the verifier key's key part is not base64") from None
    if len(raw) != 33 or raw[:1] != ALG_ED25519:
        raise InvalidValue("the verifier key is not an Ed25519 signed-note key")
    public = raw[1:]
    if key_hash(name, public).hex() != khash.lower():
        raise InvalidValue("the verifier key's hash does not match its name and key")
    return name, public


def to_json(evidence: Evidence) -> bytes:
    """The attachment's bytes (issue 13's form: leaf data in hex, proofs in base64)."""
    doc = {
        "checkpoint": evidence.checkpoint,
        "vkey": evidence.vkey,
        "entries": [
            {
                "seq": e.seq,
                "leaf_index": e.leaf_index,
                "leaf_data": e.leaf_data.hex(),
                "proof": [base64.b64encode(h).decode("ascii") for h in e.proof],
            }
            for e in evidence.entries
        ],
    }
    return (json.dumps(doc, indent=1, ensure_ascii=False) + "\n").encode()


def _hash(value: Any, what: str, decode: Any) -> bytes:
    if not isinstance(value, str):
        raise InvalidValue(f"the evidence's {what} is not text")
    try:
        raw = decode(value)
    except (binascii.Error, ValueError):
        raise InvalidValue(f"the evidence's {what} is not a hash") from None
    if len(raw) != HASH_SIZE:
        raise InvalidValue(f"the evidence's {what} is not a 32-byte hash")
    return bytes(raw)


def _entry(item: Any) -> ProvenEntry:
    if not isinstance(item, dict):
        raise InvalidValue("an entry of the evidence is not an object")
    seq, index, proof = item.get("seq"), item.get("leaf_index"), item.get("proof")
    if not (isinstance(seq, int) and isinstance(index, int) and isinstance(proof, list)):
        raise InvalidValue("an entry of the evidence lacks seq, leaf_index or proof")
    data = _hash(item.get("leaf_data"), f"leaf data of entry {seq}", bytes.fromhex)
    b64 = lambda s: base64.b64decode(s, validate=True)  # noqa: E731
    hashes = tuple(_hash(h, f"proof of entry {seq}", b64) for h in proof)
    return ProvenEntry(seq, index, data, hashes)


def from_json(raw: bytes) -> Evidence:
    """Read an attachment; `InvalidValue` naming what is malformed."""
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise InvalidValue(f"{ATTACHMENT} is not JSON") from None
    if not isinstance(doc, dict):
        raise InvalidValue(f"{ATTACHMENT} is not a JSON object")
    note, vkey, entries = doc.get("checkpoint"), doc.get("vkey"), doc.get("entries")
    if not (isinstance(note, str) and isinstance(vkey, str) and isinstance(entries, list)):
        raise InvalidValue(f"{ATTACHMENT} lacks its checkpoint, vkey or entries")
    return Evidence(note, vkey, tuple(_entry(e) for e in entries))


# -- what the report's text shows ------------------------------------------------------

#: An entry the report names: "#123" anywhere in its text.
_SEQ = re.compile(r"#(\d+)\b")


def mentioned_seqs(text: str) -> set[int]:
    """Every entry number ``text`` names as "#N" (a note saying "bag #2" names entry 2:
    the report proves it too, so the check never fails on free text)."""
    return {int(n) for n in _SEQ.findall(text)}


#: A row of the report's evidence table: the entry and its SHA-256 (the leaf data).
_PROVEN_ROW = re.compile(r"#(\d+)\s+([0-9a-f]{64})\b")
_ORIGIN = re.compile(r"Log origin\s+(\S+)")
_SIZE = re.compile(r"Tree size\s+(\d+)")
_ROOT = re.compile(r"Root hash\s+([A-Za-z0-9+/=]{44})")


def _printed(pattern: re.Pattern[str], text: str, what: str) -> str:
    found = {m.group(1) for m in pattern.finditer(text)}
    if len(found) != 1:
        raise VerificationFailed(f"the report's text does not print one checkpoint {what}")
    return found.pop()


def check_text(evidence: Evidence, shown: CheckpointShown, text: str) -> None:
    """The report's printed checkpoint and entries must be the evidence's, and the
    evidence must cover every entry the text names ("#N"): else the attachment was
    swapped or the text altered."""
    if _printed(_ORIGIN, text, "origin") != shown.origin:
        raise VerificationFailed("the origin printed on the report is not the evidence's")
    if int(_printed(_SIZE, text, "tree size")) != shown.head.size:
        raise VerificationFailed("the tree size printed on the report is not the evidence's")
    if _printed(_ROOT, text, "root hash") != shown.root_b64:
        raise VerificationFailed("the root hash printed on the report is not the evidence's")
    rows = {(int(s), h) for s, h in _PROVEN_ROW.findall(text)}
    proven = {(e.seq, e.leaf_data.hex()) for e in evidence.entries}
    if rows != proven:
        wrong = sorted(s for s, _ in rows ^ proven)
        raise VerificationFailed(
            "the entries and hashes printed on the report are not the evidence's "
            f"(entries {', '.join(f'#{s}' for s in wrong[:5])})"
        )
    named = mentioned_seqs(text)
    missing = sorted(named - {e.seq for e in evidence.entries})
    if missing:
        raise VerificationFailed(
            "the report names entries the evidence does not prove: "
            + ", ".join(f"#{s}" for s in missing[:5])
        )


# -- the check ---------------------------------------------------------------------------


def check(evidence: Evidence, text: str, vkey: str | None = None) -> Verdict:
    """Check a report's evidence: the checkpoint's signature under ``vkey`` (else the
    embedded key), every inclusion proof against its root, and that the report's
    ``text`` shows what the evidence proves. `VerificationFailed` (or `InvalidValue`
    for a malformed key) says the first thing wrong."""
    given = vkey is not None
    name, public = parse_vkey(vkey if given else evidence.vkey)  # type: ignore[arg-type]
    try:
        cp = open_note(evidence.checkpoint, name, public)
    except InvalidValue as err:
        raise VerificationFailed(f"checkpoint refused: {err}") from None
    if not evidence.entries:
        raise VerificationFailed("the evidence proves no entry")
    for e in evidence.entries:
        if e.leaf_index != e.seq - 1:
            raise VerificationFailed(f"entry #{e.seq} is not leaf {e.seq - 1} of the tree")
        if not 1 <= e.seq <= cp.head.size:
            raise VerificationFailed(f"entry #{e.seq} is not in the checkpoint's tree")
        got = root_from_inclusion(e.leaf_index, cp.head.size, leaf_hash(e.leaf_data), e.proof)
        if got != cp.head.root:
            raise VerificationFailed(
                f"entry #{e.seq}'s inclusion proof does not lead to the checkpoint's root"
            )
    check_text(evidence, CheckpointShown(cp.origin, cp.head), text)
    return Verdict(cp.origin, cp.head, len(evidence.entries), fingerprint(public), given)


@dataclass(frozen=True, slots=True)
class ReportEvidence:
    """The evidence made for one report, with what the report prints of it."""

    evidence: Evidence
    shown: CheckpointShown
    fingerprint: str
    recorded_seq: int  # the ledger entry that records the checkpoint

    @property
    def attachment(self) -> bytes:
        return to_json(self.evidence)
