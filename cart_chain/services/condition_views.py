"""What the chain of condition shows: each leg of a unit, its loggers, their figures.

The figures are those recorded when the file was imported (the signed entry), not
recomputed: a report shows what QA was shown. The curve is read again from the
kept file with the layout, zone and unit recorded at import (`leg_samples`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.clock import utc_iso
from cart_chain.domain.errors import NotFound
from cart_chain.services.bags import resolve_bag
from cart_chain.services.condition import KIND, transport_legs
from cart_chain.services.condition_formats import read_logger_file
from cart_chain.services.deviations import deviations_of
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.models import ConditionFile, ConditionLog, Deviation


@dataclass(frozen=True, slots=True)
class DeviationRef:
    seq: int
    rule: str
    detail: str
    decision: str | None  # None while QA has not reviewed it


@dataclass(frozen=True, slots=True)
class LoggerImport:
    seq: int
    recorded_at: str
    by: str
    serial: str | None
    format: str
    file_name: str | None
    sha256: str
    size: int
    started: str | None
    stopped: str | None
    samples: int
    first: str
    last: str
    min_c: float
    max_c: float
    mkt_c: float | None
    interval_s: float
    limits: str
    excursions: tuple[dict[str, Any], ...]
    gaps: tuple[dict[str, Any], ...]
    started_late: bool
    stopped_early: bool
    deviations: tuple[DeviationRef, ...]


@dataclass(frozen=True, slots=True)
class LegCondition:
    seq: int
    step: str
    handoff: str
    receipt: str | None
    imports: tuple[LoggerImport, ...]


@dataclass(frozen=True, slots=True)
class UnitCondition:
    unit: str
    coi: str
    legs: tuple[LegCondition, ...]


def _limits_text(limits: dict[str, Any]) -> str:
    lo, hi = limits.get("low_c"), limits.get("high_c")
    text = f"{lo:g} to {hi:g} °C" if lo is not None and hi is not None else f"<= {hi:g} °C"
    tol = limits.get("tolerated_s")
    return text + (f", excursions up to {tol / 60:g} min tolerated" if tol else "")


def condition_of(db: Database, unit: str) -> UnitCondition:
    """The unit's legs, with every logger file imported for each and what it showed."""

    def run(session: Session) -> UnitCondition:
        u = resolve_bag(session, unit, refuse_void=False)
        legs = transport_legs(session, u.unit_code)
        rows = session.execute(
            select(ConditionLog.entry_seq, ConditionLog.leg_seq)
            .where(ConditionLog.unit_code == u.unit_code)
            .order_by(ConditionLog.entry_seq)
        ).all()
        opened = dict(
            session.execute(
                select(Deviation.entry_seq, Deviation.event_seq).where(
                    Deviation.unit_code == u.unit_code
                )
            ).all()
        )
        states = deviations_of(session, unit=u.unit_code)
        by_import: dict[int, list[DeviationRef]] = {}
        for d in states:
            by_import.setdefault(opened[d.seq], []).append(
                DeviationRef(d.seq, d.rule, d.detail, d.decision)
            )
        imports: dict[int, list[LoggerImport]] = {}
        for seq, leg_seq in rows:
            entry = ledger.get_entry(session, seq)
            assert entry is not None and entry.kind == KIND
            imports.setdefault(leg_seq, []).append(_view(entry, tuple(by_import.get(seq, ()))))
        return UnitCondition(
            u.unit_code,
            u.coi,
            tuple(
                LegCondition(
                    leg.seq,
                    leg.step.value,
                    utc_iso(leg.handoff),
                    utc_iso(leg.receipt) if leg.receipt else None,
                    tuple(imports.get(leg.seq, ())),
                )
                for leg in legs
            ),
        )

    return db.read(run)


def _view(entry: ledger.Entry, deviations: tuple[DeviationRef, ...]) -> LoggerImport:
    p = entry.payload
    s, lg = p["summary"], p["logger"]
    return LoggerImport(
        seq=entry.seq,
        recorded_at=entry.recorded_at,
        by=str(entry.actor),
        serial=lg["serial"],
        format=lg["format"],
        file_name=p["file"].get("name"),
        sha256=p["file"]["sha256"],
        size=p["file"]["size"],
        started=lg["started"],
        stopped=lg["stopped"],
        samples=s["samples"],
        first=s["first"],
        last=s["last"],
        min_c=s["min_c"],
        max_c=s["max_c"],
        mkt_c=s["mkt_c"],
        interval_s=s["interval_s"],
        limits=_limits_text(p["limits"]),
        excursions=tuple(p["excursions"]),
        gaps=tuple(p["gaps"]),
        started_late=p["flags"]["started_late"],
        stopped_early=p["flags"]["stopped_early"],
        deviations=deviations,
    )


def leg_samples(db: Database, entry_seq: int) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """The samples of one imported file (POSIX seconds, °C), read again from the kept bytes."""

    def run(session: Session) -> tuple[bytes, dict[str, Any]]:
        entry = ledger.get_entry(session, entry_seq)
        content = session.get(ConditionFile, entry_seq)
        if entry is None or entry.kind != KIND or content is None:
            raise NotFound(f"entry {entry_seq} is not an imported logger file")
        return bytes(content.content), entry.payload["read_with"]

    data, how = db.read(run)
    record, _ = read_logger_file(data, how["format"], tz=how["tz"], unit=how["unit"])
    return record.times, record.temps


@dataclass(frozen=True, slots=True)
class LegCurve:
    """One imported logger file's samples, with the leg's limits and handoff times, to draw."""

    unit: str
    entry_seq: int
    leg_seq: int
    step: str
    serial: str | None
    handoff: float  # POSIX seconds
    receipt: float | None
    low_c: float | None
    high_c: float | None
    times: tuple[float, ...]
    temps: tuple[float, ...]
    excursions: tuple[tuple[float, float], ...]  # (start, end), POSIX seconds


def _seconds(text: str | None) -> float | None:
    from cart_chain.domain.clock import parse_iso

    return None if text is None else parse_iso(text).timestamp()


def curves_in(session: Session, coi: str) -> tuple[LegCurve, ...]:
    """Every logger curve of a case, in import order, read again from the kept files."""
    rows = session.execute(
        select(ConditionLog.entry_seq, ConditionFile.content)
        .join(ConditionFile, ConditionFile.entry_seq == ConditionLog.entry_seq)
        .where(ConditionLog.coi == coi)
        .order_by(ConditionLog.entry_seq)
    ).all()
    out = []
    for seq, content in rows:
        entry = ledger.get_entry(session, seq)
        assert entry is not None
        p = entry.payload
        how = p["read_with"]
        record, _ = read_logger_file(bytes(content), how["format"], tz=how["tz"], unit=how["unit"])
        out.append(
            LegCurve(
                unit=p["unit"],
                entry_seq=seq,
                leg_seq=p["leg_seq"],
                step=p["step"],
                serial=p["logger"]["serial"],
                handoff=_seconds(p["handoff_at"]),  # type: ignore[arg-type]
                receipt=_seconds(p["receipt_at"]),
                low_c=p["limits"]["low_c"],
                high_c=p["limits"]["high_c"],
                times=record.times,
                temps=record.temps,
                excursions=tuple(
                    (_seconds(e["start"]), _seconds(e["end"]))  # type: ignore[misc]
                    for e in p["excursions"]
                ),
            )
        )
    return tuple(out)


def case_curves(db: Database, coi: str) -> tuple[LegCurve, ...]:
    return db.read(lambda s: curves_in(s, coi))
