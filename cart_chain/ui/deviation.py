"""QA's signed decisions: reviewing a deviation, and overriding an infusion gate.

A breach was recorded with the step that caused it; the review adds QA's decision
(accept: the bag may go on; quarantine; reject) and reason. An override lets one
bag past one infusion gate with a reason; it shows on every report. Both are the
same form: one choice, a reason, a signature. Nothing is preselected (QA decides,
not a default), and a reject - final, the bag is lost - asks once more.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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
from cart_chain.ui.confirm import confirm
from cart_chain.ui.errors import classify, describe, error_label, show_error
from cart_chain.ui.signature import SignatureBlock
from cart_chain.ui.titles import set_title

if TYPE_CHECKING:
    from cart_chain.services.accounts import Credentials
    from cart_chain.services.views import DeviationView, Receipt
    from cart_chain.ui.session import Session

DECISION_TEXT = {
    "accept": "Accept: the bag may go on",
    "quarantine": "Quarantine: hold the bag until a further decision",
    "reject": "Reject: the bag may not be used",
}
GATE_TEXT = {
    "released_and_received": "Released by QA and received at the site",
    "lymphodepletion": "Lymphodepletion ended within the product's window",
    "bedside_check": "Bedside identity check passed after thaw",
    "post_thaw_window": "Post-thaw window not expired",
}


class QaDecisionDialog(QDialog):
    """One choice, a required reason and QA's signature; subclasses say what is saved."""

    saved = Signal(object)  # Receipt
    action = "save the decision"

    def __init__(
        self,
        session: Session,
        title: str,
        intro: str,
        label: str,
        choices: dict[str, str],
        placeholder: str,
        button: str,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.session = session
        set_title(self, f"{title} — cart-chain")
        self.setMinimumWidth(640)
        banner = QLabel(intro)
        banner.setObjectName("Banner")
        banner.setWordWrap(True)
        self.label = label
        self.choice = QComboBox()
        self.choice.setObjectName("Decision")
        for value, text in choices.items():
            self.choice.addItem(text, value)
        self.choice.setPlaceholderText("choose")
        self.choice.setCurrentIndex(-1)  # no preset: the signer chooses
        self.reason = QPlainTextEdit()
        self.reason.setTabChangesFocus(True)
        self.reason.setFixedHeight(70)
        self.reason.setPlaceholderText(placeholder)
        self.signature = SignatureBlock("Verified by", session)
        self.error = error_label()
        self.save = QPushButton(button)
        self.save.setObjectName("Primary")
        self.save.setDefault(True)
        cancel = QPushButton("Cancel")
        cancel.setAutoDefault(False)
        form = QFormLayout()
        form.addRow(label, self.choice)
        form.addRow("Reason", self.reason)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.save)
        layout = QVBoxLayout(self)
        layout.addWidget(banner)
        layout.addLayout(form)
        layout.addWidget(self.signature)
        layout.addWidget(self.error)
        layout.addLayout(buttons)
        self.save.clicked.connect(self.submit)
        cancel.clicked.connect(self.reject)
        self.choice.setFocus()

    def store(self, choice: str, reason: str, by: Credentials) -> Receipt:
        raise NotImplementedError

    def confirmed(self, choice: str) -> bool:
        """Whether ``choice`` may be saved; a subclass asks for a final one."""
        return True

    def submit(self) -> None:
        reason = self.reason.toPlainText().strip()
        try:
            if self.choice.currentIndex() < 0:
                raise InvalidValue(f"choose the {self.label.lower()}")
            if not reason:
                raise InvalidValue("a reason is required")
            if not self.confirmed(self.choice.currentData()):
                return
            receipt = self.store(self.choice.currentData(), reason, self.signature.credentials())
        except Exception as exc:
            self.signature.clear_password()
            self.error.setText(describe(exc))
            self.error.show()
            if classify(exc) != "rule":
                show_error(self, exc, self.action)
            return
        self.session.signed()
        self.saved.emit(receipt)
        self.session.changed.emit()
        self.accept()


class DeviationReviewDialog(QaDecisionDialog):
    action = "save the review"

    def __init__(self, session: Session, deviation: DeviationView, parent: Any = None) -> None:
        self.deviation = deviation
        super().__init__(
            session,
            f"Review deviation #{deviation.seq}",
            f"<b>Deviation #{deviation.seq}</b> at {Step(deviation.step).label} of "
            f"{deviation.unit}:<br>{deviation.detail}<br>Limit {deviation.limit}, "
            f"recorded {deviation.actual}.",
            "Decision",
            {d: DECISION_TEXT[d] for d in DECISIONS},
            "the evidence for the decision (required)",
            "Sign decision",
            parent,
        )

    def confirmed(self, choice: str) -> bool:
        if choice != "reject":
            return True
        d = self.deviation
        return confirm(
            self,
            "Reject the bag?",
            f"Reject bag {d.unit} for deviation #{d.seq}? A rejected bag may not be used, "
            "and the decision is final.",
            "Reject the bag",
        )

    def store(self, choice: str, reason: str, by: Credentials) -> Receipt:
        from cart_chain.services.readiness import review_deviation

        return review_deviation(self.session.db, self.deviation.seq, choice, reason, by)


class GateOverrideDialog(QaDecisionDialog):
    action = "save the override"

    def __init__(self, session: Session, unit: str, parent: Any = None) -> None:
        self.unit = unit
        super().__init__(
            session,
            f"Override an infusion gate for {unit}",
            f"Let bag <b>{unit}</b> past one infusion gate. The override, its reason and "
            "your signature appear on every report of this case.",
            "Gate",
            {g: GATE_TEXT[g] for g in GATES},
            "the documented clinical decision (required)",
            "Sign override",
            parent,
        )

    def store(self, choice: str, reason: str, by: Credentials) -> Receipt:
        from cart_chain.services.readiness import override_gate

        return override_gate(self.session.db, self.unit, choice, reason, by)
