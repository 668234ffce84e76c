"""The real app under a real X server: a person logs in, a wedge scanner scans bags.

pytest-qt's synthetic key events reach a widget without a window system; these
tests start the app itself on Xvfb with openbox and type through the X server
with xdotool, a person at 60 ms a key and a scanner at 4 ms (`tests.xserver`).
They watch windows by their titles, the app's log for where each scan went, and
the database through the services: whether a field took a scan, an Enter saved,
or an alert closed on the Enter that ends a scan is seen as a workstation sees it.

Runs only where Xvfb, openbox and xdotool are installed (`.ci/run` installs them).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from cart_chain.domain.identifiers import parse_coi, parse_unit
from cart_chain.domain.labelcode import LabelCode
from cart_chain.labels.printing import print_label
from cart_chain.services.accounts import current_user
from cart_chain.services.case_detail import show_case
from cart_chain.services.custody_data import custody_report_data
from cart_chain.store.database import Database
from tests.helpers import creds, enrol, password, unit_of, walk
from tests.xserver import (
    Desktop,
    evidence_on_failure,
    log_in,
    needs_x,
    open_desktop,
    start_app,
    wait_routed,
)

pytestmark = needs_x
ALERT = "^WRONG PATIENT — STOP$"  # alarm.StopAlert's title, from record_step


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Desktop]:
    with open_desktop(tmp_path) as d:
        yield d


def bag_payload(db: Database, unit: str) -> str:
    """A bag label printed for ``unit`` (by Lena), as its barcode reads."""
    bag = print_label(db, unit, "bag", creds("lena"))
    return LabelCode(parse_unit(unit), bag.serial).payload


def hand_over(db: Database) -> Path:
    """The database's file, closed here: the app opens it, the test reads it again."""
    assert db.path is not None
    db.dispose()
    return db.path


def recorded(db_path: Path, coi: str) -> tuple[int, tuple[str | None, ...]]:
    """The ledger head and each bag's current step, through the services."""
    check = Database(str(db_path))
    try:
        head = custody_report_data(check, coi, "lena").ledger.seq
        return head, tuple(u.current_step for u in show_case(check, coi).units)
    finally:
        check.dispose()


def open_case_and_record(desktop: Desktop, payload: str, name: str) -> str:
    """Lena, logged in, scans ``payload`` on the case list and presses F2 in the case:
    the record dialog's window id."""
    desktop.scan(payload)
    desktop.wait_for(f"^Case .*{name}", timeout=10)
    desktop.key("F2")
    dialog, _ = desktop.wait_for("^Record a step — cart-chain$")
    return dialog


def test_a_wedge_scan_on_the_case_list_opens_the_scanned_bags_case_and_the_lock_screen_refuses_one(
    desktop: Desktop, ready_db: Database, tmp_path: Path
) -> None:
    target = enrol(ready_db, "Alma Target")
    walk(ready_db, unit_of(target), 3)
    payload = bag_payload(ready_db, unit_of(target))
    other = enrol(ready_db, "Bruno Selected")  # newest: the first row of the list
    walk(ready_db, unit_of(other), 3)
    target_grouped = show_case(ready_db, target).grouped
    assert target_grouped == parse_coi(target).grouped()
    db_path = hand_over(ready_db)

    app = start_app(desktop, db_path, tmp_path / "app.log")
    home = desktop.home
    with evidence_on_failure(desktop, tmp_path):
        _, title = log_in(desktop, "lena")
        assert "Lena" in title
        # A person moves from the search field into the list: the newest case's row,
        # another patient's, is selected. Then the scanner reads Alma Target's bag label.
        desktop.key("Down")
        time.sleep(0.3)
        desktop.scan(payload)
        _, title = desktop.wait_for("^Case .*Alma Target", timeout=10)
        # Routed as a scan (a table's type-ahead plus Enter could land on the row too).
        assert wait_routed(home, 1) == ["scan_check"]
        assert target_grouped in title  # the scanned bag's case
        assert "Bruno Selected" not in title

        # Lock (Ctrl+L); a bag scanned at the lock screen is refused, never tried.
        desktop.key("ctrl+l")
        lock, _ = desktop.wait_for("^Locked — cart-chain$")
        desktop.activate(lock)
        time.sleep(0.3)
        desktop.scan(unit_of(target))
        assert wait_routed(home, 2) == ["scan_check", "refuse_secret"]
        time.sleep(0.5)
        assert any(t == "Locked — cart-chain" for t in desktop.titles())  # still locked
        check = Database(str(db_path))
        try:
            assert current_user(check, "lena").failures == 0  # type: ignore[union-attr]
            # The control: a wrong password a person types there is a failed attempt.
            desktop.person_types("not-her-password")
            desktop.key("Return")
            deadline = time.monotonic() + 10
            while current_user(check, "lena").failures == 0 and time.monotonic() < deadline:  # type: ignore[union-attr]
                time.sleep(0.1)
            assert current_user(check, "lena").failures == 1  # type: ignore[union-attr]
        finally:
            check.dispose()
        assert app.poll() is None, (tmp_path / "app.log").read_text(errors="replace")


def test_a_scan_in_the_location_field_goes_to_the_scan_check_and_the_typed_location_stays(
    desktop: Desktop, ready_db: Database, tmp_path: Path
) -> None:
    coi = enrol(ready_db, "Alma Target")
    walk(ready_db, unit_of(coi), 3)  # received at manufacturing: engineering, Lena's step
    payload = bag_payload(ready_db, unit_of(coi))
    db_path = hand_over(ready_db)

    app = start_app(desktop, db_path, tmp_path / "app.log")
    home = desktop.home
    with evidence_on_failure(desktop, tmp_path):
        log_in(desktop, "lena")
        open_case_and_record(desktop, payload, "Alma Target")
        desktop.scan(payload)  # the bag, in the dialog's scan field
        dialog, _ = desktop.wait_for("^Record step: Engineering .*— cart-chain$")
        assert wait_routed(home, 2) == ["scan_check", "scan_check"]
        before = recorded(db_path, coi)
        assert before[1] == ("receipt_at_manufacturing",)
        # The bag selected, the focus is in Location: a person types where it is.
        time.sleep(0.3)
        desktop.person_types("Cleanroom 2")
        time.sleep(0.3)  # then the scanner, again: the same bag's label, with its Enter
        desktop.scan(payload)
        assert wait_routed(home, 3) == ["scan_check"] * 3  # to the scan check, not typed
        time.sleep(1)
        # Its Enter saved nothing (Enter in Location moves on; the dialog stays up).
        assert desktop.shown("^Record step: Engineering .*— cart-chain$")
        assert recorded(db_path, coi) == before

        # The control, and what Location holds: the person goes on and signs (Enter
        # moves on from Location, Tab leaves the note; first signature: name, password).
        desktop.activate(dialog)
        desktop.key("Return")
        desktop.key("Tab")
        desktop.person_types("lena")
        desktop.key("Return")
        desktop.person_types(password("lena"))
        desktop.key("Return")
        deadline = time.monotonic() + 15
        while recorded(db_path, coi) == before and time.monotonic() < deadline:
            time.sleep(0.2)
        check = Database(str(db_path))
        try:
            unit = show_case(check, coi).units[0]
        finally:
            check.dispose()
        assert unit.current_step == "engineering"
        assert unit.location == "Cleanroom 2"  # what she typed, not the scanned code
        assert app.poll() is None


def test_the_wrong_patient_alert_outlasts_a_cr_lf_scan_and_closes_only_when_acknowledged(
    desktop: Desktop, ready_db: Database, tmp_path: Path
) -> None:
    mine = enrol(ready_db, "Alma Target")
    other = enrol(ready_db, "Bruno Other")
    for coi in (mine, other):
        walk(ready_db, unit_of(coi), 3)
    payload = bag_payload(ready_db, unit_of(mine))
    wrong = bag_payload(ready_db, unit_of(other))
    db_path = hand_over(ready_db)

    app = start_app(desktop, db_path, tmp_path / "app.log")
    home = desktop.home
    with evidence_on_failure(desktop, tmp_path):
        log_in(desktop, "lena")
        open_case_and_record(desktop, payload, "Alma Target")
        before = recorded(db_path, mine), recorded(db_path, other)
        # Bruno's bag in Alma's dialog, from a scanner that ends a code with CR+LF, and
        # a person's habitual Enter right after.
        desktop.scan(wrong, enters=2)
        desktop.wait_for(ALERT, timeout=10)
        desktop.key("Return")
        time.sleep(1)
        assert desktop.shown(ALERT)  # neither Enter dismissed it
        assert wait_routed(home, 2) == ["scan_check", "scan_check"]
        check = Database(str(db_path))
        try:
            refused = custody_report_data(check, mine, "lena").refused_scans
        finally:
            check.dispose()
        assert len(refused) == 1 and "WRONG PATIENT" in refused[0].reason
        assert refused[0].actor == "lena"
        # Nothing recorded but the refusal (one ledger entry, against Alma's case).
        assert recorded(db_path, mine)[1] == before[0][1]
        assert recorded(db_path, other)[1] == before[1][1]
        assert recorded(db_path, mine)[0] == before[0][0] + 1

        time.sleep(1)  # armed now, yet no key alone is an acknowledgement: not Enter, not
        desktop.key("Return", "Escape", "alt+F4")  # Escape, nor openbox's close (Alt+F4)
        time.sleep(0.5)
        assert desktop.shown(ALERT)
        # The deliberate acknowledgement the alert asks for: STOP typed, then Enter.
        desktop.person_types("stop")
        desktop.key("Return")
        desktop.wait_gone(ALERT)
        # Back in the dialog, ready for the right bag.
        desktop.scan(payload)
        desktop.wait_for("^Record step: Engineering .*— cart-chain$")
        assert wait_routed(home, 3) == ["scan_check"] * 3
        desktop.key("alt+F4")  # the control: openbox's Alt+F4 does close a window
        desktop.wait_gone("^Record step: ")
        assert app.poll() is None
