"""What a label shows, formatted once for every output format (PNG, PDF, ZPL, Qt).

Dates are DD MMM YYYY and times 24-hour local time with the zone and UTC beside
(ISBT 128). The ISBT 128 elements of ST-004 and ST-018 come from the case: the
collection's DIN, the site's product code (the ICCBBA tables are licensed, so a
site configures its codes; without one the label says "product code not
configured" and carries no product code symbol), the collection event, and the
storage and warnings of the product profile. Values the chain did not record
(a volume or anticoagulant not given at collection, an expiry no profile gives)
print as a line to be filled in by hand, never as an invented value.
"""

from __future__ import annotations

from datetime import date, timedelta

from cart_chain.domain.clock import parse_iso
from cart_chain.domain.din import Din
from cart_chain.domain.label_data import LabelData
from cart_chain.domain.label_layout import KIND_TITLES, Layout
from cart_chain.domain.labelcode import LabelCode
from cart_chain.domain.steps import Step
from cart_chain.services.views import CaseDetail, EventView, UnitView

_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
#: Printed where a value is written in by hand on the label.
WRITE_IN = "________________ (write in)"
NO_PRODUCT_CODE = "product code not configured"


def dob_text(iso: str) -> str:
    """DD MMM YYYY: unambiguous whether the reader writes dates day- or month-first."""
    d = date.fromisoformat(iso)
    return f"{d.day:02d} {_MONTHS[d.month - 1]} {d.year}"


def time_texts(at_iso: str) -> tuple[str, str]:
    """(local 24-hour time with zone and UTC in brackets, UTC alone)."""
    moment = parse_iso(at_iso)
    utc = moment.strftime("%Y-%m-%d %H:%M UTC")
    local = moment.astimezone()
    if local.utcoffset() == timedelta(0):
        return utc, utc
    return f"{local.strftime('%Y-%m-%d %H:%M %Z')} ({moment.strftime('%H:%M')} UTC)", utc


def _grouped_body(grouped: str) -> str:
    return grouped.rsplit(" [", 1)[0]


def _collection(case: CaseDetail, unit: UnitView) -> EventView | None:
    """The unit's collection event, or its parent's for a bag split from it."""
    by_unit = {u.unit: u for u in case.units}
    at: UnitView | None = unit
    while at is not None:
        found = [e for e in at.events if e.step == Step.COLLECTION.value and not e.voided]
        if found:
            return found[-1]
        at = by_unit.get(at.parent) if at.parent else None
    return None


def _celsius(value: float) -> str:
    return f"{value:g} °C".replace("-", "−")


def _collection_storage(case: CaseDetail) -> str:
    if case.collection_transit_c is None:
        return "cryopreserved before shipping: per the manufacturer's procedure"
    lo, hi = case.collection_transit_c
    return f"{_celsius(lo)} to {_celsius(hi)} in the manufacturer's shipper"


def label_data(
    case: CaseDetail,
    unit: UnitView,
    code: LabelCode,
    kind: str,
    step: Step,
    printed_at: str,
    printed_by: str,
    layout: Layout,
    reprint: bool,
) -> LabelData:
    """Everything the label shows, formatted once for every output format."""
    uid = code.unit
    local, utc = time_texts(printed_at)
    collected = _collection(case, unit)
    din = Din(unit.din[:-1]) if unit.din else None  # our DINs carry no process flags ("00")
    where = collected.location if collected and collected.location else WRITE_IN
    fin = din.fin if din else case.facility
    product_code = case.product_codes[0] if case.product_codes else ""
    return LabelData(
        payload=code.payload,
        coi=case.coi,
        coi_grouped=_grouped_body(case.grouped),
        coi_check=uid.coi.check,
        coi_isbt=f"&/{uid.coi.body}",
        unit=unit.unit,
        unit_grouped=_grouped_body(uid.grouped()),
        unit_check=uid.check,
        unit_suffix=f"U{uid.number:02d}",
        bag=f"bag {unit.number} of {unit.of}",
        product=case.product,
        kind_title=KIND_TITLES[kind],
        step=step.label,
        printed_at=local,
        printed_at_utc=utc,
        patient_name=case.patient_name,
        patient_dob=dob_text(case.patient_dob),
        serial=code.serial_text,
        reprint="REPRINT" if reprint else "",
        printed_by=printed_by,
        template=layout.ref,
        din_barcode=din.barcode if din else "",
        din_grouped=_grouped_body(din.grouped()) if din else "DIN not assigned",
        din_check=din.check if din else "",
        product_code_barcode=f"=<{product_code}" if product_code else "",
        product_code=product_code or NO_PRODUCT_CODE,
        profile_name=case.profile_name or case.product,
        collection_facility=f"{case.facility_name or where} · FIN {fin}",
        facility_name=case.facility_name or WRITE_IN,
        facility_fin=fin,
        collection_end=time_texts(collected.occurred_at)[0] if collected else WRITE_IN,
        volume=(
            f"{collected.volume_ml:g} mL"
            if collected and collected.volume_ml is not None
            else WRITE_IN.replace("(write in)", "mL (write in)")
        ),
        anticoagulant=collected.anticoagulant
        if collected and collected.anticoagulant
        else WRITE_IN,
        collection_storage=_collection_storage(case),
        product_storage=(
            f"at or below {_celsius(case.storage_max_c)}, vapour phase of liquid nitrogen"
            if case.storage_max_c is not None
            else WRITE_IN
        ),
        expiry="none set by the product profile",
        warnings="; ".join(case.profile_warnings) or "none in the product profile",
    )
