"""The steps of a unit's journey and the state machine that orders them.

A step is recorded against one unit. The machine is deliberately strict: a
step out of order is refused with the steps that could come next, because a
custody record that skips a handoff is how a bag goes missing on paper.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from cart_chain.domain.errors import MissingCondition, StepOrderError
from cart_chain.domain.roles import Role


class Step(StrEnum):
    COLLECTION = "collection"
    SHIP_TO_MANUFACTURING = "ship_to_manufacturing"
    RECEIPT_AT_MANUFACTURING = "receipt_at_manufacturing"
    ENGINEERING = "engineering"
    EXPANSION = "expansion"
    CRYOPRESERVATION = "cryopreservation"
    RELEASE = "release"
    STORAGE = "storage"
    SHIP_TO_SITE = "ship_to_site"
    RECEIPT_AT_SITE = "receipt_at_site"
    THAW = "thaw"
    INFUSION = "infusion"

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    Step.COLLECTION: "Collection (apheresis)",
    Step.SHIP_TO_MANUFACTURING: "Ship to manufacturing",
    Step.RECEIPT_AT_MANUFACTURING: "Receipt at manufacturing",
    Step.ENGINEERING: "Engineering (transduction)",
    Step.EXPANSION: "Expansion",
    Step.CRYOPRESERVATION: "Cryopreservation",
    Step.RELEASE: "Release (QA)",
    Step.STORAGE: "Storage",
    Step.SHIP_TO_SITE: "Ship to treatment centre",
    Step.RECEIPT_AT_SITE: "Receipt at treatment centre",
    Step.THAW: "Thaw",
    Step.INFUSION: "Infusion",
}

ORDER: tuple[Step, ...] = tuple(Step)

#: Which step may follow which. ``None`` is a unit with no event yet.
TRANSITIONS: dict[Step | None, frozenset[Step]] = {
    None: frozenset({Step.COLLECTION}),
    Step.COLLECTION: frozenset({Step.SHIP_TO_MANUFACTURING}),
    # A transport may have several legs (courier to courier, airport to lab).
    Step.SHIP_TO_MANUFACTURING: frozenset(
        {Step.SHIP_TO_MANUFACTURING, Step.RECEIPT_AT_MANUFACTURING}
    ),
    Step.RECEIPT_AT_MANUFACTURING: frozenset({Step.ENGINEERING}),
    Step.ENGINEERING: frozenset({Step.EXPANSION}),
    Step.EXPANSION: frozenset({Step.CRYOPRESERVATION}),
    Step.CRYOPRESERVATION: frozenset({Step.RELEASE}),
    Step.RELEASE: frozenset({Step.STORAGE, Step.SHIP_TO_SITE}),
    # Storage may move between locations (tank to tank) before shipping.
    Step.STORAGE: frozenset({Step.STORAGE, Step.SHIP_TO_SITE}),
    Step.SHIP_TO_SITE: frozenset({Step.SHIP_TO_SITE, Step.RECEIPT_AT_SITE}),
    Step.RECEIPT_AT_SITE: frozenset({Step.THAW}),
    Step.THAW: frozenset({Step.INFUSION}),
    Step.INFUSION: frozenset(),
}


class Custody(StrEnum):
    """Who holds the unit once the step is recorded."""

    PERFORMER = "by"  # the one who performed or released
    RECEIVER = "to"  # the one who received
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class StepRule:
    """Signing rule of one step: meanings, roles, and where custody goes."""

    by_meaning: str
    by_roles: frozenset[Role]
    to_meaning: str | None  # None: one signature suffices
    to_roles: frozenset[Role]
    custody: Custody


def _r(*roles: Role) -> frozenset[Role]:
    return frozenset(roles)


PERFORMED, RELEASED, RECEIVED, VERIFIED = (
    "Performed by",
    "Released by",
    "Received by",
    "Verified by",
)
_CLINICAL = _r(Role.APHERESIS, Role.INFUSION)
_SITE = _r(Role.INFUSION, Role.CELL_LAB)

RULES: dict[Step, StepRule] = {
    Step.COLLECTION: StepRule(
        PERFORMED, _r(Role.APHERESIS), VERIFIED, _CLINICAL, Custody.PERFORMER
    ),
    Step.SHIP_TO_MANUFACTURING: StepRule(
        RELEASED,
        _r(Role.APHERESIS, Role.CELL_LAB, Role.COURIER),
        RECEIVED,
        _r(Role.COURIER),
        Custody.RECEIVER,
    ),
    Step.RECEIPT_AT_MANUFACTURING: StepRule(
        RELEASED, _r(Role.COURIER), RECEIVED, _r(Role.CELL_LAB), Custody.RECEIVER
    ),
    Step.ENGINEERING: StepRule(PERFORMED, _r(Role.CELL_LAB), None, _r(), Custody.PERFORMER),
    Step.EXPANSION: StepRule(PERFORMED, _r(Role.CELL_LAB), None, _r(), Custody.PERFORMER),
    Step.CRYOPRESERVATION: StepRule(PERFORMED, _r(Role.CELL_LAB), None, _r(), Custody.PERFORMER),
    Step.RELEASE: StepRule(
        RELEASED, _r(Role.QA), VERIFIED, _r(Role.QA, Role.CELL_LAB), Custody.UNCHANGED
    ),
    Step.STORAGE: StepRule(PERFORMED, _r(Role.CELL_LAB), None, _r(), Custody.PERFORMER),
    Step.SHIP_TO_SITE: StepRule(
        RELEASED, _r(Role.CELL_LAB, Role.COURIER), RECEIVED, _r(Role.COURIER), Custody.RECEIVER
    ),
    Step.RECEIPT_AT_SITE: StepRule(RELEASED, _r(Role.COURIER), RECEIVED, _SITE, Custody.RECEIVER),
    Step.THAW: StepRule(PERFORMED, _SITE, VERIFIED, _SITE, Custody.PERFORMER),
    Step.INFUSION: StepRule(
        PERFORMED, _r(Role.INFUSION), VERIFIED, _CLINICAL | _SITE, Custody.PERFORMER
    ),
}

#: Steps that are handoffs and so need a second person's signature.
HANDOFFS = frozenset(s for s, r in RULES.items() if r.to_meaning is not None)

#: Steps where the bag is looked at as it is taken over or used: both receipts, the
#: thaw and the infusion. Their record states the bag's condition (`check_condition`).
CONDITION_STEPS = frozenset(
    {Step.RECEIPT_AT_MANUFACTURING, Step.RECEIPT_AT_SITE, Step.THAW, Step.INFUSION}
)


def check_condition(step: Step, condition: str | None) -> None:
    """Refuse, as `MissingCondition`, a step of `CONDITION_STEPS` without a condition.

    Enforced in the core, not only by the GUI's required field: a script or the
    command line recording a receipt must say what the receiver saw, too.
    """
    if step in CONDITION_STEPS and not condition:
        raise MissingCondition(
            f"the {step.value} step needs the bag's condition (what you see of the bag and "
            "its container, e.g. intact, no leaks), which was not given; record it again "
            "with the condition (--condition TEXT)"
        )


def _fitting(step: Step, first: Role, second: Role) -> int:
    """How many of the two sides ``first`` (first side) and ``second`` may sign."""
    rule = RULES[step]
    return (first in rule.by_roles) + (second in rule.to_roles)


def sides_swapped(step: Step, first: Role, second: Role) -> bool:
    """Whether the second person named signs the first side (released / performed by).

    Which side a signer takes follows from the roles, not from who logged in: a lab
    technician at their own workstation names themself first and the courier second,
    and still signs "Received by". The order that fits more sides wins (when neither
    fits, the refusal then names the person who is out of place); only when both fit
    equally (two couriers between legs, two site staff at a thaw) does the order given
    decide.
    """
    if RULES[step].to_meaning is None:
        return False
    return _fitting(step, second, first) > _fitting(step, first, second)


def meanings_for(
    step: Step, mine: Role, other: Role | None, holds: bool = True
) -> tuple[str, str | None]:
    """(my meaning, the other person's meaning) as the service will assign them.

    ``other`` not known yet (not typed): the second side is mine when my role may
    sign only that side, or when I may sign it and do not hold the bag (``holds``):
    the one who does not hold a bag at a handoff is the one receiving it.
    """
    rule = RULES[step]
    if rule.to_meaning is None:
        return rule.by_meaning, None
    if other is not None:
        swapped = sides_swapped(step, mine, other)
    else:
        swapped = mine in rule.to_roles and (mine not in rule.by_roles or not holds)
    if swapped:
        return rule.to_meaning, rule.by_meaning
    return rule.by_meaning, rule.to_meaning


def may_sign(step: Step, role: Role) -> bool:
    rule = RULES[step]
    return role in rule.by_roles or (rule.to_meaning is not None and role in rule.to_roles)


def steps_for(role: Role, steps: tuple[str, ...] | list[str], holds: bool) -> list[Step]:
    """A bag's next steps, the one ``role`` most likely does first, then journey order.

    The holder of the bag (``holds``) releases or performs: steps whose first side
    the role may sign come first. Anyone else receives: steps whose second side it
    may sign come first (a lab technician after a shipment: the receipt, not another
    transport leg). Steps the role signs no side of come last.
    """

    def key(step: Step) -> tuple[bool, bool, int]:
        rule = RULES[step]
        if holds:
            own = role in rule.by_roles
        else:
            own = rule.to_meaning is not None and role in rule.to_roles
        return (not may_sign(step, role), not own, ORDER.index(step))

    return sorted((Step(s) for s in steps), key=key)


def parse_step(text: str) -> Step:
    try:
        return Step(text.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        names = ", ".join(s.value for s in Step)
        raise StepOrderError(f"unknown step {text!r}; steps are: {names}") from None


def next_steps(current: Step | None) -> frozenset[Step]:
    return TRANSITIONS[current]


def ordered(steps: frozenset[Step]) -> list[Step]:
    return sorted(steps, key=ORDER.index)


def check_transition(current: Step | None, step: Step) -> None:
    """Raise `StepOrderError` naming the expected steps if ``step`` may not follow."""
    allowed = TRANSITIONS[current]
    if step in allowed:
        return
    if not allowed:
        raise StepOrderError(f"nothing may follow {current.value if current else 'nothing'}")
    after = f"after {current.value}" if current else "as the first step"
    expected = " or ".join(s.value for s in ordered(allowed))
    raise StepOrderError(f"{step.value} is not allowed {after}; expected {expected}")


@dataclass(frozen=True, slots=True)
class Held:
    """Where a unit's live steps leave it: its step, who holds it, where it was last."""

    step: Step | None
    custodian: str | None
    location: str | None


def held_after(steps: Iterable[tuple[str, str, str | None, str | None]]) -> Held:
    """Fold a unit's live (not voided) steps, oldest first, each (step, by, to, location
    as corrected), into who holds it: the case view and a scan both read it here."""
    step: Step | None = None
    custodian = location = None
    for name, by, to, where in steps:
        step = Step(name)
        custody = RULES[step].custody
        if custody is Custody.PERFORMER:
            custodian = by
        elif custody is Custody.RECEIVER:
            custodian = to or by
        location = where or location
    return Held(step, custodian, location)
