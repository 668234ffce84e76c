"""Creating a database: schema, first administrator, facility code, site key."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cart_chain.domain.errors import AlreadyExists
from cart_chain.domain.roles import Role
from cart_chain.services import passwords, shared_settings, site_key
from cart_chain.services.accounts import create_user, validate_username
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import User
from cart_chain.store.schema import upgrade


def is_initialised(db: Database) -> bool:
    return db.read(lambda s: bool(s.execute(select(func.count()).select_from(User)).scalar_one()))


def init_database(
    db: Database, admin: str, full_name: str, password: str, facility: str | None = None
) -> ledger.Entry:
    """Create the schema, the first administrator and the site key of an empty database.

    The site key is this workstation's (`site_key.key_path`): created there if
    there is none yet, and recorded in the new ledger with an origin of its own.
    """
    admin = validate_username(admin)
    passwords.check_policy(password, admin)
    password_hash = passwords.hash_password(password)  # before the write lock is taken
    key = site_key.ensure_private_key()
    upgrade(db)

    def run(session: Session) -> ledger.Entry:
        if session.execute(select(func.count()).select_from(User)).scalar_one():
            raise AlreadyExists(f"{db.where} is already initialised")
        # The first administrator chooses their own password: it is not temporary.
        entry = create_user(
            session, None, admin, full_name, Role.ADMINISTRATOR, password_hash, temporary=False
        )
        if facility is not None:
            shared_settings.set_in(session, admin, "facility", facility)
        site_key.record_site_key_in(session, admin, key)
        return entry

    return db.write(run)
