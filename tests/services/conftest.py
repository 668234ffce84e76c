"""Fixtures of the service tests (tests/services) that more than one of its modules use.

``own_key`` gives a test its own copy of the run's site key, for the tests that rotate
it (test_key_rotation, test_witness), which replaces the file. ``witnessed`` is a ledger
with a folder witness and a cosigning site witness (``witness_site``), for the witness
tests (test_witness, test_witness_loss). The database fixtures these tests share with
other folders are in tests/conftest.py; a fixture only one module uses stays in that
module.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cart_chain.services import setup, site_key, witness_admin
from cart_chain.store.database import Database
from tests.helpers import ADMIN, creds, enrol


@pytest.fixture
def own_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's copy of the site key (a rotation replaces the file)."""
    key = tmp_path / "keys" / "site-key.pem"
    key.parent.mkdir()
    shutil.copy(os.environ["CART_CHAIN_SITE_KEY"], key)
    monkeypatch.setenv("CART_CHAIN_SITE_KEY", str(key))
    return key


@pytest.fixture
def witness_site(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Database, Path]]:
    """Another cart-chain site with its own key, ready to witness."""
    original = os.environ["CART_CHAIN_SITE_KEY"]
    key = tmp_path / "witness" / "site-key.pem"
    monkeypatch.setenv("CART_CHAIN_SITE_KEY", str(key))
    wdb = Database(str(tmp_path / "witness.sqlite3"))
    setup.init_database(wdb, ADMIN[0], ADMIN[1], ADMIN[3], facility="B1234")
    monkeypatch.setenv("CART_CHAIN_SITE_KEY", original)
    yield wdb, key
    wdb.dispose()


@pytest.fixture
def witnessed(
    ready_db: Database, witness_site: tuple[Database, Path], tmp_path: Path
) -> dict[str, Any]:
    """The log with a folder witness and a cosigning site witness, and one checkpoint."""
    wdb, key = witness_site
    folder = tmp_path / "usb"
    folder.mkdir()
    witness_admin.accept(wdb, creds("admin"), site_key.site_key(ready_db).vkey)
    witness_admin.add_folder(ready_db, creds("admin"), folder)
    witness_admin.add_site(ready_db, creds("admin"), wdb.url, key)
    enrol(ready_db)
    first = site_key.make_checkpoint(ready_db, creds("alice"))
    return {"db": ready_db, "wdb": wdb, "folder": folder, "first": first}
