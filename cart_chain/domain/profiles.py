"""Product profiles: each product's handling limits, kept as versioned data.

A profile is read from JSON (``resources/profiles/*.json``, or a site's own
folder) and copied whole into the case when it is enrolled, so the limits a
case was checked against are in its ledger entry, whatever the files say later.

Schema 2 gives every value its source (see `citations`) and says what each time
limit runs from and to. Version-1 profiles (the old flat form) are still read,
because enrolled cases hold a copy of one: their values become unconfirmed
with their old meaning kept exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from cart_chain.domain.citations import Cited, parse_cited, unknown
from cart_chain.domain.errors import InvalidValue

SCHEMA = 2
#: The optional key of a profile that tolerates short transport excursions.
EXCURSION_TOLERANCE = "excursion_tolerance_minutes"


class LimitFrom(StrEnum):
    """Where a time limit's clock starts."""

    THAW_START = "thaw_start"
    THAW_END = "thaw_end"
    #: The thaw step's start time: in this chain the unit leaves frozen storage
    #: (LN2 tank or dry shipper) when its thaw step begins.
    REMOVAL_FROM_FROZEN_STORAGE = "removal_from_frozen_storage"
    INFUSION_START = "infusion_start"


class LimitTo(StrEnum):
    """Which moment of the infusion the limit is compared with."""

    INFUSION_START = "infusion_start"
    INFUSION_END = "infusion_end"


@dataclass(frozen=True, slots=True)
class TimeLimit:
    """``minutes`` at most from ``start`` to ``end`` (wall-clock: interruptions count)."""

    name: str
    minutes: float
    start: LimitFrom
    end: LimitTo
    cited: Cited

    def describe(self) -> str:
        return (
            f"{self.name}: <= {self.minutes:g} min from {self.start.value.replace('_', ' ')} "
            f"to {self.end.value.replace('_', ' ')}"
        )


#: Scalar fields of a schema-2 profile, each a cited value.
_SCALARS = (
    "storage_max_c",
    "apheresis",
    "fresh_transit_max_hours",
    "fresh_transit_min_c",
    "fresh_transit_max_c",
    "thaw_method",
    "premedication_minutes_before",
    "doses",
    "leukodepleting_filter",
    "warnings",
)


@dataclass(frozen=True, slots=True)
class Profile:
    id: str
    name: str
    version: int
    storage_max_c: float
    apheresis: str  # "fresh" or "cryopreserved"
    fresh_transit_max_hours: float | None
    fresh_transit_min_c: float | None
    fresh_transit_max_c: float | None
    thaw_method: str
    time_limits: tuple[TimeLimit, ...]
    #: (indication, cited [min, max] days from the end of lymphodepletion to infusion)
    lymphodepletion: tuple[tuple[str, Cited], ...]
    premedication_minutes_before: tuple[float, float] | None
    dose_days: tuple[int, ...]  # (1,) for a single dose; (1, 10) for a split dose
    leukodepleting_filter: bool | None  # False: do not use one
    warnings: tuple[str, ...]
    cited: tuple[tuple[str, Cited], ...]
    indication: str | None = None  # chosen at enrolment when the product has several
    dose_tolerance_days: float = 0.0  # split dose: later doses may fall this many days early/late
    aliases: tuple[str, ...] = ()
    note: str = ""
    #: Cited: how long a transport excursion outside the leg's limits is tolerated
    #: (optional; none of the shipped labels gives one, so none is tolerated there).
    excursion_tolerance: Cited | None = None

    @property
    def excursion_tolerance_minutes(self) -> float | None:
        return None if self.excursion_tolerance is None else float(self.excursion_tolerance.value)

    @property
    def ships_fresh(self) -> bool:
        return self.apheresis == "fresh"

    @property
    def indications(self) -> tuple[str, ...]:
        return tuple(k for k, _ in self.lymphodepletion)

    @property
    def lymphodepletion_to_infusion_days(self) -> tuple[float, float]:
        """The window for the chosen indication; with none chosen, the intersection."""
        windows = dict(self.lymphodepletion)
        if self.indication is not None:
            lo, hi = windows[self.indication].value
            return float(lo), float(hi)
        return (
            max(float(c.value[0]) for c in windows.values()),
            min(float(c.value[1]) for c in windows.values()),
        )

    def provenance(self) -> list[tuple[str, Cited]]:
        """Every value with its citation, in display order."""
        out = list(self.cited)
        out += [(f"time_limits.{t.name}", t.cited) for t in self.time_limits]
        out += [(f"lymphodepletion_to_infusion_days.{k}", c) for k, c in self.lymphodepletion]
        if self.excursion_tolerance is not None:
            out.append((EXCURSION_TOLERANCE, self.excursion_tolerance))
        return out

    @property
    def unconfirmed(self) -> tuple[str, ...]:
        """Names of the values no source supports (shown by the GUI and the reports)."""
        return tuple(name for name, c in self.provenance() if c.unconfirmed)

    def with_indication(self, indication: str | None) -> Profile:
        if indication is None:
            return self
        key = indication.strip()
        match = next((k for k in self.indications if k.lower() == key.lower()), None)
        if match is None:
            raise InvalidValue(
                f"profile {self.id!r} has no indication {indication!r}; "
                f"known: {', '.join(self.indications)}"
            )
        if len(self.indications) == 1 and match == "any":
            return self
        return _replace(self, indication=match)

    def to_dict(self) -> dict[str, Any]:
        """The schema-2 JSON form; `parse_profile` reads it back to an equal profile."""
        d: dict[str, Any] = {
            "schema": SCHEMA,
            "id": self.id,
            "name": self.name,
            "version": self.version,
            "aliases": list(self.aliases),
            "note": self.note,
        }
        if self.indication is not None:
            d["indication"] = self.indication
        for name, c in self.cited:
            d[name] = c.to_dict()
        d["time_limits"] = [{**t.cited.to_dict(), "name": t.name} for t in self.time_limits]
        d["lymphodepletion_to_infusion_days"] = {k: c.to_dict() for k, c in self.lymphodepletion}
        if self.excursion_tolerance is not None:
            d[EXCURSION_TOLERANCE] = self.excursion_tolerance.to_dict()
        return d


def _replace(p: Profile, **changes: Any) -> Profile:
    from dataclasses import replace

    return replace(p, **changes)


def _num(value: Any, where: str, optional: bool = False) -> float | None:
    if value is None and optional:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise InvalidValue(f"{where} must be a number")
    return float(value)


def _pair(value: Any, where: str) -> tuple[float, float]:
    if not (
        isinstance(value, list)
        and len(value) == 2
        and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
        and 0 <= value[0] <= value[1]
    ):
        raise InvalidValue(f"{where} must be [min, max] with 0 <= min <= max")
    return float(value[0]), float(value[1])


def _tolerance(raw: Any, at: str) -> Cited | None:
    if raw is None:
        return None
    cited = parse_cited(raw, f"{at}: {EXCURSION_TOLERANCE}")
    minutes = _num(cited.value, f"{at}: {EXCURSION_TOLERANCE}")
    if minutes is None or minutes < 0:
        raise InvalidValue(f"{at}: {EXCURSION_TOLERANCE} must be a number of minutes >= 0")
    return cited


def _time_limit(raw: Any, where: str) -> TimeLimit:
    cited = parse_cited(raw, where)
    v = cited.value
    try:
        name = str(raw.get("name") or v.get("name") or "post-thaw")
        limit = TimeLimit(name, float(v["minutes"]), LimitFrom(v["from"]), LimitTo(v["to"]), cited)
    except (AttributeError, KeyError, ValueError, TypeError) as exc:
        raise InvalidValue(f"{where}: needs minutes, from and to ({exc})") from None
    if limit.minutes <= 0:
        raise InvalidValue(f"{where}: minutes must be positive")
    if limit.start is LimitFrom.INFUSION_START and limit.end is not LimitTo.INFUSION_END:
        raise InvalidValue(f"{where}: a limit from infusion start runs to infusion end")
    return limit


def parse_profile(data: dict[str, Any]) -> Profile:
    """Validate a profile read from JSON; a wrong profile must never reach a case."""
    if not isinstance(data, dict):
        raise InvalidValue("a profile is a JSON object")
    if data.get("schema", 1) == 1:
        data = upgrade_v1(data)
    elif data.get("schema") != SCHEMA:
        raise InvalidValue(f"profile {data.get('id')!r}: unknown schema {data.get('schema')!r}")
    try:
        pid, name, version = str(data["id"]), str(data["name"]), int(data["version"])
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidValue(f"profile {data.get('id')!r} is incomplete or wrong: {exc}") from None
    at = f"profile {pid!r}"
    cited = {k: parse_cited(data.get(k), f"{at}: {k}") for k in _SCALARS}
    apheresis = cited["apheresis"].value
    if apheresis not in ("fresh", "cryopreserved"):
        raise InvalidValue(f"{at}: apheresis must be 'fresh' or 'cryopreserved'")
    fresh = apheresis == "fresh"
    transit = [
        _num(cited[k].value, f"{at}: {k}", not fresh)
        for k in ("fresh_transit_max_hours", "fresh_transit_min_c", "fresh_transit_max_c")
    ]
    if fresh and transit[1] > transit[2]:  # type: ignore[operator]
        raise InvalidValue(f"{at}: fresh transit min must not exceed max")
    limits = data.get("time_limits")
    if not isinstance(limits, list) or not limits:
        raise InvalidValue(f"{at}: time_limits must list at least one limit")
    time_limits = tuple(_time_limit(t, f"{at}: time_limits[{i}]") for i, t in enumerate(limits))
    ld_raw = data.get("lymphodepletion_to_infusion_days")
    if not isinstance(ld_raw, dict) or not ld_raw:
        raise InvalidValue(f"{at}: lymphodepletion_to_infusion_days maps indications to windows")
    ld = []
    for key, raw in ld_raw.items():
        c = parse_cited(raw, f"{at}: lymphodepletion {key}")
        _pair(c.value, f"{at}: lymphodepletion_to_infusion_days.{key}")
        ld.append((str(key), c))
    premed = cited["premedication_minutes_before"].value
    doses = cited["doses"].value
    if not (
        isinstance(doses, list)
        and doses
        and all(isinstance(d, dict) and isinstance(d.get("day"), int) for d in doses)
    ):
        raise InvalidValue(f"{at}: doses must be a list of {{'day': N}}")
    warnings = cited["warnings"].value
    if not (isinstance(warnings, list) and all(isinstance(w, str) for w in warnings)):
        raise InvalidValue(f"{at}: warnings must be a list of texts")
    filt = cited["leukodepleting_filter"].value
    if filt is not None and not isinstance(filt, bool):
        raise InvalidValue(f"{at}: leukodepleting_filter is true, false or null")
    profile = Profile(
        id=pid,
        name=name,
        version=version,
        storage_max_c=_num(cited["storage_max_c"].value, f"{at}: storage_max_c"),  # type: ignore[arg-type]
        apheresis=apheresis,
        fresh_transit_max_hours=transit[0],
        fresh_transit_min_c=transit[1],
        fresh_transit_max_c=transit[2],
        thaw_method=str(cited["thaw_method"].value or ""),
        time_limits=time_limits,
        lymphodepletion=tuple(ld),
        premedication_minutes_before=None
        if premed is None
        else _pair(premed, f"{at}: premedication_minutes_before"),
        dose_days=tuple(int(d["day"]) for d in doses),
        dose_tolerance_days=max(float(d.get("tolerance_days", 0)) for d in doses),
        leukodepleting_filter=filt,
        warnings=tuple(warnings),
        cited=tuple((k, cited[k]) for k in _SCALARS),
        aliases=tuple(str(a).lower() for a in data.get("aliases", ())),
        note=str(data.get("note", "")),
        excursion_tolerance=_tolerance(data.get(EXCURSION_TOLERANCE), at),
    )
    lo, hi = profile.lymphodepletion_to_infusion_days
    if lo > hi:
        raise InvalidValue(f"{at}: the indications' lymphodepletion windows do not overlap")
    return profile.with_indication(data.get("indication"))


#: How a version-1 anchor maps to (from, to): the meaning the old code gave it.
_V1_ANCHORS = {
    "from_end_of_thaw": (LimitFrom.THAW_END, LimitTo.INFUSION_START),
    "from_start_of_thaw": (LimitFrom.THAW_START, LimitTo.INFUSION_END),
    "to_end_of_infusion": (LimitFrom.THAW_END, LimitTo.INFUSION_END),
}


def upgrade_v1(data: dict[str, Any]) -> dict[str, Any]:
    """The old flat profile as schema 2, same limits, every value unconfirmed."""
    pid = data.get("id")
    why = "version-1 profile: no source was recorded"
    try:
        start, end = _V1_ANCHORS[data["post_thaw_anchor"]]
        minutes = data["post_thaw_limit_minutes"]
        ld = data["lymphodepletion_to_infusion_days"]
    except (KeyError, TypeError) as exc:
        raise InvalidValue(f"profile {pid!r} is incomplete or wrong: {exc}") from None
    out: dict[str, Any] = {
        "schema": SCHEMA,
        "id": data.get("id"),
        "name": data.get("name"),
        "version": data.get("version"),
        "aliases": data.get("aliases", []),
        "note": data.get("note", ""),
    }
    for key in (
        "storage_max_c",
        "apheresis",
        "fresh_transit_max_hours",
        "fresh_transit_min_c",
        "fresh_transit_max_c",
    ):
        out[key] = unknown(data.get(key), why).to_dict()
    out["thaw_method"] = unknown(data.get("thaw_method", ""), why).to_dict()
    out["premedication_minutes_before"] = unknown(None, why).to_dict()
    out["doses"] = unknown([{"day": 1}], why).to_dict()
    out["leukodepleting_filter"] = unknown(None, why).to_dict()
    out["warnings"] = unknown([], why).to_dict()
    out["time_limits"] = [
        {
            **unknown({"minutes": minutes, "from": start.value, "to": end.value}, why).to_dict(),
            "name": "post-thaw",
        }
    ]
    out["lymphodepletion_to_infusion_days"] = {"any": unknown(ld, why).to_dict()}
    return out
