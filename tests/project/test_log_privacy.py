"""No patient name, date of birth, MRN or password hash reaches the log, whatever fails.

Patients are enrolled with marker values; then every failure path we can drive
from the command line runs (a bug whose exception carries the payload, a
duplicate-key constraint error from the database, a wrong password, a locked
database, a refusal logged by the GUI), and every file in the log folder is
searched for the markers. The log must still say what failed: the error class
and the database's error code.
"""

from __future__ import annotations

import io
import logging
import sqlite3
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cart_chain import logs
from cart_chain.cli.main import main
from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.identifiers import Coi, parse_coi
from cart_chain.services.cases import new_case
from cart_chain.store import database as database_module
from cart_chain.store import ledger
from cart_chain.store.database import Database
from tests.helpers import creds, password

NAME, DOB, MRN = "Zzmarkername Qqqvonmarker", "1931-07-17", "QQMRN77319"
MARKERS = ("Zzmarkername", "Qqqvonmarker", DOB, "QQMRN77319", "$argon2")


@pytest.fixture
def log_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The log folder moved under tmp (platformdirs honours XDG_STATE_HOME)."""
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setattr(logs, "_configured", False)
    root = logging.getLogger("cart_chain")
    before = list(root.handlers)
    yield logs.log_path().parent
    for handler in root.handlers:
        if handler not in before:
            root.removeHandler(handler)
            handler.close()


def _cli(monkeypatch: pytest.MonkeyPatch, db: Database, *args: str, stdin: str = "") -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(["--db", db.url, *args])


def _enrol_args(by: str = "alice") -> tuple[str, ...]:
    return (
        "case",
        "new",
        "--name",
        NAME,
        "--dob",
        DOB,
        "--mrn",
        MRN,
        "--product",
        "Kymriah",
        "--by",
        by,
    )


def test_no_patient_data_in_logs_whatever_fails(
    ready_any_db: Database, log_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = ready_any_db
    coi = new_case(db, creds("alice"), NAME, DOB, MRN, "Kymriah").subject
    pw = password("alice") + "\n"

    # 1. A bug whose exception carries the whole payload in its arguments.
    real_append = ledger.append

    def broken_append(session, kind, actor, payload):  # type: ignore[no-untyped-def]
        raise RuntimeError(payload, f"could not store {payload}")

    monkeypatch.setattr(ledger, "append", broken_append)
    assert _cli(monkeypatch, db, *_enrol_args(), stdin=pw) == 4
    monkeypatch.setattr(ledger, "append", real_append)

    # 2. A constraint error from the database itself: the COI counter repeats one in use,
    # so the projection's INSERT of the case (name, DOB, MRN as parameters) fails.
    existing = parse_coi(coi)
    monkeypatch.setattr(Coi, "build", staticmethod(lambda *_a: existing))
    assert _cli(monkeypatch, db, *_enrol_args(), stdin=pw) == 4
    monkeypatch.undo()
    monkeypatch.setenv("XDG_STATE_HOME", str(log_dir.parent.parent))

    # 3. A wrong password, 4. an unknown user (rules: exit 1).
    assert _cli(monkeypatch, db, *_enrol_args(), stdin="wrong-password\n") == 1
    assert _cli(monkeypatch, db, *_enrol_args("nobody"), stdin=pw) == 1

    # 5. A locked SQLite database (exit 3).
    if db.is_sqlite:
        monkeypatch.setattr(database_module, "BUSY_TIMEOUT_MS", 100)
        holder = sqlite3.connect(db.path, isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")
        try:
            assert _cli(monkeypatch, db, *_enrol_args(), stdin=pw) == 3
        finally:
            holder.rollback()
            holder.close()

    # 6. What the GUI logs when a service refuses, or a bug escapes with values in its args.
    ui = logging.getLogger("cart_chain.ui")
    ui.info("%s refused: %s", "correct", InvalidValue(f"patient_name is already {NAME!r}"))
    try:
        raise KeyError({"patient": {"name": NAME, "dob": DOB, "mrn": MRN}})
    except KeyError as exc:
        ui.exception("bug while trying to %s %s", "enrol", {"name": NAME}, exc_info=exc)
    ui.error("could not store %(payload)s", {"payload": {"patient": {"name": NAME}}})

    files = [p for p in log_dir.rglob("*") if p.is_file()]
    assert files, "the failures above wrote no log at all"
    text = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in files)
    for marker in MARKERS:
        assert marker not in text, f"{marker!r} reached the log:\n{text}"
    # The log still says what failed: the class and the database's own error code.
    assert "RuntimeError" in text
    assert "IntegrityError" in text
    assert ("SQLITE_CONSTRAINT_PRIMARYKEY" if db.is_sqlite else "[23505]") in text
    assert "InvalidValue: patient_name is already <redacted>" in text
    assert "KeyError" in text and "test_log_privacy.py" in text  # the frames are kept
