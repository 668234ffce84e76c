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


#: How each role is shown to people (the GUI, messages); the value stays the stored id.
ROLE_NAMES: dict[str, str] = {
    Role.ADMINISTRATOR.value: "Administrator",
    Role.APHERESIS.value: "Apheresis",
    Role.COURIER.value: "Courier",
    Role.CELL_LAB.value: "Cell lab",
    Role.QA.value: "QA",
    Role.INFUSION.value: "Infusion",
}


def role_name(role: str) -> str:
    """The plain name of a role id (``cell_lab`` -> "Cell lab"); an unknown id as typed."""
    return ROLE_NAMES.get(str(role), str(role).replace("_", " "))


#: Roles that may enrol a new case (the treating centre's clinical staff and QA).
ENROL_ROLES = frozenset({Role.APHERESIS, Role.INFUSION, Role.QA})


def parse_role(text: str) -> Role:
    try:
        return Role(text.strip().lower().replace("-", "_").replace(" ", "_"))
    except ValueError:
        allowed = ", ".join(r.value for r in Role)
        from cart_chain.domain.errors import InvalidValue

        raise InvalidValue(f"unknown role {text!r}; choose one of: {allowed}") from None
