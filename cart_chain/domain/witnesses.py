"""The witness locations a site configures (pure): where every checkpoint also goes.

A checkpoint kept only in the ledger proves nothing to someone who can rewrite
the ledger file; one held somewhere the operator does not control does. Two
kinds, kept as the shared setting ``witnesses`` (a JSON list, changed only by an
administrator, so who added or removed a witness is in the ledger):

- ``{"kind": "folder", "path": P}``: a folder on another machine or removable
  media, written append-only (one file per checkpoint, named by tree size, and a
  log file only ever appended to);
- ``{"kind": "site", "url": DB, "vkey": V, "key": K}``: another cart-chain site's
  database, which cosigns each checkpoint (C2SP tlog-cosignature) after checking it
  is consistent with the last one it saw; ``vkey`` is its cosigner key, pinned when
  the witness is added; ``key`` (optional) where its private key is on this
  workstation for cosigning in-process (without it, the file exchange is used).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from cart_chain.domain.cosignature import parse_cosigner_vkey
from cart_chain.domain.errors import InvalidValue

SETTING = "witnesses"
FOLDER = "folder"
SITE = "site"


@dataclass(frozen=True, slots=True)
class Witness:
    """One configured witness; ``number`` is its place in the list (from 1)."""

    number: int
    kind: str
    path: str = ""
    url: str = ""
    vkey: str = ""
    key: str = ""

    @property
    def label(self) -> str:
        where = self.path if self.kind == FOLDER else self.vkey.split("+", 1)[0]
        return f"witness {self.number} ({self.kind} {where})"

    def as_json(self) -> dict[str, str]:
        if self.kind == FOLDER:
            return {"kind": FOLDER, "path": self.path}
        out = {"kind": SITE, "url": self.url, "vkey": self.vkey}
        if self.key:
            out["key"] = self.key
        return out


def _text(item: dict[str, object], field: str, required: bool = True) -> str:
    value = item.get(field, "")
    if not isinstance(value, str) or (required and not value.strip()):
        raise InvalidValue(f"a {item.get('kind')} witness needs {field!r} (text)")
    return value.strip()


def parse(value: str) -> list[Witness]:
    """The witnesses of a setting value; `InvalidValue` saying what is wrong."""
    try:
        items = json.loads(value)
    except json.JSONDecodeError:
        raise InvalidValue("the witnesses setting is a JSON list") from None
    if not isinstance(items, list):
        raise InvalidValue("the witnesses setting is a JSON list")
    out: list[Witness] = []
    for n, item in enumerate(items, start=1):
        if not isinstance(item, dict) or item.get("kind") not in (FOLDER, SITE):
            raise InvalidValue(f"witness {n} is not a folder or site witness")
        if item["kind"] == FOLDER:
            out.append(Witness(n, FOLDER, path=_text(item, "path")))
        else:
            vkey = _text(item, "vkey")
            parse_cosigner_vkey(vkey)
            out.append(
                Witness(n, SITE, url=_text(item, "url"), vkey=vkey, key=_text(item, "key", False))
            )
    seen = [(w.kind, w.path or w.vkey) for w in out]
    if len(set(seen)) != len(seen):
        raise InvalidValue("the same witness is configured twice")
    return out


def validate(value: str) -> str:
    """The setting's validator: the canonical JSON of a valid list."""
    return dump(parse(value))


def dump(witnesses: list[Witness]) -> str:
    return json.dumps([w.as_json() for w in witnesses], sort_keys=True, separators=(",", ":"))
