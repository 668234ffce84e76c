"""The self-test's checks, in order: each walks one real code path of the installation.

Imported by `cart_chain.selftest` (which runs them) on every CLI start, so only
cheap imports sit at the top; each check imports what it exercises.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cart_chain.services.accounts import Credentials
    from cart_chain.store.database import Database


class Skipped(Exception):
    """The part a check needs is not in this build (not an error, unless --strict)."""


class Context:
    """What the checks share: the temporary folder, the database and what was made in it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.db: Database | None = None
        self.admin: Credentials | None = None
        self.users: dict[str, Credentials] = {}
        self.coi: str | None = None
        self.unit: str | None = None
        self.label: bytes | None = None
        self.payload: str | None = None
        self.extras: list[Any] = []  # objects to keep alive until the end

    def need_db(self) -> Database:
        if self.db is None:
            raise RuntimeError("no database: an earlier check failed")
        return self.db

    def need(self, value: str | None, what: str) -> str:
        if value is None:
            raise RuntimeError(f"no {what}: an earlier check failed")
        return value


Check = Callable[[Context], str]
"""A check returns a short detail for its OK line, raises `Skipped`, or raises anything to fail."""


def present(module: str) -> bool:
    """Whether ``module`` is part of this build (a failing import of a present one is a FAIL)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def throwaway_password() -> str:
    # Random per run: the throw-away accounts must pass the password policy, never a guess.
    import secrets

    return f"Selftest-{secrets.token_hex(12)}"


# -- the checks, in order ------------------------------------------------------------------


def check_version(_: Context) -> str:
    from cart_chain import __version__

    if __version__ == "0+unknown":
        raise RuntimeError("package metadata missing: the version reads 0+unknown")
    return __version__


def check_drivers(_: Context) -> str:
    """SQLAlchemy picks the dialect from the URL string; load both without connecting."""
    import psycopg
    from sqlalchemy import create_engine

    for url in ("sqlite+pysqlite://", "postgresql+psycopg://selftest@127.0.0.1/selftest"):
        create_engine(url).dispose()
    impl = psycopg.pq.__impl__
    if getattr(sys, "frozen", False) and impl != "binary":
        raise RuntimeError(f"psycopg runs its {impl} implementation: psycopg_binary is missing")
    return f"sqlite {_sqlite_version()}, psycopg {psycopg.__version__} ({impl})"


def _sqlite_version() -> str:
    import sqlite3

    return sqlite3.sqlite_version


def check_migrations(ctx: Context) -> str:
    from cart_chain.store.database import Database
    from cart_chain.store.schema import HEAD, MIGRATIONS, state, upgrade

    scripts = sorted(p.name for p in (MIGRATIONS / "versions").glob("*.py") if p.stem[0].isdigit())
    if not (MIGRATIONS / "env.py").is_file() or not scripts:
        raise RuntimeError(f"Alembic scripts missing under {MIGRATIONS}")
    ctx.db = Database(str(ctx.folder / "selftest.sqlite3"))
    upgrade(ctx.db)
    if state(ctx.db) != "current":
        raise RuntimeError(f"schema is {state(ctx.db)} after upgrade, expected {HEAD}")
    return f"{len(scripts)} revisions to {HEAD}"


def check_administrator(ctx: Context) -> str:
    from cart_chain.services import accounts, settings, setup
    from cart_chain.services.accounts import Credentials
    from cart_chain.services.demo import add_user_with_own_password

    db = ctx.need_db()
    ctx.admin = Credentials("selftest-admin", throwaway_password())
    setup.init_database(
        db, ctx.admin.username, "Self Test Administrator", ctx.admin.password, "A1234"
    )
    for username, name, role in (
        ("selftest-aph1", "Self Test Apheresis One", "apheresis"),
        ("selftest-aph2", "Self Test Apheresis Two", "apheresis"),
    ):
        ctx.users[username] = Credentials(username, throwaway_password())
        add_user_with_own_password(
            db, ctx.admin, username, name, role, ctx.users[username].password
        )
    accounts.login(db, ctx.users["selftest-aph1"])
    return f"facility {settings.get(db, 'facility')}, {len(ctx.users) + 1} users (argon2)"


def check_enrol(ctx: Context) -> str:
    from cart_chain.domain.identifiers import parse_coi
    from cart_chain.services.cases import new_case

    receipt = new_case(
        ctx.need_db(),
        ctx.users["selftest-aph1"],
        "Self Test Patient",
        "1970-01-01",
        "SELFTEST-1",
        "Kymriah (tisagenlecleucel)",
        1,
    )
    ctx.coi = receipt.subject
    ctx.unit = parse_coi(ctx.coi).unit(1).full
    return ctx.coi


def check_step(ctx: Context) -> str:
    from cart_chain.services.custody import record_event

    receipt = record_event(
        ctx.need_db(),
        ctx.need(ctx.unit, "unit"),
        "collection",
        ctx.users["selftest-aph1"],
        ctx.users["selftest-aph2"],
        location="self-test",
        temperature_c=22.0,
    )
    if len(receipt.signatures) != 2:
        raise RuntimeError(f"expected two signatures, got {len(receipt.signatures)}")
    return f"collection, entry {receipt.seq}, 2 signatures"


def check_label(ctx: Context) -> str:
    from cart_chain.labels.printing import print_label

    printed = print_label(
        ctx.need_db(),
        ctx.need(ctx.unit, "unit"),
        "bag",
        ctx.users["selftest-aph1"],
        fmt="png",
    )
    if not printed.output.startswith(b"\x89PNG\r\n\x1a\n"):
        raise RuntimeError("the label is not a PNG")
    ctx.label, ctx.payload = printed.output, printed.payload
    return f"{len(printed.output)} bytes at {printed.dpi} dpi"


def check_label_decodes(ctx: Context) -> str:
    if not present("zxingcpp"):
        raise Skipped("zxing-cpp is not installed")
    import io

    import zxingcpp
    from PIL import Image

    if ctx.label is None:
        raise RuntimeError("no label: an earlier check failed")
    found = [r.text for r in zxingcpp.read_barcodes(Image.open(io.BytesIO(ctx.label)).convert("L"))]
    if ctx.payload not in found:
        raise RuntimeError(f"payload {ctx.payload} not read back; found {found}")
    return f"{len(found)} symbols, payload {ctx.payload} read back"


def check_report(ctx: Context) -> str:
    if not present("cart_chain.reports"):
        raise Skipped("cart_chain.reports is not part of this build")
    from cart_chain.reports.custody import render
    from cart_chain.services.exports import export_custody

    out = ctx.folder / "custody-report.pdf"
    result = export_custody(
        ctx.need_db(), ctx.users["selftest-aph1"], ctx.need(ctx.coi, "case"), out, render
    )
    head = result.path.read_bytes()[:5]
    if head != b"%PDF-":
        raise RuntimeError(f"{result.path.name} is not a PDF")
    proven = ""
    if result.evidence is not None:  # read back and checked as `evidence check` does
        from cart_chain.domain.evidence import check, from_json
        from cart_chain.reports.evidence_pdf import read_report

        raw, text = read_report(result.path)
        verdict = check(from_json(raw), text, result.evidence.evidence.vkey)
        proven = f", evidence of {verdict.entries} entries checked"
    return f"{result.path.stat().st_size} bytes, report {result.report_id}{proven}"


def check_verify(ctx: Context) -> str:
    from cart_chain.services.verification import verify_ledger

    ctx.need(ctx.coi, "case")  # an empty ledger verifies trivially: that proves nothing
    report = verify_ledger(ctx.need_db())
    if not report.ok:
        raise RuntimeError(f"ledger does not verify: {report.problem}")
    return f"checkpoint {report.checkpoint.seq}:{report.checkpoint.hash[:12]}…"


def _isolate_qt_settings(folder: Path) -> None:
    """Point QSettings at ``folder`` so the workstation's preferences are neither read nor
    written (the main window reads printer and layout preferences)."""
    from PySide6.QtCore import QSettings, QStandardPaths

    QStandardPaths.setTestModeEnabled(True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))


def _qt_app(ctx: Context) -> Any:
    """The QApplication on the offscreen platform, with settings in the temporary folder."""
    # Forced, not defaulted: a self-test must never put a window on a user's screen,
    # and must work on a headless build machine.
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from PySide6.QtCore import qInstallMessageHandler
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    if app is None:  # standalone; inside a test run the host keeps its Qt set-up

        def quiet(_mode: Any, _context: Any, message: str) -> None:
            # The offscreen platform warns that it cannot size windows like a window manager:
            # true and harmless, but an IT person reading the output would take it for a fault.
            if "propagateSizeHints" not in message:
                print(message, file=sys.stderr)

        qInstallMessageHandler(quiet)

        settings_dir = ctx.folder / "qt-settings"
        settings_dir.mkdir(exist_ok=True)
        _isolate_qt_settings(settings_dir)
        app = QApplication([sys.argv[0], "-platform", "offscreen"])
        # Not the app's own names: even a settings path Qt ignored could not reach them.
        app.setOrganizationName("cart-chain-selftest")
        app.setApplicationName("cart-chain-selftest")
        from cart_chain.ui import main_thread_gc

        main_thread_gc.install(app)  # as make_app does: no collection on a worker thread
        ctx.extras.append(app)
    return app


def _settle(app: Any, done: Callable[[], bool], seconds: float) -> bool:
    """Run Qt's event loop until ``done()`` or the time is up; returns ``done()``."""
    deadline = time.monotonic() + seconds
    while not done() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
    for _ in range(5):
        app.processEvents()
    return done()


def check_startup(ctx: Context) -> str:
    """The path a user takes: login window, the loader thread opening the database, log-in."""
    if not present("cart_chain.ui"):
        raise Skipped("cart_chain.ui is not part of this build")
    app = _qt_app(ctx)
    from cart_chain.ui import theme
    from cart_chain.ui.app import AppController

    theme.apply(app)  # what make_app does, without the app's own settings names
    controller = AppController(str(ctx.need_db().path))
    ready: list[bool] = []
    controller.ready.connect(lambda: ready.append(True))
    controller.start()
    try:
        if not _settle(app, lambda: bool(ready), 30.0):
            raise RuntimeError("the database loader did not finish within 30 s")
        if controller.opened is None or not controller.opened.initialised:
            raise RuntimeError(f"the login window says: {controller.login.message.text()}")
        user = controller.authenticate("selftest-aph1", ctx.users["selftest-aph1"].password)
        shown = controller.login.isVisible()
    finally:
        controller.shutdown()
        controller.login.close()
        app.processEvents()
    if not shown:
        raise RuntimeError("the login window did not show")
    return f"login window, database opened by the loader thread, {user.username} logged in"


def check_gui(ctx: Context) -> str:
    if not present("cart_chain.ui"):
        raise Skipped("cart_chain.ui is not part of this build")
    app = _qt_app(ctx)
    from cart_chain.services.accounts import login
    from cart_chain.services.workstation import open_database
    from cart_chain.ui import theme
    from cart_chain.ui.main_window import MainWindow
    from cart_chain.ui.session import Session

    opened = open_database(str(ctx.need_db().path))
    ctx.extras.append(opened)
    theme.apply(app)
    window = MainWindow(Session(opened, login(opened.db, ctx.users["selftest-aph1"])))
    window.show()
    visible = _settle(app, window.isVisible, 5.0)
    title = window.windowTitle()
    icon = "with icon" if not app.windowIcon().isNull() else "NO ICON"
    window.close()
    window.deleteLater()
    app.processEvents()
    if not visible:
        raise RuntimeError("the main window did not show")
    return f"{app.platformName()} platform, {title!r}, {icon}"


CHECKS: tuple[tuple[str, Check], ...] = (
    ("version", check_version),
    ("database drivers", check_drivers),
    ("migrations", check_migrations),
    ("first administrator", check_administrator),
    ("enrol a case", check_enrol),
    ("signed custody step", check_step),
    ("label PNG", check_label),
    ("label decodes", check_label_decodes),
    ("custody report PDF", check_report),
    ("verify ledger", check_verify),
    ("start-up and log-in (offscreen)", check_startup),
    ("main window (offscreen)", check_gui),
)
