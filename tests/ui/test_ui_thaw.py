"""Thaw and infusion start times through the record-step dialog (issue 12, GUI part).

Breyanzi's 2 hours run from removal from frozen storage, Abecma's hour from the
start of thaw: the thaw step's start time is what the rule needs. Before this,
the dialog recorded every step at "now" with no start time, so a GUI thaw of
such a product stored nothing the window could count from: the case view showed
no clock, and the infusion was later refused ("was not recorded").
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import Qt

from cart_chain.domain.clock import parse_iso
from cart_chain.services.case_detail import show_case
from cart_chain.services.custody import record_event
from cart_chain.ui.main_window import MainWindow
from cart_chain.ui.record_step import RecordStepDialog
from tests.helpers import (
    CONDITION,
    TEMPERATURES,
    creds,
    prepare_patient,
    unit_of,
)
from tests.ui.helpers import breyanzi_case, record_dialog, thaw_dialog


def typed(moment: datetime) -> str:
    """A time as a user types it, in this workstation's zone, to the minute."""
    return moment.astimezone().strftime("%Y-%m-%d %H:%M")


def sign_thaw(qtbot, dialog: RecordStepDialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dialog.location, "Ward 7 treatment room")
    dialog.fields.condition.setCurrentIndex(0)  # no preset: the nurse chooses
    qtbot.keyClicks(dialog.temperature, f"{TEMPERATURES['thaw']:g}")
    qtbot.keyClicks(dialog.by.username, "ines")
    qtbot.keyClicks(dialog.by.password, "ines-secret-1")
    qtbot.keyClicks(dialog.to.username, "ivan")
    qtbot.keyClicks(dialog.to.password, "ivan-secret-1")


def thaws(opened, coi: str) -> list:  # type: ignore[no-untyped-def]
    return [e for e in show_case(opened.db, coi).units[0].events if e.step == "thaw"]


def test_a_gui_thaw_stores_when_the_bag_left_frozen_storage(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = breyanzi_case(opened)
    dialog = thaw_dialog(qtbot, opened, coi)
    removed = (datetime.now(UTC) - timedelta(minutes=30)).replace(second=0, microsecond=0)
    qtbot.keyClicks(dialog.started.edit, typed(removed))
    sign_thaw(qtbot, dialog)
    with qtbot.waitSignal(dialog.recorded):
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)

    [thaw] = thaws(opened, coi)
    assert thaw.started_at is not None and parse_iso(thaw.started_at) == removed
    # The window counts from it: about 90 of Breyanzi's 120 minutes are left.
    [window] = show_case(opened.db, coi).units[0].windows
    assert window.name == "removal to administration"
    assert 88 <= window.remaining_minutes <= 91


def save(qtbot, dialog: RecordStepDialog) -> None:  # type: ignore[no-untyped-def]
    with qtbot.waitSignal(dialog.recorded, timeout=3000):
        qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)


def unit_alerts(window: MainWindow) -> str:
    from PySide6.QtWidgets import QLabel

    labels = window.case_view.findChildren(QLabel, "UnitAlerts")
    return " ".join(label.text() for label in labels if label.isVisibleTo(window))


def test_without_the_removal_time_a_breyanzi_thaw_is_not_saved(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    """What the old dialog did: it saved the thaw with no start, so Breyanzi's
    2 hours had nothing to count from (no clock shown, infusion refused later)."""
    coi = breyanzi_case(opened)
    dialog = thaw_dialog(qtbot, opened, coi)
    assert dialog.started.isVisibleTo(dialog)
    assert dialog.fields.started_row.text() == "Removed from frozen storage at *"
    assert "120 min from removal from frozen storage" in dialog.fields.limits.text()
    assert dialog.fields.limits.isVisibleTo(dialog)
    assert dialog.started.zone_label.text().startswith(str(dialog.started.zone))
    sign_thaw(qtbot, dialog)
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.error.isVisible()
    assert "Give the time: Removed from frozen storage at, as HH:MM" in dialog.error.text()
    assert thaws(opened, coi) == []


def test_a_thaw_started_30_minutes_ago_shows_the_time_left(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = breyanzi_case(opened)
    dialog = thaw_dialog(qtbot, opened, coi)
    window = dialog.parent()
    assert isinstance(window, MainWindow)
    removed = datetime.now(UTC) - timedelta(minutes=30)
    qtbot.keyClicks(dialog.started.edit, typed(removed))
    assert dialog.started.result.text().endswith(" · 30 min ago")
    sign_thaw(qtbot, dialog)
    save(qtbot, dialog)
    alerts = unit_alerts(window)
    assert "Removal to administration window:" in alerts
    assert "1 h 30 min left" in alerts or "1 h 29 min left" in alerts, alerts


def test_a_thaw_started_3_hours_ago_is_a_deviation_shown_overdue(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    """Recorded as a fact (the service refuses only impossible times): Breyanzi's
    120 minutes ran out an hour ago, so the service opens a deviation with the
    thaw, and the case view shows it and the overdue window in red."""
    coi = breyanzi_case(opened)
    dialog = thaw_dialog(qtbot, opened, coi)
    window = dialog.parent()
    assert isinstance(window, MainWindow)
    removed = (datetime.now(UTC) - timedelta(hours=3)).replace(second=0, microsecond=0)
    qtbot.keyClicks(dialog.started.edit, typed(removed))
    assert "3 h 00 min ago" in dialog.started.result.text()
    sign_thaw(qtbot, dialog)
    save(qtbot, dialog)
    [thaw] = thaws(opened, coi)
    assert thaw.started_at is not None and parse_iso(thaw.started_at) == removed
    [clock] = show_case(opened.db, coi).units[0].windows
    assert clock.overdue
    alerts = unit_alerts(window)
    assert "Removal to administration window OVERDUE</b> by 1 h 0" in alerts, alerts
    assert "#b00020" in alerts  # in red
    [deviation] = show_case(opened.db, coi).units[0].deviations
    assert deviation.step == "thaw" and deviation.rule == "post_thaw_time" and deviation.open
    assert "removal to administration: the thaw was complete 3 h 0" in deviation.detail
    assert f"<b>Deviation #{deviation.seq}</b> at Thaw (awaiting QA review)" in alerts


def test_a_malformed_time_is_refused_inline_and_nothing_is_recorded(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = breyanzi_case(opened)
    dialog = thaw_dialog(qtbot, opened, coi)
    qtbot.keyClicks(dialog.started.edit, "14.30")
    assert "is not HH:MM" in dialog.started.result.text()
    assert "b00020" in dialog.started.result.styleSheet()
    sign_thaw(qtbot, dialog)
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "Removed from frozen storage at: time '14.30' is not HH:MM" in dialog.error.text()
    assert thaws(opened, coi) == []


def test_a_start_in_the_future_is_refused_by_the_service_inline(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = breyanzi_case(opened)
    dialog = thaw_dialog(qtbot, opened, coi)
    qtbot.keyClicks(dialog.started.edit, typed(datetime.now(UTC) + timedelta(minutes=30)))
    assert "from now" in dialog.started.result.text()
    sign_thaw(qtbot, dialog)
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert dialog.isVisible()
    assert "cannot start after it was complete" in dialog.error.text()
    assert thaws(opened, coi) == []


def test_enter_in_a_time_field_moves_on_and_never_records(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    """Everything is ready to sign; Enter typed at scanner speed in either time
    field moves to the next field, as Tab does, and saves nothing."""
    coi = breyanzi_case(opened)
    dialog = thaw_dialog(qtbot, opened, coi)
    sign_thaw(qtbot, dialog)  # a stray Enter would now sign and save
    recorded: list[object] = []
    dialog.recorded.connect(lambda *a: recorded.append(a))
    dialog.started.edit.setFocus()
    qtbot.keyClicks(dialog.started.edit, typed(datetime.now(UTC) - timedelta(minutes=10)))
    qtbot.keyClick(dialog.started.edit, Qt.Key.Key_Return)
    assert dialog.completed.edit.hasFocus()
    qtbot.keyClicks(dialog.completed.edit, typed(datetime.now(UTC)))
    qtbot.keyClick(dialog.completed.edit, Qt.Key.Key_Enter)  # the keypad's Enter
    assert not dialog.completed.edit.hasFocus()
    assert dialog.isVisible() and recorded == [] and thaws(opened, coi) == []
    save(qtbot, dialog)  # the button still works
    [thaw] = thaws(opened, coi)
    assert thaw.started_at is not None


def thawed_case(opened, product: str) -> str:  # type: ignore[no-untyped-def]
    """A bag thawed 25 minutes ago (done 20 minutes ago), the patient ready for it."""
    coi = breyanzi_case(opened, product)
    now = datetime.now(UTC)
    record_event(
        opened.db,
        unit_of(coi),
        "thaw",
        creds("ines"),
        creds("ivan"),
        location="Ward 7",
        temperature_c=TEMPERATURES["thaw"],
        started_at=now - timedelta(minutes=25),
        occurred_at=now - timedelta(minutes=20),
        condition=CONDITION,
    )
    prepare_patient(opened.db, unit_of(coi))
    return coi


def infusion_dialog(qtbot, opened, coi: str) -> RecordStepDialog:  # type: ignore[no-untyped-def]
    dialog = record_dialog(qtbot, opened, coi, "ines")
    assert dialog.selected_step() == "infusion"
    return dialog


def sign_infusion(qtbot, dialog: RecordStepDialog) -> None:  # type: ignore[no-untyped-def]
    qtbot.keyClicks(dialog.location, "Ward 7, bed 4")
    dialog.fields.condition.setCurrentIndex(0)  # no preset: the nurse chooses
    qtbot.keyClicks(dialog.by.username, "ines")
    qtbot.keyClicks(dialog.by.password, "ines-secret-1")
    qtbot.keyClicks(dialog.to.username, "ivan")
    qtbot.keyClicks(dialog.to.password, "ivan-secret-1")


def test_an_infusion_with_a_duration_limit_needs_its_start(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    """The generic profile limits the infusion itself to 30 minutes: without its
    start the service would count the infusion as taking no time at all."""
    coi = thawed_case(opened, "Investigational CAR-T")
    dialog = infusion_dialog(qtbot, opened, coi)
    assert dialog.fields.started_row.text() == "Infusion started at *"
    assert "infusion duration: <= 30 min" in dialog.fields.limits.text()
    sign_infusion(qtbot, dialog)
    qtbot.mouseClick(dialog.save, Qt.MouseButton.LeftButton)
    assert "Give the time: Infusion started at" in dialog.error.text()

    began = (datetime.now(UTC) - timedelta(minutes=10)).replace(second=0, microsecond=0)
    qtbot.keyClicks(dialog.started.edit, typed(began))
    dialog.by.password.clear()
    dialog.to.password.clear()
    qtbot.keyClicks(dialog.by.password, "ines-secret-1")
    qtbot.keyClicks(dialog.to.password, "ivan-secret-1")
    save(qtbot, dialog)
    unit = show_case(opened.db, coi).units[0]
    infusion = unit.events[-1]
    assert infusion.step == "infusion" and infusion.started_at is not None
    assert parse_iso(infusion.started_at) == began
    assert unit.deviations == ()


def test_an_infusion_whose_limits_do_not_use_its_start_may_leave_it_out(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = thawed_case(opened, "Breyanzi")
    dialog = infusion_dialog(qtbot, opened, coi)
    assert dialog.started.isVisibleTo(dialog)
    assert dialog.fields.started_row.text() == "Infusion started at"  # no "*": optional
    assert not dialog.fields.limits.isVisibleTo(dialog)
    sign_infusion(qtbot, dialog)
    save(qtbot, dialog)
    infusion = show_case(opened.db, coi).units[0].events[-1]
    assert infusion.step == "infusion" and infusion.started_at is None


def test_a_typed_completion_time_is_the_steps_time(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = breyanzi_case(opened)
    dialog = thaw_dialog(qtbot, opened, coi)
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    qtbot.keyClicks(dialog.started.edit, typed(now - timedelta(minutes=40)))
    qtbot.keyClicks(dialog.completed.edit, typed(now - timedelta(minutes=15)))
    sign_thaw(qtbot, dialog)
    save(qtbot, dialog)
    [thaw] = thaws(opened, coi)
    assert parse_iso(thaw.occurred_at) == now - timedelta(minutes=15)
    assert parse_iso(thaw.started_at or "") == now - timedelta(minutes=40)


def test_the_time_field_names_its_zone_and_shows_what_it_understood(qtbot) -> None:  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    from cart_chain.ui.time_field import TimeField

    now = datetime(2026, 3, 29, 9, 0, tzinfo=UTC)  # 11:00 CEST, the day clocks went forward
    field = TimeField("Thaw started at", zone=ZoneInfo("Europe/Berlin"), now=lambda: now)
    qtbot.addWidget(field)
    assert field.zone_label.text() == "Europe/Berlin (CEST)"
    qtbot.keyClicks(field.edit, "10:15")
    assert field.result.text() == "Sun 2026-03-29 10:15 CEST · 45 min ago"
    assert field.value() == datetime(2026, 3, 29, 8, 15, tzinfo=UTC)
    field.edit.clear()
    qtbot.keyClicks(field.edit, "02:30")  # skipped by the clock change that night
    assert "does not exist in Europe/Berlin" in field.result.text()
    assert "b00020" in field.result.styleSheet()
    field.edit.clear()
    qtbot.keyClicks(field.edit, "2026-03-28 23:50")
    assert field.result.text() == "Sat 2026-03-28 23:50 CET · 10 h 10 min ago"
    assert field.result.styleSheet() == ""


def test_the_workstation_zone_is_the_systems_named_zone() -> None:
    from cart_chain.ui.time_field import workstation_zone

    zone = workstation_zone()
    now = datetime.now(UTC)
    assert now.astimezone(zone).utcoffset() == now.astimezone().utcoffset()
