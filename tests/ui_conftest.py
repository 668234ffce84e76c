"""Fixtures for the GUI tests (imported by each tests/ui/test_ui_*.py module).

Each test gets a fresh copy of one database populated once per run (argon2
hashing of ten users costs ~0.5 s, too much to repeat per test), a QSettings
store in a temporary folder so the user's own settings are never touched, and
helpers to log in and to open a case.
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
from tests.helpers import creds, populate


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


def make_session(opened: OpenedDatabase, username: str, signed: bool = False):  # type: ignore[no-untyped-def]
    """A logged-in session for ``username`` (``signed``: first signature already given)."""
    from cart_chain.services.accounts import login
    from cart_chain.ui.session import Session

    session = Session(opened, login(opened.db, creds(username)))
    if signed:
        session.signed()
    return session


def settled(qtbot) -> None:  # type: ignore[no-untyped-def]
    """Wait until every read started off the GUI thread (`ui.background`) is shown."""
    from cart_chain.ui import background

    qtbot.waitUntil(lambda: not background.busy(), timeout=10_000)


def press(widget, key, modifier=None):  # type: ignore[no-untyped-def]
    """A key press delivered the way a keyboard delivers it: through the window,
    so window shortcuts (F2, Ctrl+L) fire, else the focused widget gets the key."""
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    top = widget.window()
    if QApplication.activeWindow() is not top:
        top.activateWindow()
        QApplication.processEvents()
    QTest.keyClick(top.windowHandle(), key, modifier or Qt.KeyboardModifier.NoModifier)


def type_like_a_person(qtbot, widget, text: str) -> None:  # type: ignore[no-untyped-def]
    """Type ``text`` 60 ms a key, as a person does (instant keyClicks look like a scan)."""
    qtbot.keyClicks(widget, text, delay=60)


def drop_files(widget, *paths) -> bool:  # type: ignore[no-untyped-def]
    """Drag local files over ``widget`` and drop them, as a file manager does: a drag
    enter, then the drop, each delivered through Qt's event dispatch (event filters
    included). True when the drop was accepted."""
    import warnings

    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    mime.setText("\n".join(QUrl.fromLocalFile(str(p)).toString() for p in paths))
    at = QPointF(widget.rect().center())
    action, button, mods = (
        Qt.DropAction.CopyAction,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with warnings.catch_warnings():  # PySide marks Qt's one constructor deprecated
        warnings.simplefilter("ignore", DeprecationWarning)
        enter = QDragEnterEvent(at.toPoint(), action, mime, button, mods)
    QApplication.sendEvent(widget, enter)
    if not enter.isAccepted():
        return False
    drop = QDropEvent(at, action, mime, button, mods)
    QApplication.sendEvent(widget, drop)
    return drop.isAccepted()


__all__ = [
    "creds",
    "db_path",
    "drop_files",
    "make_session",
    "opened",
    "press",
    "qsettings_tmp",
    "scan_router",
    "settled",
    "template_db",
    "themed",
    "type_like_a_person",
]
