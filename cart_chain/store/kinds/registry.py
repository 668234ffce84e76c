"""The declaration of an entry kind, and the table of every kind declared.

A ledger entry kind is declared once, in its family's module of this package:
the shape of its payload (checked by `ledger.append` before anything is
written), the projection rows it produces (written by `ledger.append`,
recomputed by `verify`), how an auditor reads it (the audit export), which of
its fields a correction may change and how a new value is checked
(`services.corrections`), and which case and unit it concerns (audit filters,
custody reports). Who may sign and correct it stays in one table,
`cart_chain.domain.authority` (the README prints it); `Kind.rules` reads it.

A new engineer adds an entry kind by adding one `Kind(...)` to one module here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from cart_chain.domain.authority import ADMIN_KINDS, AUTHORITY, SIGNED_KINDS, USER_KINDS, Rule
from cart_chain.domain.errors import CartChainError, MalformedEntry
from cart_chain.domain.identifiers import UnitId, parse_any
from cart_chain.store.models import Base, Signature

if TYPE_CHECKING:
    from cart_chain.store.ledger import Entry

Row = tuple[type[Base], dict[str, Any]]
Projector = Callable[["Entry"], Iterator[Row]]
#: A correctable field's checker: the typed new value in, its stored (canonical) text out.
Checker = Callable[[str], str]

_NONE = type(None)


@dataclass(frozen=True, slots=True)
class Field:
    """One payload key: the JSON types it may hold, whether it must be there, and the
    shape of what it holds (``fields`` for an object, ``item`` for each list element)."""

    types: tuple[type, ...]
    required: bool = True
    fields: Mapping[str, Field] | None = None
    item: Field | None = None


def req(
    *types: type, fields: Mapping[str, Field] | None = None, item: Field | None = None
) -> Field:
    """A key every payload of the kind carries."""
    return Field(types, True, fields, item)


def opt(
    *types: type, fields: Mapping[str, Field] | None = None, item: Field | None = None
) -> Field:
    """A key that may be absent (older entries lack it) or null."""
    return Field((*types, _NONE), False, fields, item)


#: A JSON number: an int is a float too (a whole temperature is stored as 4, not 4.0).
NUMBER = (int, float)
#: One signature in a payload's ``signatures`` list (see `services.signing.signature`).
SIGNATURE = req(
    dict,
    fields={
        "username": req(str),
        "printed_name": req(str),
        "meaning": req(str),
        "signed_at": req(str),
    },
)
SIGNATURES = req(list, item=SIGNATURE)


class AuditText(NamedTuple):
    """What the audit export prints for an entry, beside its header columns (a tuple:
    one is made for every entry of an export)."""

    action: str
    details: str = ""
    before: str = ""
    after: str = ""
    reason: str = ""


def no_rows(entry: Entry) -> Iterator[Row]:
    """A kind that projects nothing: it lives in the ledger only."""
    return iter(())


def case_of(p: Mapping[str, Any]) -> str | None:
    """The case an entry is about: its ``coi``, else the case of the unit it names."""
    value = p.get("coi")
    if isinstance(value, str) and value:
        return value
    unit = p.get("unit") or p.get("parent")
    if isinstance(unit, str) and unit:
        try:
            ident = parse_any(unit)
        except CartChainError:  # not an identifier: the entry names no case
            return None
        return ident.coi.full if isinstance(ident, UnitId) else None
    return None


def unit_of(p: Mapping[str, Any]) -> str:
    """The unit an entry is about ('' when none): its ``unit``, or a split's parent."""
    return str(p.get("unit") or p.get("parent") or "")


def _cases_of_main(kind: Kind, p: Mapping[str, Any]) -> set[str]:
    main = kind.case(p)
    return {main} if main else set()


@dataclass(frozen=True, slots=True)
class Kind:
    """Everything the code knows about one entry kind, in one place."""

    name: str
    #: What the kind records, for a reader of the code and the kinds table.
    doc: str
    #: The payload's keys; any other key is refused on write.
    payload: Mapping[str, Field]
    #: Its projection rows (recomputed by `verify`, so a projection cannot drift).
    rows: Projector = no_rows
    #: Its audit-report text (payload in; password hashes are never copied out).
    audit: Callable[[Mapping[str, Any]], AuditText] | None = None
    #: Correctable fields and the checker of each new value (who may: `rules`).
    correctable: Mapping[str, Checker] = field(default_factory=dict)
    #: The case it concerns (audit ``--case``, the report of a case).
    case: Callable[[Mapping[str, Any]], str | None] = case_of
    #: Every case it concerns (a refused scan: the expected and the scanned one).
    cases: Callable[[Kind, Mapping[str, Any]], set[str]] = _cases_of_main
    #: The unit it concerns.
    unit: Callable[[Mapping[str, Any]], str] = unit_of
    #: Whether a payload fits ``payload`` (built from it once; `problem` says why not).
    fits: Callable[[Any], bool] = field(init=False, repr=False, compare=False)

    def rules(self) -> tuple[Rule, ...]:
        """Its rows of the authority table: who signs it and who corrects which field."""
        return tuple(r for (k, _), r in AUTHORITY.items() if k == self.name)

    @property
    def written_by(self) -> str:
        """Who writes it, as `verify` checks: signers, an administrator, or any user."""
        if self.name in SIGNED_KINDS:
            return "signers (authority table)"
        if self.name in ADMIN_KINDS:
            return "an administrator"
        if self.name in USER_KINDS:
            return "any active user (site key signature)"
        return "the acting user (no signature list)"

    def __post_init__(self) -> None:
        object.__setattr__(self, "fits", _fits(self.payload))

    def problem(self, payload: Any) -> str | None:
        """What in ``payload`` this kind does not declare, or None (`verify` asks too).

        `fits` answers for the well-formed payloads `verify` reads a million of; only
        a payload that does not fit pays for the walk that names where it goes wrong.
        """
        if self.fits(payload):
            return None
        return _problem(self.payload, payload, "payload")

    def check(self, payload: Any) -> None:
        """Refuse a payload this kind does not declare (`MalformedEntry`)."""
        problem = self.problem(payload)
        if problem is not None:
            raise MalformedEntry(f"{self.name} entry refused: {problem}; nothing was written")


def _problem(fields: Mapping[str, Field], value: Any, where: str) -> str | None:
    if not isinstance(value, dict):
        return f"{where} is not an object"
    for key in value:
        if key not in fields:
            return f"{where} has a key {key!r} the kind does not declare"
    for key, spec in fields.items():
        if key not in value:
            if spec.required:
                return f"{where} lacks {key!r}"
            continue
        wrong = _value_problem(spec, value[key], f"{where}.{key}")
        if wrong is not None:
            return wrong
    return None


def _value_problem(spec: Field, value: Any, where: str) -> str | None:
    # bool is an int in Python, never a number or a count in a payload
    if (isinstance(value, bool) and bool not in spec.types) or not isinstance(value, spec.types):
        names = " or ".join("null" if t is _NONE else t.__name__ for t in spec.types)
        return f"{where} is {type(value).__name__}, expected {names}"
    if isinstance(value, dict) and spec.fields is not None:
        return _problem(spec.fields, value, where)
    if isinstance(value, list) and spec.item is not None:
        for i, item in enumerate(value):
            wrong = _value_problem(spec.item, item, f"{where}[{i}]")
            if wrong is not None:
                return wrong
    return None


_MISSING = object()


def _fits(fields: Mapping[str, Field]) -> Callable[[Any], bool]:
    """`_problem` of ``fields`` as a yes/no test, its look-ups resolved in advance (the
    type test is inline: a call per key would cost more than the test)."""
    declared = frozenset(fields)
    checks = [
        (key, spec.required, spec.types, bool in spec.types, _inner_fits(spec))
        for key, spec in fields.items()
    ]

    def fits(value: Any) -> bool:
        if not isinstance(value, dict) or not declared.issuperset(value):
            return False
        for key, required, types, takes_bool, inner in checks:
            item = value.get(key, _MISSING)
            if item is _MISSING:
                if required:
                    return False
            elif (
                not isinstance(item, types)
                or (item.__class__ is bool and not takes_bool)
                or (inner is not None and not inner(item))
            ):
                return False
        return True

    return fits


def _inner_fits(spec: Field) -> Callable[[Any], bool] | None:
    """The test of what a value of ``spec`` holds (its keys, its items), or None."""
    nested = _fits(spec.fields) if spec.fields is not None else None
    if spec.item is None:
        return None if nested is None else (lambda v: not isinstance(v, dict) or nested(v))
    item, types, takes_bool = spec.item, spec.item.types, bool in spec.item.types
    deeper = _inner_fits(item)

    def fits(value: Any) -> bool:
        if nested is not None and isinstance(value, dict):
            return nested(value)
        if not isinstance(value, list):
            return True
        for v in value:
            if not isinstance(v, types) or (v.__class__ is bool and not takes_bool):
                return False
            if deeper is not None and not deeper(v):
                return False
        return True

    return fits


_KINDS: dict[str, Kind] = {}


def register(*kinds: Kind) -> None:
    """Add kinds to the table (each family module calls this once, at import)."""
    for k in kinds:
        if k.name in _KINDS:
            raise RuntimeError(f"entry kind {k.name!r} is declared twice")
        _KINDS[k.name] = k


def all_kinds() -> Mapping[str, Kind]:
    return _KINDS


def kind_of(name: str) -> Kind:
    """The declaration of ``name``; an undeclared kind is refused (`MalformedEntry`)."""
    found = _KINDS.get(name)
    if found is None:
        raise MalformedEntry(f"{name!r} is not a known entry kind; nothing was written")
    return found


def signature_rows(entry: Entry) -> Iterator[Row]:
    """The ``signatures`` projection of a signed entry: one row per signature, in order."""
    for i, sig in enumerate(entry.payload.get("signatures", ()), start=1):
        yield (
            Signature,
            dict(
                entry_seq=entry.seq,
                ordinal=i,
                username=sig["username"],
                printed_name=sig["printed_name"],
                meaning=sig["meaning"],
                signed_at=sig["signed_at"],
            ),
        )
