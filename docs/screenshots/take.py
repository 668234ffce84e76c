"""Take the README screenshots of the main screens at 1280x800.

    xvfb-run -s "-screen 0 1280x800x24" python docs/screenshots/take.py

Name screens to take only those (``... take.py first-run``); none takes them all.

Builds a demo database in a temporary folder (through the services, like
``cart-chain demo``), drives the real widgets as a user would, and saves a grab
of the whole virtual screen for each screen. QSettings go to a temporary
folder, so the user's own settings are never touched. For a HiDPI check:

    SCREENSHOT_DIR=/tmp/hidpi QT_SCALE_FACTOR=2 \
        xvfb-run -a -s "-screen 0 2560x1600x24" python docs/screenshots/take.py
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget

ROOT = Path(__file__).resolve().parents[2]
#: Where the PNGs go; SCREENSHOT_DIR overrides (e.g. a HiDPI check with QT_SCALE_FACTOR=2).
OUT = Path(os.environ.get("SCREENSHOT_DIR") or Path(__file__).resolve().parent)
sys.path.insert(0, str(ROOT))

from cart_chain.domain.steps import CONDITION_STEPS, Step  # noqa: E402
from cart_chain.services import demo  # noqa: E402
from cart_chain.services.accounts import Credentials  # noqa: E402
from cart_chain.services.case_detail import show_case  # noqa: E402
from cart_chain.services.cases import new_case  # noqa: E402
from cart_chain.services.corrections import correct  # noqa: E402
from cart_chain.services.custody import record_event  # noqa: E402
from cart_chain.services.workstation import Database, open_database  # noqa: E402
from cart_chain.ui.app import AppController, make_app  # noqa: E402

PW = {u: p for u, _, _, p in demo.DEMO_USERS}

MORE_CASES = (
    ("Amira Haddad", "1971-03-02", "MRN-100236", "Kymriah (tisagenlecleucel)", 3),
    ("Lukas Becker", "1964-12-19", "MRN-100237", "Tecartus (brexucabtagene)", 2),
    ("Chen Wei", "1988-07-08", "MRN-100238", "Breyanzi (lisocabtagene)", 1),
    ("Fatou Diallo", "1979-05-27", "MRN-100239", "Carvykti (ciltacabtagene)", 1),
    ("Pedro Alves", "1957-10-14", "MRN-100240", "Yescarta (axicabtagene)", 0),
    ("Ingrid Holm", "1993-02-11", "MRN-100241", "Abecma (idecabtagene)", 2),
)


def creds(user: str) -> Credentials:
    return Credentials(user, PW[user])


def build(path: Path) -> None:
    """The demo's users and patients, walked through the services (up to thaw at most,
    so the screenshots do not depend on the bedside-check rules of infusion)."""
    from cart_chain.services.setup import init_database

    db = Database(str(path))
    admin, full, _, pw = demo.DEMO_USERS[0]
    init_database(db, admin, full, pw)
    for username, name, role, password in demo.DEMO_USERS[1:]:
        demo.add_user_with_own_password(db, creds(admin), username, name, role, password)
    cases = [(n, d, m, p, b, min(w, 11)) for n, d, m, p, b, w in demo.DEMO_CASES]
    cases += [(n, d, m, p, 1, w) for n, d, m, p, w in MORE_CASES]
    now = datetime.now(UTC)
    for i, (name, dob, mrn, product, bags, steps) in enumerate(cases):
        coi = new_case(db, creds("alice"), name, dob, mrn, product, bags).subject
        # Spread the cases over the last hours so the list shows real ages (and the
        # thawed bag an alert): each case's last step (i * 97 + 45) minutes ago.
        last = now - timedelta(minutes=i * 97 + 45)
        for unit in show_case(db, coi).units:
            journey = demo.JOURNEY[:steps]
            for k, (step, by, to, where, temp, *_) in enumerate(journey):
                at = last - timedelta(minutes=20 * (len(journey) - 1 - k))
                record_event(
                    db,
                    unit.unit,
                    step,
                    creds(by),
                    creds(to) if to else None,
                    location=where,
                    temperature_c=temp,
                    occurred_at=at,
                    # A thaw's start, as the dialog asks it (some limits count from it).
                    started_at=at - timedelta(minutes=10) if step == "thaw" else None,
                    condition="intact, no leaks" if Step(step) in CONDITION_STEPS else None,
                )
    # A correction, so the case view shows one beside its original.
    case = show_case(db, demo_coi(db, "Jean-Luc Lefèvre"))
    first = case.units[0].events[3]
    correct(
        db, first.seq, {"location": "Cleanroom B, isolator 2"}, "isolator not named", creds("lena")
    )
    db.dispose()


def demo_coi(db: Database, name: str) -> str:
    from cart_chain.services.case_list import list_cases

    return next(c.coi for c in list_cases(db) if c.patient_name == name)


def settle(ms: int = 150) -> None:
    QTest.qWait(ms)


def person(widget: QWidget, text: str) -> None:
    """Type ``text`` 60 ms a key, as a person does: the app's scan router takes a
    burst of keys ended by Enter at QTest's instant speed for a barcode scan."""
    QTest.keyClicks(widget, text, delay=60)


def shoot(name: str) -> None:
    settle()
    screen = QApplication.primaryScreen()
    screen.grabWindow(0, 0, 0, 1280, 800).save(str(OUT / f"{name}.png"))
    print("saved", OUT / f"{name}.png")


def login(controller: AppController, user: str) -> None:
    person(controller.login.username, user)
    person(controller.login.password, PW[user])
    QTest.keyClick(controller.login.password, Qt.Key.Key_Return)
    settle()


def place(w: QWidget) -> None:
    w.move(0, 0)
    w.resize(1280, 800)


def first_run(tmp: Path) -> None:
    """The set-up wizard a workstation shows when there is no database yet."""
    from PySide6.QtWidgets import QWizard

    controller = AppController(str(tmp / "first-run" / "cart-chain.sqlite3"))
    controller.start()
    while controller.wizard is None:
        settle(50)
    wizard = controller.wizard
    place(wizard)
    wizard.next()
    wizard.next()
    page = wizard.admin_page
    person(page.facility, "W1234")
    person(page.username, "jsmith")
    person(page.full_name, "Jane Smith")
    person(page.password, "violet-harbour-42")
    person(page.repeat, "violet-harbour-24")
    wizard.button(QWizard.WizardButton.NextButton).click()  # the passwords differ
    shoot("first-run")
    wizard.back()
    wizard.choice_page.demo.setChecked(True)
    wizard.next()
    wizard.button(QWizard.WizardButton.FinishButton).click()  # Create database
    while wizard.busy:
        settle(100)
    shoot("first-run-demo")
    controller.shutdown()


def main(only: list[str]) -> int:
    tmp = Path(tempfile.mkdtemp())
    QStandardPaths.setTestModeEnabled(True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp))
    if only == ["first-run"]:
        make_app().setOrganizationName("cart-chain-screenshots")
        first_run(tmp)
        return 0
    db_path = tmp / "demo.sqlite3"
    build(db_path)
    app = make_app()
    app.setOrganizationName("cart-chain-screenshots")

    controller = AppController(str(db_path))
    controller.start()
    place(controller.login)
    while controller.opened is None:
        settle(50)
    person(controller.login.username, "lena")
    shoot("login")
    person(controller.login.password, "wrong password")
    QTest.keyClick(controller.login.password, Qt.Key.Key_Return)
    shoot("login-wrong-password")
    controller.login.reset()

    login(controller, "lena")
    window = controller.main_window
    assert window is not None
    place(window)
    shoot("home")

    lefevre = demo_coi(open_database(str(db_path)).db, "Jean-Luc Lefèvre")
    window.open_case(lefevre)
    shoot("case")

    carvykti = demo_coi(open_database(str(db_path)).db, "Ольга Петрова")
    window.open_case(carvykti)
    dialog = window.record_step(carvykti)
    unit = show_case(open_database(str(db_path)).db, carvykti).units[0].unit
    QTest.keyClicks(dialog.scan, unit)
    QTest.keyClick(dialog.scan, Qt.Key.Key_Return)
    dialog.location.setText("Cryo suite")
    person(dialog.temperature, "-150")
    person(dialog.by.username, "lena")
    shoot("record-step")

    other = show_case(open_database(str(db_path)).db, lefevre).units[0].unit
    dialog.reject()
    dialog = window.record_step(carvykti)
    QTest.keyClicks(dialog.scan, other)
    QTest.keyClick(dialog.scan, Qt.Key.Key_Return)
    shoot("wrong-patient")
    if dialog.alert is not None:
        dialog.alert.accept()
    dialog.reject()

    garcia = demo_coi(open_database(str(db_path)).db, "María José García")
    window.open_case(garcia)
    case = show_case(open_database(str(db_path)).db, garcia)
    bedside = window.bedside_check(case)
    QTest.keyClicks(bedside.scan, case.units[0].unit)
    QTest.keyClick(bedside.scan, Qt.Key.Key_Return)
    bedside.name.setText("María José García")  # QTest types ASCII only
    person(bedside.dob, "1968-04-12")
    shoot("bedside-check")
    bedside.reject()

    window.open_case(lefevre)
    case = show_case(open_database(str(db_path)).db, lefevre)
    label = window.print_label(case, case.units[1].unit, None)
    shoot("print-label")
    label.reject()

    export = window.export(lefevre)
    shoot("export")
    export.reject()

    assert controller.lock is not None
    controller.lock.lock()
    shoot("lock")
    controller.lock.screen.logout.click()
    settle()

    login(controller, "admin")
    window = controller.main_window
    assert window is not None
    place(window)
    admin = window.administration()
    shoot("admin")
    admin.reject()
    controller.shutdown()
    first_run(tmp)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
