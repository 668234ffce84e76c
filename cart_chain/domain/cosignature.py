"""Witness cosignatures in the C2SP tlog-cosignature format (Ed25519, cosignature/v1; pure).

A cosignature is a signed-note signature line added to a checkpoint by a
witness that checked the checkpoint is consistent with every earlier one it saw
of that log. Whoever holds the witness's verifier key can then tell that the
log showed the witness this head: a later, rewritten ledger cannot be consistent
with it. Formats (https://c2sp.org/tlog-cosignature):

- key ID: the first 4 bytes of SHA-256(NAME || "\\n" || 0x04 || public key);
- signature line: ``— NAME base64(key ID || u64 timestamp, big-endian || Ed25519 sig)``;
- signed message: ``cosignature/v1\\ntime T\\n`` followed by the checkpoint's whole
  note body (with its final newline, without its signature lines).
"""

from __future__ import annotations

import base64
import binascii
import hashlib

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.signed_note import SIG_PREFIX, valid_name

#: The signed-note algorithm byte of an Ed25519 timestamped cosignature.
ALG_COSIGNATURE_V1 = b"\x04"
_HEADER = "cosignature/v1\n"


def cosigner_key_id(name: str, public: bytes) -> bytes:
    """The 4-byte key ID of a cosigner key under a name."""
    return hashlib.sha256(name.encode() + b"\n" + ALG_COSIGNATURE_V1 + public).digest()[:4]


def cosigner_vkey(name: str, public: bytes) -> str:
    """The cosigner's verifier key (signed-note vkey with signature type 0x04)."""
    if not valid_name(name):
        raise InvalidValue(f"{name!r} is not a signed-note name (no '+', no spaces)")
    b64 = base64.b64encode(ALG_COSIGNATURE_V1 + public).decode("ascii")
    return f"{name}+{cosigner_key_id(name, public).hex()}+{b64}"


def parse_cosigner_vkey(vkey: str) -> tuple[str, bytes]:
    """(name, public key) of a cosigner verifier key, or `InvalidValue` saying why not."""
    name, sep, rest = vkey.strip().partition("+")
    key_id, sep2, b64 = rest.partition("+")
    try:
        raw = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        raw = b""
    if not (sep and sep2 and valid_name(name)) or len(raw) != 33:
        raise InvalidValue(f"{vkey!r} is not a cosigner verifier key (NAME+ID+BASE64)")
    if raw[:1] != ALG_COSIGNATURE_V1:
        raise InvalidValue("the verifier key is not a cosignature/v1 (Ed25519, type 0x04) key")
    if cosigner_key_id(name, raw[1:]).hex() != key_id:
        raise InvalidValue("the verifier key's ID does not match its name and key")
    return name, raw[1:]


def note_body(note: str) -> str:
    """The body of a signed note (up to and including the line before the blank line)."""
    main, sep, _ = note.partition("\n\n")
    if not sep:
        raise InvalidValue("the checkpoint is not a signed note (no signature lines)")
    return main + "\n"


def message(body: str, timestamp: int) -> bytes:
    """What a cosigner signs for ``body`` at ``timestamp`` (POSIX seconds)."""
    if not 0 <= timestamp < 2**63:
        raise InvalidValue("a cosignature's timestamp is a POSIX time (0 .. 2^63-1)")
    return f"{_HEADER}time {timestamp}\n{body}".encode()


def cosign(note: str, name: str, key: Ed25519PrivateKey, timestamp: int) -> str:
    """The cosignature line (with its newline) that ``name`` adds to ``note``."""
    public = key.public_key().public_bytes_raw()
    sig = key.sign(message(note_body(note), timestamp))
    raw = cosigner_key_id(name, public) + timestamp.to_bytes(8, "big") + sig
    return f"{SIG_PREFIX}{name} {base64.b64encode(raw).decode('ascii')}\n"


def add_cosignature(note: str, line: str) -> str:
    """The note with one more signature line (once: a line already there is not repeated)."""
    return note if line in note.split("\n\n", 1)[1].splitlines(keepends=True) else note + line


def open_cosignature(note: str, name: str, public: bytes) -> int:
    """The timestamp of ``name``'s valid cosignature on ``note``; `InvalidValue` if none."""
    body = note_body(note)
    want = cosigner_key_id(name, public)
    verifier = Ed25519PublicKey.from_public_bytes(public)
    for line in note.split("\n\n", 1)[1].splitlines():
        if not line.startswith(SIG_PREFIX):
            continue
        signer, _, b64 = line[len(SIG_PREFIX) :].partition(" ")
        try:
            raw = base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            continue
        if signer != name or raw[:4] != want or len(raw) != 4 + 8 + 64:
            continue
        timestamp = int.from_bytes(raw[4:12], "big")
        try:
            verifier.verify(raw[12:], message(body, timestamp))
        except (InvalidSignature, InvalidValue):
            raise InvalidValue(
                f"the cosignature of {name} does not verify: the checkpoint was altered"
            ) from None
        return timestamp
    raise InvalidValue(f"the checkpoint carries no cosignature of the witness {name}")
