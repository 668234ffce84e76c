"""Screenshots of issue 11's screens: the work queue, the case view's timeline, the
print-label dialog, enrolment, the thaw checklist and a receipt at the receiver's own
log-in, at a given screen size.

    xvfb-run -a -s "-screen 0 1280x720x24" python docs/screenshots/take_story.py 1280 720
    xvfb-run -a -s "-screen 0 1920x1080x24" python docs/screenshots/take_story.py 1920 1080

Uses `take.py`'s demo database and log-in; saves NAME-WxH.png next to this file
(SCREENSHOT_DIR overrides).
"""

from __future__ import annotations

import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from PySide6.QtCore import QSettings, QStandardPaths, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent))
import take

from cart_chain.domain.steps import CONDITION_STEPS, Step
from cart_chain.services.custody import record_event
from cart_chain.services.readiness import bedside_check, record_patient_event


def walk(
    db: take.Database,
    name: str,
    steps: int,
    ld_hours_ago: float | None = None,
    last_temp: float | None = None,
) -> str:
    """A new Kymriah case walked ``steps`` steps of the demo journey (just now); the last
    step at ``last_temp`` °C when given (outside the profile: a deviation for QA)."""
    coi = take.new_case(db, take.creds("alice"), name, "1975-09-03", "MRN-100400", "Kymriah", 1)
    unit = take.show_case(db, coi.subject).units[0].unit
    for k, (step, by, to, where, temp, *_) in enumerate(take.demo.JOURNEY[:steps]):
        if k == steps - 1 and last_temp is not None:
            temp = last_temp
        record_event(
            db,
            unit,
            step,
            take.creds(by),
            take.creds(to) if to else None,
            location=where,
            temperature_c=temp,
            condition="intact, no leaks" if Step(step) in CONDITION_STEPS else None,
        )
    if ld_hours_ago is not None:
        end = datetime.now(UTC) - timedelta(hours=ld_hours_ago)
        for kind, at in (
            ("lymphodepletion_start", end - timedelta(days=3)),
            ("lymphodepletion_end", end),
        ):
            record_patient_event(db, coi.subject, kind, take.creds("ines"), occurred_at=at)
    return coi.subject


def log_out(controller: take.AppController) -> None:
    """Lock, then log out from the lock screen: back to the login window."""
    assert controller.lock is not None
    controller.lock.lock()
    controller.lock.screen.logout.click()
    take.settle()


def main(width: int, height: int) -> int:
    def shoot(name: str) -> None:
        take.settle(300)
        path = take.OUT / f"{name}-{width}x{height}.png"
        QApplication.primaryScreen().grabWindow(0, 0, 0, width, height).save(str(path))
        print("saved", path)

    tmp = Path(tempfile.mkdtemp())
    QStandardPaths.setTestModeEnabled(True)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(tmp))
    db_path = tmp / "demo.sqlite3"
    take.build(db_path)
    db = take.open_database(str(db_path)).db
    shipped = walk(db, "Noah Okafor", 2)  # with the courier: the lab receives it
    early = walk(db, "Sofia Romano", 10, ld_hours_ago=5)  # received; LD ended 5 h ago
    walk(db, "Tomás Ruiz", 11)  # thawed just now: the post-thaw clock runs
    walk(db, "Hana Kim", 6, last_temp=-20.0)  # frozen too warm: a deviation, no release yet
    garcia = take.demo_coi(db, "María José García")
    case = take.show_case(db, garcia)  # a failed bedside check, then one that passes
    for name in ("Maria Garcia", case.patient_name):
        bedside_check(
            db, case.units[0].unit, name, case.patient_dob, take.creds("ines"), take.creds("ivan")
        )
    app = take.make_app()
    app.setOrganizationName("cart-chain-screenshots")
    controller = take.AppController(str(db_path))
    controller.start()
    while controller.opened is None:
        take.settle(50)

    take.login(controller, "quinn")  # QA: the queue holds their work
    window = controller.main_window
    assert window is not None
    window.move(0, 0)
    window.resize(width, height)
    queue = window.home.queue.table
    take.settle(500)  # the list and the queue are read off the GUI thread
    queue.scrollToBottom()  # the untimed QA work sorts after the clocks
    shoot("work-queue")
    log_out(controller)

    take.login(controller, "lena")
    window = controller.main_window
    assert window is not None
    window.move(0, 0)
    window.resize(width, height)
    dialog = window.record_step(shipped)
    QTest.keyClicks(dialog.scan, take.show_case(db, shipped).units[0].unit)
    QTest.keyClick(dialog.scan, Qt.Key.Key_Return)
    dialog.location.setText("Cell lab intake")
    take.person(dialog.by.username, "lena")
    take.person(dialog.to.username, "carl")
    QTest.keyClick(dialog.to.username, Qt.Key.Key_Return)
    shoot("receipt-own-login")
    dialog.reject()
    log_out(controller)

    take.login(controller, "ines")
    window = controller.main_window
    assert window is not None
    window.move(0, 0)
    window.resize(width, height)
    window.open_case(garcia)
    shoot("case-timeline")
    case = take.show_case(db, garcia)
    label = window.print_label(case, case.units[0].unit, None)
    label.destination.setCurrentIndex(label.destination.findText("PDF file"))
    shoot("print-label")  # the PDF file row shown: the widest the dialog gets
    label.reject()
    dialog = window.record_step(early)
    QTest.keyClicks(dialog.scan, take.show_case(db, early).units[0].unit)
    QTest.keyClick(dialog.scan, Qt.Key.Key_Return)
    shoot("thaw-checklist")
    dialog.reject()
    window.go_home()
    enrol = window.home.enrol()
    assert enrol is not None
    take.person(enrol.name, "Noor Rahman")
    take.person(enrol.dob, "1982-06-15")
    take.person(enrol.mrn, "MRN-100300")
    enrol.profile.setCurrentIndex(enrol.profile.findData("kymriah"))
    shoot("enrol")
    enrol.reject()
    controller.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(int(sys.argv[1]), int(sys.argv[2])))
