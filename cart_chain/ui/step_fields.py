"""What a custody step asks besides the bag and the signatures.

Location always (custody is "who holds it, and where"); temperature and the
bag's condition where a step handles the product; for a thaw or an infusion,
when it began (worded after what the product's limits count from, required
when a limit needs it) and when it was complete (now unless typed); for the
collection, the volume and anticoagulant its label prints (optional). The values
go to `custody.record_event`, which decides whether they may be recorded (the
steps that need a condition are the domain's `steps.CONDITION_STEPS`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QWidget,
)

from cart_chain.domain.collection import parse_volume
from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.steps import CONDITION_STEPS, Step
from cart_chain.domain.windows import StartTime
from cart_chain.ui import prefs
from cart_chain.ui.time_field import TimeField

TEMPERATURE_STEPS = frozenset(
    {
        Step.COLLECTION,
        Step.SHIP_TO_MANUFACTURING,
        Step.RECEIPT_AT_MANUFACTURING,
        Step.CRYOPRESERVATION,
        Step.STORAGE,
        Step.SHIP_TO_SITE,
        Step.RECEIPT_AT_SITE,
        Step.THAW,
    }
)
#: Steps with a start distinct from their completion (the post-thaw clocks).
TIMED_STEPS = frozenset({Step.THAW, Step.INFUSION})
CONDITIONS = (
    "Intact: container and seal undamaged",
    "Damaged container (quarantine)",
    "Seal broken or missing (quarantine)",
    "Temperature excursion (quarantine)",
)


#: Receipts: where the shipper and its temperature logger arrive with the bag.
LOGGER_STEPS = frozenset({Step.RECEIPT_AT_MANUFACTURING, Step.RECEIPT_AT_SITE})
LOGGER_FILES = "Logger files (*.csv *.txt *.tsv *.pdf);;All files (*)"


class StepFields:
    """The per-step rows of the record dialog's form, shown or hidden per step."""

    def __init__(self, form: QFormLayout, username: str) -> None:
        self.form = form
        self.username = username  # whose remembered locations are offered
        self.timed = False  # the shown step asks when it began
        self.location = QLineEdit()
        self.offered = ""  # the remembered location last put in the field
        self.location.setPlaceholderText("where the bag is now (room, tank, shipper)")
        self.temperature = QLineEdit()
        self.temperature.setPlaceholderText("°C, e.g. -150 (optional)")
        self.condition = QComboBox()
        self.condition.setObjectName("Condition")
        self.condition.addItems(CONDITIONS)
        # No preset: a preselected "Intact" would be recorded by anyone who never looked.
        self.condition.setPlaceholderText("choose what you see")
        self.condition.setCurrentIndex(-1)
        self.volume = QLineEdit()
        self.volume.setObjectName("VolumeMl")
        self.volume.setPlaceholderText("mL, e.g. 250 (optional; printed on the label)")
        self.anticoagulant = QLineEdit()
        self.anticoagulant.setObjectName("Anticoagulant")
        self.anticoagulant.setMaxLength(40)
        self.anticoagulant.setPlaceholderText("e.g. ACD-A (optional; printed on the label)")
        self.started = TimeField("Started at")
        self.started.setObjectName("StartedAt")
        self.limits = QLabel()
        self.limits.setWordWrap(True)
        self.completed = TimeField("Completed at", "now, if left empty")
        self.completed.setObjectName("CompletedAt")
        self.note = QPlainTextEdit()
        self.note.setTabChangesFocus(True)
        self.note.setFixedHeight(64)
        self.note.setPlaceholderText("optional note")
        self.started_row = QLabel("Started at")
        # At a receipt the shipper's temperature logger arrives with the bag: its file
        # is picked here and imported, signed, right after the receipt (issue 15).
        self.logger_file = QLineEdit()
        self.logger_file.setObjectName("LoggerFile")
        self.logger_file.setPlaceholderText("shipper's logger file (optional; .csv or .pdf)")
        self.logger_row = QWidget()
        pick = QPushButton("Choose…")
        pick.setAutoDefault(False)
        pick.clicked.connect(self._choose_logger)
        row = QHBoxLayout(self.logger_row)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.logger_file, 1)
        row.addWidget(pick)
        form.addRow("Location", self.location)
        form.addRow("Temperature", self.temperature)
        form.addRow("Condition", self.condition)
        form.addRow("Volume (mL)", self.volume)
        form.addRow("Anticoagulant", self.anticoagulant)
        form.addRow(self.started_row, self.started)
        form.addRow("Limit", self.limits)
        form.addRow("Completed at", self.completed)
        form.addRow("Note", self.note)
        form.addRow("Logger file", self.logger_row)
        hidden = (self.condition, self.volume, self.anticoagulant, self.started, self.logger_row)
        for row in (*hidden, self.limits, self.completed):
            form.setRowVisible(row, False)  # until a step that asks them is shown

    def widgets(self) -> tuple[QWidget, ...]:
        return (
            self.location,
            self.temperature,
            self.condition,
            self.volume,
            self.anticoagulant,
            self.started,
            self.completed,
            self.note,
            self.logger_row,
        )

    def set_enabled(self, on: bool) -> None:
        for w in self.widgets():
            w.setEnabled(on)

    def show_step(self, step: Step, start: StartTime | None) -> None:
        """Show the rows ``step`` asks; ``start`` says how to ask when it began.

        The location offered is where this user last recorded this step, unless they
        already typed (or scanned) one here."""
        # Compared by text, not isModified(): the scan router puts a field's text back
        # with setText when a scan lands in it, and that text is still the user's.
        if self.location.text().strip() in ("", self.offered):
            self.offered = prefs.last_location(self.username, step.value).get()
            self.location.setText(self.offered)
        self.form.setRowVisible(self.temperature, step in TEMPERATURE_STEPS)
        self.form.setRowVisible(self.condition, step in CONDITION_STEPS)
        self.form.setRowVisible(self.volume, step is Step.COLLECTION)
        self.form.setRowVisible(self.anticoagulant, step is Step.COLLECTION)
        self.form.setRowVisible(self.logger_row, step in LOGGER_STEPS)
        timed = step in TIMED_STEPS and start is not None
        self.timed = timed
        self.form.setRowVisible(self.started, timed)
        self.form.setRowVisible(self.completed, timed)
        self.form.setRowVisible(self.limits, timed and bool(start and start.limits))
        if timed and start is not None:
            self.started.what = start.label
            self.started_row.setText(start.label + (" *" if start.required else ""))
            self.started.set_required(start.required)
            self.limits.setText("<br>".join(start.limits))
        else:
            self.started.set_required(False)

    def _choose_logger(self) -> None:
        name, _ = QFileDialog.getOpenFileName(self.logger_row, "Logger file", "", LOGGER_FILES)
        if name:
            self.logger_file.setText(name)

    def logger_path(self, step: Step) -> str | None:
        """The logger file chosen for a receipt, to import once the receipt is signed."""
        text = self.logger_file.text().strip()
        return text if text and step in LOGGER_STEPS else None

    def remember(self, step: Step, location: str) -> None:
        """After a save: offer ``location`` to this user for ``step`` next time."""
        prefs.last_location(self.username, step.value).set(location)

    def values(self, step: Step) -> dict[str, Any]:
        """The keyword arguments for `custody.record_event`; InvalidValue when malformed."""
        temperature = None
        if step in TEMPERATURE_STEPS and self.temperature.text().strip():
            try:
                temperature = float(self.temperature.text().strip().replace(",", "."))
            except ValueError:
                raise InvalidValue(
                    f"temperature {self.temperature.text()!r} is not a number (°C)"
                ) from None
        note = self.note.toPlainText().strip()
        location = self.location.text().strip()
        if not location:
            raise InvalidValue("say where the bag is (location)")
        condition = None
        if step in CONDITION_STEPS:  # required here too, to ask before any password
            if self.condition.currentIndex() < 0:
                raise InvalidValue("choose the bag's condition (nothing is preselected)")
            condition = self.condition.currentText()
        started: datetime | None = None
        completed: datetime | None = None
        if self.timed:
            started = self.started.value()
            completed = self.completed.value()
        collected: dict[str, Any] = {}
        if step is Step.COLLECTION:
            collected = {
                "volume_ml": parse_volume(self.volume.text()),
                "anticoagulant": self.anticoagulant.text().strip() or None,
            }
        return {
            "location": location,
            "temperature_c": temperature,
            "note": note or None,
            "condition": condition,  # its own field of the step, shown as "Condition: ..."
            "started_at": started,
            "occurred_at": completed,
            **collected,
        }
