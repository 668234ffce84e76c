"""A unit's chain as a timeline: who holds it, where, what comes next, every step.

Signatures are shown with their printed name, time and meaning (Part 11
§11.50), and every correction sits under the entry it corrects with the old
and the new value side by side: the original is never hidden.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.clock import local_display
from cart_chain.domain.steps import HANDOFFS, Step

if TYPE_CHECKING:
    from cart_chain.services.views import (
        CorrectionView,
        EventView,
        SignatureView,
        UnitView,
    )

EntryRole = Qt.ItemDataRole.UserRole + 1
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
