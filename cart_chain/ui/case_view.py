"""Case view: the patient banner, a timeline tab per unit, the identifiers, the actions.

The timeline itself is `cart_chain.ui.timeline`; the manufacturer's identifiers
and their form are `cart_chain.ui.case_links`.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.clock import local_display
from cart_chain.domain.steps import RULES, Step
from cart_chain.ui.case_links import CaseLinksPanel
from cart_chain.ui.condition_chart import condition_tab
from cart_chain.ui.condition_import import ImportLoggerDialog
from cart_chain.ui.timeline import UnitTimeline, correction_text

if TYPE_CHECKING:
    from cart_chain.services.timeline import TimelineEntry
    from cart_chain.services.views import (
        CaseDetail,
        DeviationView,
        UnitView,
    )
    from cart_chain.ui.session import Session


class CaseView(QWidget):
    """The whole case: patient banner, a tab per unit, and the actions."""

    back = Signal()
    record_step = Signal(str, str)  # coi, unit
    correct_event = Signal(object, object)  # CaseDetail, EventView
    correct_case = Signal(object)  # CaseDetail
    correct_link = Signal(object, int)  # CaseDetail, the case_linked entry
    print_label = Signal(object, str)  # CaseDetail, unit
    export_report = Signal(str)  # coi
    bedside_check = Signal(object)  # CaseDetail
    patient_event = Signal(object)  # CaseDetail
    review_deviation = Signal(object)  # DeviationView
    override_gate = Signal(str)  # unit

    def __init__(self, session: Session, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.detail: CaseDetail | None = None
        self.links: CaseLinksPanel | None = None
        self.links_tab: QScrollArea | None = None  # the tab: the panel in a scroll area
        self.title = QLabel()
        self.title.setObjectName("Title")
        self.title.setWordWrap(True)  # a long name wraps; nothing is cut at 1280 px
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.coi = QLabel()
        self.coi.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.coi.setStyleSheet("font-family: 'DejaVu Sans Mono', monospace; font-size: 20px;")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("Units")
        self.tabs.tabBar().setElideMode(Qt.TextElideMode.ElideNone)  # scroll buttons instead
        self.tabs.tabBar().setUsesScrollButtons(True)
        self.case_notes = QLabel()
        self.case_notes.setObjectName("Info")
        self.case_notes.setWordWrap(True)
        self.case_notes.hide()

        self.record_button = QPushButton("Record step… (F2)")
        self.record_button.setObjectName("Primary")
        self.correct_button = QPushButton("Correct selected… (Ctrl+K)")
        self.correct_button.setShortcut(QKeySequence("Ctrl+K"))
        self.correct_case_button = QPushButton("Correct patient details…")
        self.label_button = QPushButton("Print label… (Ctrl+P)")
        self.label_button.setShortcut(QKeySequence("Ctrl+P"))
        self.report_button = QPushButton("Custody report…")
        # Shortcuts clash with none of the window's (Ctrl+H/E/F/L/N/K/P, F1, F2).
        self.bedside_button = QPushButton("Bedside check… (Ctrl+B)")
        self.bedside_button.setShortcut(QKeySequence("Ctrl+B"))
        self.bedside_button.setToolTip("Check the bag against the patient at the bedside (Ctrl+B)")
        self.patient_button = QPushButton("Patient event… (Ctrl+J)")
        self.patient_button.setShortcut(QKeySequence("Ctrl+J"))
        self.patient_button.setToolTip(
            "Record a patient event: bridging, lymphodepletion, premedication (Ctrl+J)"
        )
        self.review_button = QPushButton("Review deviation…")
        self.review_button.setToolTip("QA: accept, quarantine or reject this bag's deviation")
        self.override_button = QPushButton("Override infusion gate…")
        self.override_button.setToolTip("QA: let this bag past one infusion gate, with a reason")
        self.logger_button = QPushButton("Import logger file…")
        self.logger_button.setToolTip("The shipper's temperature logger for this bag's last leg")
        self.logger_button.clicked.connect(self.import_logger)
        self.back_button = QPushButton("← Cases (Esc)")
        buttons = QHBoxLayout()
        for b in (
            self.back_button,
            self.record_button,
            self.correct_button,
            self.label_button,
            self.report_button,
        ):
            buttons.addWidget(b)
        buttons.addStretch(1)
        more = QHBoxLayout()
        for b in (
            self.bedside_button,
            self.patient_button,
            self.logger_button,
            self.correct_case_button,
            self.review_button,
            self.override_button,
        ):
            more.addWidget(b)
        more.addStretch(1)

        head = QVBoxLayout()
        head.addWidget(self.title)
        head.addWidget(self.facts)
        head.addWidget(self.coi)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.addLayout(head)
        layout.addWidget(self.case_notes)
        layout.addLayout(buttons)
        layout.addLayout(more)
        layout.addWidget(self.tabs, 1)

        self.back_button.clicked.connect(self.back)
        self.record_button.clicked.connect(self._record)
        self.correct_button.clicked.connect(self._correct)
        self.correct_case_button.clicked.connect(
            lambda: self.detail is not None and self.correct_case.emit(self.detail)
        )
        self.label_button.clicked.connect(
            lambda: (
                self.detail is not None
                and self.print_label.emit(self.detail, self.current_unit() or "")
            )
        )
        self.report_button.clicked.connect(
            lambda: self.detail is not None and self.export_report.emit(self.detail.coi)
        )
        self.bedside_button.clicked.connect(
            lambda: self.detail is not None and self.bedside_check.emit(self.detail)
        )
        self.patient_button.clicked.connect(
            lambda: self.detail is not None and self.patient_event.emit(self.detail)
        )
        self.review_button.clicked.connect(self._review)
        self.override_button.clicked.connect(
            lambda: (unit := self.current_unit()) and self.override_gate.emit(unit)
        )
        self.tabs.currentChanged.connect(lambda _: self._update_review())
        self.review_button.hide()
        self.override_button.hide()
        may_sign = not session.is_admin
        for b in (
            self.record_button,
            self.correct_button,
            self.correct_case_button,
            self.bedside_button,
            self.patient_button,
        ):
            b.setEnabled(may_sign)
            if not may_sign:
                b.setToolTip("Administrators do not sign custody records")

    def show_case(self, coi: str) -> CaseDetail:
        """Load ``coi`` (or the case of a unit id) and every bag's timeline from the
        service (one read) and show them."""
        from cart_chain.services.timeline import case_story

        keep = self.tabs.currentIndex() if self.detail and self.detail.coi == coi else 0
        story = case_story(self.session.db, coi)
        self.set_detail(story.detail, keep, story.timelines)
        return story.detail

    def set_detail(
        self,
        detail: CaseDetail,
        tab: int = 0,
        timelines: dict[str, tuple[TimelineEntry, ...]] | None = None,
    ) -> None:
        self.detail = detail
        self.title.setText(detail.patient_name)
        self.facts.setText(
            f"Born {detail.patient_dob} &nbsp;·&nbsp; MRN <b>{detail.mrn}</b> &nbsp;·&nbsp; "
            f"{detail.product} &nbsp;·&nbsp; facility {detail.facility} &nbsp;·&nbsp; "
            f"{len(detail.units)} unit{'s' if len(detail.units) != 1 else ''}"
        )
        self.coi.setText(f"COI {detail.grouped}")
        if detail.profile_warnings:  # profile data: product handling warnings
            self.facts.setText(
                self.facts.text()
                + "<br><b>Product warnings:</b> "
                + html.escape("; ".join(detail.profile_warnings))
            )
        if detail.profile_unconfirmed:
            self.facts.setText(
                self.facts.text()
                + "<br>Unconfirmed handling values: "
                + html.escape(", ".join(detail.profile_unconfirmed))
            )
        from cart_chain.ui.bedside import EVENT_NAMES

        # Bedside checks are on their bag's timeline; the rest are the patient's.
        shown = [
            f"{EVENT_NAMES[e.kind]} {local_display(e.occurred_at)}"
            for e in detail.patient_events
            if e.kind in EVENT_NAMES
        ]
        if shown:
            self.facts.setText(self.facts.text() + "<br>Patient: " + " &nbsp;·&nbsp; ".join(shown))
        notes = []
        if detail.case_corrections:
            notes.append(
                "Patient details corrected:<br>"
                + "<br>".join(correction_text(c) for c in detail.case_corrections)
            )
        for o in detail.overrides:
            signer = ", ".join(s.printed_name for s in o.signatures)
            notes.append(
                f"<b>QA override #{o.seq}</b> for {o.unit}: gate {o.gate.replace('_', ' ')}: "
                f"{o.reason} ({signer}, {local_display(o.recorded_at)})"
            )
        self.case_notes.setText("<br>".join(notes))
        self.case_notes.setVisible(bool(notes))
        self.tabs.clear()
        for unit in detail.units:
            step = Step(unit.current_step).label if unit.current_step else "not started"
            entries = (timelines or {}).get(unit.unit)
            self.tabs.addTab(UnitTimeline(unit, entries), f"U{unit.number:02d} · {step}")
        self.links = CaseLinksPanel(self.session, detail)
        self.links.correct_link.connect(lambda seq: self.correct_link.emit(detail, seq))
        # The identifiers' form scrolls in its tab: left as it was, its height set the
        # case view's least height (900 px: taller than a 720 px screen).
        self.links_tab = QScrollArea()
        self.links_tab.setObjectName("IdentifiersScroll")
        self.links_tab.setWidget(self.links)
        self.links_tab.setWidgetResizable(True)
        self.links_tab.setFrameShape(QFrame.Shape.NoFrame)
        self.links_tab.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.tabs.addTab(self.links_tab, f"Identifiers ({len(detail.links)})")
        temperatures = condition_tab(self.session.db, detail.coi)
        if temperatures is not None:
            self.tabs.addTab(temperatures, f"Temperatures ({len(temperatures.charts)})")
        if 0 <= tab < self.tabs.count():
            self.tabs.setCurrentIndex(tab)
        self._update_review()

    def timeline(self) -> UnitTimeline | None:
        w: Any = self.tabs.currentWidget()
        return w if isinstance(w, UnitTimeline) else None

    def current_unit(self) -> str | None:
        t = self.timeline()
        return t.unit.unit if t is not None else None

    def select_unit(self, unit: str) -> None:
        for i in range(self.tabs.count()):
            w: Any = self.tabs.widget(i)
            if isinstance(w, UnitTimeline) and w.unit.unit == unit:
                self.tabs.setCurrentIndex(i)

    def import_logger(self) -> ImportLoggerDialog | None:
        """The logger-file dialog for the shown bag; the case reloads once it is saved."""
        unit, detail = self.current_unit(), self.detail
        if unit is None or detail is None:
            return None
        dialog = ImportLoggerDialog(self.session, unit, self)
        dialog.saved.connect(lambda _r: self.show_case(detail.coi))
        dialog.open()
        return dialog

    def _record(self) -> None:
        if self.detail is not None:
            self.record_step.emit(self.detail.coi, self.current_unit() or "")

    def open_deviation(self) -> DeviationView | None:
        """The first deviation of the shown bag that QA has not accepted."""
        timeline = self.timeline()
        if timeline is None:
            return None
        return next(
            (d for d in timeline.unit.deviations if d.open and d.decision != "reject"), None
        )

    def _update_review(self) -> None:
        qa = self.session.user.role == "qa"
        timeline = self.timeline()
        self.review_button.setVisible(qa and self.open_deviation() is not None)
        self.override_button.setVisible(
            qa and timeline is not None and timeline.unit.current_step != Step.INFUSION
        )

    def _review(self) -> None:
        deviation = self.open_deviation()
        if deviation is not None:
            self.review_deviation.emit(deviation)

    def _correct(self) -> None:
        t = self.timeline()
        event = t.selected_event() if t is not None else None
        if self.detail is not None and event is not None:
            self.correct_event.emit(self.detail, event)


def next_step_hint(unit: UnitView) -> str:
    """What the person holding the bag should do next, in words."""
    if not unit.next_steps:
        return "Journey complete."
    step = Step(unit.next_steps[0])
    rule = RULES[step]
    two = f" and {rule.to_meaning.lower()}" if rule.to_meaning else ""
    return f"Next: {step.label} ({rule.by_meaning.lower()}{two})."
