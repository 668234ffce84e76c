"""What the collection step records beside custody: the product's volume and anticoagulant.

The ST-018 collection label prints both; a step that records neither leaves a
line to be written in by hand. Only the collection step takes them: another
step's volume would be a different quantity (and the anticoagulant is added at
collection).
"""

from __future__ import annotations

import math

from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.steps import Step
from cart_chain.domain.text import single_line

#: The largest apheresis collection volume accepted (mL).
MAX_VOLUME_ML = 2000.0
#: An anticoagulant is a short name ("ACD-A", "heparin"); the clean_name rules apply.
ANTICOAGULANT_LIMIT = 40


def check_volume(value: float | None) -> float | None:
    """The collected volume in mL, 0 < v <= 2000, or None when not recorded."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidValue("the collected volume is a number of mL")
    if not 0 < value <= MAX_VOLUME_ML:
        raise InvalidValue(
            f"the collected volume must be more than 0 and at most {MAX_VOLUME_ML:g} mL"
        )
    return float(value)


def parse_volume(text: str | None) -> float | None:
    """A typed volume in mL ("450", "450,5"); blank is None. Checked by `check_volume`."""
    if text is None or not text.strip():
        return None
    try:
        value = float(text.strip().replace(",", "."))
    except ValueError:
        raise InvalidValue(f"volume {text!r} is not a number (mL)") from None
    return check_volume(value)


def clean_anticoagulant(value: str | None) -> str | None:
    """The anticoagulant's name: one line, at most 40 characters; blank is None."""
    if value is None:
        return None
    return single_line(value, "anticoagulant", ANTICOAGULANT_LIMIT, required=False) or None


def check_collection_facts(step: Step, volume_ml: float | None, anticoagulant: str | None) -> None:
    """Refuse a volume or anticoagulant on any step but the collection."""
    if step is not Step.COLLECTION and (volume_ml is not None or anticoagulant is not None):
        raise InvalidValue(
            f"volume and anticoagulant are recorded at the collection step, not at {step.value}"
        )
