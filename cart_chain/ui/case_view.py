"""Case view: each unit's chain as a timeline, who holds it, what comes next.

Signatures are shown with their printed name, time and meaning (Part 11
§11.50), and every correction sits under the entry it corrects with the old
and the new value side by side: the original is never hidden.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.clock import local_display
from cart_chain.domain.steps import HANDOFFS, RULES, Step

if TYPE_CHECKING:
    from cart_chain.services.views import (
        CaseDetail,
        CorrectionView,
        DeviationView,
        EventView,
        SignatureView,
        UnitView,
    )
    from cart_chain.ui.session import Session

EntryRole = Qt.ItemDataRole.UserRole + 1
FIELD_NAMES = {
    "location": "location",
    "temperature_c": "temperature °C",
    "note": "note",
    "occurred_at": "time",
    "void": "void",
    "patient_name": "patient name",
    "patient_dob": "date of birth",
    "mrn": "MRN",
    "product": "product",
}


def signature_text(sigs: tuple[SignatureView, ...], same_day: str | None = None) -> str:
    """One line per signature: meaning, printed name, user, time (Part 11 §11.50).

    The date is left out when it is the day shown in the "When" column.
    """
    lines = []
    for s in sigs:
        at = local_display(s.signed_at)
        if same_day and at.startswith(same_day):
            at = at[len(same_day) + 1 :]
        lines.append(f"{s.meaning} {s.printed_name} ({s.username}) {at}")
    return "\n".join(lines)


def correction_text(c: CorrectionView) -> str:
    name = FIELD_NAMES.get(c.field, c.field)
    if c.field == "void":
        return f"VOIDED — reason: {c.reason}"
    return f"Corrected {name}: “{c.old_value or '—'}” → “{c.new_value or '—'}” — reason: {c.reason}"


def _minutes(minutes: float) -> str:
    m = round(abs(minutes))
    return f"{m // 60} h {m % 60:02d} min" if m >= 60 else f"{m} min"


def unit_alerts_html(unit: UnitView) -> str:
    """Live windows (time left, or overdue in red) and deviations with QA's decision."""
    lines = []
    for w in unit.windows:
        ends = local_display(w.ends)
        if w.overdue:
            lines.append(
                f"<span style='color:#b00020'><b>{w.name.capitalize()} window OVERDUE</b> "
                f"by {_minutes(w.remaining_minutes)} (ended {ends})</span>"
            )
        else:
            lines.append(
                f"<b>{w.name.capitalize()} window:</b> {_minutes(w.remaining_minutes)} left "
                f"(ends {ends})"
            )
    for d in unit.deviations:
        state = "awaiting QA review" if d.decision is None else f"QA: {d.decision}"
        color = "#b00020" if d.open else "#42505a"
        lines.append(
            f"<span style='color:{color}'><b>Deviation #{d.seq}</b> at {Step(d.step).label} "
            f"({state}): {d.detail}</span>"
        )
    return "<br>".join(lines)


class UnitTimeline(QWidget):
    """One unit: custody summary line and the timeline tree."""

    def __init__(self, unit: UnitView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.unit = unit
        #: Ledger entry number -> the event or correction it shows (Python objects stay
        #: on the Python side; the tree items only carry the number).
        self.entries: dict[int, tuple[str, Any]] = {}
        now = Step(unit.current_step).label if unit.current_step else "not started"
        nxt = ", ".join(Step(s).label for s in unit.next_steps) or "nothing (journey complete)"
        holder = f"{unit.custodian_name} ({unit.custodian})" if unit.custodian else "nobody yet"
        self.summary = QLabel(
            f"<b>Held by</b> {holder} &nbsp;·&nbsp; <b>Where</b> {unit.location or '—'}"
            f"<br><b>Now</b> {now} &nbsp;·&nbsp; <b>Next</b> {nxt}"
            + (f"<br><b>Split from</b> {unit.parent}" if unit.parent else "")
        )
        self.summary.setObjectName("Banner")
        self.summary.setWordWrap(True)
        #: Running clocks and deviations: what must not be missed about this bag now.
        self.alerts = QLabel(unit_alerts_html(unit))
        self.alerts.setObjectName("UnitAlerts")
        self.alerts.setWordWrap(True)
        self.alerts.setVisible(bool(unit.windows or unit.deviations))
        self.tree = QTreeWidget()
        self.tree.setObjectName("Timeline")
        self.tree.setColumnCount(6)
        self.tree.setHeaderLabels(["#", "Step", "When", "Where · °C", "Signatures", "Note"])
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        header = self.tree.header()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for col, width in enumerate((56, 220, 180, 230, 430)):
            self.tree.setColumnWidth(col, width)
        for event in unit.events:
            item = self._event_item(event)
            self.tree.addTopLevelItem(item)
            for i in range(item.childCount()):  # spans only take once the item is in a tree
                item.child(i).setFirstColumnSpanned(True)
        self.tree.expandAll()
        if self.tree.topLevelItemCount():
            self.tree.setCurrentItem(self.tree.topLevelItem(self.tree.topLevelItemCount() - 1))
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.alerts)
        layout.addWidget(self.tree, 1)

    def _event_item(self, e: EventView) -> QTreeWidgetItem:
        step = Step(e.step)
        where = e.location or "—"
        if e.temperature_c is not None:
            where += f" · {e.temperature_c:g} °C"
        label = step.label + (" ⇄" if step in HANDOFFS else "")
        when = local_display(e.occurred_at)
        item = QTreeWidgetItem(
            [
                str(e.seq),
                label,
                when,
                where,
                signature_text(e.signatures, when[:10]),
                e.note or "",
            ]
        )
        item.setToolTip(
            1, f"{step.label}" + (" — a handoff: two signatures" if step in HANDOFFS else "")
        )
        item.setToolTip(4, signature_text(e.signatures))
        item.setToolTip(3, where)
        item.setData(0, EntryRole, e.seq)
        self.entries[e.seq] = ("event", e)
        if e.voided:
            font = QFont(item.font(1))
            font.setStrikeOut(True)
            for col in range(6):
                item.setFont(col, font)
                item.setForeground(col, QBrush(QColor("#7a848c")))
            item.setText(1, f"{label} — VOIDED")
        for c in e.corrections:
            # One row spanning the table, under the entry it corrects: old and new
            # value side by side, the reason and the signature, never cut short.
            child = QTreeWidgetItem(
                [
                    f"↳ #{c.seq}  {correction_text(c)}  ·  "
                    f"{signature_text(c.signatures) or 'unsigned'}"
                ]
            )
            child.setToolTip(0, child.text(0))
            child.setForeground(0, QBrush(QColor("#7a4b00")))
            child.setData(0, EntryRole, c.seq)
            self.entries[c.seq] = ("correction", c)
            item.addChild(child)
        return item

    def selected_event(self) -> EventView | None:
        item = self.tree.currentItem()
        while item is not None:
            kind, value = self.entries[int(item.data(0, EntryRole))]
            if kind == "event":
                return value  # type: ignore[no-any-return]
            item = item.parent()
        return None


class CaseView(QWidget):
    """The whole case: patient banner, a tab per unit, and the actions."""

    back = Signal()
    record_step = Signal(str, str)  # coi, unit
    correct_event = Signal(object, object)  # CaseDetail, EventView
    correct_case = Signal(object)  # CaseDetail
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
        self.title = QLabel()
        self.title.setObjectName("Title")
        self.facts = QLabel()
        self.facts.setWordWrap(True)
        self.coi = QLabel()
        self.coi.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.coi.setStyleSheet("font-family: 'DejaVu Sans Mono', monospace; font-size: 20px;")
        self.tabs = QTabWidget()
        self.tabs.setObjectName("Units")
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
        self.bedside_button = QPushButton("Bedside check…")
        self.patient_button = QPushButton("Patient event…")
        self.review_button = QPushButton("Review deviation…")
        self.review_button.setToolTip("QA: accept, quarantine or reject this bag's deviation")
        self.override_button = QPushButton("Override infusion gate…")
        self.override_button.setToolTip("QA: let this bag past one infusion gate, with a reason")
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
        """Load ``coi`` (or the case of a unit id) from the service and show it."""
        from cart_chain.services.cases import show_case

        keep = self.tabs.currentIndex() if self.detail and self.detail.coi == coi else 0
        detail = show_case(self.session.db, coi)
        self.set_detail(detail, keep)
        return detail

    def set_detail(self, detail: CaseDetail, tab: int = 0) -> None:
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
        events = getattr(detail, "patient_events", ())
        if events:
            from cart_chain.ui.bedside import EVENT_NAMES

            self.facts.setText(
                self.facts.text()
                + "<br>Patient: "
                + " &nbsp;·&nbsp; ".join(
                    f"{EVENT_NAMES.get(e.kind, e.kind)} {local_display(e.occurred_at)}"
                    for e in events
                    if e.kind in EVENT_NAMES
                )
            )
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
            self.tabs.addTab(UnitTimeline(unit), f"U{unit.number:02d} · {step}")
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
