"""Definitions that ship as JSON files under `cart_chain/resources/NAME/` and that a site
extends with its own files in a folder (product profiles, logger layouts).

The folder is ``$ENV_VAR`` when set, else ``NAME`` in the per-user data folder. Each
reader parses the files its own way and decides which definition wins; this module
only finds and reads them, so both kinds of definition are found the same way.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path
from typing import Any

from cart_chain.domain.errors import InvalidValue


def site_folder(env_var: str, name: str) -> Path:
    if os.environ.get(env_var):
        return Path(os.environ[env_var])
    from platformdirs import user_data_path

    return user_data_path("cart-chain", appauthor=False) / name


def load(text: str, what: str) -> Any:
    """``text`` as JSON, or `InvalidValue` naming ``what`` (e.g. "profile kymriah.json")."""
    try:
        return json.loads(text)
    except ValueError as exc:
        raise InvalidValue(f"{what} is not valid JSON: {exc}") from None


def shipped(name: str) -> Iterator[tuple[str, str]]:
    """(file name, text) of every JSON file shipped in ``resources/NAME``."""
    for item in files("cart_chain.resources").joinpath(name).iterdir():
        if item.name.endswith(".json"):
            yield item.name, item.read_text(encoding="utf-8")


def site_files(folder: Path) -> Iterator[tuple[str, str]]:
    """(path, text) of the site's JSON files in ``folder``, in name order (none if absent)."""
    if folder.is_dir():
        for path in sorted(folder.glob("*.json")):
            yield str(path), path.read_text(encoding="utf-8")
