"""Who may do what. Checked in the services, whatever the UI shows."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    ADMINISTRATOR = "administrator"
    APHERESIS = "apheresis"
    COURIER = "courier"
    CELL_LAB = "cell_lab"
    QA = "qa"
    INFUSION = "infusion"


#: Roles that may enrol a new case (the treating centre's clinical staff and QA).
ENROL_ROLES = frozenset({Role.APHERESIS, Role.INFUSION, Role.QA})


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        from cart_chain.domain.errors import InvalidValue

        raise InvalidValue(f"unknown role {text!r}; choose one of: {allowed}") from None
