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
    # ISBT 128 (ST-004, ST-018): identifiers and the collection's facts. A symbol whose
    # data is "" is left off the label; its text then says why (never an invented value).
    din_barcode: str = ""  # Data Structure 001: "=" + DIN + flags, no check character
    din_grouped: str = "DIN not assigned"  # eye-readable DIN without its check character
    din_check: str = ""
    product_code_barcode: str = ""  # Data Structure 003: "=<" + the site's product code
    product_code: str = "product code not configured"
    profile_name: str = ""  # the product profile's name
    collection_facility: str = ""  # where the collection took place, and the FIN
    facility_name: str = ""  # the shared setting facility_name (a write-in line when unset)
    facility_fin: str = ""  # the facility identification number of the DIN (or the site's)
    collection_end: str = ""  # end of collection, local time with zone and UTC
    volume: str = ""
    anticoagulant: str = ""
    collection_storage: str = ""  # how the collection is kept and shipped
    product_storage: str = ""  # how the final product is stored
    expiry: str = ""
    warnings: str = ""  # the product profile's warnings, e.g. "Do not irradiate"
    #: The short checkpoint signed at this print ("SIZE ROOT8", `domain.evidence`): every
    #: bag carries a witness of the ledger as it was labelled.
    checkpoint: str = ""

    def fields(self) -> dict[str, str]:
        return asdict(self)
