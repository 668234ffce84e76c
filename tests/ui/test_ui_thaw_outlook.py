"""The thaw and infusion dialogs show what infusion still needs, and warn in time.

The checklist and the outlook themselves are tested without Qt in
tests/services/test_thaw_outlook.py; both make their cases at the site with
`tests.helpers.received`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QPoint

from cart_chain.services.custody import record_event
from cart_chain.ui.record_step import RecordStepDialog
from tests.helpers import CONDITION, TEMPERATURES, creds, received
from tests.ui.helpers import record_dialog


def _record_dialog(qtbot, opened, coi: str) -> RecordStepDialog:  # type: ignore[no-untyped-def]
    return record_dialog(qtbot, opened, coi, "ines")


def test_the_thaw_dialog_shows_the_checklist_and_warns_before_any_password(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi, _ = received(opened.db, timedelta(hours=5))
    dialog = _record_dialog(qtbot, opened, coi)
    assert dialog.selected_step() == "thaw"
    assert dialog.by.password.text() == "" and dialog.to.password.text() == ""
    assert dialog.checklist.isVisible()
    text = dialog.checklist.items.text()
    for name in ("Release and receipt", "Lymphodepletion window", "Bedside check", "Post-thaw"):
        assert name in text
    assert dialog.checklist.warning.isVisible()
    assert "could not start in time" in dialog.checklist.warning.text()
    assert "at least 2 days" in dialog.checklist.warning.text()
    # The panel comes under the step, above the fields and signatures, in view.
    view = dialog.scroll.viewport()
    top = dialog.checklist.mapTo(view, QPoint(0, 0)).y()
    assert top > 0 and top + dialog.checklist.height() <= view.height()
    assert top + dialog.checklist.height() <= dialog.location.mapTo(view, QPoint(0, 0)).y()


def test_the_thaw_dialog_in_time_has_no_warning(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi, _ = received(opened.db, timedelta(days=3))
    dialog = _record_dialog(qtbot, opened, coi)
    assert dialog.checklist.isVisible() and not dialog.checklist.warning.isVisible()
    assert "✓" in dialog.checklist.items.text()


def test_the_infusion_form_shows_what_is_still_open(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi, unit = received(opened.db, timedelta(days=3))
    record_event(
        opened.db,
        unit,
        "thaw",
        creds("ines"),
        creds("ivan"),
        location="bedside",
        temperature_c=TEMPERATURES["thaw"],
        started_at=datetime.now(UTC),
        condition=CONDITION,
    )
    dialog = _record_dialog(qtbot, opened, coi)
    assert dialog.selected_step() == "infusion"
    assert dialog.checklist.isVisible()
    text = dialog.checklist.items.text()
    assert "min left" in text and "no bedside identity check" in text
    assert "will be refused" in dialog.checklist.warning.text()
