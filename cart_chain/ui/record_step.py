"""Record a custody step: scan the bag, answer only what the step needs, sign.

The scan field has the focus when the dialog opens. A keyboard-wedge scanner
types the code and ends it with Enter (or Tab); that selects the unit and its
next step. When the dialog was opened for a case, a bag of any other patient is
stopped with a red, blocking alert and a beep, and nothing is recorded.
The performer re-enters their password; the receiver or witness, a different
person, signs with user name and password in the same dialog. Enter in a field
moves to the next one; only Enter in the last password signs (`enter_keys`),
so a scanner's Enter in the location field never saves. A thaw or an
infusion also asks when it began (`step_fields`), as its product's time limits
need; the service judges every value inside its write, and its refusals stay in
the dialog with nothing recorded.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.errors import MalformedScan, UnknownLabel, VoidedLabel, WrongPatient
from cart_chain.domain.roles import Role
from cart_chain.domain.steps import HANDOFFS, Step, steps_for
from cart_chain.ui import prefs
from cart_chain.ui.alarm import StopAlert, stop_alert
from cart_chain.ui.checklist_panel import ChecklistPanel
from cart_chain.ui.condition_import import ImportLoggerDialog
from cart_chain.ui.enter_keys import enter_moves_on
from cart_chain.ui.errors import classify, describe, error_label, show_error
from cart_chain.ui.file_drop import FileDrop
from cart_chain.ui.fit import FittedScroll
from cart_chain.ui.signature import SignatureBlock, title_signatures
from cart_chain.ui.step_fields import StepFields
from cart_chain.ui.stop_scan import ScanKeys, not_a_code

if TYPE_CHECKING:
    from cart_chain.domain.windows import StartTime
    from cart_chain.services.views import BagState, CaseDetail, Receipt
    from cart_chain.ui.session import Session

log = logging.getLogger("cart_chain.ui.record")


class RecordStepDialog(QDialog):
    """Scan → step → fields → signatures → save."""

    recorded = Signal(object, str, str)  # Receipt, unit, step
    #: unit, step: after every save; the labels service says which label.
    label_offered = Signal(str, str)

    def __init__(
        self,
        session: Session,
        expected_coi: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.expected_coi = expected_coi
        self.case: CaseDetail | None = None
        self.unit: BagState | None = None
        self.scanned_text: str | None = None  # what was scanned, re-checked when saving
        self.alert: StopAlert | None = None
        self.setWindowTitle("Record a step — cart-chain")
        self.setMinimumWidth(760)

        self.patient = QLabel()
        self.patient.setObjectName("Banner")
        self.patient.setWordWrap(True)
        self.scan = QLineEdit()
        self.scan.setObjectName("Scan")
        self.scan.setPlaceholderText("Scan the bag label (or type the unit id) and press Enter")
        self.scan.installEventFilter(ScanKeys(self))
        self.unit_label = QLabel("No bag scanned yet.")
        self.unit_label.setWordWrap(True)
        self.checklist = ChecklistPanel(session)  # thaw, infusion: what infusion still needs
        self.step = QComboBox()
        self.step.setObjectName("Step")
        self.by = SignatureBlock("Performed by", session)
        self.to = SignatureBlock("Received by")
        self.error = error_label()
        self.save = QPushButton("Sign and save")
        self.save.setObjectName("Primary")
        self.save.setDefault(True)
        self.save.setEnabled(False)
        self.cancel = QPushButton("Cancel")
        self.cancel.setAutoDefault(False)

        self.form = QFormLayout()
        self.form.addRow("Step", self.step)
        self.form.addRow(self.checklist)  # under the step, above every field and password
        self.fields = StepFields(self.form, session.user.username)
        #: The fields by name, as tests and the keyboard reach them.
        self.location = self.fields.location
        self.temperature = self.fields.temperature
        self.volume = self.fields.volume
        self.anticoagulant = self.fields.anticoagulant
        self.started = self.fields.started
        self.completed = self.fields.completed
        signatures = QHBoxLayout()
        signatures.addWidget(self.by)
        signatures.addWidget(self.to)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel)
        buttons.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(self.patient)
        layout.addWidget(QLabel("Bag"))
        layout.addWidget(self.scan)
        layout.addWidget(self.unit_label)
        # The step's fields and the signatures scroll when a step asks more than a
        # small screen holds (a thaw at 1280x800); the buttons stay in view.
        self.scroll = FittedScroll(self.form, signatures)
        layout.addWidget(self.scroll, 1)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

        self.step.currentIndexChanged.connect(self._step_changed)
        self.to.username.editingFinished.connect(self._show_meanings)
        self.save.clicked.connect(self.submit)
        self.cancel.clicked.connect(self.reject)
        self._set_form_enabled(False)
        self._show_patient()
        enter_moves_on(self, self.signing_field, self.scan)
        # A logger file dropped anywhere on a receipt fills its row, never a field.
        FileDrop(self, self.fields.logger_file, self.fields.logger_row)
        self.scan.setFocus()

    # -- scanning -------------------------------------------------------------------

    def _show_patient(self) -> None:
        if self.case is None and self.expected_coi is not None:
            from cart_chain.services.case_detail import show_case

            self.case = show_case(self.session.db, self.expected_coi)
        if self.case is None:
            self.patient.setText("Scan a bag: its patient will be shown here for checking.")
            return
        c = self.case
        self.patient.setText(
            f"<span style='font-size:20px; font-weight:700'>{c.patient_name}</span>"
            f"<br>Born {c.patient_dob} · MRN <b>{c.mrn}</b> · {c.product}"
            f"<br>COI <span style='font-family:monospace'>{c.grouped}</span>"
        )

    def scan_entered(self) -> None:
        """A scan ended (Enter or Tab): resolve it through the scanning service, or refuse.

        The service checks the patient first, so another patient's bag is always
        reported as wrong patient, never softened into "not found".
        """
        from cart_chain.services.case_detail import show_case
        from cart_chain.services.scanning import scan

        text = self.scan.text()
        self.error.hide()
        try:
            result = scan(
                self.session.db, text, expect=self.expected_coi, source=prefs.scan_source()
            )
            unit = result.unit
            if unit is None:
                if len(result.units) != 1:
                    raise MalformedScan(
                        f"{result.coi_grouped} is the case (COI) of {len(result.units)} bags; "
                        "scan the bag's own label"
                    )
                unit = result.units[0]
            if self.case is None or self.case.coi != result.coi:
                self.case = show_case(self.session.db, result.coi)
                self.expected_coi = result.coi
                self._show_patient()
        except WrongPatient as exc:
            self._wrong_patient(text, exc)
            return
        except (UnknownLabel, VoidedLabel) as exc:
            self._log_refused(text, str(exc))  # a stale or foreign label is evidence too
            self._refuse(f"{describe(exc)}. Scan again.")
            return
        except Exception as exc:
            if classify(exc) == "rule":
                self._refuse(f"{describe(exc)}. Scan again.")
            else:
                self._fail(exc, "read the scanned bag")
            return
        self.scanned_text = text if result.unit is not None else unit.unit
        self._select(unit)

    def take_scan(self, text: str) -> None:
        """A scan routed here by the scan router from any field of the dialog: it goes to
        the scan check, never into the focused field. A bag already selected stays for a
        barcode that names no bag (`not_a_code`); for any other it is let go first, so
        a refused second scan (another patient's bag) leaves nothing to sign."""
        if self.unit is not None:
            why = not_a_code(self.session, text)
            if why is not None:
                self.scan_refused(f"Scan refused: {why}. The bag selected is unchanged.")
                return
            self.unit = None
            self.scanned_text = None
            self._set_form_enabled(False)
            self.unit_label.setText("No bag scanned yet.")
        self.scan.setReadOnly(False)
        self.scan.setText(text)
        self.scan_entered()

    def scan_refused(self, reason: str) -> None:
        self.error.setText(reason)
        self.error.show()

    def _select(self, unit: BagState) -> None:
        self.unit = unit
        self.scan.setText(unit.grouped)
        self.scan.setReadOnly(True)
        now = Step(unit.current_step).label if unit.current_step else "not started"
        held = f" · held by {unit.custodian_name}" if unit.custodian_name else ""
        self.unit_label.setText(
            f"<b>Bag U{unit.number:02d} of {unit.of}</b> · now: {now}{held}"
            + (f" · at {unit.location}" if unit.location else "")
        )
        self.step.blockSignals(True)
        self.step.clear()
        # The step offered first is the logged-in user's own (`steps.steps_for`).
        holds = unit.custodian == self.session.user.username
        for s in steps_for(Role(self.session.user.role), unit.next_steps, holds):
            self.step.addItem(s.label, s.value)
        self.step.blockSignals(False)
        if not unit.next_steps:
            self._refuse("This bag's journey is complete: no further step can be recorded.")
            return
        self._set_form_enabled(True)
        self._step_changed()
        self.location.setFocus()
        self.location.selectAll()

    def _refuse(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()
        self.scan.selectAll()
        self.scan.setFocus()

    def _wrong_patient(self, scanned: str, exc: BaseException, *, log_it: bool = True) -> None:
        """Stop: the bag is another patient's. Red, blocking, audible; nothing saved."""
        if log_it:  # a refusal inside a service's write is recorded by the service
            self._log_refused(scanned, str(exc))
        expected = self.case.patient_name if self.case else "this case"
        self.alert = stop_alert(
            self,
            "WRONG PATIENT — STOP",
            f"This bag does not belong to {expected}.",
            describe(exc).removeprefix("WRONG PATIENT - STOP: "),
            "Nothing was recorded. Put the bag aside, check its label against the "
            "patient's wristband, and scan the correct bag.",
        )
        self.alert.finished.connect(lambda _: self._after_alert())
        self.error.setText("Wrong patient: the last scanned bag was refused. Nothing recorded.")
        self.error.show()

    def _after_alert(self) -> None:
        self.scan.clear()
        self.scan.setFocus()

    def _log_refused(self, scanned: str, reason: str) -> None:
        """Record the refusal in the ledger (a wrong-patient scan is a near miss)."""
        from cart_chain.services.scanning import record_refused_scan

        try:
            record_refused_scan(
                self.session.db,
                self.session.user.username,
                self.expected_coi,
                scanned,
                reason,
                prefs.scan_source(),
            )
        except Exception:  # the alert matters more than its record; the log keeps it
            log.exception("could not record the refused scan: %s", reason)

    # -- the form ---------------------------------------------------------------------

    def _set_form_enabled(self, on: bool) -> None:
        self.step.setEnabled(on)
        self.fields.set_enabled(on)
        self.by.setEnabled(on)
        self.to.setEnabled(on)
        self.save.setEnabled(on)

    def selected_step(self) -> Step | None:
        data = self.step.currentData()
        return Step(data) if data else None

    def _step_changed(self) -> None:
        step = self.selected_step()
        if step is None:
            return
        self.fields.show_step(step, self._start_time(step))
        self.checklist.show_step(step, self.unit.unit if self.unit else None)
        self.by.refresh()
        self.to.setVisible(step in HANDOFFS)
        self._show_meanings()
        handoff = step in HANDOFFS
        title = "Record handoff" if handoff else "Record step"
        self.setWindowTitle(f"{title}: {step.label} — cart-chain")
        self.scroll.fit(self)

    def _show_meanings(self) -> None:
        step = self.selected_step()
        if step is not None:
            holds = self.unit is not None and self.unit.custodian == self.session.user.username
            title_signatures(self.by, self.to if step in HANDOFFS else None, step, holds)

    def _start_time(self, step: Step) -> StartTime | None:
        """How to ask when ``step`` began, from this case's profile (a service read)."""
        from cart_chain.services.profiles import step_start_time

        if self.unit is None:
            return None
        try:
            return step_start_time(self.session.db, self.unit.unit, step)
        except Exception as exc:  # the service refuses the record later if it must
            log.warning("could not read the profile's start time: %s", type(exc).__name__)
            return None

    def signing_field(self) -> QLineEdit:
        """The last password of the step: Enter there signs, Enter anywhere else moves on."""
        step = self.selected_step()
        return self.to.password if step in HANDOFFS else self.by.password

    def submit(self) -> None:
        """Sign and save through `custody.record_event`; errors stay in the dialog."""
        if self.unit is None:
            self._refuse("Scan the bag first.")
            return
        step = self.selected_step()
        assert step is not None
        from cart_chain.services.custody import record_event

        try:
            values = self.fields.values(step)
            by = self.by.credentials()
            to = self.to.credentials() if step in HANDOFFS else None
            # The service refuses one person on both sides, gives each person the side
            # their role holds, and checks the scan again inside its write.
            receipt: Receipt = record_event(
                self.session.db,
                self.scanned_text or self.unit.unit,
                step,
                by,
                to,
                expect=self.expected_coi,
                source=prefs.scan_source(),
                **values,
            )
        except WrongPatient as exc:
            self.by.clear_password()
            self.to.clear_password()
            self._wrong_patient(self.scanned_text or "", exc, log_it=False)
            return
        except Exception as exc:
            self.by.clear_password()
            self.to.clear_password()
            self._fail(exc, "record the step")
            return
        self.session.signed()
        self.fields.remember(step, values["location"])
        self.error.hide()
        self.recorded.emit(receipt, self.unit.unit, step.value)
        self.session.changed.emit()
        self.accept()
        # Which label (if any) the next holder needs is the labels service's rule.
        self.label_offered.emit(self.unit.unit, step.value)
        if (logger := self.fields.logger_path(step)) is not None:  # picked with the receipt:
            # imported and signed in its own dialog, prefilled (a file may need its zone)
            ImportLoggerDialog(self.session, self.unit.unit, self.parentWidget(), logger).open()

    def _fail(self, exc: BaseException, action: str) -> None:
        """Said in the form; anything but a rule refusal also gets the error dialog."""
        self.error.setText(describe(exc))
        self.error.show()
        if classify(exc) != "rule":
            show_error(self, exc, action)
