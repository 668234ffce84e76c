"""Small text helpers the kinds' audit descriptions share."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from cart_chain.domain.steps import Step

#: Payload keys never copied into an export (secrets that happen to be in the ledger).
SECRET_KEYS = frozenset({"password_hash"})


def fmt(value: Any) -> str:
    """A payload value as an auditor reads it (floats without trailing zeros)."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    return str(value)


#: Built once: every step in an audit export is labelled.
_STEP_LABELS = {s.value: s.label for s in Step}


def step_label(step: Any) -> str:
    label = _STEP_LABELS.get(step) if isinstance(step, str) else None
    return str(step) if label is None else label


def text(p: Mapping[str, Any], key: str) -> str:
    """``p[key]`` as text, '' when absent or empty."""
    return str(p.get(key) or "")


def raw_details(p: Mapping[str, Any]) -> str:
    """The payload itself, less secrets and signatures (a kind with no description)."""
    return json.dumps(
        {k: v for k, v in p.items() if k not in SECRET_KEYS and k != "signatures"},
        ensure_ascii=False,
        sort_keys=True,
    )
