"""A cart-chain site as another site's witness: it cosigns checkpoints it checked.

The witness keeps, in its own ledger, the last checkpoint it cosigned per log
(``witness_cosigned``), and cosigns a new one (C2SP tlog-cosignature, with its
own site key) only when the log's key signed it and a consistency proof shows
it extends the last one it saw. A smaller checkpoint (a rollback) or one that
does not extend it (a rewritten history) is refused, so a witness holds, for
good, the largest honest head it was shown. Which logs it witnesses, and under
which key, its administrator decides (``witness_log_accepted``): a cosignature
is a statement by the witness site, not something any caller can obtain.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.cosignature import add_cosignature, cosign, cosigner_vkey
from cart_chain.domain.errors import EnvironmentProblem, InvalidValue, NotFound, WitnessRefused
from cart_chain.domain.merkle import verify_consistency
from cart_chain.domain.signed_note import open_note, rotation_signed, verifier_key
from cart_chain.services.key_file import load_private_key
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import LedgerEntry
from cart_chain.store.site_keys import site_key_in

ACCEPTED_KIND = "witness_log_accepted"
#: A log's new key, taken from a hand-over its old key signed (no administrator needed:
#: written on the authority of the acceptance, whose administrator may since have left).
LOG_KEY_ROTATED_KIND = "witness_log_key_rotated"
COSIGNED_KIND = "witness_cosigned"


@dataclass(frozen=True, slots=True)
class Accepted:
    """A log this site witnesses: its origin, its verifier key, who accepted it."""

    origin: str
    vkey: str
    admin: str


@dataclass(frozen=True, slots=True)
class Cosigned:
    """The last checkpoint of a log this witness cosigned (the note with its line)."""

    size: int
    root: bytes
    note: str


def parse_log_vkey(vkey: str) -> tuple[str, bytes]:
    """(origin, public key) of a log's verifier key (type 0x01), or `InvalidValue`."""
    name, _, rest = vkey.strip().partition("+")
    b64 = rest.partition("+")[2]
    try:
        raw = base64.b64decode(b64, validate=True)
    except ValueError:
        raw = b""
    if len(raw) != 33 or raw[:1] != b"\x01":
        raise InvalidValue(f"{vkey!r} is not a site verifier key (as 'cart-chain site key' prints)")
    if verifier_key(name, raw[1:]) != vkey.strip():
        raise InvalidValue("the verifier key's hash does not match its name and key")
    return name, raw[1:]


def accepted_in(session: Session) -> dict[str, Accepted]:
    """The logs this site witnesses, by origin (a later acceptance replaces the key)."""
    out: dict[str, Accepted] = {}
    for actor, payload in session.execute(
        select(LedgerEntry.actor, LedgerEntry.payload)
        .where(LedgerEntry.kind.in_((ACCEPTED_KIND, LOG_KEY_ROTATED_KIND)))
        .order_by(LedgerEntry.seq)
    ):
        p = json.loads(payload)
        out[p["origin"]] = Accepted(p["origin"], p["vkey"], actor)
    return out


def accept_in(session: Session, admin: str, vkey: str) -> ledger.Entry:
    """Record that this site witnesses the log of ``vkey`` (an administrator's act)."""
    origin, _ = parse_log_vkey(vkey)
    if site_key_in(session) is None:
        raise NotFound("this site has no site key to cosign with ('site key --create')")
    return ledger.append(session, ACCEPTED_KIND, admin, {"origin": origin, "vkey": vkey.strip()})


def cosigned_in(session: Session, origin: str) -> Cosigned | None:
    """The last checkpoint of ``origin`` this witness cosigned."""
    rows = session.execute(
        select(LedgerEntry.payload)
        .where(LedgerEntry.kind == COSIGNED_KIND)
        .where(LedgerEntry.payload.contains(origin, autoescape=True))
        .order_by(LedgerEntry.seq.desc())
    )
    for (payload,) in rows:
        p = json.loads(payload)
        if p["origin"] == origin:
            return Cosigned(int(p["size"]), base64.b64decode(p["root"]), p["note"])
    return None


def cosigner_key(db: Database) -> str:
    """This site's cosigner verifier key (its site key, signature type 0x04)."""
    site = db.read(site_key_in)
    if site is None:
        raise NotFound("this site has no site key ('site key --create')")
    return cosigner_vkey(site.origin, site.public)


def _follow_rotations(session: Session, log: Accepted, rotations: list[dict[str, str]]) -> Accepted:
    """The log's key after the hand-overs that chain from the accepted one, each signed
    by the key it replaces (recorded as acceptances on the same administrator's
    authority): a rotation at the log does not need the witness's administrator."""
    for r in rotations:
        if r.get("origin") != log.origin or r.get("previous_vkey") != log.vkey:
            continue
        old = parse_log_vkey(log.vkey)[1]
        new = parse_log_vkey(r.get("vkey", ""))[1]
        if not rotation_signed(log.origin, old, new, r.get("old_key_signature", "")):
            raise WitnessRefused(f"a key hand-over for {log.origin} is not signed by its key")
        ledger.append(
            session,
            LOG_KEY_ROTATED_KIND,
            log.admin,
            {"origin": log.origin, "vkey": r["vkey"], "handover": r["old_key_signature"]},
        )
        log = Accepted(log.origin, r["vkey"], log.admin)
    return log


def cosign_in(
    session: Session,
    note: str,
    proof: list[bytes],
    key_file: Path | None,
    rotations: list[dict[str, str]] | None = None,
) -> str:
    """Check ``note`` against the log's accepted key (followed through ``rotations``, the
    log's ``site_key_rotated`` payloads) and the last head seen, then cosign it and record
    it; the cosigned note is returned (the same note again if already seen)."""
    origin = note.split("\n", 1)[0]
    log = accepted_in(session).get(origin)
    if log is None:
        raise NotFound(
            f"this site does not witness the log {origin!r}: its administrator accepts it "
            "with 'cart-chain witness accept VKEY --by ADMIN'"
        )
    log = _follow_rotations(session, log, rotations or [])
    head = open_note(note, origin, parse_log_vkey(log.vkey)[1]).head
    seen = cosigned_in(session, origin)
    if seen is not None:
        if head.size < seen.size:
            raise WitnessRefused(
                f"this witness cosigned {origin} at {seen.size} entries; a checkpoint of "
                f"{head.size} is a rollback and is not cosigned"
            )
        if head.size == seen.size:
            if head.root == seen.root:
                return seen.note
            raise WitnessRefused(
                f"this witness cosigned another tree of {head.size} entries for {origin}: "
                "the log's history was rewritten"
            )
        if not verify_consistency(seen.size, head.size, seen.root, head.root, proof):
            raise WitnessRefused(
                f"the checkpoint of {head.size} entries is not consistent with the one of "
                f"{seen.size} this witness cosigned for {origin} (proof from {seen.size} to "
                f"{head.size} needed): the log's history was rewritten"
            )
    me = site_key_in(session)
    if me is None:
        raise NotFound("this site has no site key to cosign with ('site key --create')")
    key = load_private_key(key_file)
    if key.public_key().public_bytes_raw() != me.public:
        raise EnvironmentProblem("the witness key given is not the one the witness site records")
    timestamp = int(time.time())
    cosigned = add_cosignature(note, cosign(note, me.origin, key, timestamp))
    ledger.append(
        session,
        COSIGNED_KIND,
        log.admin,
        {
            "origin": origin,
            "size": head.size,
            "root": base64.b64encode(head.root).decode("ascii"),
            "timestamp": timestamp,
            "note": cosigned,
        },
    )
    return cosigned


def cosign_checkpoint(
    db: Database,
    note: str,
    proof: list[bytes],
    key_file: Path | None,
    rotations: list[dict[str, str]] | None = None,
) -> str:
    """`witness cosign`: one write on the witness site's database."""
    return db.write(lambda s: cosign_in(s, note, proof, key_file, rotations))


def held(db: Database, origin: str) -> Cosigned | None:
    return db.read(lambda s: cosigned_in(s, origin))
