"""The one scan router: a barcode scan reaches the scan check, wherever the focus is.

A keyboard-wedge scanner types into whatever widget has the focus. Without
this router a scan with a table row selected opened the *selected* row's case
on its Enter, a second bag scanned into the Location field became the
location, and a scan at the lock screen was tried as a password.

`ScanRouter` is an event filter on the QApplication: it sees every key press
before any widget, feeds it to `domain.scan_stream.KeyStream` (which decides,
without Qt, whether a burst of keys is a scan) and, for a scan, puts the
focused widget back as it was before the burst, uses up the terminator and
routes the code (`scan_stream.route`):

* in a password field: refused, never typed, never submitted (so never a
  failed attempt); the window says so;
* in a window with a scan check (`ScanTarget`: the main window's case list and
  case view, the record-a-step and bedside-check dialogs): to its
  ``take_scan``, and only there;
* anywhere else (log-in, administration, a label or export dialog, an alert):
  refused, with a beep.

The window is the focused widget's own top-level window: a scan in a dialog
never reaches the main window behind it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import ClassVar, Protocol, runtime_checkable

from PySide6.QtCore import QEvent, QItemSelectionModel, QObject, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QTextEdit,
    QWidget,
)
from shiboken6 import getCppPointer, isValid

from cart_chain.domain.scan_stream import KeyStream, route
from cart_chain.ui import prefs

log = logging.getLogger("cart_chain.ui.scan")

TERMINATORS = (Qt.Key.Key_Return, Qt.Key.Key_Enter, Qt.Key.Key_Tab)
#: Keys pressed only to modify the next one. A wedge scanner presses Shift before each
#: capital letter, and under X11 Qt delivers that press as a key event of its own; fed
#: to the stream it ended the burst, so no code with capitals was taken for a scan on a
#: real display (Qt's test keys carry the modifier on the letter and hid this).
MODIFIER_KEYS = frozenset(
    {
        Qt.Key.Key_Shift,
        Qt.Key.Key_Control,
        Qt.Key.Key_Alt,
        Qt.Key.Key_AltGr,
        Qt.Key.Key_Meta,
        Qt.Key.Key_Super_L,
        Qt.Key.Key_Super_R,
    }
)
#: The same key event object, seen again this soon by an ancestor of its first receiver,
#: is that key propagating (a widget ignored it). Generous: a loaded machine is slow.
PROPAGATION_S = 0.5

SECRET_REFUSED = (
    "That was a barcode scan, not a password: scans are not accepted in a password "
    "field (nothing was tried). Type your password."
)
HERE_REFUSED = (
    "A barcode scan is not used here: nothing was typed or changed. Scan a bag in the "
    "case list, or in the Record a step or Bedside check dialog."
)


@runtime_checkable
class ScanTarget(Protocol):
    """A window with a scan check: it takes scans routed from any of its fields."""

    def take_scan(self, text: str) -> None: ...


@runtime_checkable
class ScanNotices(Protocol):
    """A window that shows why a scan was refused in it (else the beep alone tells)."""

    def scan_refused(self, reason: str) -> None: ...


def snapshot(widget: QWidget) -> Callable[[], None]:
    """A function that puts ``widget``'s content (and selection) back as it is now."""
    if isinstance(widget, QAbstractSpinBox | QComboBox):
        inner = widget.findChild(QLineEdit)
        index = widget.currentIndex() if isinstance(widget, QComboBox) else None
        before = inner.text() if inner is not None else None

        def put_back_box() -> None:
            if isinstance(widget, QComboBox) and index is not None:
                widget.setCurrentIndex(index)
            if inner is not None and before is not None:
                inner.setText(before)

        return put_back_box
    if isinstance(widget, QLineEdit):
        text, cursor = widget.text(), widget.cursorPosition()

        def put_back_line() -> None:
            widget.setText(text)
            widget.setCursorPosition(cursor)

        return put_back_line
    if isinstance(widget, QPlainTextEdit | QTextEdit):
        plain = widget.toPlainText()
        return lambda: widget.setPlainText(plain)
    if isinstance(widget, QAbstractItemView):
        current = widget.currentIndex()
        model = widget.selectionModel()
        selected = model.selection() if model is not None else None

        def put_back_view() -> None:
            if model is None or selected is None:
                return
            model.setCurrentIndex(current, QItemSelectionModel.SelectionFlag.NoUpdate)
            model.select(selected, QItemSelectionModel.SelectionFlag.ClearAndSelect)

        return put_back_view
    return lambda: None


def is_secret(widget: QWidget) -> bool:
    """A field whose text is hidden: a password."""
    return isinstance(widget, QLineEdit) and widget.echoMode() != QLineEdit.EchoMode.Normal


def scan_target(widget: QWidget) -> ScanTarget | None:
    """The nearest window with a scan check holding ``widget``, never beyond its own
    top-level window (a dialog's scan must not reach the window behind it)."""
    w: QWidget | None = widget
    while w is not None:
        if isinstance(w, ScanTarget):
            return w
        if w.isWindow():
            return None
        w = w.parentWidget()
    return None


class ScanRouter(QObject):
    """Application-wide event filter routing scans (see the module docstring)."""

    #: The router installed on this application (one at a time), for `reload`.
    current: ClassVar[ScanRouter | None] = None

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.stream = KeyStream(prefs.scanner_framing())
        #: For each character of the current burst, how to put its widget back before it.
        self.restore: list[Callable[[], None]] = []
        self.last: tuple[QWidget, int, int, str, float] | None = None
        self.clock_kind = "app"
        self.last_at: float | None = None
        #: What the router did, newest last (for the log and for tests): route names.
        self.routed: list[str] = []
        app = QApplication.instance()
        assert app is not None, "create the QApplication first"
        app.installEventFilter(self)
        ScanRouter.current = self
        self.destroyed.connect(ScanRouter._forget)

    @staticmethod
    def _forget(*_: object) -> None:
        # Every router's `destroyed` lands here; there is none only when it was the current
        # one (its wrapper is no longer valid by then). A router replaced before it was
        # destroyed (deleteLater) must not unset its successor, or `reload` misses it.
        if ScanRouter.current is not None and not isValid(ScanRouter.current):
            ScanRouter.current = None

    def reload(self) -> None:
        """Read the workstation's prefix and suffix again (after Administration saves)."""
        self.stream = KeyStream(prefs.scanner_framing())
        self.last_at = None

    def _clock(self, event: QKeyEvent) -> float:
        """When the key was pressed, in seconds: the window system's time stamp when it
        gives one (so a busy GUI thread does not stretch a scan's rhythm), else the app's
        clock (keys made up by a program). A change of clock, or time going back (a
        wrapped time stamp), starts a new burst."""
        stamp = event.timestamp()
        kind, now = ("device", stamp / 1000) if stamp else ("app", time.monotonic())
        if kind != self.clock_kind or (self.last_at is not None and now < self.last_at):
            self.stream.reset()
            self.stream.last_at = self.stream.scan_ended_at = None
            self.clock_kind = kind
        self.last_at = now
        return now

    def _propagating(self, widget: QWidget, event: QKeyEvent, now: float) -> bool:
        """The same key event, seen again as it propagates to a parent of its first
        receiver (the same C++ object, key and text)."""
        seen = (widget, getCppPointer(event)[0], event.key(), event.text(), now)
        last, self.last = self.last, seen
        if last is None:
            return False
        first, address, key, text, at = last
        if (address, key, text) != seen[1:4] or now - at > PROPAGATION_S:
            return False
        if first is not widget and widget.isAncestorOf(first):
            self.last = last  # keep the first receiver for a further parent
            return True
        return False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if (
            event.type() != QEvent.Type.KeyPress
            or not isinstance(event, QKeyEvent)
            or not isinstance(watched, QWidget)
        ):
            return False
        if event.key() in MODIFIER_KEYS:
            return False  # not a key of the code: neither typed nor the end of a burst
        now = self._clock(event)
        key, text = event.key(), event.text()
        if self._propagating(watched, event, now):
            return False
        controls = Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.AltModifier
        terminator = key in TERMINATORS and not event.modifiers() & controls
        char = text if len(text) == 1 and text.isprintable() and not terminator else ""
        if event.modifiers() & controls or event.isAutoRepeat():
            char = ""  # a shortcut, or a held key (a scanner never repeats): not a scan's
        decision = self.stream.key(watched, now, char, terminator)
        if decision.action == "type":
            if char:
                del self.restore[decision.at :]
                self.restore.append(snapshot(watched))
            return False
        if decision.action == "swallow":
            return True
        if decision.at < len(self.restore):
            self.restore[decision.at]()
        self.restore = []
        self._route(watched, decision.text)
        return True

    def _route(self, widget: QWidget, text: str) -> None:
        target = scan_target(widget)
        where = route(secret=is_secret(widget), takes_scans=target is not None)
        self.routed.append(where)
        log.info("scan routed: %s", where)  # the code itself may name a patient: not logged
        if where == "scan_check" and target is not None:
            target.take_scan(text)
            return
        QApplication.beep()
        reason = SECRET_REFUSED if where == "refuse_secret" else HERE_REFUSED
        window = widget.window()
        if isinstance(window, ScanNotices):
            window.scan_refused(reason)
