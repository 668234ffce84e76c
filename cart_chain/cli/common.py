"""What every command module shares: opening the database, asking who signs, printing.

Handlers import the services lazily so `cart-chain --help` stays instant.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from cart_chain.cli.prompt import PasswordSource
from cart_chain.domain.errors import DatabaseUnavailable, UsageError

if TYPE_CHECKING:
    from cart_chain.domain.labelcode import ScanSource
    from cart_chain.services.accounts import Credentials
    from cart_chain.store.database import Database

USER_ENV = "CART_CHAIN_USER"
#: What this workstation's scanner sends (see `domain.labelcode`): keyboard or code128.
SCANNER_ENV = "CART_CHAIN_SCANNER"


def open_db(
    args: argparse.Namespace,
    *,
    must_exist: bool = True,
    read_only: bool = False,
    verifying: bool = False,
) -> Database:
    """Open the database named on the command line; upgrade an older schema.

    ``read_only`` for commands that only read (list, show, verify, scan): they
    then work from read-only media and on a full disk. ``verifying``: a schema
    version row that cannot be trusted is left for `verify` to report as a
    failed check instead of refusing to open.
    """
    from cart_chain.domain.errors import SchemaMismatch
    from cart_chain.store import schema
    from cart_chain.store.database import Database

    db = Database(args.db, read_only=read_only)
    if must_exist:
        if db.path is not None and not db.path.exists():
            raise DatabaseUnavailable(
                f"no database at {db.path}: create one with "
                "'cart-chain init --admin USER --name \"Full Name\"' or 'cart-chain demo'"
            )
        try:
            status = schema.state(db)
        except SchemaMismatch:
            if not verifying:
                raise
            return db
        if status == "empty":
            raise DatabaseUnavailable(f"{db.where} is not initialised: run 'cart-chain init'")
        if status == "outdated":
            schema.upgrade(Database(args.db) if read_only else db)
    return db


def signer(user: str | None, meaning: str, source: PasswordSource) -> Credentials:
    from cart_chain.services.accounts import Credentials

    name = user or os.environ.get(USER_ENV) or source.ask_user(f"User name ({meaning})")
    if not name:
        raise UsageError(f"{meaning}: a user name is required")
    return Credentials(name, source.ask(f"Password for {name} ({meaning})"))


def scan_source(args: argparse.Namespace) -> ScanSource:
    """The scanner form for this command: ``--scanner``, else $CART_CHAIN_SCANNER, else
    keyboard (a check-less ``&/`` COI is then accepted only behind the AIM id ``]C0``)."""
    from cart_chain.domain.labelcode import SOURCES

    value = getattr(args, "scanner", None) or os.environ.get(SCANNER_ENV) or "keyboard"
    if value not in SOURCES:
        raise UsageError(f"${SCANNER_ENV} must be one of {', '.join(SOURCES)}, not {value!r}")
    return value  # type: ignore[return-value]


def emit_json(value: Any) -> None:
    from cart_chain.services.views import to_json

    json.dump(to_json(value), sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")


def shown(text: str) -> str:
    """Text from the records made safe for a terminal (no escapes, no invisible characters)."""
    from cart_chain.domain.text import printable

    return printable(text)


class Shown:
    """A stdout that passes everything written through `shown`."""

    def __init__(self, out: Any) -> None:
        self.out = out

    def write(self, text: str) -> int:
        return self.out.write(shown(text))

    def flush(self) -> None:
        self.out.flush()


def when(text: str) -> str:
    from cart_chain.domain.clock import local_display

    return local_display(text)


def read_note(path: str) -> str:
    """A signed checkpoint file's text (exactly: its signature covers every byte)."""
    from pathlib import Path

    try:
        return Path(path).read_bytes().decode("utf-8")
    except OSError as err:
        raise UsageError(f"cannot read the checkpoint file {path} ({err.strerror})") from err
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not a signed checkpoint (not UTF-8 text)") from None
