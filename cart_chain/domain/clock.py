"""Times: stored as UTC ISO 8601 strings, shown in local time with the zone.

Strings rather than database datetime types because they hash identically on
every backend and sort correctly as text.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo

from cart_chain.domain.errors import ClockBehind, InvalidValue

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
#: A time may be a little ahead of this workstation's clock (clock drift), no more.
CLOCK_TOLERANCE = timedelta(minutes=5)
#: How far a clock may lag the ledger head before an entry is refused (see `entry_time`).
MAX_BEHIND_HEAD = timedelta(minutes=2)


def utc_iso(moment: datetime) -> str:
    """``moment`` as stored: ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (`_FORMAT`).

    By `isoformat`, which takes a third of the time of `strftime`: a handoff formats
    a dozen times (2% of it)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: attach a time zone first")
    utc = moment if moment.tzinfo is UTC else moment.astimezone(UTC)
    return utc.isoformat(timespec="microseconds")[:-6] + "Z"


def now_iso() -> str:
    return utc_iso(datetime.now(UTC))


def entry_time(now: str, head: str | None, source: str = "this workstation's clock") -> str:
    """The ``recorded_at`` of the next ledger entry: ``now``, but never before the head's.

    Entries never go back in time. A clock a little behind the head (another
    workstation's clock ran ahead, or NTP stepped this one back) takes the head's
    time; one behind by more than `MAX_BEHIND_HEAD` is wrong and would date a
    record falsely, so it is refused with both times named. Both strings are in
    the stored format, which sorts as text: the common case costs one comparison.
    """
    if head is None or now >= head:
        return now
    if parse_iso(head) - parse_iso(now) > MAX_BEHIND_HEAD:
        raise ClockBehind(
            f"{source} says {now}, but the last ledger entry was recorded at {head}: "
            f"the clock is more than {int(MAX_BEHIND_HEAD.total_seconds() // 60)} minutes "
            "behind; nothing was saved, correct the clock and try again"
        )
    return head


#: Where the stored format has its separators: a string shaped so is read by
#: `datetime.fromisoformat` (C code, a tenth of strptime's cost on the hot path).
_SHAPE = ((4, "-"), (7, "-"), (10, "T"), (13, ":"), (16, ":"), (19, "."), (26, "Z"))


def parse_iso(text: str) -> datetime:
    """Parse a stored UTC string back into an aware datetime."""
    if len(text) == 27 and all(text[i] == c for i, c in _SHAPE) and text[:4].isdigit():
        try:
            return datetime.fromisoformat(text[:26]).replace(tzinfo=UTC)
        except ValueError:
            pass  # strptime says what is wrong
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)


def parse_user_time(text: str) -> datetime:
    """Parse a time typed by a user; without a zone it is the workstation's local time."""
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(
            f"time {text!r} is not ISO 8601 (e.g. 2026-11-25T14:30 or 2026-11-25T14:30+01:00)"
        ) from None
    if moment.tzinfo is None:
        moment = moment.astimezone()  # local zone of this workstation
    return moment


#: ``HH:MM`` (today) or ``YYYY-MM-DD HH:MM``, optionally with a UTC offset
#: (``+01:00``) to say which of the two hours a clock change repeats is meant.
_LOCAL = re.compile(
    r"^(?:(?P<date>\d{4}-\d{2}-\d{2})[ T]+)?(?P<h>\d{1,2}):(?P<m>\d{2})"
    r"(?:\s*(?P<off>[+-]\d{2}:?\d{2}|Z|UTC))?$"
)
LOCAL_FORMS = "HH:MM (today) or YYYY-MM-DD HH:MM"


def _offset(text: str) -> timezone:
    if text in ("Z", "UTC"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:])
    if hours > 23 or minutes > 59:
        raise InvalidValue(f"UTC offset {text!r} is not an offset")
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def parse_local_time(text: str, now: datetime, zone: tzinfo) -> datetime:
    """A time as staff type it at the bedside, in the workstation's zone ``zone``.

    ``HH:MM`` is on today's date (today in ``zone`` at ``now``); a full
    ``YYYY-MM-DD HH:MM`` names the day. A local time that a clock change skips
    (spring forward) does not exist and is refused; one it repeats (fall back)
    is ambiguous and refused unless a UTC offset says which, because a guessed
    hour moves a 30-minute window by an hour. Whether the time may lie in the
    future is not judged here: the service refuses it inside its write.
    """
    if now.tzinfo is None:
        raise ValueError("naive now: attach a time zone first")
    m = _LOCAL.match(text.strip())
    if m is None:
        raise InvalidValue(f"time {text.strip()!r} is not {LOCAL_FORMS}, e.g. 14:30")
    try:
        day = (
            datetime.strptime(m["date"], "%Y-%m-%d").date()
            if m["date"]
            else now.astimezone(zone).date()
        )
        naive = datetime(day.year, day.month, day.day, int(m["h"]), int(m["m"]))
    except ValueError:
        raise InvalidValue(f"time {text.strip()!r} is not a real date and time") from None
    if m["off"]:
        moment = naive.replace(tzinfo=_offset(m["off"]))
        local = moment.astimezone(zone)
        if local.replace(tzinfo=None) != naive and m["off"] not in ("Z", "UTC"):
            raise InvalidValue(
                f"{text.strip()!r}: this zone is not at UTC{m['off']} at that time "
                f"(it is {local.strftime('%H:%M %z')})"
            )
        return moment
    early, late = naive.replace(tzinfo=zone, fold=0), naive.replace(tzinfo=zone, fold=1)
    early_back = early.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
    if early_back != naive:
        raise InvalidValue(
            f"{naive:%Y-%m-%d %H:%M} does not exist in {zone}: the clocks were put forward "
            "at that hour; check the time"
        )
    if early.utcoffset() != late.utcoffset():
        first, second = (early.strftime("%z"), late.strftime("%z"))
        raise InvalidValue(
            f"{naive:%Y-%m-%d %H:%M} happened twice in {zone} (the clocks were put back): "
            f"add the UTC offset, {naive:%H:%M} {first[:3]}:{first[3:]} for the first or "
            f"{naive:%H:%M} {second[:3]}:{second[3:]} for the second"
        )
    return early


def local_display(text: str) -> str:
    """A stored time as local 24-hour time with the zone, for screens and printouts."""
    return parse_iso(text).astimezone().strftime("%Y-%m-%d %H:%M %Z")


def stated_time(moment: datetime | None, what: str) -> datetime:
    """When ``what`` happened, as a user stated it (now when not stated).

    It needs a zone, and may not lie in the future beyond the clock tolerance:
    a record dated ahead is a typing error, not a fact.
    """
    now = datetime.now(UTC)
    moment = now if moment is None else moment
    if moment.tzinfo is None:
        raise InvalidValue(f"the time of {what} needs a time zone")
    if moment - now > CLOCK_TOLERANCE:
        raise InvalidValue(f"{what} cannot be dated in the future")
    return moment


#: How far before a case's enrolment a step or patient event may be dated: a
#: collection or chemotherapy may be entered late, but a date years earlier is a
#: typing error (a wrong year) that would put the record out of any window.
BEFORE_ENROLMENT = timedelta(days=60)


def check_after_enrolment(moment: datetime, enrolled: datetime, what: str) -> None:
    """Refuse ``what`` dated more than 60 days before the case was enrolled."""
    earliest = enrolled - BEFORE_ENROLMENT
    if moment < earliest:
        raise InvalidValue(
            f"{what} dated {utc_iso(moment)} UTC is more than {BEFORE_ENROLMENT.days} days "
            f"before the case was enrolled ({utc_iso(enrolled)} UTC): check the date"
        )


def parse_dob(text: str) -> str:
    """A typed date of birth as YYYY-MM-DD (ASCII digits, 1900 to today): at enrolment and
    in a correction of it."""
    try:
        if not text.strip().isascii():  # fromisoformat reads digits of any script
            raise ValueError(text)
        d = date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidValue(f"date of birth {text!r} must be YYYY-MM-DD") from None
    if d > date.today() or d.year < 1900:
        raise InvalidValue(f"date of birth {d.isoformat()} is not plausible")
    return d.isoformat()
