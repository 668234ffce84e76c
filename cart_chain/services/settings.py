"""Shared settings that matter for compliance, kept in the ledger (who changed what, when).

Workstation-only preferences (window sizes, last printer) stay in QSettings.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.identifiers import validate_fin
from cart_chain.domain.roles import Role
from cart_chain.services.accounts import Credentials, authenticate_in, require_role, signed_write
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import Setting

#: Placeholder facility identification number until the site enters its own.
DEFAULT_FACILITY = "A9999"


def _inactivity(value: str) -> str:
    try:
        minutes = int(value)
    except ValueError:
        raise InvalidValue("inactivity lock is a whole number of minutes") from None
    if not 2 <= minutes <= 15:
        raise InvalidValue("inactivity lock must be between 2 and 15 minutes")
    return str(minutes)


#: Each shared setting with its default and validator.
SETTINGS: dict[str, tuple[str, Callable[[str], str]]] = {
    "facility": (DEFAULT_FACILITY, validate_fin),
    "inactivity_minutes": ("5", _inactivity),
}


def get_in(session: Session, key: str) -> str:
    default, _ = SETTINGS[key]
    value = session.execute(
        select(Setting.value).where(Setting.key == key).order_by(Setting.entry_seq.desc()).limit(1)
    ).scalar()
    return default if value is None else value


def set_in(session: Session, actor: str, key: str, value: str) -> ledger.Entry:
    if key not in SETTINGS:
        raise InvalidValue(f"unknown setting {key!r}; known: {', '.join(SETTINGS)}")
    clean = SETTINGS[key][1](value)
    return ledger.append(session, "setting_changed", actor, {"key": key, "value": clean})


def get(db: Database, key: str) -> str:
    return db.read(lambda s: get_in(s, key))


def set_setting(db: Database, by: Credentials, key: str, value: str) -> ledger.Entry:
    def run(session: Session) -> ledger.Entry:
        admin = authenticate_in(session, by)
        require_role(admin, frozenset({Role.ADMINISTRATOR}), "change settings")
        return set_in(session, admin.username, key, value)

    return signed_write(db, run)
