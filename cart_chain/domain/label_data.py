"""The plain data a label shows: built by the labelling service, drawn by `cart_chain.labels`."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True, slots=True)
class LabelData:
    """Every field a template may reference, already formatted for print.

    Formatting happens once, here and in the service, so PNG, PDF and ZPL show
    exactly the same text: dates as DD MMM YYYY (no day/month ambiguity across
    sites), times as 24-hour local time with the zone and UTC alongside.
    """

    payload: str  # the QR / Data Matrix content (cart_chain.domain.labelcode)
    coi: str  # full COI with check character
    coi_grouped: str  # COI body in groups, without the check character
    coi_check: str
    coi_isbt: str  # "&/" + COI body: ISBT 128 Data Structure 040 for Code 128
    unit: str  # full unit id with check character
    unit_grouped: str  # unit body in groups, without the check character
    unit_check: str
    unit_suffix: str  # "U02", what distinguishes the bags of one case
    bag: str  # "bag 2 of 3"
    product: str
    kind_title: str  # "BAG LABEL"
    step: str  # the step the label was printed at, human-readable
    printed_at: str  # local 24-hour time with zone
    printed_at_utc: str
    patient_name: str
    patient_dob: str  # DD MMM YYYY
    serial: str  # label serial as in the payload (base 36)
    reprint: str  # "" for a first print, else "REPRINT" and the serial
    printed_by: str
    template: str  # template reference "kind@revision"

    def fields(self) -> dict[str, str]:
        return asdict(self)
