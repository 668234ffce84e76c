"""Names of patient events, QA decisions and infusion gates (shared by all layers)."""

from __future__ import annotations

PATIENT_EVENTS = (
    "bridging_start",
    "bridging_end",
    "lymphodepletion_start",
    "lymphodepletion_end",
    "premedication",  # given before infusion; its window comes from the product profile
)
BEDSIDE = "bedside_check"
DECISIONS = ("accept", "reject", "quarantine")
GATES = ("released_and_received", "lymphodepletion", "bedside_check", "post_thaw_window")
