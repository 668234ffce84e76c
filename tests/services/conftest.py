"""Fixtures of the service tests (tests/services) that more than one of its modules use.

``own_key`` gives a test its own copy of the run's site key, for the tests that rotate
it (test_key_rotation, test_witness), which replaces the file. The database fixtures
these tests share with other folders are in tests/conftest.py; a fixture only one
module uses stays in that module.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest


@pytest.fixture
def own_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This test's copy of the site key (a rotation replaces the file)."""
    key = tmp_path / "keys" / "site-key.pem"
    key.parent.mkdir()
    shutil.copy(os.environ["CART_CHAIN_SITE_KEY"], key)
    monkeypatch.setenv("CART_CHAIN_SITE_KEY", str(key))
    return key
