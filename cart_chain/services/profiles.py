"""Finding product profiles: the shipped ones, and a site's own folder.

A site adds or overrides a profile by dropping ``<id>.json`` into the folder
named by ``CART_CHAIN_PROFILES`` (default: ``profiles/`` in the user data
folder). Within a site's folder a newer version of a shipped profile wins.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import parse_iso
from cart_chain.domain.errors import NotFound
from cart_chain.domain.identifiers import UnitId, parse_any
from cart_chain.domain.profiles import Profile, parse_profile
from cart_chain.domain.steps import Step
from cart_chain.domain.windows import StartTime, start_time
from cart_chain.services import site_json
from cart_chain.store import batch
from cart_chain.store.database import Database
from cart_chain.store.models import Case, CaseProfile, LedgerEntry

GENERIC = "generic"
ENV_VAR = "CART_CHAIN_PROFILES"


def site_folder() -> Path:
    return site_json.site_folder(ENV_VAR, "profiles")


def _read(text: str, where: str) -> Profile:
    return parse_profile(site_json.load(text, f"profile {where}"))


@cache
def _shipped() -> dict[str, Profile]:
    out = {}
    for name, text in site_json.shipped("profiles"):
        p = _read(text, name)
        out[p.id] = p
    return out


def all_profiles() -> dict[str, Profile]:
    profiles = dict(_shipped())
    for where, text in site_json.site_files(site_folder()):
        p = _read(text, where)
        if p.id not in profiles or p.version >= profiles[p.id].version:
            profiles[p.id] = p
    return profiles


def get_profile(profile_id: str) -> Profile:
    profiles = all_profiles()
    try:
        return profiles[profile_id.strip().lower()]
    except KeyError:
        raise NotFound(
            f"no product profile {profile_id!r}; known: {', '.join(sorted(profiles))}"
        ) from None


def for_product(product: str) -> Profile:
    """The profile whose name or alias the product's name mentions, else the generic one."""
    words = product.lower()
    for p in all_profiles().values():
        if p.id != GENERIC and any(alias in words for alias in (p.id, *p.aliases)):
            return p
    return all_profiles()[GENERIC]


_CASE_PROFILE = (
    select(Case.coi, CaseProfile.profile, LedgerEntry.recorded_at)
    .join(LedgerEntry, LedgerEntry.seq == Case.entry_seq)
    .outerjoin(CaseProfile, CaseProfile.coi == Case.coi)
    .where(Case.coi == bindparam("coi"))
)


def of_case(session: Session, coi: str) -> Profile:
    """The profile in force for a case: the copy stored in its enrolment entry (projected
    into ``case_profiles``)."""
    return of_case_enrolled(session, coi)[0]


def of_case_enrolled(session: Session, coi: str) -> tuple[Profile, datetime]:
    """`of_case`, and when the case was enrolled (its entry's time), in one query: a
    step is held to both."""
    row = next(iter(batch.rows(session, _CASE_PROFILE, {"coi": coi})), None)
    if row is None:
        raise NotFound(f"case {coi} is not known")
    # A case enrolled before profiles existed has none stored: the generic one applies.
    profile = all_profiles()[GENERIC] if row[1] is None else stored_profile(row[1])
    return profile, parse_iso(row[2])


def case_reads(coi: str) -> list[batch.Read]:
    """The read `of_case_enrolled` makes (`batch.read_ahead`)."""
    return [(_CASE_PROFILE, {"coi": coi})]


@lru_cache(maxsize=64)
def stored_profile(text: str) -> Profile:
    """A stored copy, parsed and checked once per distinct text (a few per site): every
    step reads its case's profile. `Profile` is frozen, so the copy is shared safely."""
    return parse_profile(json.loads(text))


def of_cases(session: Session, cois: Sequence[str]) -> dict[str, Profile]:
    """`of_case` for several cases in one query, each distinct stored copy parsed once."""
    rows = session.execute(
        select(Case.coi, CaseProfile.profile)
        .outerjoin(CaseProfile, CaseProfile.coi == Case.coi)
        .where(Case.coi.in_(list(cois)))
    ).all()
    parsed: dict[str | None, Profile] = {}
    out = {}
    for coi, text in rows:
        if text not in parsed:
            parsed[text] = all_profiles()[GENERIC] if text is None else stored_profile(text)
        out[coi] = parsed[text]
    return out


def enrolment_copy(profile: Profile, indication: str | None) -> dict[str, Any]:
    """The profile as it is stored in a case's enrolment entry, with its indication.

    With no indication given for a product that has several, the case is held to
    the intersection of their lymphodepletion windows (the most conservative).
    """
    return profile.with_indication(indication).to_dict()


@dataclass(frozen=True, slots=True)
class ValueView:
    """One profile value, its provenance as one line, for `profile show`, GUI and reports."""

    name: str
    value: Any
    unconfirmed: bool
    source: str  # "US PI 2.3 (revised 2025-06)" or "" when unconfirmed
    quote: str
    why: str


@dataclass(frozen=True, slots=True)
class ProfileView:
    id: str
    name: str
    version: int
    indication: str | None
    indications: tuple[str, ...]
    time_limits: tuple[str, ...]
    lymphodepletion_days: tuple[float, float]
    premedication_minutes_before: tuple[float, float] | None
    dose_days: tuple[int, ...]
    leukodepleting_filter: bool | None
    warnings: tuple[str, ...]
    values: tuple[ValueView, ...]
    unconfirmed: tuple[str, ...]
    note: str


def view_of(profile: Profile) -> ProfileView:
    """Everything a reader needs to judge a profile, each value with where it comes from."""
    values = tuple(
        ValueView(
            name,
            c.value,
            c.unconfirmed,
            "" if c.source is None else c.source.cite(),
            c.quote,
            c.why,
        )
        for name, c in profile.provenance()
    )
    return ProfileView(
        id=profile.id,
        name=profile.name,
        version=profile.version,
        indication=profile.indication,
        indications=profile.indications,
        time_limits=tuple(t.describe() for t in profile.time_limits),
        lymphodepletion_days=profile.lymphodepletion_to_infusion_days,
        premedication_minutes_before=profile.premedication_minutes_before,
        dose_days=profile.dose_days,
        leukodepleting_filter=profile.leukodepleting_filter,
        warnings=profile.warnings,
        values=values,
        unconfirmed=profile.unconfirmed,
        note=profile.note,
    )


def show_profile(profile_id: str) -> ProfileView:
    return view_of(get_profile(profile_id))


def case_profile(db: Database, coi: str) -> ProfileView:
    """The profile in force for one case (its enrolment copy), as a view."""
    ident = parse_any(coi)
    full = (ident.coi if isinstance(ident, UnitId) else ident).full
    return db.read(lambda s: view_of(of_case(s, full)))


def profile_warnings(db: Database, coi: str) -> tuple[str, ...]:
    """The product's handling warnings (e.g. do not irradiate) for labels and the checklist."""
    return case_profile(db, coi).warnings


def step_start_time(db: Database, coi: str, step: str | Step) -> StartTime | None:
    """How the GUI asks when ``step`` began for this case (its enrolment profile's limits)."""
    ident = parse_any(coi)
    full = (ident.coi if isinstance(ident, UnitId) else ident).full
    return db.read(lambda s: start_time(of_case(s, full), Step(step)))


def list_profiles() -> list[ProfileView]:
    """Every product profile a case may be enrolled under (shipped and the site's), by
    name, for the enrolment form."""
    return sorted((view_of(p) for p in all_profiles().values()), key=lambda v: v.name.lower())
