"""`Kind.fits`, the fast test `verify` asks of every payload, agrees with the walk that
names what is wrong (`Kind.problem`'s message), for payloads of every declared kind:
well formed, with a value of the wrong type, a key missing, or a key nobody declared.
A payload the fast test passed wrongly would pass `verify` unread."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cart_chain.store.kinds import all_kinds
from cart_chain.store.kinds.registry import Field, _problem

KINDS = sorted(all_kinds())

_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=3)
)
_json = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner),
    max_leaves=6,
)


def _of_type(t: type, spec: Field) -> st.SearchStrategy[Any]:
    if t is dict:
        return (
            _payload(spec.fields) if spec.fields is not None else st.dictionaries(st.text(), _json)
        )
    if t is list:
        return st.lists(_value(spec.item) if spec.item is not None else _json, max_size=3)
    return {
        str: st.text(max_size=3),
        int: st.integers(),
        float: st.floats(allow_nan=False),
        bool: st.booleans(),
        type(None): st.none(),
    }[t]


def _value(spec: Field) -> st.SearchStrategy[Any]:
    return st.one_of(*(_of_type(t, spec) for t in spec.types))


def _payload(fields: Mapping[str, Field]) -> st.SearchStrategy[dict[str, Any]]:
    """A well-formed object of ``fields`` (optional keys present or not)."""
    return st.fixed_dictionaries(
        {k: _value(s) for k, s in fields.items() if s.required},
        optional={k: _value(s) for k, s in fields.items() if not s.required},
    )


def _places(value: Any) -> list[tuple[Any, Any]]:
    """Every (container, key or index) inside ``value``, the payload itself first."""
    found: list[tuple[Any, Any]] = []
    if isinstance(value, dict):
        for k, v in value.items():
            found.append((value, k))
            found.extend(_places(v))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            found.append((value, i))
            found.extend(_places(v))
    return found


def _spoil(data: st.DataObject, payload: dict[str, Any]) -> None:
    """One change at one place: a value of another type (a boolean in a count, often),
    a key taken away, or a key nobody declared added."""
    places = _places(payload)
    how = data.draw(st.sampled_from(["retype", "drop", "add"] if places else ["add"]))
    if how == "add":
        objects = [payload] + [c[k] for c, k in places if isinstance(c[k], dict)]
        data.draw(st.sampled_from(objects))[data.draw(st.text(min_size=1, max_size=3))] = 0
        return
    container, key = data.draw(st.sampled_from(places))
    if how == "drop" and isinstance(container, dict):
        del container[key]
    else:
        container[key] = data.draw(st.booleans() | _json)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_the_fast_test_agrees_with_the_walk_that_names_the_problem(data: st.DataObject) -> None:
    kind = all_kinds()[data.draw(st.sampled_from(KINDS))]
    payload = data.draw(_payload(kind.payload))
    if data.draw(st.booleans()):
        _spoil(data, payload)
    named = _problem(kind.payload, payload, "payload")
    assert kind.fits(payload) is (named is None), named
    assert kind.problem(payload) == named


_PLAIN: dict[type, Any] = {str: "x", int: 1, float: 1.5, bool: True, type(None): None}


def _plain(spec: Field) -> Any:
    """A well-formed value of ``spec``: its first type, every optional key present."""
    t = spec.types[0]
    if t is dict:
        return {k: _plain(s) for k, s in (spec.fields or {}).items()}
    if t is list:
        return [] if spec.item is None else [_plain(spec.item)]
    return _PLAIN[t]


def test_every_single_change_to_a_well_formed_payload_is_judged_alike() -> None:
    """Exhaustive where the property test samples: at every place of every kind's payload,
    each JSON type in turn, the key taken away, and a key nobody declared."""
    judged = 0
    for name in KINDS:
        kind = all_kinds()[name]
        base = _plain(Field((dict,), fields=kind.payload))
        assert kind.fits(base) and kind.problem(base) is None, name
        for i in range(len(_places(base)) + 1):
            for change in [*_PLAIN.values(), [], {}, "drop", "add"]:
                payload = json.loads(json.dumps(base))
                container, key = [(payload, None), *_places(payload)][i]
                if change == "add":
                    target = container if key is None else container[key]
                    if not isinstance(target, dict):
                        continue
                    target["undeclared"] = 1
                elif key is None:
                    continue
                elif change == "drop":
                    if not isinstance(container, dict):
                        continue
                    del container[key]
                else:
                    container[key] = change
                named = _problem(kind.payload, payload, "payload")
                assert kind.fits(payload) is (named is None), (name, named)
                judged += 1
    assert judged > 1000
