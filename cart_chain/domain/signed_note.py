"""Signed checkpoints: the C2SP tlog-checkpoint in Go's ``sumdb/note`` format (pure).

A tree head signed by the site key can leave the workstation (printed on a
report, kept by an inspector) and later prove that the ledger was not rewritten
up to it, and anyone can check the signature with Go's ``golang.org/x/mod/sumdb/note``
(``note.NewVerifier`` + ``note.Open``) without our code. Formats:

- verifier key: ``NAME+HASH+BASE64``, HASH = the first 4 bytes of
  SHA-256(NAME || "\\n" || 0x01 || public key) in hex, BASE64 = base64(0x01 || key);
- checkpoint body: ``<origin>\\n<tree size>\\n<root base64>\\n`` (C2SP tlog-checkpoint);
- signed note: the body, a blank line, then ``— NAME base64(key hash || signature)\\n``
  per signature, the Ed25519 signature being over the body.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.merkle import HASH_SIZE, TreeHead

#: The ledger entry that records the site's public key (its origin and verifier key).
SITE_KEY_KIND = "site_key"
#: The ledger entry that records each signed checkpoint (size, root, signature).
CHECKPOINT_KIND = "checkpoint"
#: The ledger entry that replaces the site key: the new key, signed by the old one.
SITE_KEY_ROTATED_KIND = "site_key_rotated"
#: sumdb/note's algorithm byte for Ed25519.
ALG_ED25519 = b"\x01"
#: Every signature line starts with an em dash and a space.
SIG_PREFIX = "\u2014 "


def valid_name(name: str) -> bool:
    """sumdb/note's rule: a non-empty name without '+' or whitespace."""
    return bool(name) and "+" not in name and not any(c.isspace() for c in name)


def key_hash(name: str, public: bytes) -> bytes:
    """The 4-byte id of a key under a name (sumdb/note's keyHash)."""
    return hashlib.sha256(name.encode() + b"\n" + ALG_ED25519 + public).digest()[:4]


def verifier_key(name: str, public: bytes) -> str:
    """The key as ``note.NewVerifier`` reads it."""
    if not valid_name(name):
        raise InvalidValue(f"{name!r} is not a signed-note name (no '+', no spaces)")
    b64 = base64.b64encode(ALG_ED25519 + public).decode("ascii")
    return f"{name}+{key_hash(name, public).hex()}+{b64}"


def origin_for(facility: str, public: bytes, first_entry_hash: str) -> str:
    """A log name unique to this ledger: its facility, and a hash of the key and of the
    ledger's first entry (two ledgers sharing a workstation's key still differ)."""
    tag = hashlib.sha256(public + bytes.fromhex(first_entry_hash)).hexdigest()[:8]
    name = f"cart-chain.{facility}.{tag}"
    if not valid_name(name):
        raise InvalidValue(f"the facility {facility!r} cannot be part of a log name")
    return name


def body(origin: str, head: TreeHead) -> str:
    """The checkpoint text that is signed."""
    return f"{origin}\n{head.size}\n{base64.b64encode(head.root).decode('ascii')}\n"


def sign(origin: str, head: TreeHead, key: Ed25519PrivateKey) -> tuple[str, str]:
    """(signed note text, base64 of key hash || signature)."""
    text = body(origin, head)
    public = key.public_key().public_bytes_raw()
    sig = base64.b64encode(key_hash(origin, public) + key.sign(text.encode())).decode("ascii")
    return f"{text}\n{SIG_PREFIX}{origin} {sig}\n", sig


def note_text(origin: str, head: TreeHead, signature: str) -> str:
    """The signed note again from what a checkpoint entry stores."""
    return f"{body(origin, head)}\n{SIG_PREFIX}{origin} {signature}\n"


def rotation_statement(origin: str, old_vkey: str, new_vkey: str) -> bytes:
    """What the old site key signs to hand the log over to the new one."""
    return f"cart-chain/site-key-rotation/v1\n{origin}\n{old_vkey}\n{new_vkey}\n".encode()


def rotation_signed(origin: str, old: bytes, new: bytes, signature_b64: str) -> bool:
    """Whether ``signature_b64`` is the old key's signature handing ``origin`` to ``new``."""
    try:
        Ed25519PublicKey.from_public_bytes(old).verify(
            _b64(signature_b64),
            rotation_statement(origin, verifier_key(origin, old), verifier_key(origin, new)),
        )
    except (InvalidSignature, InvalidValue):
        return False
    return True


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A checkpoint whose signature by the expected key has been checked."""

    origin: str
    head: TreeHead


def _b64(text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidValue("the checkpoint is not a signed note (bad base64)") from None


def open_note(text: str, origin: str, public: bytes) -> Checkpoint:
    """Check a signed checkpoint against this ledger's key: `InvalidValue` saying why not.

    As ``note.Open``: the signature line must name ``origin`` with this key's hash,
    and the Ed25519 signature must cover the body exactly.
    """
    main, sep, sigs = text.partition("\n\n")
    if not sep or not sigs.endswith("\n"):
        raise InvalidValue("the checkpoint is not a signed note (no signature lines)")
    message = main + "\n"
    lines = message.splitlines()
    if len(lines) < 3 or not lines[1].isdigit():
        raise InvalidValue("the checkpoint is not a tlog checkpoint (origin, size, root)")
    if lines[0] != origin:
        raise InvalidValue(
            f"the checkpoint is for the log {lines[0]!r}, not this ledger's {origin!r}"
        )
    root = _b64(lines[2])
    if len(root) != HASH_SIZE:
        raise InvalidValue("the checkpoint's root is not a 32-byte hash")
    verifier = Ed25519PublicKey.from_public_bytes(public)
    want = key_hash(origin, public)
    for line in sigs[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise InvalidValue("the checkpoint is not a signed note (bad signature line)")
        name, _, sig = line[len(SIG_PREFIX) :].partition(" ")
        raw = _b64(sig)
        if name != origin or raw[:4] != want:
            continue  # someone else's signature: not ours to check
        try:
            verifier.verify(raw[4:], message.encode())
        except InvalidSignature:
            raise InvalidValue(
                "the checkpoint's signature does not verify: it was forged or altered"
            ) from None
        return Checkpoint(origin, TreeHead(int(lines[1]), root))
    raise InvalidValue("the checkpoint is not signed by this ledger's site key")
