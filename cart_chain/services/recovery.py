"""Break-glass: a temporary password for an administrator, when none can log in.

A lock ends by itself (``lockout_minutes``), but a forgotten password does not,
and if every administrator has forgotten theirs nobody can manage users any
more. There is no back door into a running database for that (one would let
anyone sign as anyone); instead two people present at the workstation recover
one administrator: a QA user performs it and a second, different active user of
any signing role (not an administrator) verifies it, with a reason. The
administrator gets a *temporary* password, which (as any password someone else
typed, see `accounts`) only logs in to a forced change and signs nothing. The
recovery is one signed ledger entry (``admin_recovered``, a row of
`cart_chain.domain.authority`) and an open alert that administrators and QA see
until an administrator clears it by unlocking the account. It is always allowed
for QA and a witness: whether another administrator could still log in is not
something the system can know.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from cart_chain.domain.authority import QA_ONLY, RECOVERY_KIND, SIGNING_ROLES
from cart_chain.domain.errors import InvalidValue, PermissionDenied, SignatureError
from cart_chain.domain.roles import Role
from cart_chain.domain.text import clean_reason
from cart_chain.services import passwords
from cart_chain.services.accounts import (
    Credentials,
    authenticate_in,
    load_user,
    require_role,
    signed_write,
)
from cart_chain.services.signing import PERFORMED, VERIFIED, receipt, signature
from cart_chain.services.views import Receipt
from cart_chain.store import ledger
from cart_chain.store.database import Database


def recover_admin(
    db: Database,
    admin: str,
    by: Credentials,
    witness: Credentials,
    reason: str,
    temporary_password: str,
) -> Receipt:
    """Set a temporary password for administrator ``admin``, signed by QA and a witness.

    ``by`` must be a QA user; ``witness`` any other active user but an administrator.
    The new password's hash is computed before the write (no argon2 under the write lock).
    """
    username = admin.strip().lower()
    why = clean_reason(reason, "the recovery's reason", required=False)
    if not why:
        raise InvalidValue("a recovery needs a reason (why no administrator can log in)")
    qa_name, witness_name = by.username.strip().lower(), witness.username.strip().lower()
    if qa_name == witness_name:
        raise SignatureError(
            f"a recovery needs two different people: {by.username} cannot sign and verify it"
        )
    if username in (qa_name, witness_name):
        raise SignatureError(f"{username} cannot sign the recovery of their own account")
    passwords.check_policy(temporary_password, username)
    temporary = passwords.hash_password(temporary_password)

    def run(session: Session) -> Receipt:
        qa = authenticate_in(session, by)
        require_role(qa, QA_ONLY, "recover an administrator's account")
        second = authenticate_in(session, witness)
        require_role(second, SIGNING_ROLES, "verify a recovery")
        target = load_user(session, username)
        if target.role is not Role.ADMINISTRATOR or not target.active:
            raise PermissionDenied(
                f"{username} is not an active administrator; recovery is only for an "
                "administrator who cannot log in (an administrator resets other users)"
            )
        entry = ledger.append(
            session,
            RECOVERY_KIND,
            qa.username,
            {
                "username": username,
                "password_hash": temporary,
                "reason": why,
                "by": qa.username,
                "witness": second.username,
                "signatures": [signature(qa, PERFORMED), signature(second, VERIFIED)],
            },
        )
        return receipt(entry, username)

    return signed_write(db, run)
