"""Read models the services return: plain, frozen, JSON-friendly dataclasses.

Labels, reports, the CLI and the GUI all render these; none of them sees a
session or a table.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any


@dataclass(frozen=True, slots=True)
class SignatureView:
    username: str
    printed_name: str
    meaning: str
    signed_at: str  # UTC ISO 8601


@dataclass(frozen=True, slots=True)
class CorrectionView:
    seq: int
    target_seq: int
    recorded_at: str
    field: str
    old_value: str | None
    new_value: str | None
    reason: str
    signatures: tuple[SignatureView, ...]


@dataclass(frozen=True, slots=True)
class EventView:
    seq: int
    unit: str
    step: str
    occurred_at: str
    recorded_at: str
    location: str | None
    temperature_c: float | None
    note: str | None
    by: str
    to: str | None
    signatures: tuple[SignatureView, ...]
    corrections: tuple[CorrectionView, ...] = ()
    voided: bool = False
    started_at: str | None = None  # when a thaw or infusion began
    condition: str | None = None
    volume_ml: float | None = None  # recorded at the collection step
    anticoagulant: str | None = None  # recorded at the collection step


@dataclass(frozen=True, slots=True)
class DeviationView:
    seq: int
    unit: str
    step: str
    rule: str
    detail: str
    limit: str
    actual: str
    decision: str | None  # QA's latest: accept, reject, quarantine; None = unreviewed
    reason: str | None
    open: bool  # blocking: not accepted (unreviewed, rejected or in quarantine)
    reviewed_by: str | None = None  # the latest decision's signer (user name)
    reviewed_by_name: str | None = None  # their printed name
    reviewed_at: str | None = None  # when it was recorded (UTC, ISO)

    @property
    def unreviewed(self) -> bool:
        """Still waiting for QA: no decision at all (a rejection is not waiting)."""
        return self.decision is None


@dataclass(frozen=True, slots=True)
class WindowView:
    """A running clock on a unit, as of the moment the view was read."""

    name: str
    started: str
    ends: str
    remaining_minutes: float
    overdue: bool


@dataclass(frozen=True, slots=True)
class PatientEventView:
    seq: int
    kind: str
    occurred_at: str
    unit: str | None
    detail: str | None
    by: str
    to: str | None
    signatures: tuple[SignatureView, ...]


@dataclass(frozen=True, slots=True)
class OverrideView:
    seq: int
    unit: str
    gate: str
    reason: str
    recorded_at: str
    signatures: tuple[SignatureView, ...]


@dataclass(frozen=True, slots=True)
class BagState:
    """A unit as a scan shows it (`bag_state`): what the person holding the bag compares
    and what may be recorded next. Its events, windows and deviations are the case
    view's (`UnitView`)."""

    unit: str  # full unit id with check character
    grouped: str
    number: int
    of: int
    parent: str | None
    current_step: str | None
    next_steps: tuple[str, ...]
    custodian: str | None
    custodian_name: str | None
    location: str | None


@dataclass(frozen=True, slots=True)
class UnitView(BagState):
    """A unit as the case view shows it: its scan answer, then its history."""

    events: tuple[EventView, ...]
    windows: tuple[WindowView, ...] = ()
    deviations: tuple[DeviationView, ...] = ()
    din: str | None = None  # ISBT 128 DIN of the collection, with check character
    din_grouped: str | None = None  # eye-readable: FIN, year, sequence, flags, [check]


@dataclass(frozen=True, slots=True)
class CaseSummary:
    coi: str
    grouped: str
    mrn: str
    patient_name: str
    patient_dob: str
    product: str
    unit_steps: tuple[tuple[str, str | None], ...]
    last_event_at: str | None
    created_at: str
    open_deviations: int = 0  # deviations QA has not accepted
    seq: int = 0  # the case's enrolment entry: the list's tie-breaker when paging
    #: (unit, window name, ends ISO) of the profile's clocks running on its units
    windows: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class LinkView:
    """One manufacturer's identifier in force for a case (``unit`` when for one bag).

    ``seq`` is the ``case_linked`` entry (the one to correct); ``by`` and
    ``recorded_at`` are of whoever set the value, its corrector when corrected.
    """

    seq: int
    kind: str
    value: str
    unit: str | None
    by: str | None
    recorded_at: str
    corrected_in: int | None = None  # the correction that set this value, if one did


@dataclass(frozen=True, slots=True)
class CaseDetail:
    coi: str
    grouped: str
    facility: str
    patient_name: str
    patient_dob: str
    mrn: str
    product: str
    created_at: str
    created_by: str | None
    seq: int
    units: tuple[UnitView, ...]
    case_corrections: tuple[CorrectionView, ...] = field(default=())
    profile_id: str = "generic"
    profile_name: str = ""
    profile_version: int = 0
    profile_indication: str | None = None  # chosen at enrolment; None: strictest window
    profile_unconfirmed: tuple[str, ...] = ()  # profile values no label source supports
    profile_warnings: tuple[str, ...] = ()  # e.g. "Do not irradiate", for labels/checklist
    patient_events: tuple[PatientEventView, ...] = ()
    overrides: tuple[OverrideView, ...] = ()
    links: tuple[LinkView, ...] = ()  # the manufacturer's identifiers (`case link`)
    product_codes: tuple[str, ...] = ()  # the site's ISBT 128 product codes for the profile
    storage_max_c: float | None = None  # the final product's storage, from the profile
    #: fresh apheresis: the profile's transit range (°C); None when it is cryopreserved first
    collection_transit_c: tuple[float, float] | None = None
    facility_name: str = ""  # the shared setting facility_name; "" until the site sets it

    @property
    def open_deviations(self) -> tuple[DeviationView, ...]:
        return tuple(d for u in self.units for d in u.deviations if d.open)


@dataclass(frozen=True, slots=True)
class Receipt:
    """What a write returns: the ledger entry it made."""

    seq: int
    hash: str
    recorded_at: str
    kind: str
    subject: str
    signatures: tuple[SignatureView, ...] = ()
    deviations: tuple[str, ...] = ()  # profile breaches recorded beside this entry


def to_json(obj: Any) -> Any:
    """Dataclass trees to plain JSON values."""
    if hasattr(obj, "__dataclass_fields__"):
        return to_json(asdict(obj))
    if isinstance(obj, dict):
        return {k: to_json(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [to_json(v) for v in obj]
    return obj


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One thing waiting: ``ends`` is None when no clock runs on it (QA work)."""

    coi: str
    grouped_coi: str
    unit: str  # full unit id with check character
    grouped_unit: str
    kind: str  # "deviation", "release" or "window"
    waiting: str  # what is waiting, in words
    ends: datetime | None = None
    seq: int = 0  # the entry it comes from (deviation) or the step that started the clock

    def remaining(self, now: datetime) -> timedelta | None:
        return None if self.ends is None else self.ends - now

    def overdue(self, now: datetime) -> bool:
        return self.ends is not None and now > self.ends

    def time_left(self, now: datetime) -> str:
        """``'12 min left'``, ``'1 h 05 min overdue'``, or ``'—'`` when no clock runs."""
        left = self.remaining(now)
        if left is None:
            return "—"
        minutes = int(abs(left.total_seconds()) // 60)
        span = f"{minutes} min" if minutes < 60 else f"{minutes // 60} h {minutes % 60:02d} min"
        return f"{span} overdue" if left.total_seconds() < 0 else f"{span} left"
