"""Printing labels: every print and reprint is a ledger entry, and a reprint voids.

A print runs in one write transaction, in this order: authenticate the printing
user, pick the next label serial of the unit, append the ``label_printed``
entry and sign a checkpoint of the head that includes it, render the label
(which prints that checkpoint's short form), then hand the bytes to
``deliver`` (write the file, send to the printer). Delivery happens *before*
the commit, so a label that could not be written or sent leaves no record; and
if the commit failed after delivery, the label exists without a record, which the scan refuses as an
unknown label. Neither failure lets an unrecorded label pass a handoff.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cart_chain.domain.errors import (
    InvalidValue,
    PermissionDenied,
    StepNotAllowed,
)
from cart_chain.domain.evidence import short_checkpoint
from cart_chain.domain.identifiers import UnitId
from cart_chain.domain.label_data import LabelData
from cart_chain.domain.label_layout import FORMATS, KINDS, Layout, load_layout
from cart_chain.domain.label_offer import label_after
from cart_chain.domain.labelcode import (
    MAX_SERIAL,
    LabelCode,
    ScanSource,
    parse_payload,
    to_base36,
)
from cart_chain.domain.roles import Role
from cart_chain.domain.steps import Step, next_steps, ordered, parse_step
from cart_chain.domain.text import clean_reason
from cart_chain.services.accounts import Credentials, authenticate_in
from cart_chain.services.bags import bag_write, resolve_bag
from cart_chain.services.case_detail import load_case
from cart_chain.services.label_content import label_data
from cart_chain.services.site_key import checkpoint_in
from cart_chain.services.unit_state import current_step
from cart_chain.services.views import Receipt
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import LabelPrint, LabelVoid, LedgerEntry, User

#: Draws a label (layout, data, format, dpi) -> bytes. The labels layer passes
#: `cart_chain.labels.render.render` (see `cart_chain.labels.printing`), so this
#: service records prints without importing the drawing code above it.
Renderer = Callable[[Layout, LabelData, str, int], bytes]
#: What a label prints for the short checkpoint on a ledger without a site key yet.
NO_CHECKPOINT = "none (no site key)"


@dataclass(frozen=True, slots=True)
class PrintedLabel:
    receipt: Receipt
    payload: str
    unit: str
    kind: str
    serial: int
    voided: tuple[int, ...]
    data: LabelData
    output: bytes
    fmt: str
    dpi: int


@dataclass(frozen=True, slots=True)
class LabelPrintView:
    unit: str
    serial: int
    serial_text: str
    payload: str
    kind: str
    step: str
    layout: str
    printed_at: str
    printed_by: str
    printed_by_name: str
    reason: str | None
    seq: int
    voided: bool
    void_reason: str | None


# -- reading ----------------------------------------------------------------------


def voided_serials(session: Session, unit_code: str) -> dict[int, str]:
    """Void serials of a unit with why, as shown to the user."""
    rows = session.execute(
        select(LabelVoid.serial, LabelVoid.reason, LabelVoid.replaced_by)
        .where(LabelVoid.unit_code == unit_code)
        .order_by(LabelVoid.entry_seq)
    ).all()
    return {
        serial: reason if by is None else f"replaced by reprint {to_base36(by)}: {reason}"
        for serial, reason, by in rows
    }


def labels_in(session: Session, unit_code: str) -> list[LabelPrintView]:
    voids = voided_serials(session, unit_code)
    rows = session.execute(
        select(LabelPrint, LedgerEntry.recorded_at, User.full_name)
        .join(LedgerEntry, LedgerEntry.seq == LabelPrint.entry_seq)
        .join(User, User.username == LabelPrint.printed_by)
        .where(LabelPrint.unit_code == unit_code)
        .order_by(LabelPrint.serial)
    ).all()
    uid = UnitId(unit_code[:-1])
    return [
        LabelPrintView(
            unit=p.unit_code,
            serial=p.serial,
            serial_text=to_base36(p.serial),
            payload=LabelCode(uid, p.serial).payload,
            kind=p.kind,
            step=p.step,
            layout=p.layout,
            printed_at=at,
            printed_by=p.printed_by,
            printed_by_name=name,
            reason=p.reason,
            seq=p.entry_seq,
            voided=p.serial in voids,
            void_reason=voids.get(p.serial),
        )
        for p, at, name in rows
    ]


def list_labels(db: Database, unit: str) -> list[LabelPrintView]:
    """Every label printed for a unit, oldest first, with its void status."""
    return db.read(lambda s: labels_in(s, resolve_bag(s, unit, refuse_void=False).unit_code))


def printed_serials(session: Session, unit_code: str, kind: str) -> list[int]:
    """Every serial of ``kind`` printed for the unit, voided or not: any one makes the
    next print of that kind a reprint (a reason, and the live ones voided)."""
    return list(
        session.execute(
            select(LabelPrint.serial).where(
                LabelPrint.unit_code == unit_code, LabelPrint.kind == kind
            )
        ).scalars()
    )


def is_reprint(printed: Iterable[LabelPrintView], kind: str) -> bool:
    """The same rule as `printed_serials`, over labels already read (`list_labels`)."""
    return any(p.kind == kind for p in printed)


@dataclass(frozen=True, slots=True)
class LabelOffer:
    """The label to offer after a step; ``reprint``: one of that kind exists already, so
    printing it again needs a reason (as `print_label` demands)."""

    unit: str
    step: str
    kind: str
    reprint: bool


def label_offer(db: Database, unit: str, step: str | Step) -> LabelOffer | None:
    """What the next holder needs after ``step`` was recorded for ``unit``
    (`domain.label_offer`), or None (after infusion, or a step that is no handoff)."""
    done = step if isinstance(step, Step) else parse_step(step)
    kind = label_after(done)
    if kind is None:
        return None

    def run(session: Session) -> LabelOffer:
        code = resolve_bag(session, unit, refuse_void=False).unit_code
        return LabelOffer(code, done.value, kind, bool(printed_serials(session, code, kind)))

    return db.read(run)


# -- printing ---------------------------------------------------------------------


def _reason(reason: str | None) -> str | None:
    if reason is None:
        return None
    return clean_reason(reason, required=False) or None


def _print_step(current: Step | None, requested: str | Step | None) -> Step:
    """The step a label is printed at: the current one, or one allowed next."""
    allowed = next_steps(current)
    if requested is None:
        return current if current is not None else ordered(allowed)[0]
    step = requested if isinstance(requested, Step) else parse_step(requested)
    if step != current and step not in allowed:
        now = current.value if current else "no step yet"
        options = ", ".join(s.value for s in ([current] if current else []) + ordered(allowed))
        raise StepNotAllowed(
            f"cannot print a label at {step.value}: the unit is at {now}; "
            f"a label may be printed at {options}"
        )
    return step


def print_label(
    db: Database,
    unit: str,
    kind: str,
    by: Credentials,
    *,
    renderer: Renderer,
    fmt: str = "png",
    dpi: int | None = None,
    reason: str | None = None,
    step: str | Step | None = None,
    layout_path: str | Path | None = None,
    destination: str | None = None,
    deliver: Callable[[bytes], None] | None = None,
    expect: str | None = None,
    source: ScanSource = "keyboard",
) -> PrintedLabel:
    """Print (or reprint) one label of ``kind`` for a unit, recorded in the ledger.

    The first label of a kind for a unit needs no reason. Any later one is a
    reprint: it needs a reason and voids every earlier live label of that unit
    and kind, so only the newest label passes a scan. ``unit`` is a unit id or
    a live label's payload; with ``expect``, a bag of another case is refused.
    """
    if kind not in KINDS:
        raise InvalidValue(f"label kind {kind!r} is not one of {', '.join(KINDS)}")
    if fmt not in FORMATS:
        raise InvalidValue(f"label format {fmt!r} is not one of {', '.join(FORMATS)}")
    layout = load_layout(kind, layout_path)
    why = _reason(reason)

    def run(session: Session) -> PrintedLabel:
        u = resolve_bag(session, unit, expect=expect, source=source)
        user = authenticate_in(session, by)
        if user.role is Role.ADMINISTRATOR:
            raise PermissionDenied(
                f"{user.username} is an administrator; administrators do not handle custody labels"
            )
        the_step = _print_step(current_step(session, u.unit_code), step)
        earlier = printed_serials(session, u.unit_code, kind)
        voided = voided_serials(session, u.unit_code)
        live = sorted(s for s in earlier if s not in voided)
        if earlier and why is None:
            raise InvalidValue(
                f"this is a reprint of the {kind} label of {u.unit_code}: give the reason "
                "(e.g. damaged, unreadable, lost)"
            )
        last = session.execute(
            select(func.max(LabelPrint.serial)).where(LabelPrint.unit_code == u.unit_code)
        ).scalar()
        serial = (last or 0) + 1
        if serial > MAX_SERIAL:
            raise InvalidValue(f"unit {u.unit_code} has used all {MAX_SERIAL} label serials")
        code = LabelCode(UnitId(u.unit_code[:-1]), serial)
        case = load_case(session, u.coi)
        view = next(v for v in case.units if v.unit == u.unit_code)
        at = ledger.next_recorded_at(session)  # the label shows its entry's time
        data = label_data(
            case, view, code, kind, the_step, at, user.username, layout, bool(earlier)
        )
        used_dpi = layout.dpi if dpi is None else dpi
        entry = ledger.append(
            session,
            "label_printed",
            user.username,
            {
                "coi": u.coi,
                "unit": u.unit_code,
                "serial": serial,
                "kind": kind,
                "step": the_step.value,
                "layout": layout.ref,
                "layout_sha256": layout.sha256,
                "format": fmt,
                "dpi": used_dpi,
                "destination": destination,
                "by": user.username,
                "reason": why,
                "reprint": bool(earlier),
                "voids": live,
            },
            recorded_at=at,
        )
        # Every bag then has a signed checkpoint of the ledger as it was labelled, and
        # prints its short form: the label is drawn once that checkpoint exists.
        made = checkpoint_in(session, user.username, required=False)
        data = replace(data, checkpoint=short_checkpoint(made.head) if made else NO_CHECKPOINT)
        output = renderer(layout, data, fmt, used_dpi)
        if deliver is not None:
            deliver(output)
        receipt = Receipt(entry.seq, entry.hash, entry.recorded_at, entry.kind, code.payload)
        return PrintedLabel(
            receipt,
            code.payload,
            u.unit_code,
            kind,
            serial,
            tuple(live),
            data,
            output,
            fmt,
            used_dpi,
        )

    return bag_write(db, run, by=by, scanned=unit, expect=expect, signers=(by,))


def void_label(
    db: Database,
    by: Credentials,
    payload: str,
    reason: str,
    *,
    expect: str | None = None,
    source: ScanSource = "keyboard",
) -> Receipt:
    """Take one printed label out of use (destroyed, spoiled) without printing another.

    ``payload`` is the label's code as scanned; with ``expect``, a label of
    another case is refused as wrong patient. A malformed payload, or a unit id
    where a label was asked for, is parsed inside the write so `bag_write` records
    it as a refused scan like any other bag service does.
    """
    why = _reason(reason)
    if why is None:
        raise InvalidValue("voiding a label needs a reason")

    def run(session: Session) -> Receipt:
        resolve_bag(session, payload, expect=expect, source=source, refuse_void=False)
        code = parse_payload(payload)
        unit_code = code.unit.full
        user = authenticate_in(session, by)
        if user.role is Role.ADMINISTRATOR:
            raise PermissionDenied(f"{user.username} is an administrator; cannot void labels")
        if code.serial in voided_serials(session, unit_code):
            raise InvalidValue(f"label {code.serial_text} of {code.unit.grouped()} is already void")
        entry = ledger.append(
            session,
            "label_voided",
            user.username,
            {
                "coi": code.unit.coi.full,
                "unit": unit_code,
                "serials": [code.serial],
                "by": user.username,
                "reason": why,
            },
        )
        return Receipt(entry.seq, entry.hash, entry.recorded_at, entry.kind, code.payload)

    return bag_write(db, run, by=by, scanned=payload, expect=expect, signers=(by,))
