"""The desktop app logs to the log file from its first line, and never patient data.

Regression: only ``cli.main`` called `setup_logging`, so the GUI (started by
``cart-chain`` alone or ``python -m cart_chain.ui``) logged nowhere: a failed
start-up or a bug in a window left no trace.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QTimer
from sqlalchemy.exc import IntegrityError

from cart_chain import logs
from cart_chain.services import workstation
from cart_chain.services.cases import new_case
from cart_chain.store.database import Database
from cart_chain.ui import app as app_module
from tests.helpers import creds

NAME, DOB, MRN = "Zzmarkername Qqqvonmarker", "1931-07-17", "QQMRN77319"
MARKERS = ("Zzmarkername", "Qqqvonmarker", DOB, MRN, "$argon2")


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The log folder under tmp (platformdirs honours XDG_STATE_HOME), set up afresh;
    the app's excepthook is put back afterwards."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(logs, "_configured", False)
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)
    root = logging.getLogger("cart_chain")
    before = list(root.handlers)
    yield logs.log_path().parent
    for handler in root.handlers:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()


@pytest.fixture(autouse=True)
def unthemed_afterwards(qapp) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """`app.start` themes the one QApplication every test shares (11 pt font, style
    sheet); put its look back so later tests measure widgets as they expect."""
    font, sheet, style = qapp.font(), qapp.styleSheet(), qapp.style().name()
    yield
    qapp.setStyleSheet(sheet)
    qapp.setFont(font)
    qapp.setStyle(style)


def _log_text(folder: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in folder.glob("*.log*"))


@pytest.fixture
def marked_db(db_path: Path) -> Path:
    """A database with a patient whose name, date of birth and MRN are markers."""
    database = Database(str(db_path))
    new_case(database, creds("alice"), NAME, DOB, MRN, "Kymriah")
    database.dispose()
    return db_path


def test_a_failed_start_up_is_in_the_log_without_patient_data(
    qtbot, marked_db: Path, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # type: ignore[no-untyped-def]
    def failing_open(url: str | None) -> object:  # a driver error quoting stored values
        raise IntegrityError("INSERT INTO cases", {"name": NAME, "dob": DOB}, Exception(MRN))

    monkeypatch.setattr(workstation, "open_database", failing_open)
    _app, controller = app_module.start(str(marked_db))
    qtbot.addWidget(controller.login)
    try:
        qtbot.waitUntil(lambda: controller.login.message.isVisible(), timeout=20_000)
        text = _log_text(log_dir)
        assert "cannot open database" in text and "IntegrityError" in text
        for marker in MARKERS:
            assert marker not in text, marker
    finally:
        controller.shutdown()


@pytest.mark.qt_no_exception_capture
def test_an_uncaught_error_in_a_window_is_in_the_log_without_patient_data(
    qtbot, marked_db: Path, log_dir: Path
) -> None:  # type: ignore[no-untyped-def]
    _app, controller = app_module.start(str(marked_db))
    qtbot.addWidget(controller.login)
    try:
        with qtbot.waitSignal(controller.ready, timeout=20_000):
            pass

        def buggy_slot() -> None:
            raise RuntimeError(f"bug holding a payload: {NAME} {DOB} {MRN}")

        QTimer.singleShot(0, buggy_slot)
        qtbot.waitUntil(lambda: "uncaught error" in _log_text(log_dir), timeout=5_000)
        text = _log_text(log_dir)
        assert "RuntimeError" in text and "buggy_slot" in text  # what failed, and where
        for marker in MARKERS:
            assert marker not in text, marker
    finally:
        controller.shutdown()
