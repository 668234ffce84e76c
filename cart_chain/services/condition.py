"""Chain of condition: a leg's temperature-logger file imported, checked and kept.

The file is read first, outside any transaction (a file that cannot be read is
refused naming its line, and nothing is written). Inside one write the leg is
found (the unit's latest transport step unless one is named), the same file
imported before is refused, the receiver signs, the samples are checked against
the case's product profile, and one signed ``condition_imported`` entry records
the file's SHA-256 and size with what the checks found; the file's bytes are kept
under that entry (`verify` hashes them again). Each excursion, gap or logger not
covering the leg becomes a deviation entry in the same transaction, so the unit
does not go on until QA accepts it (`readiness.check_no_open_deviation`).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePath
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from cart_chain.domain.authority import CONDITION_ROLES
from cart_chain.domain.clock import utc_iso
from cart_chain.domain.condition import TRANSPORT_STEPS, Assessment, Limits, assess, limits_for
from cart_chain.domain.errors import AlreadyExists, InvalidValue, NotFound
from cart_chain.domain.logger_parse import LoggerRecord
from cart_chain.domain.steps import Step
from cart_chain.services import profiles
from cart_chain.services.accounts import Credentials, authenticate_in, require_role, signed_write
from cart_chain.services.bags import resolve_bag
from cart_chain.services.condition_formats import AUTO, read_logger_file
from cart_chain.services.deviations import open_deviations
from cart_chain.services.infusion_gates import unit_facts
from cart_chain.services.signing import PERFORMED, receipt, signature
from cart_chain.services.unit_state import live
from cart_chain.services.views import Receipt
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import ConditionFile, ConditionLog, Event

KIND = "condition_imported"
#: Larger than any logger export (100 000 samples is about 3 MB); a bigger file is
#: not a logger file, and is refused before it is read.
MAX_BYTES = 50 * 1024 * 1024


class DuplicateLoggerFile(AlreadyExists):
    """This exact file (same SHA-256) was imported before."""


@dataclass(frozen=True, slots=True)
class Leg:
    """One transport step of a unit: from its handoff to the next step (the receipt)."""

    seq: int
    step: Step
    handoff: datetime
    receipt: datetime | None  # None while the unit is still on its way


_SEQS = (
    select(Event.entry_seq)
    .where(Event.unit_code == bindparam("code"), live(Event.entry_seq))
    .order_by(Event.entry_seq)
)


def transport_legs(session: Session, unit_code: str) -> list[Leg]:
    """The unit's live transport steps, with corrected times, oldest first."""
    facts = unit_facts(session, unit_code)
    seqs = list(session.connection().execute(_SEQS, {"code": unit_code}).scalars())
    legs = []
    for i, (seq, fact) in enumerate(zip(seqs, facts, strict=True)):
        if fact.step in TRANSPORT_STEPS:
            after = facts[i + 1].occurred_at if i + 1 < len(facts) else None
            legs.append(Leg(seq, fact.step, fact.occurred_at, after))
    return legs


def _choose_leg(legs: list[Leg], unit_code: str, leg: int | None) -> Leg:
    if not legs:
        raise InvalidValue(
            f"unit {unit_code} has no transport step yet: a logger file belongs to a "
            "ship_to_manufacturing or ship_to_site step"
        )
    if leg is None:
        return legs[-1]
    for candidate in legs:
        if candidate.seq == leg:
            return candidate
    known = ", ".join(f"{x.seq} ({x.step.value})" for x in legs)
    raise NotFound(f"entry {leg} is not a transport step of unit {unit_code}; its legs: {known}")


def _at(seconds: float) -> str:
    return utc_iso(datetime.fromtimestamp(seconds, UTC))


def _payload(
    unit_code: str,
    coi: str,
    leg: Leg,
    file: dict[str, Any],
    record: LoggerRecord,
    read_with: dict[str, str | None],
    limits: Limits,
    a: Assessment,
) -> dict[str, Any]:
    return {
        "unit": unit_code,
        "coi": coi,
        "leg_seq": leg.seq,
        "step": leg.step.value,
        "handoff_at": utc_iso(leg.handoff),
        "receipt_at": utc_iso(leg.receipt) if leg.receipt else None,
        "file": file,
        "read_with": read_with,
        "logger": {
            "serial": record.serial,
            "format": record.format,
            "started": utc_iso(record.started) if record.started else None,
            "stopped": utc_iso(record.stopped) if record.stopped else None,
            "interval_s": record.interval_s,
            "timezone": record.timezone or None,
        },
        "limits": {
            "low_c": limits.low_c,
            "high_c": limits.high_c,
            "tolerated_s": limits.tolerated_s,
            "what": limits.what,
        },
        "summary": {
            "samples": a.samples,
            "first": _at(record.times[0]),
            "last": _at(record.times[-1]),
            "min_c": a.min_c,
            "max_c": a.max_c,
            "mkt_c": a.mkt_c,
            "interval_s": a.interval_s,
        },
        "excursions": [
            {
                "start": _at(e.start),
                "end": _at(e.end),
                "duration_s": e.duration_s,
                "extreme_c": e.extreme_c,
                "samples": e.samples,
                "tolerated": e.tolerated,
            }
            for e in a.excursions
        ],
        "gaps": [
            {"start": _at(g.start), "end": _at(g.end), "duration_s": g.duration_s} for g in a.gaps
        ],
        "flags": {"started_late": a.started_late, "stopped_early": a.stopped_early},
    }


def import_condition(
    db: Database,
    unit: str,
    data: bytes,
    by: Credentials,
    *,
    leg: int | None = None,
    fmt: str = AUTO,
    tz: str | None = None,
    temperature_unit: str | None = None,
    filename: str | None = None,
) -> Receipt:
    """Import one logger file for one leg of ``unit``, signed by ``by`` (the receiver).

    ``fmt`` names a layout or ``auto``; ``tz`` and ``temperature_unit`` answer what
    the file leaves open. The receipt lists the deviations opened.
    """
    if len(data) > MAX_BYTES:
        raise InvalidValue(f"the file is {len(data)} bytes: a logger file is under {MAX_BYTES}")
    record, inner = read_logger_file(data, fmt, tz=tz, unit=temperature_unit)
    digest = hashlib.sha256(data).hexdigest()
    name = PurePath(filename).name[:200] if filename else None
    file = {"sha256": digest, "size": len(data), "name": name, "attachment": inner}
    read_with = {"format": record.format, "tz": tz, "unit": temperature_unit}

    def run(session: Session) -> Receipt:
        u = resolve_bag(session, unit)
        chosen = _choose_leg(transport_legs(session, u.unit_code), u.unit_code, leg)
        before = session.execute(
            select(ConditionLog.entry_seq, ConditionLog.unit_code).where(
                ConditionLog.sha256 == digest
            )
        ).first()
        if before is not None:
            raise DuplicateLoggerFile(
                f"this file was already imported (entry {before[0]}, unit {before[1]}); "
                "nothing was recorded"
            )
        user = authenticate_in(session, by)
        require_role(user, CONDITION_ROLES, "import a temperature logger file")
        limits = limits_for(profiles.of_case(session, u.coi), chosen.step)
        a = assess(record, limits, chosen.handoff, chosen.receipt)
        found = a.breaches(limits, chosen.handoff, chosen.receipt)
        payload = _payload(u.unit_code, u.coi, chosen, file, record, read_with, limits, a)
        payload["signatures"] = [signature(user, PERFORMED)]
        entry = ledger.append(session, KIND, user.username, payload)
        session.connection().execute(
            insert(ConditionFile.__table__), [{"entry_seq": entry.seq, "content": data}]
        )
        open_deviations(session, entry, u.unit_code, u.coi, chosen.step, found)
        return receipt(entry, u.unit_code, tuple(b.detail for b in found))

    return signed_write(db, run)
