"""A field for a time staff type: ``HH:MM`` (today) or ``YYYY-MM-DD HH:MM``, local.

The thaw's and the infusion's start are typed at the bedside, often minutes
after the fact. The field names the workstation's zone, and shows under it
what it understood (the date, the zone's abbreviation, how long ago) or why
it cannot, as the user types, so a wrong hour is seen before signing.
Parsing is `clock.parse_local_time`; whether the time may be recorded (not in
the future, not before the previous step) is the service's decision.

Enter in the field moves to the next field: a keyboard-wedge scanner or a
habit of pressing Enter must never submit the dialog (and sign) from here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from PySide6.QtCore import Qt, QTimeZone, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QLineEdit, QVBoxLayout, QWidget

from cart_chain.domain.clock import LOCAL_FORMS, parse_local_time
from cart_chain.domain.errors import InvalidValue

ERROR_STYLE = "color:#b00020"


def workstation_zone() -> tzinfo:
    """This workstation's zone with its rules (clock changes), as the system names it.

    A fixed offset would silently be wrong for a date across a clock change, so
    the IANA zone is used; only when the system's zone is unknown to zoneinfo
    does the current offset stand in.
    """
    name = bytes(QTimeZone.systemTimeZoneId().data()).decode("ascii", "replace")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        zone = datetime.now().astimezone().tzinfo
        return zone if zone is not None else UTC


def _ago(delta_minutes: int) -> str:
    if delta_minutes < 0:
        return f"{_span(-delta_minutes)} from now"
    if delta_minutes == 0:
        return "now"
    return f"{_span(delta_minutes)} ago"


def _span(minutes: int) -> str:
    h, m = divmod(minutes, 60)
    if h >= 48:
        return f"{h // 24} days"
    return f"{h} h {m:02d} min" if h else f"{m} min"


class TimeEdit(QLineEdit):
    """A line edit where Enter (or keypad Enter) moves focus on, and is used up."""

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            event.accept()  # not ignored: the dialog's default button never sees it
            self.focusNextChild()
            return
        super().keyPressEvent(event)


class TimeField(QWidget):
    """One typed local time, with its zone and what it was understood as."""

    changed = Signal()

    def __init__(
        self,
        what: str,
        placeholder: str = "HH:MM or YYYY-MM-DD HH:MM",
        *,
        zone: tzinfo | None = None,
        now: Callable[[], datetime] | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.what = what  # named in messages: "Removed from frozen storage at"
        self.zone = zone or workstation_zone()
        self.now = now or (lambda: datetime.now(UTC))
        self.required = False
        self.edit = TimeEdit()
        self.edit.setPlaceholderText(placeholder)
        self.edit.setMaxLength(40)
        self.zone_label = QLabel(self.zone_name())
        self.zone_label.setObjectName("Zone")
        self.result = QLabel()
        self.result.setObjectName("TimeResult")
        self.result.setWordWrap(True)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.edit, 1)
        row.addWidget(self.zone_label)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.result)
        self.setFocusProxy(self.edit)
        self.edit.textChanged.connect(self._typed)
        self._typed()

    def zone_name(self) -> str:
        abbreviation = self.now().astimezone(self.zone).tzname() or ""
        name = str(self.zone)
        return name if abbreviation in ("", name) else f"{name} ({abbreviation})"

    def text(self) -> str:
        return self.edit.text().strip()

    def set_required(self, on: bool) -> None:
        self.required = on
        self._typed()

    def clear(self) -> None:
        self.edit.clear()

    def value(self) -> datetime | None:
        """The typed time (aware), None when left empty and optional.

        Raises `InvalidValue` for a malformed time, or an empty required one.
        """
        if not self.text():
            if self.required:
                raise InvalidValue(f"give the time: {self.what}, as {LOCAL_FORMS}")
            return None
        try:
            return parse_local_time(self.text(), self.now(), self.zone)
        except InvalidValue as exc:
            raise InvalidValue(f"{self.what}: {exc}") from None

    def _typed(self) -> None:
        try:
            moment = self.value()
        except InvalidValue as exc:
            if not self.text():  # required, not yet typed: say what is wanted, calmly
                self.result.setStyleSheet("")
                self.result.setText(f"Required: {LOCAL_FORMS}")
            else:
                self.result.setStyleSheet(ERROR_STYLE)
                self.result.setText(str(exc).removeprefix(f"{self.what}: "))
        else:
            self.result.setStyleSheet("")
            if moment is None:
                self.result.setText(self.edit.placeholderText())
            else:
                local = moment.astimezone(self.zone)
                minutes = int((self.now() - moment).total_seconds() // 60)  # whole minutes
                self.result.setText(f"{local:%a %Y-%m-%d %H:%M} {local.tzname()} · {_ago(minutes)}")
        self.changed.emit()
