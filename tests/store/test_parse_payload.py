"""`ledger.parse_payload`: the audit export's and `verify`'s parse of a stored payload.

It calls json's C scanner directly, so it must read every canonical payload as
`json.loads` does, and refuse what is not exactly one JSON value.
"""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cart_chain.store.ledger import canonical, parse_payload

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(st.dictionaries(st.text(), _JSON, max_size=6))
def test_reads_every_canonical_payload_as_json_loads_does(payload: dict[str, object]) -> None:
    text = canonical(payload)
    assert parse_payload(text) == json.loads(text)


@pytest.mark.parametrize(
    "text",
    ["", "x", '{"a": 1} trailing', '{"a": 1}{"b": 2}', '{"a": ', " ", '{"a": 1} '],
)
def test_refuses_what_is_not_one_json_value(text: str) -> None:
    with pytest.raises(ValueError):
        parse_payload(text)
