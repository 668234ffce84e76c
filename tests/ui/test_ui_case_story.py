"""The case view tells the whole story: every signature in full, everything done to a
bag on its timeline, nothing cut short at 1280 px, the newest entry in view."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from PySide6.QtCore import QPoint, QRect, Qt
from PySide6.QtWidgets import QLabel

from cart_chain.labels.printing import print_label
from cart_chain.services.custody import record_event
from cart_chain.services.readiness import bedside_check, override_gate, record_patient_event
from cart_chain.services.timeline import (
    BEDSIDE_CHECK,
    DEVIATION,
    LABEL,
    LABEL_VOID,
    OVERRIDE,
    STEP,
    case_story,
)
from cart_chain.ui.main_window import MainWindow
from cart_chain.ui.timeline import EntryCard, UnitTimeline
from tests.helpers import creds, enrol, unit_of, walk
from tests.ui.helpers import make_session

LONG_NAME = "Maria-Fernanda Gutiérrez-Villanueva Santamaría"
STAMP = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}")


def _story_case(db) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """A bag received at the site and thawed, with two labels (one voided by the reprint),
    a failed and a passed bedside check, a deviation and a QA override."""
    coi = enrol(db, LONG_NAME)
    unit = unit_of(coi)
    walk(db, unit, 7)  # through release
    print_label(db, unit, "bag", creds("leo"))
    print_label(db, unit, "bag", creds("leo"), reason="smudged in the freezer")
    record_event(db, unit, "storage", creds("leo"), temperature_c=-100.0)  # a deviation
    now = datetime.now(UTC)
    record_patient_event(
        db, coi, "lymphodepletion_start", creds("ines"), occurred_at=now - timedelta(days=6)
    )
    record_patient_event(
        db, coi, "lymphodepletion_end", creds("ines"), occurred_at=now - timedelta(days=3)
    )
    bedside_check(db, unit, "Maria Gutierrez", "1970-01-01", creds("ines"), creds("ivan"))
    bedside_check(db, unit, LONG_NAME, "1970-01-01", creds("ines"), creds("ivan"))
    override_gate(
        db, unit, "lymphodepletion", "treating physician's documented decision", creds("quinn")
    )
    return coi, unit


def test_the_story_has_every_kind_of_entry_in_ledger_order(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi, unit = _story_case(ready_db)
    entries = case_story(ready_db, coi).timelines[unit]
    kinds = [e.kind for e in entries]
    assert kinds.count(STEP) == 8
    assert kinds.count(LABEL) == 2 and kinds.count(LABEL_VOID) == 1
    assert kinds.count(BEDSIDE_CHECK) == 2 and DEVIATION in kinds and OVERRIDE in kinds
    assert [e.seq for e in entries] == sorted(e.seq for e in entries)
    failed, passed = [e for e in entries if e.kind == BEDSIDE_CHECK]
    assert failed.alert and "FAILED" in failed.title and "Did not match: name" in failed.lines[0]
    assert not passed.alert and "passed" in passed.title
    assert [s.meaning for s in failed.signatures] == ["Performed by", "Verified by"]
    (void,) = [e for e in entries if e.kind == LABEL_VOID]
    assert "smudged in the freezer" in void.lines[0]
    assert void.signatures[0].username == "leo" and void.signatures[0].meaning == "Voided by"
    (deviation,) = [e for e in entries if e.kind == DEVIATION]
    assert deviation.alert and "awaiting QA review" in " ".join(deviation.lines)
    (override,) = [e for e in entries if e.kind == OVERRIDE]
    assert "lymphodepletion window" in override.title
    assert override.signatures[0].printed_name == "Quinn Quality"


def _visible_labels(widget) -> list[QLabel]:  # type: ignore[no-untyped-def]
    return [lab for lab in widget.findChildren(QLabel) if lab.isVisible() and lab.text()]


def _cut_short(label: QLabel) -> bool:
    """True when ``label`` shows less than its text (too narrow, or too low to wrap)."""
    if label.wordWrap():
        return label.heightForWidth(label.width()) > label.height()
    if label.textFormat() == Qt.TextFormat.PlainText:
        return label.fontMetrics().horizontalAdvance(label.text()) > label.width()
    return label.sizeHint().width() > label.width()


def test_at_1280_by_720_every_signature_is_in_full_and_nothing_is_cut(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi, _ = _story_case(opened.db)
    window = MainWindow(make_session(opened, "ines"))
    qtbot.addWidget(window)
    window.resize(1280, 720)
    window.show()
    qtbot.waitExposed(window)
    window.open_case(coi)
    assert window.width() == 1280 and window.height() == 720
    timeline = window.case_view.timeline()
    assert isinstance(timeline, UnitTimeline)
    qtbot.wait(50)  # the newest entry is scrolled into view once laid out

    cards = timeline.cards
    for card in cards:
        if card.entry.kind != STEP:
            continue
        for s in card.entry.signatures:  # both signers: meaning, printed name, date and time
            line = next(lab.text() for lab in card.labels if s.printed_name in lab.text())
            assert line.startswith(f"{s.meaning} {s.printed_name} ({s.username}) · ")
            assert STAMP.search(line)
    receipt = next(c for c in cards if c.entry.title.startswith("Receipt at manufacturing"))
    assert "Released by Carl Courier" in receipt.text()
    assert "Received by Lena Labtech" in receipt.text()
    texts = "\n".join(c.text() for c in cards)
    assert "Bedside identity check: FAILED" in texts and "Did not match: name" in texts
    assert "Label printed" in texts and "Label voided" in texts
    assert "Deviation at Storage" in texts and "QA override" in texts
    # Lymphodepletion is the patient's, in the header; bedside checks are the bag's only.
    facts = window.case_view.facts.text()
    assert "Patient: Lymphodepleting chemotherapy started" in facts
    assert "Bedside" not in facts

    # Nothing on the case view is hidden behind an ellipsis or clipped at 1280 px.
    labels = _visible_labels(window.case_view)
    assert len(labels) > 40
    cut = [lab.text()[:60] for lab in labels if _cut_short(lab)]
    assert cut == []
    assert window.case_view.minimumSizeHint().width() <= 1280
    # The window can be as small as the screen: no tab (the identifiers' form neither)
    # holds it taller than 720 px, which pushed the status bar off the screen.
    assert window.minimumSizeHint().height() <= 720
    links = window.case_view.links
    assert links is not None  # its form scrolls in its tab instead of setting the height
    assert window.case_view.tabs.minimumSizeHint().height() < links.minimumSizeHint().height()
    bar = window.case_view.tabs.tabBar()
    for i in range(bar.count()):
        assert bar.fontMetrics().horizontalAdvance(bar.tabText(i)) < bar.tabRect(i).width()

    # The newest entry is in view, and the status bar too.
    newest = cards[-1]
    view = timeline.scroll.viewport()
    top_left = newest.mapTo(view, QPoint(0, 0))
    assert view.rect().intersects(QRect(top_left, newest.size()))
    assert top_left.y() + newest.height() <= view.height()
    assert window.statusBar().isVisible()
    assert window.statusBar().geometry().bottom() < window.height()


def test_click_and_arrow_keys_select_the_step_to_correct(qtbot, opened) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(opened.db)
    walk(opened.db, unit_of(coi), 3)
    window = MainWindow(make_session(opened, "lena"))
    qtbot.addWidget(window)
    window.show()
    window.open_case(coi)
    timeline = window.case_view.timeline()
    assert isinstance(timeline, UnitTimeline)
    assert timeline.selected_event().step == "receipt_at_manufacturing"  # the latest
    first: EntryCard = timeline.cards[0]
    qtbot.mouseClick(first.labels[-1], Qt.MouseButton.LeftButton)  # a click on its text
    assert timeline.selected_event().step == "collection" and first.selected
    timeline.setFocus()
    qtbot.keyClick(timeline, Qt.Key.Key_Down)
    assert timeline.selected_event().step == "ship_to_manufacturing"
    assert not first.selected
    qtbot.keyClick(timeline, Qt.Key.Key_Up)
    qtbot.keyClick(timeline, Qt.Key.Key_Up)  # stays on the first
    assert timeline.selected_event().step == "collection"
