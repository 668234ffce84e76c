"""From a ledger entry to the rows it puts in the projection tables.

The same function serves the writer (`ledger.append`) and the checker
(`verify`), so a projection can never drift from what the ledger says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from cart_chain.domain.manufacturer import CASE_LINKED, LINK_KINDS
from cart_chain.store.models import (
    Base,
    Case,
    CaseLink,
    CollectionDin,
    ConditionLog,
    Correction,
    Deviation,
    DeviationReview,
    Event,
    GateOverride,
    LabelPrint,
    LabelVoid,
    PatientEvent,
    Setting,
    Signature,
    Unit,
    User,
    UserChange,
)

if TYPE_CHECKING:
    from cart_chain.store.ledger import Entry

Row = tuple[type[Base], dict[str, Any]]
Projector = Callable[["Entry"], Iterator[Row]]

_PROJECTORS: dict[str, Projector] = {}


def projector(kind: str) -> Callable[[Projector], Projector]:
    def register(fn: Projector) -> Projector:
        _PROJECTORS[kind] = fn
        return fn

    return register


def project(entry: Entry) -> list[Row]:
    fn = _PROJECTORS.get(entry.kind)
    return [] if fn is None else list(fn(entry))


def _signatures(entry: Entry) -> Iterator[Row]:
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


@projector("user_created")
def _user_created(e: Entry) -> Iterator[Row]:
    p = e.payload
    yield (
        User,
        dict(username=p["username"], entry_seq=e.seq, full_name=p["full_name"], role=p["role"]),
    )
    # A first password typed by an administrator is temporary: it must be changed.
    change = "password_temporary" if p.get("temporary") else "password"
    yield (
        UserChange,
        dict(entry_seq=e.seq, username=p["username"], change=change, value=p["password_hash"]),
    )


@projector("user_changed")
def _user_changed(e: Entry) -> Iterator[Row]:
    p = e.payload
    yield (
        UserChange,
        dict(entry_seq=e.seq, username=p["username"], change=p["change"], value=p.get("value")),
    )


@projector("setting_changed")
def _setting_changed(e: Entry) -> Iterator[Row]:
    yield Setting, dict(entry_seq=e.seq, key=e.payload["key"], value=e.payload["value"])


@projector("case_created")
def _case_created(e: Entry) -> Iterator[Row]:
    p = e.payload
    yield (
        Case,
        dict(
            coi=p["coi"],
            entry_seq=e.seq,
            facility=p["facility"],
            year=p["year"],
            patient_name=p["patient"]["name"],
            patient_dob=p["patient"]["dob"],
            mrn=p["patient"]["mrn"],
            product=p["product"],
            profile_id=(p.get("profile") or {}).get("id"),
            profile_version=(p.get("profile") or {}).get("version"),
        ),
    )
    for number, code in enumerate(p["units"], start=1):
        yield (
            Unit,
            dict(unit_code=code, entry_seq=e.seq, coi=p["coi"], number=number, parent_unit=None),
        )
    # One DIN per collection, in unit order (cases enrolled before 0004 have none).
    for code, din in zip(p["units"], p.get("dins", ()), strict=False):
        yield (
            CollectionDin,
            dict(
                din=din,
                entry_seq=e.seq,
                unit_code=code,
                coi=p["coi"],
                facility=din[:5],
                year=int(din[5:7]),
                sequence=int(din[7:13]),
            ),
        )


@projector("dins_assigned")
def _dins_assigned(e: Entry) -> Iterator[Row]:
    """DINs an administrator gave collections enrolled before DINs existed (0004)."""
    for a in e.payload["assigned"]:
        din = a["din"]
        yield (
            CollectionDin,
            dict(
                din=din,
                entry_seq=e.seq,
                unit_code=a["unit"],
                coi=a["coi"],
                facility=din[:5],
                year=int(din[5:7]),
                sequence=int(din[7:13]),
            ),
        )


def _event_row(e: Entry, unit: str, p: dict[str, Any]) -> Row:
    return Event, dict(
        entry_seq=e.seq,
        unit_code=unit,
        step=p["step"],
        occurred_at=p["occurred_at"],
        location=p.get("location"),
        temperature_c=p.get("temperature_c"),
        note=p.get("note"),
        by_user=p["by"],
        to_user=p.get("to"),
        started_at=p.get("started_at"),
        condition=p.get("condition"),
        volume_ml=p.get("volume_ml"),
        anticoagulant=p.get("anticoagulant"),
    )


@projector("event_recorded")
def _event_recorded(e: Entry) -> Iterator[Row]:
    yield _event_row(e, e.payload["unit"], e.payload)
    yield from _signatures(e)


@projector("unit_split")
def _unit_split(e: Entry) -> Iterator[Row]:
    p = e.payload
    for child in p["children"]:
        yield (
            Unit,
            dict(
                unit_code=child["unit"],
                entry_seq=e.seq,
                coi=p["coi"],
                number=child["number"],
                parent_unit=p["parent"],
            ),
        )
    for child in p["children"]:
        yield _event_row(e, child["unit"], p)
    yield from _signatures(e)


@projector("correction")
def _correction(e: Entry) -> Iterator[Row]:
    p = e.payload
    for i, change in enumerate(p["changes"], start=1):
        yield (
            Correction,
            dict(
                entry_seq=e.seq,
                ordinal=i,
                target_seq=p["target_seq"],
                field=change["field"],
                old_value=change["old"],
                new_value=change["new"],
                reason=p["reason"],
            ),
        )
    if p.get("target_kind") == CASE_LINKED:
        # The corrected identifier, under the correction's entry; an empty value takes
        # it off. Readers keep, per linked entry and kind, only the latest (`links`).
        for change in p["changes"]:
            if change["new"]:
                yield (
                    CaseLink,
                    dict(
                        entry_seq=e.seq,
                        kind=change["field"],
                        value=change["new"],
                        coi=p["coi"],
                        unit_code=p.get("unit"),
                    ),
                )
    yield from _signatures(e)


@projector("label_printed")
def _label_printed(e: Entry) -> Iterator[Row]:
    """The new label, and a void row for each earlier label of the same kind it replaces."""
    p = e.payload
    yield (
        LabelPrint,
        dict(
            unit_code=p["unit"],
            serial=p["serial"],
            entry_seq=e.seq,
            coi=p["coi"],
            kind=p["kind"],
            layout=p["layout"],
            step=p["step"],
            printed_by=p["by"],
            reason=p.get("reason"),
        ),
    )
    for serial in p.get("voids", ()):
        yield (
            LabelVoid,
            dict(
                entry_seq=e.seq,
                unit_code=p["unit"],
                serial=serial,
                reason=p["reason"],
                replaced_by=p["serial"],
            ),
        )


@projector("label_voided")
def _label_voided(e: Entry) -> Iterator[Row]:
    p = e.payload
    for serial in p["serials"]:
        yield (
            LabelVoid,
            dict(
                entry_seq=e.seq,
                unit_code=p["unit"],
                serial=serial,
                reason=p["reason"],
                replaced_by=None,
            ),
        )


@projector("patient_event")
def _patient_event(e: Entry) -> Iterator[Row]:
    p = e.payload
    yield (
        PatientEvent,
        dict(
            entry_seq=e.seq,
            coi=p["coi"],
            kind=p["kind"],
            occurred_at=p["occurred_at"],
            unit_code=p.get("unit"),
            detail=p.get("detail"),
            by_user=p["by"],
            to_user=p.get("to"),
        ),
    )
    yield from _signatures(e)


@projector("deviation_opened")
def _deviation_opened(e: Entry) -> Iterator[Row]:
    p = e.payload
    yield (
        Deviation,
        dict(
            entry_seq=e.seq,
            coi=p["coi"],
            unit_code=p["unit"],
            event_seq=p["event_seq"],
            step=p["step"],
            rule=p["rule"],
            detail=p["detail"],
            limit_value=p["limit"],
            actual=p["actual"],
        ),
    )


@projector("deviation_reviewed")
def _deviation_reviewed(e: Entry) -> Iterator[Row]:
    p = e.payload
    yield (
        DeviationReview,
        dict(
            entry_seq=e.seq,
            deviation_seq=p["deviation_seq"],
            decision=p["decision"],
            reason=p["reason"],
        ),
    )
    yield from _signatures(e)


@projector("gate_override")
def _gate_override(e: Entry) -> Iterator[Row]:
    p = e.payload
    yield (
        GateOverride,
        dict(
            entry_seq=e.seq, coi=p["coi"], unit_code=p["unit"], gate=p["gate"], reason=p["reason"]
        ),
    )
    yield from _signatures(e)


@projector(CASE_LINKED)
def _case_linked(e: Entry) -> Iterator[Row]:
    """One row per identifier linked, in the fixed order of the kinds."""
    p = e.payload
    for kind in LINK_KINDS:
        if kind in p["links"]:
            yield (
                CaseLink,
                dict(
                    entry_seq=e.seq,
                    kind=kind,
                    value=p["links"][kind],
                    coi=p["coi"],
                    unit_code=p.get("unit"),
                ),
            )
    yield from _signatures(e)


@projector("restored")
def _restored(e: Entry) -> Iterator[Row]:
    """A restore: its only rows are its signatures (administrator, and QA when it dropped any)."""
    yield from _signatures(e)


@projector("admin_recovered")
def _admin_recovered(e: Entry) -> Iterator[Row]:
    """A break-glass recovery: the administrator's temporary password, and two signatures."""
    p = e.payload
    yield (
        UserChange,
        dict(
            entry_seq=e.seq,
            username=p["username"],
            change="password_recovered",
            value=p["password_hash"],
        ),
    )
    yield from _signatures(e)


@projector("condition_imported")
def _condition_imported(e: Entry) -> Iterator[Row]:
    """A logger file for one leg; its bytes are in condition_files, checked by `verify`."""
    p = e.payload
    yield (
        ConditionLog,
        dict(
            entry_seq=e.seq,
            unit_code=p["unit"],
            coi=p["coi"],
            leg_seq=p["leg_seq"],
            step=p["step"],
            sha256=p["file"]["sha256"],
            size=p["file"]["size"],
            serial=p["logger"]["serial"],
            format=p["logger"]["format"],
        ),
    )
    yield from _signatures(e)
