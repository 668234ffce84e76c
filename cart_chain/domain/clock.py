"""Times: stored as UTC ISO 8601 strings, shown in local time with the zone.

Strings rather than database datetime types because they hash identically on
every backend and sort correctly as text.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cart_chain.domain.errors import ClockBehind, InvalidValue

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
#: A time may be a little ahead of this workstation's clock (clock drift), no more.
CLOCK_TOLERANCE = timedelta(minutes=5)
#: How far a clock may lag the ledger head before an entry is refused (see `entry_time`).
MAX_BEHIND_HEAD = timedelta(minutes=2)


def utc_iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: attach a time zone first")
    return moment.astimezone(UTC).strftime(_FORMAT)


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


def parse_iso(text: str) -> datetime:
    """Parse a stored UTC string back into an aware datetime."""
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
