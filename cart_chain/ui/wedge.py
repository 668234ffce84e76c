"""Telling a keyboard-wedge scan from typing, by its speed.

A keyboard-wedge scanner "types" a whole code in well under 100 ms - a few
milliseconds a character - and ends it with Enter. A person's keys come about
100 ms apart, rarely under 50 ms and never for a whole word. So a field's content
counts as a scan when it has at least `SCAN_MIN_KEYS` characters, all typed (up
to the Enter) at an average under `SCAN_MEAN_GAP_MS` a key, and then Enter comes.
25 ms a key leaves the slowest wedge scanners in use (10-15 ms a character) on
the scan side and the fastest typist on the other; a 14-character code at 25 ms
is 350 ms, a 14-character password typed by a person over a second.

Used where a scan must never be taken as what was typed: a password field (the
lock screen), whose Enter would otherwise submit the scan as a password and
count a failed attempt.
"""

from __future__ import annotations

import time

from PySide6.QtCore import QEvent, QObject, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QLineEdit

from cart_chain.ui.enter_keys import ENTER_KEYS

#: A scan has at least this many characters before its Enter.
SCAN_MIN_KEYS = 4
#: ... typed at an average under this many milliseconds a key (Enter included).
SCAN_MEAN_GAP_MS = 25.0


def is_scan(stamps: list[float], enter_at: float) -> bool:
    """True when keys pressed at ``stamps`` (seconds) then Enter at ``enter_at`` were a scan."""
    if len(stamps) < SCAN_MIN_KEYS:
        return False
    mean_gap_ms = (enter_at - stamps[0]) * 1000 / len(stamps)
    return mean_gap_ms < SCAN_MEAN_GAP_MS


class RefuseScans(QObject):
    """Event filter on a line edit: a scan's Enter is used up, the field cleared, and
    `refused` emitted instead of the field's own Enter (so nothing is submitted)."""

    refused = Signal()

    def __init__(self, field: QLineEdit) -> None:
        super().__init__(field)
        self.field = field
        self.stamps: list[float] = []
        field.textChanged.connect(self._changed)
        field.installEventFilter(self)

    def _changed(self, text: str) -> None:
        if not text:
            self.stamps = []

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() != QEvent.Type.KeyPress or not isinstance(event, QKeyEvent):
            return False
        now = time.monotonic()
        if event.key() in ENTER_KEYS:
            scan = is_scan(self.stamps, now)
            self.stamps = []
            if scan:
                self.field.clear()
                self.refused.emit()
                return True
            return False
        if event.text() and event.text().isprintable():
            self.stamps.append(now)
        return False
