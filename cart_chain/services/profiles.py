"""Finding product profiles: the shipped ones, and a site's own folder.

A site adds or overrides a profile by dropping ``<id>.json`` into the folder
named by ``CART_CHAIN_PROFILES`` (default: ``profiles/`` in the user data
folder). Within a site's folder a newer version of a shipped profile wins.
"""

from __future__ import annotations

import json
import os
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.errors import InvalidValue, NotFound
from cart_chain.domain.profiles import Profile, parse_profile
from cart_chain.store.models import Case, LedgerEntry

GENERIC = "generic"
ENV_VAR = "CART_CHAIN_PROFILES"


def site_folder() -> Path:
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    from platformdirs import user_data_path

    return user_data_path("cart-chain", appauthor=False) / "profiles"


def _read(text: str, where: str) -> Profile:
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise InvalidValue(f"profile {where} is not valid JSON: {exc}") from None
    return parse_profile(data)


@cache
def _shipped() -> dict[str, Profile]:
    out = {}
    for item in files("cart_chain").joinpath("resources/profiles").iterdir():
        if item.name.endswith(".json"):
            p = _read(item.read_text("utf-8"), item.name)
            out[p.id] = p
    return out


def all_profiles() -> dict[str, Profile]:
    profiles = dict(_shipped())
    folder = site_folder()
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            p = _read(path.read_text("utf-8"), str(path))
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


def of_case(session: Session, coi: str) -> Profile:
    """The profile in force for a case: the copy stored in its enrolment entry."""
    text = session.execute(
        select(LedgerEntry.payload)
        .join(Case, Case.entry_seq == LedgerEntry.seq)
        .where(Case.coi == coi)
    ).scalar()
    if text is None:
        raise NotFound(f"case {coi} is not known")
    stored: dict[str, Any] | None = json.loads(text).get("profile")
    if not stored:
        return all_profiles()[GENERIC]  # cases enrolled before profiles existed
    return parse_profile(stored)
