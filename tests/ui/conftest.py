"""Fixtures of the GUI tests (tests/ui), found by pytest for every module here.

Each test gets a fresh copy of one database populated once per run (argon2
hashing of ten users costs ~0.5 s, too much to repeat per test), and a QSettings
store in a temporary folder so the user's own settings are never touched (autouse).
Every app controller a test started (`helpers.start`) is shut down after it (autouse).
The plain helpers to log in, press keys and type are in tests/ui/helpers.py.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QStandardPaths
from PySide6.QtWidgets import QApplication

from cart_chain.services.workstation import OpenedDatabase, open_database
from cart_chain.store.database import Database
from cart_chain.ui import background
from tests.helpers import populate
from tests.ui import helpers


@pytest.fixture(scope="session")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("template")
    database = Database(str(folder / "cart-chain.sqlite3"))
    populate(database)
    database.dispose()
    return folder / "cart-chain.sqlite3"


@pytest.fixture
def db_path(template_db: Path, tmp_path: Path) -> Path:
    target = tmp_path / "cart-chain.sqlite3"
    for suffix in ("", "-wal", "-shm"):
        src = Path(str(template_db) + suffix)
        if src.exists():
            shutil.copy(src, str(target) + suffix)
    return target


@pytest.fixture
def opened(db_path: Path) -> Iterator[OpenedDatabase]:
    result = open_database(str(db_path))
    yield result
    result.db.dispose()


@pytest.fixture(autouse=True)
def qsettings_tmp(qapp: QApplication, tmp_path: Path) -> Iterator[Path]:
    """QSettings in a temp folder; organisation names as the app sets them."""
    QStandardPaths.setTestModeEnabled(True)
    qapp.setOrganizationName("cart-chain-test")
    qapp.setApplicationName("cart-chain-test")
    folder = tmp_path / "settings"
    folder.mkdir()
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    yield folder
    for w in QApplication.topLevelWidgets():
        w.close()
    # Reads still in a worker (the case list's, the queue's) end here, not in the next test.
    background.wait_done(10_000)


@pytest.fixture(autouse=True)
def _shut_down_controllers(qsettings_tmp: Path) -> Iterator[None]:
    """Every controller is shut down, even when its test fails, so no window of one
    test is left for Python's garbage collector to delete in the middle of another
    (before ``qsettings_tmp`` closes the remaining windows)."""
    yield
    while helpers.controllers:
        helpers.controllers.pop().shutdown()


@pytest.fixture
def scan_router(qapp: QApplication) -> Iterator[object]:
    """The application's scan router, as `AppController` installs it at start-up (for
    tests that build a window without the controller); removed afterwards."""
    from cart_chain.ui.scan_router import ScanRouter

    router = ScanRouter()
    yield router
    qapp.removeEventFilter(router)
    router.deleteLater()


@pytest.fixture
def themed(qapp: QApplication) -> Iterator[None]:
    """The app's look (11 pt font, style sheet) for tests that measure sizes as the app
    draws them; the shared QApplication's look is put back afterwards."""
    from cart_chain.ui import theme

    font, sheet, style = qapp.font(), qapp.styleSheet(), qapp.style().name()
    theme.apply(qapp)
    yield
    qapp.setStyleSheet(sheet)
    qapp.setFont(font)
    qapp.setStyle(style)
