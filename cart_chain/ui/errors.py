"""Turning errors into messages: the user's mistake, the machine, or our bug.

A `RuleViolation` is something the user can correct, shown inline where they
are working. An `EnvironmentProblem` (disk full, database busy) is not their
fault and not ours: say what happened and that nothing was saved. Anything
else is a bug in cart-chain: say so plainly, log the traceback, and never
pretend it was the user's input.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Literal

from cart_chain.domain.errors import CartChainError, EnvironmentProblem, VerificationFailed

if TYPE_CHECKING:
    from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

log = logging.getLogger("cart_chain.ui")

Kind = Literal["rule", "environment", "integrity", "bug"]


def classify(exc: BaseException) -> Kind:
    if isinstance(exc, EnvironmentProblem):
        return "environment"
    if isinstance(exc, VerificationFailed):
        return "integrity"
    if isinstance(exc, CartChainError):
        return "rule"
    return "bug"


def describe(exc: BaseException) -> str:
    """The one-paragraph text for ``exc``, with its family made explicit."""
    kind = classify(exc)
    text = str(exc) or type(exc).__name__
    if kind == "rule":
        return text[:1].upper() + text[1:]
    if kind == "environment":
        return f"The workstation or database stopped this: {text}. Nothing was saved."
    if kind == "integrity":
        return f"The records failed verification: {text}. Call QA before continuing."
    return (
        f"This is a bug in cart-chain ({type(exc).__name__}: {text}). Nothing was saved. "
        "Please report it with the time it happened; details are in the log file."
    )


def show_error(parent: QWidget | None, exc: BaseException, action: str) -> QMessageBox:
    """Show ``exc`` in a window-modal box (non-blocking) and return the box."""
    from PySide6.QtWidgets import QMessageBox

    kind = classify(exc)
    if kind == "bug":
        log.exception("bug while trying to %s", action, exc_info=exc)
    else:
        log.info("%s refused: %s", action, exc)
    icon = {
        "rule": QMessageBox.Icon.Warning,
        "environment": QMessageBox.Icon.Warning,
        "integrity": QMessageBox.Icon.Critical,
        "bug": QMessageBox.Icon.Critical,
    }[kind]
    title = {
        "rule": f"Cannot {action}",
        "environment": "Workstation problem",
        "integrity": "Records failed verification",
        "bug": "Unexpected error (a bug)",
    }[kind]
    box = QMessageBox(icon, title, describe(exc), QMessageBox.StandardButton.Ok, parent)
    box.setObjectName(f"error-{kind}")
    box.open()
    return box


def error_label() -> QLabel:
    """The hidden, red, word-wrapped line a dialog shows a refusal in (style: #Error)."""
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    label.setObjectName("Error")
    label.setWordWrap(True)
    label.hide()
    return label
