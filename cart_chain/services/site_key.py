"""The site key and signed checkpoints: evidence of the ledger's head that leaves it.

The private key lives outside the database (`key_file`). The public key and the
log's origin are recorded in the ledger as a ``site_key`` entry, each checkpoint
signed as a ``checkpoint`` entry, and a new key as a ``site_key_rotated`` entry
signed by the key it replaces and written by an administrator. Every checkpoint
then goes to every configured witness once it has committed (`witnesses`).

Policy for a workstation without the private key: a checkpoint is refused, and
with it the custody report, audit export or label print that makes one (the
evidence would silently be missing). A PostgreSQL site gives its workstations a
shared path in $CART_CHAIN_SITE_KEY (a per-workstation key is not supported yet:
the ledger records one key at a time).
"""

from __future__ import annotations

import base64

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.errors import AlreadyExists, EnvironmentProblem, NotFound
from cart_chain.domain.roles import Role
from cart_chain.domain.signed_note import (
    SITE_KEY_KIND,
    SITE_KEY_ROTATED_KIND,
    origin_for,
    rotation_statement,
    verifier_key,
)
from cart_chain.services import shared_settings
from cart_chain.services.accounts import Credentials
from cart_chain.services.auth import authenticate_in, require_role, signed_write
from cart_chain.services.checkpoints import SignedCheckpoint, checkpoint_in
from cart_chain.services.key_file import (
    KEY_ENV,
    PASSPHRASE_ENV,
    ensure_private_key,
    key_path,
    load_private_key,
    write_new_key,
)
from cart_chain.store import ledger
from cart_chain.store.database import Database, after_commit
from cart_chain.store.models import LedgerEntry
from cart_chain.store.site_keys import SiteKey, site_key_in

__all__ = [
    "KEY_ENV",
    "PASSPHRASE_ENV",
    "SignedCheckpoint",
    "SiteKey",
    "checkpoint_in",
    "ensure_private_key",
    "key_path",
    "load_private_key",
    "site_key_in",
]

_ADMINS = frozenset({Role.ADMINISTRATOR})


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


def make_checkpoint(db: Database, by: Credentials) -> SignedCheckpoint:
    """`cart-chain checkpoint`: any active user signs in, the checkpoint is recorded."""

    def run(session: Session) -> SignedCheckpoint:
        user = authenticate_in(session, by)
        return checkpoint_in(session, user.username)  # type: ignore[return-value]

    return signed_write(db, run)


def rotate_site_key(db: Database, by: Credentials) -> SiteKey:
    """`site key rotate`: a new key, handed the log by the old key, by an administrator.

    The new private key is written beside the old one first (``.new``); the
    ``site_key_rotated`` entry carries the old key's signature over the hand-over;
    once it commits, the old file is kept as ``.retired-SEQ`` and the new one takes
    its place. Checkpoints signed before still verify under the old public key,
    which the ledger keeps. A crash between the commit and the rename leaves the
    ``.new`` file to be moved into place by hand (checkpoints say the key differs).
    """
    path = key_path()
    staged = path.with_name(path.name + ".new")
    if staged.exists():
        raise AlreadyExists(f"{staged} exists: a rotation was left unfinished; move it aside")
    old_key = load_private_key()
    new_key = write_new_key(staged)
    new_public = new_key.public_key().public_bytes_raw()

    def run(session: Session) -> SiteKey:
        user = authenticate_in(session, by)
        require_role(user, _ADMINS, "rotate the site key")
        site = site_key_in(session)
        if site is None:
            raise NotFound("this ledger has no site key to rotate")
        if old_key.public_key().public_bytes_raw() != site.public:
            raise EnvironmentProblem(
                f"the site key at {path} is not the one this ledger records; set ${KEY_ENV}"
            )
        new_vkey = verifier_key(site.origin, new_public)
        statement = rotation_statement(site.origin, site.vkey, new_vkey)
        entry = ledger.append(
            session,
            SITE_KEY_ROTATED_KIND,
            user.username,
            {
                "origin": site.origin,
                "public_key": new_public.hex(),
                "vkey": new_vkey,
                "previous_vkey": site.vkey,
                "old_key_signature": base64.b64encode(old_key.sign(statement)).decode(),
            },
        )

        def swap(_db: Database) -> None:
            path.replace(path.with_name(f"{path.name}.retired-{entry.seq}"))
            staged.replace(path)

        after_commit(session, swap)
        return SiteKey(entry.seq, site.origin, new_public)

    try:
        return signed_write(db, run)
    except BaseException:
        staged.unlink(missing_ok=True)  # nothing was recorded: the new key is not needed
        raise
