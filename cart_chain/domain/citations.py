"""Where a handling value comes from: the label section it was read in, or why none.

Every value in a product profile (schema 2) carries either a citation of the
prescribing information it was read in (document, section, revision date,
optionally a short quote) or an explicit ``unconfirmed`` mark with the reason.
A value is only *confirmed* when the citation is complete: a section without a
revision date cannot be checked against the label in force, so it stays
unconfirmed. The GUI and the reports list every unconfirmed value.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from typing import Any

from cart_chain.domain.errors import InvalidValue

DOCUMENTS = ("US PI", "EU SmPC")
_REVISED = re.compile(r"^\d{4}(-\d{2})?$")


@dataclass(frozen=True, slots=True)
class Source:
    """A label section: which document, which section, which revision."""

    document: str  # "US PI" (FDA prescribing information) or "EU SmPC"
    title: str
    section: str
    revised: str  # "YYYY-MM", or "YYYY" where only the year was printed

    def cite(self) -> str:
        return f"{self.document} {self.section} (revised {self.revised})"

    def to_dict(self) -> dict[str, str]:
        return {
            "document": self.document,
            "title": self.title,
            "section": self.section,
            "revised": self.revised,
        }


@dataclass(frozen=True, slots=True)
class Cited:
    """One profile value with its provenance."""

    value: Any
    source: Source | None = None
    quote: str = ""
    why: str = ""  # why it is unconfirmed, and what to check

    @property
    def unconfirmed(self) -> bool:
        return self.source is None

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {"value": copy.deepcopy(self.value)}  # callers may edit it
        if self.source is not None:
            d["source"] = self.source.to_dict()
            if self.quote:
                d["quote"] = self.quote
        else:
            d["unconfirmed"] = True
            d["why"] = self.why
            if self.quote:
                d["quote"] = self.quote
        return d


def parse_cited(raw: Any, where: str) -> Cited:
    """Read ``{"value", "source"{...}, "quote"}`` or ``{"value", "unconfirmed", "why"}``."""
    if not isinstance(raw, dict) or "value" not in raw:
        raise InvalidValue(f"{where}: expected {{'value': ..., 'source'|'unconfirmed': ...}}")
    quote = str(raw.get("quote", ""))
    if raw.get("unconfirmed"):
        why = str(raw.get("why", "")).strip()
        if not why:
            raise InvalidValue(f"{where}: an unconfirmed value must say why")
        return Cited(raw["value"], None, quote, why)
    src = raw.get("source")
    if not isinstance(src, dict):
        raise InvalidValue(f"{where}: a value needs a source or 'unconfirmed': true")
    try:
        source = Source(
            str(src["document"]), str(src["title"]), str(src["section"]), str(src["revised"])
        )
    except KeyError as exc:
        raise InvalidValue(f"{where}: source lacks {exc}") from None
    if source.document not in DOCUMENTS:
        raise InvalidValue(f"{where}: source document must be one of {', '.join(DOCUMENTS)}")
    if not source.section.strip() or not _REVISED.match(source.revised):
        raise InvalidValue(f"{where}: a source needs a section and a revision date (YYYY-MM)")
    return Cited(raw["value"], source, quote, "")


def unknown(value: Any, why: str) -> Cited:
    """A value carried over without any source (a version-1 profile)."""
    return Cited(value, None, "", why)
