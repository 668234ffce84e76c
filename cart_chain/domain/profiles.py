"""Product profiles: each product's handling limits, kept as versioned data.

A profile is read from JSON (``resources/profiles/*.json``, or a site's own
folder) and copied whole into the case when it is enrolled, so the limits a
case was checked against are in its ledger entry, whatever the files say later.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any

from cart_chain.domain.errors import InvalidValue


class Anchor(StrEnum):
    """Where the post-thaw limit is measured (see `windows.post_thaw_span`)."""

    FROM_END_OF_THAW = "from_end_of_thaw"  # thaw complete -> infusion start
    FROM_START_OF_THAW = "from_start_of_thaw"  # thaw start -> infusion end
    TO_END_OF_INFUSION = "to_end_of_infusion"  # thaw complete -> infusion end


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
    post_thaw_limit_minutes: float
    post_thaw_anchor: Anchor
    lymphodepletion_to_infusion_days: tuple[float, float]
    aliases: tuple[str, ...] = ()
    unconfirmed: tuple[str, ...] = ()
    note: str = ""

    @property
    def ships_fresh(self) -> bool:
        return self.apheresis == "fresh"

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["post_thaw_anchor"] = self.post_thaw_anchor.value
        d["lymphodepletion_to_infusion_days"] = list(self.lymphodepletion_to_infusion_days)
        d["aliases"] = list(self.aliases)
        d["unconfirmed"] = list(self.unconfirmed)
        return d


def _number(data: dict[str, Any], key: str, optional: bool = False) -> float | None:
    value = data.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise InvalidValue(f"profile {data.get('id')!r}: {key} must be a number")
    return float(value)


def parse_profile(data: dict[str, Any]) -> Profile:
    """Validate a profile read from JSON; a wrong profile must never reach a case."""
    try:
        pid, name, version = str(data["id"]), str(data["name"]), int(data["version"])
        anchor = Anchor(data["post_thaw_anchor"])
        ld = data["lymphodepletion_to_infusion_days"]
    except (KeyError, ValueError, TypeError) as exc:
        raise InvalidValue(f"profile {data.get('id')!r} is incomplete or wrong: {exc}") from None
    if data.get("apheresis") not in ("fresh", "cryopreserved"):
        raise InvalidValue(f"profile {pid!r}: apheresis must be 'fresh' or 'cryopreserved'")
    if not (isinstance(ld, list) and len(ld) == 2 and 0 <= ld[0] <= ld[1]):
        raise InvalidValue(f"profile {pid!r}: lymphodepletion_to_infusion_days is [min, max]")
    fresh = data["apheresis"] == "fresh"
    profile = Profile(
        id=pid,
        name=name,
        version=version,
        storage_max_c=_number(data, "storage_max_c"),  # type: ignore[arg-type]
        apheresis=data["apheresis"],
        fresh_transit_max_hours=_number(data, "fresh_transit_max_hours", not fresh),
        fresh_transit_min_c=_number(data, "fresh_transit_min_c", not fresh),
        fresh_transit_max_c=_number(data, "fresh_transit_max_c", not fresh),
        thaw_method=str(data.get("thaw_method", "")),
        post_thaw_limit_minutes=_number(data, "post_thaw_limit_minutes"),  # type: ignore[arg-type]
        post_thaw_anchor=anchor,
        lymphodepletion_to_infusion_days=(float(ld[0]), float(ld[1])),
        aliases=tuple(str(a).lower() for a in data.get("aliases", ())),
        unconfirmed=tuple(str(u) for u in data.get("unconfirmed", ())),
        note=str(data.get("note", "")),
    )
    if profile.post_thaw_limit_minutes <= 0:
        raise InvalidValue(f"profile {pid!r}: post_thaw_limit_minutes must be positive")
    return profile
