"""Shared settings that matter for compliance, kept in the ledger (who changed what, when).

Workstation-only preferences (window sizes, last printer) stay in QSettings.
The registry and the in-transaction reads live in `shared_settings`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from cart_chain.domain.roles import Role
from cart_chain.services.auth import Credentials, authenticate_in, require_role, signed_write
from cart_chain.services.shared_settings import DEFAULT_FACILITY, SETTINGS, get_in, set_in
from cart_chain.store import ledger
from cart_chain.store.database import Database

__all__ = ["DEFAULT_FACILITY", "SETTINGS", "get", "get_in", "set_in", "set_setting"]


def get(db: Database, key: str) -> str:
    return db.read(lambda s: get_in(s, key))


def set_setting(db: Database, by: Credentials, key: str, value: str) -> ledger.Entry:
    def run(session: Session) -> ledger.Entry:
        admin = authenticate_in(session, by)
        require_role(admin, frozenset({Role.ADMINISTRATOR}), "change settings")
        return set_in(session, admin.username, key, value)

    return signed_write(db, run)
