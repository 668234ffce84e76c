"""The site key and signed checkpoints: evidence of the ledger's head that leaves it.

The Ed25519 private key lives outside the database (whoever can rewrite the
database must not also be able to sign a matching checkpoint): by default in the
platformdirs config folder, mode 0600, or at $CART_CHAIN_SITE_KEY (a path the
workstations of a PostgreSQL site share). With $CART_CHAIN_SITE_KEY_PASSPHRASE a
new key is written PKCS#8-encrypted and read with it. The public key and the
log's origin are recorded in the ledger as a ``site_key`` entry, and every
checkpoint signed as a ``checkpoint`` entry. Rotation is not implemented yet.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from platformdirs import user_config_dir
from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.errors import AlreadyExists, EnvironmentProblem, NotFound
from cart_chain.domain.merkle import TreeHead
from cart_chain.domain.roles import Role
from cart_chain.domain.signed_note import (
    CHECKPOINT_KIND,
    SITE_KEY_KIND,
    origin_for,
    sign,
    verifier_key,
)
from cart_chain.services import shared_settings
from cart_chain.services.accounts import Credentials
from cart_chain.services.auth import authenticate_in, require_role, signed_write
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import LedgerEntry
from cart_chain.store.tree import root_at

KEY_ENV = "CART_CHAIN_SITE_KEY"
PASSPHRASE_ENV = "CART_CHAIN_SITE_KEY_PASSPHRASE"
_ADMINS = frozenset({Role.ADMINISTRATOR})


@dataclass(frozen=True, slots=True)
class SiteKey:
    """The site key as the ledger records it."""

    seq: int
    origin: str
    public: bytes

    @property
    def vkey(self) -> str:
        return verifier_key(self.origin, self.public)


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint made and recorded: its note text and its ledger entry."""

    note: str
    head: TreeHead
    seq: int


def key_path() -> Path:
    """Where this workstation's private site key is kept."""
    override = os.environ.get(KEY_ENV)
    if override:
        return Path(override).expanduser()
    return Path(user_config_dir("cart-chain")) / "site-key.pem"


def _passphrase() -> bytes | None:
    value = os.environ.get(PASSPHRASE_ENV)
    return value.encode() if value else None


def load_private_key() -> Ed25519PrivateKey:
    """The private key from `key_path`, or `EnvironmentProblem` saying what is wrong."""
    path = key_path()
    try:
        data = path.read_bytes()
    except OSError as err:
        raise EnvironmentProblem(
            f"the site key {path} cannot be read ({err.strerror}); set ${KEY_ENV} to its path"
        ) from err
    try:
        key = serialization.load_pem_private_key(data, password=_passphrase())
    except (TypeError, ValueError):
        raise EnvironmentProblem(
            f"the site key {path} cannot be opened: wrong or missing ${PASSPHRASE_ENV}?"
        ) from None
    if not isinstance(key, Ed25519PrivateKey):
        raise EnvironmentProblem(f"the site key {path} is not an Ed25519 key")
    return key


def ensure_private_key() -> Ed25519PrivateKey:
    """This workstation's key: the one at `key_path`, or a new one written there (0600)."""
    path = key_path()
    if path.exists():
        return load_private_key()
    key = Ed25519PrivateKey.generate()
    secret = _passphrase()
    algorithm: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(secret) if secret else serialization.NoEncryption()
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, algorithm
    )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as f:
            f.write(pem)
    except OSError as err:
        raise EnvironmentProblem(f"cannot write the site key {path} ({err.strerror})") from err
    return key


def site_key_in(session: Session) -> SiteKey | None:
    """The site key the ledger records (the first ``site_key`` entry), or None."""
    row = session.execute(
        select(LedgerEntry.seq, LedgerEntry.payload)
        .where(LedgerEntry.kind == SITE_KEY_KIND)
        .order_by(LedgerEntry.seq)
        .limit(1)
    ).first()
    if row is None:
        return None
    p = json.loads(row[1])
    return SiteKey(row[0], p["origin"], bytes.fromhex(p["public_key"]))


def record_site_key_in(session: Session, admin: str, key: Ed25519PrivateKey) -> ledger.Entry:
    """Append the ``site_key`` entry: the public key and this ledger's origin."""
    if site_key_in(session) is not None:
        raise AlreadyExists("this ledger already has a site key ('cart-chain site key' shows it)")
    first = session.execute(select(LedgerEntry.hash).where(LedgerEntry.seq == 1)).scalar()
    public = key.public_key().public_bytes_raw()
    origin = origin_for(shared_settings.get_in(session, "facility"), public, first or "00" * 32)
    return ledger.append(
        session,
        SITE_KEY_KIND,
        admin,
        {"origin": origin, "public_key": public.hex(), "vkey": verifier_key(origin, public)},
    )


def create_site_key(db: Database, by: Credentials) -> SiteKey:
    """`site key --create`: give an existing ledger its site key (an administrator)."""
    key = ensure_private_key()

    def run(session: Session) -> SiteKey:
        user = authenticate_in(session, by)
        require_role(user, _ADMINS, "create the site key")
        record_site_key_in(session, user.username, key)
        return site_key_in(session)  # type: ignore[return-value]

    return signed_write(db, run)


def site_key(db: Database) -> SiteKey:
    found = db.read(site_key_in)
    if found is None:
        raise NotFound(
            "this ledger has no site key: an administrator creates it with "
            "'cart-chain site key --create --by ADMIN'"
        )
    return found


def checkpoint_in(
    session: Session, actor: str, *, required: bool = True
) -> SignedCheckpoint | None:
    """Sign the current tree head with the site key and record it as a ``checkpoint``.

    Without ``required``, a ledger that has no site key yet gets no checkpoint (the
    automatic ones at each export); a recorded key whose private half is not on this
    workstation is refused either way: the evidence would silently be missing.
    """
    site = site_key_in(session)
    if site is None:
        if required:
            raise NotFound(
                "this ledger has no site key: an administrator creates it with "
                "'cart-chain site key --create --by ADMIN'"
            )
        return None
    key = load_private_key()
    if key.public_key().public_bytes_raw() != site.public:
        raise EnvironmentProblem(
            f"the site key at {key_path()} is not the one this ledger records; set ${KEY_ENV}"
        )
    size = ledger.head(session).seq
    head = TreeHead(size, root_at(session, size))
    note, signature = sign(site.origin, head, key)
    entry = ledger.append(
        session,
        CHECKPOINT_KIND,
        actor,
        {
            "origin": site.origin,
            "size": head.size,
            "root": note.splitlines()[2],
            "signature": signature,
        },
    )
    return SignedCheckpoint(note, head, entry.seq)


def make_checkpoint(db: Database, by: Credentials) -> SignedCheckpoint:
    """`cart-chain checkpoint`: any active user signs in, the checkpoint is recorded."""

    def run(session: Session) -> SignedCheckpoint:
        user = authenticate_in(session, by)
        return checkpoint_in(session, user.username)  # type: ignore[return-value]

    return signed_write(db, run)
