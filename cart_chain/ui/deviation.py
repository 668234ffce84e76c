"""QA's signed decisions: reviewing a deviation, and overriding an infusion gate.

A breach was recorded with the step that caused it; the review adds QA's decision
(accept: the bag may go on; quarantine; reject) and reason. An override lets one
bag past one infusion gate with a reason; it shows on every report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.gates import DECISIONS, GATES
from cart_chain.domain.steps import Step
from cart_chain.ui.errors import classify, describe, error_label, show_error
from cart_chain.ui.signature import SignatureBlock

if TYPE_CHECKING:
    from cart_chain.services.views import DeviationView
    from cart_chain.ui.session import Session

DECISION_TEXT = {
    "accept": "Accept: the bag may go on",
    "quarantine": "Quarantine: hold the bag until a further decision",
    "reject": "Reject: the bag may not be used",
}


class DeviationReviewDialog(QDialog):
    reviewed = Signal(object)  # Receipt

    def __init__(
        self, session: Session, deviation: DeviationView, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.deviation = deviation
        self.setWindowTitle(f"Review deviation #{deviation.seq} — cart-chain")
        self.setMinimumWidth(640)
        intro = QLabel(
            f"<b>Deviation #{deviation.seq}</b> at {Step(deviation.step).label} of "
            f"{deviation.unit}:<br>{deviation.detail}<br>Limit {deviation.limit}, "
            f"recorded {deviation.actual}."
        )
        intro.setObjectName("Banner")
        intro.setWordWrap(True)
        self.decision = QComboBox()
        for d in DECISIONS:
            self.decision.addItem(DECISION_TEXT[d], d)
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(70)
        self.reason.setPlaceholderText("the evidence for the decision (required)")
        self.signature = SignatureBlock("Verified by", session)
        self.error = error_label()
        self.save = QPushButton("Sign decision")
        self.save.setObjectName("Primary")
        self.save.setDefault(True)
        cancel = QPushButton("Cancel")
        cancel.setAutoDefault(False)
        form = QFormLayout()
        form.addRow("Decision", self.decision)
        form.addRow("Reason", self.reason)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.signature)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.save.clicked.connect(self.submit)
        cancel.clicked.connect(self.reject)
        self.decision.setFocus()

    def submit(self) -> None:
        from cart_chain.services.readiness import review_deviation

        reason = self.reason.toPlainText().strip()
        try:
            if not reason:
                raise InvalidValue("a deviation review needs a reason")
            receipt = review_deviation(
                self.session.db,
                self.deviation.seq,
                self.decision.currentData(),
                reason,
                self.signature.credentials(),
            )
        except Exception as exc:
            self.signature.clear_password()
            self.error.setText(describe(exc))
            self.error.show()
            if classify(exc) != "rule":
                show_error(self, exc, "save the review")
            return
        self.session.signed()
        self.reviewed.emit(receipt)
        self.session.changed.emit()
        self.accept()


GATE_TEXT = {
    "released_and_received": "Released by QA and received at the site",
    "lymphodepletion": "Lymphodepletion ended within the product's window",
    "bedside_check": "Bedside identity check passed after thaw",
    "post_thaw_window": "Post-thaw window not expired",
}


class GateOverrideDialog(QDialog):
    overridden = Signal(object)  # Receipt

    def __init__(self, session: Session, unit: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.unit = unit
        self.setWindowTitle(f"Override an infusion gate for {unit} — cart-chain")
        self.setMinimumWidth(640)
        intro = QLabel(
            f"Let bag <b>{unit}</b> past one infusion gate. The override, its reason and "
            "your signature appear on every report of this case."
        )
        intro.setObjectName("Banner")
        intro.setWordWrap(True)
        self.gate = QComboBox()
        for g in GATES:
            self.gate.addItem(GATE_TEXT[g], g)
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(70)
        self.reason.setPlaceholderText("the documented clinical decision (required)")
        self.signature = SignatureBlock("Verified by", session)
        self.error = error_label()
        self.save = QPushButton("Sign override")
        self.save.setObjectName("Primary")
        self.save.setDefault(True)
        cancel = QPushButton("Cancel")
        cancel.setAutoDefault(False)
        form = QFormLayout()
        form.addRow("Gate", self.gate)
        form.addRow("Reason", self.reason)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.signature)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.save.clicked.connect(self.submit)
        cancel.clicked.connect(self.reject)
        self.gate.setFocus()

    def submit(self) -> None:
        from cart_chain.services.readiness import override_gate

        reason = self.reason.toPlainText().strip()
        try:
            if not reason:
                raise InvalidValue("an override needs a reason")
            receipt = override_gate(
                self.session.db,
                self.unit,
                self.gate.currentData(),
                reason,
                self.signature.credentials(),
            )
        except Exception as exc:
            self.signature.clear_password()
            self.error.setText(describe(exc))
            self.error.show()
            if classify(exc) != "rule":
                show_error(self, exc, "save the override")
            return
        self.session.signed()
        self.overridden.emit(receipt)
        self.session.changed.emit()
        self.accept()
