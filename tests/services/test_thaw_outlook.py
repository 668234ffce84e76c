"""Before thaw and at infusion: what infusion still needs, and whether it can start in time.

The dialogs that show it are tested in tests/ui/test_ui_thaw_outlook.py.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cart_chain.domain.clock import parse_iso
from cart_chain.services.checklist import infusion_checklist, thaw_outlook
from cart_chain.services.custody import record_event
from tests.helpers import CONDITION, TEMPERATURES, creds, received


def _item(items, name: str):  # type: ignore[no-untyped-def]
    return next(i for i in items if i.name == name)


def test_a_thaw_in_time_lists_what_infusion_still_needs(ready_db) -> None:  # type: ignore[no-untyped-def]
    _, unit = received(ready_db, timedelta(days=3))
    at = datetime.now(UTC)
    outlook = thaw_outlook(ready_db, unit, at)
    assert outlook.in_time and outlook.warnings == ()
    assert [i.name for i in outlook.items] == [
        "released_and_received",
        "lymphodepletion",
        "bedside_check",
        "post_thaw_window",
    ]
    assert _item(outlook.items, "released_and_received").ok
    assert _item(outlook.items, "lymphodepletion").ok
    assert not _item(outlook.items, "bedside_check").ok  # still to do, after the thaw
    post = _item(outlook.items, "post_thaw_window")
    assert post.until is not None and outlook.infuse_by == post.until
    assert parse_iso(post.until) - at == timedelta(minutes=30)
    assert "30 min" in post.text


def test_a_thaw_warns_when_the_lymphodepletion_window_would_not_open_in_time(ready_db) -> None:  # type: ignore[no-untyped-def]
    _, unit = received(ready_db, timedelta(hours=5))
    outlook = thaw_outlook(ready_db, unit)
    assert not outlook.in_time
    assert any("at least 2 days" in w for w in outlook.warnings)
    assert not _item(outlook.items, "lymphodepletion").ok


def test_a_thaw_warns_when_the_window_has_closed_or_lymphodepletion_is_missing(ready_db) -> None:  # type: ignore[no-untyped-def]
    _, late = received(ready_db, timedelta(days=20))
    assert any("at most" in w for w in thaw_outlook(ready_db, late).warnings)
    _, none = received(ready_db, None)
    assert any("no recorded end" in w for w in thaw_outlook(ready_db, none).warnings)


def test_after_the_thaw_the_infusion_checklist_gives_the_time_left(ready_db) -> None:  # type: ignore[no-untyped-def]
    _, unit = received(ready_db, timedelta(days=3))
    thawed = datetime.now(UTC)  # after the journey's last step
    record_event(
        ready_db,
        unit,
        "thaw",
        creds("ines"),
        creds("ivan"),
        location="bedside",
        temperature_c=TEMPERATURES["thaw"],
        occurred_at=thawed,
        started_at=thawed,
        condition=CONDITION,
    )
    at = thawed + timedelta(minutes=12)
    c = infusion_checklist(ready_db, unit, at)
    post = _item(c.items, "post_thaw_window")
    assert post.ok and post.text.startswith("18 min left")
    assert post.until is not None and parse_iso(post.until) == thawed + timedelta(minutes=30)
    assert not _item(c.items, "bedside_check").ok and not c.ready
