"""A unit's chain as a timeline: who holds it, where, what comes next, everything done.

One card per entry of `services.timeline` (custody steps, bedside checks, label
prints and voids, deviations, QA overrides), oldest first, the newest scrolled
into view. Every text is a word-wrapped label in a scroll area that never
scrolls sideways, so nothing is cut short behind an ellipsis at any width: a
signature shows its meaning, printed name, user name, date and time (Part 11
§11.50) in full, for both signers. Corrections sit under the step they correct,
old and new value side by side: the original is never hidden. Click a card or
move with Up/Down to select a step for "Correct selected".
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont, QKeyEvent, QMouseEvent, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QLabel,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.clock import local_display
from cart_chain.domain.steps import Step
from cart_chain.services.timeline import STEP, step_entry

if TYPE_CHECKING:
    from cart_chain.services.timeline import TimelineEntry
    from cart_chain.services.views import (
        CorrectionView,
        EventView,
        SignatureView,
        UnitView,
    )

FIELD_NAMES = {
    "location": "location",
    "temperature_c": "temperature °C",
    "note": "note",
    "occurred_at": "time",
    "void": "void",
    "volume_ml": "volume (mL)",
    "anticoagulant": "anticoagulant",
    "patient_name": "patient name",
    "patient_dob": "date of birth",
    "mrn": "MRN",
    "product": "product",
}
RED = "#b00020"


def signature_line(s: SignatureView) -> str:
    """Meaning, printed name, user name, date and time (Part 11 §11.50), in full."""
    return f"{s.meaning} {s.printed_name} ({s.username}) · {local_display(s.signed_at)}"


def signature_text(sigs: tuple[SignatureView, ...]) -> str:
    return "\n".join(signature_line(s) for s in sigs)


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
                f"<span style='color:{RED}'><b>{w.name.capitalize()} window OVERDUE</b> "
                f"by {_minutes(w.remaining_minutes)} (ended {ends})</span>"
            )
        else:
            lines.append(
                f"<b>{w.name.capitalize()} window:</b> {_minutes(w.remaining_minutes)} left "
                f"(ends {ends})"
            )
    for d in unit.deviations:
        state = "awaiting QA review" if d.decision is None else f"QA: {d.decision}"
        color = RED if d.open else "#42505a"
        lines.append(
            f"<span style='color:{color}'><b>Deviation #{d.seq}</b> at {Step(d.step).label} "
            f"({state}): {d.detail}</span>"
        )
    return "<br>".join(lines)


def _text(text: str, *, bold: bool = False, color: str | None = None) -> QLabel:
    """A plain-text (records are data, never markup), word-wrapped label; a click on it
    goes to its card."""
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)  # the card selects
    if bold:
        font = QFont(label.font())
        font.setBold(True)
        label.setFont(font)
    if color:
        label.setStyleSheet(f"color: {color};")
    return label


class EntryCard(QFrame):
    """One timeline entry: title and time, facts, signatures, corrections."""

    clicked = Signal(object)  # the card

    def __init__(self, entry: TimelineEntry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        self.setObjectName("TimelineCard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        color = RED if entry.alert and not entry.voided else None
        when = local_display(entry.at) if entry.at else "—"
        self.title = _text(f"#{entry.seq}  {entry.title}  ·  {when}", bold=True, color=color)
        self.labels: list[QLabel] = [self.title]
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 6, 10, 6)
        layout.setSpacing(2)
        layout.addWidget(self.title)
        for line in entry.lines:
            self._add(layout, _text(line, color=color))
        for s in entry.signatures:
            self._add(layout, _text(signature_line(s)))
        self.corrections: list[QLabel] = []
        for c in entry.event.corrections if entry.event else ():
            signed = signature_text(c.signatures) or "unsigned"
            label = _text(f"↳ #{c.seq}  {correction_text(c)}  ·  {signed}", color="#7a4b00")
            self.corrections.append(label)
            self._add(layout, label)
        if entry.voided:
            for label in self.labels:
                font = QFont(label.font())
                font.setStrikeOut(True)
                label.setFont(font)
                label.setStyleSheet("color: #7a848c;")
        self.set_selected(False)

    def _add(self, layout: QVBoxLayout, label: QLabel) -> None:
        self.labels.append(label)
        layout.addWidget(label)

    def text(self) -> str:
        """Everything the card shows, one line per label."""
        return "\n".join(label.text() for label in self.labels)

    def set_selected(self, on: bool) -> None:
        self.selected = on
        edge = RED if self.entry.alert and not self.entry.voided else "#c5ced6"
        back = "#dbe9f7" if on else "transparent"
        self.setStyleSheet(
            f"#TimelineCard {{ background: {back}; border: 1px solid #c5ced6; "
            f"border-left: 4px solid {edge}; }}"
        )

    def mousePressEvent(self, event: QMouseEvent) -> None:
        self.clicked.emit(self)
        super().mousePressEvent(event)


class UnitTimeline(QWidget):
    """One unit: custody summary line, live alerts, and its timeline of cards."""

    def __init__(
        self,
        unit: UnitView,
        entries: tuple[TimelineEntry, ...] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.unit = unit
        if entries is None:  # the custody steps only
            entries = tuple(step_entry(e) for e in unit.events)
        self.entries = entries
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
        self.body = QWidget()
        column = QVBoxLayout(self.body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(6)
        self.cards: list[EntryCard] = []
        for entry in entries:
            card = EntryCard(entry)
            card.clicked.connect(self.select_card)
            self.cards.append(card)
            column.addWidget(card)
        if not entries:
            column.addWidget(_text("Nothing recorded for this bag yet."))
        column.addStretch(1)
        self.scroll = QScrollArea()
        self.scroll.setObjectName("Timeline")
        self.scroll.setWidget(self.body)
        self.scroll.setWidgetResizable(True)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addWidget(self.alerts)
        layout.addWidget(self.scroll, 1)
        self.current: EntryCard | None = None
        #: Keep the newest entry in view while the cards are laid out (their heights
        #: settle only once the tab has its width), until the user picks an entry.
        self.following = True
        self.scroll.verticalScrollBar().rangeChanged.connect(self._range_changed)
        steps = [c for c in self.cards if c.entry.kind == STEP]
        if steps:  # the latest step: what "Correct selected" takes by default
            self.select_card(steps[-1], scroll=False)

    # -- selection ------------------------------------------------------------------

    def select_card(self, card: EntryCard, scroll: bool = True) -> None:
        if scroll:
            self.following = False
        if self.current is not None:
            self.current.set_selected(False)
        self.current = card
        card.set_selected(True)
        if scroll:
            self.scroll.ensureWidgetVisible(card, 0, 0)

    def select_seq(self, seq: int) -> None:
        """Select the custody step (or other entry) recorded as ledger entry ``seq``."""
        found = [c for c in self.cards if c.entry.seq == seq]
        if found:
            self.select_card(next((c for c in found if c.entry.kind == STEP), found[0]))

    def selected_event(self) -> EventView | None:
        return self.current.entry.event if self.current is not None else None

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.cards and event.key() in (Qt.Key.Key_Up, Qt.Key.Key_Down):
            i = self.cards.index(self.current) if self.current in self.cards else len(self.cards)
            i += -1 if event.key() == Qt.Key.Key_Up else 1
            self.select_card(self.cards[max(0, min(i, len(self.cards) - 1))])
            return
        super().keyPressEvent(event)

    # -- the newest entry in view ---------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        QTimer.singleShot(0, self, self.scroll_to_newest)  # dropped if deleted first

    def _range_changed(self, _low: int, high: int) -> None:
        if self.following:
            self.scroll.verticalScrollBar().setValue(high)

    def scroll_to_newest(self) -> None:
        """Scroll the newest entry into view (once laid out, at any window size)."""
        if self.cards:
            bar = self.scroll.verticalScrollBar()
            bar.setValue(bar.maximum())
