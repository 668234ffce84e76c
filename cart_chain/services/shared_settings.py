"""The registry of shared settings and their reading and writing inside a transaction.

Kept apart from `settings` (which adds the signed use case) so that the
authentication core can read the lockout and expiry settings without an import
cycle through the signing code.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.identifiers import validate_fin
from cart_chain.domain.site_products import SETTING as PRODUCT_IDENTIFIERS
from cart_chain.domain.site_products import validate_site_products
from cart_chain.domain.text import clean_name
from cart_chain.domain.witnesses import SETTING as WITNESSES
from cart_chain.domain.witnesses import validate as validate_witnesses
from cart_chain.store import batch, ledger
from cart_chain.store.models import Setting

#: Placeholder facility identification number until the site enters its own.
DEFAULT_FACILITY = "A9999"


def _whole_number(what: str, low: int, high: int) -> Callable[[str], str]:
    """A validator for a whole number of ``what`` between ``low`` and ``high``."""

    def check(value: str) -> str:
        try:
            number = int(value)
        except ValueError:
            raise InvalidValue(f"{what} is a whole number") from None
        if not low <= number <= high:
            raise InvalidValue(f"{what} must be between {low} and {high}")
        return str(number)

    return check


#: Each shared setting with its default and validator.
SETTINGS: dict[str, tuple[str, Callable[[str], str]]] = {
    "facility": (DEFAULT_FACILITY, validate_fin),
    # The facility's name, printed beside the FIN on the collection and container labels.
    "facility_name": ("", lambda v: clean_name(v, "facility name")),
    "inactivity_minutes": ("5", _whole_number("inactivity lock (minutes)", 2, 15)),
    # How long five wrong passwords lock an account; it unlocks by itself after that.
    "lockout_minutes": ("15", _whole_number("lockout (minutes)", 1, 1440)),
    # Days a password stays valid for signing; 0 means passwords do not expire.
    "password_expiry_days": ("0", _whole_number("password expiry (days, 0 = off)", 0, 3650)),
    # Per product profile: the site's ISBT 128 product codes and its manufacturer's barcode.
    PRODUCT_IDENTIFIERS: ("{}", validate_site_products),
    # Where every checkpoint also goes (domain.witnesses): folders and cosigning sites.
    WITNESSES: ("[]", validate_witnesses),
}


#: `Session.info` key: the settings read in this transaction (a signature reads the
#: password expiry once per signer); `set_in` forgets them.
_READ = "cart_chain_settings_read"


#: Built once: every signature reads a setting, and building the statement cost more
#: than running it.
_SETTING = (
    select(Setting.value)
    .where(Setting.key == bindparam("key"))
    .order_by(Setting.entry_seq.desc())
    .limit(1)
)


def get_in(session: Session, key: str) -> str:
    default, _ = SETTINGS[key]
    read: dict[str, str] = session.info.setdefault(_READ, {})
    if key not in read:
        found = batch.rows(session, _SETTING, {"key": key})
        value = found[0][0] if found else None
        read[key] = default if value is None else value
    return read[key]


def setting_reads(*keys: str) -> list[batch.Read]:
    """The reads `get_in` makes of ``keys`` (`batch.read_ahead`)."""
    return [(_SETTING, {"key": key}) for key in keys]


def set_in(session: Session, actor: str, key: str, value: str) -> ledger.Entry:
    if key not in SETTINGS:
        raise InvalidValue(f"unknown setting {key!r}; known: {', '.join(SETTINGS)}")
    clean = SETTINGS[key][1](value)
    session.info.pop(_READ, None)
    return ledger.append(session, "setting_changed", actor, {"key": key, "value": clean})
