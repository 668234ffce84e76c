"""Deviations: opened with the step that breached the profile, their QA decisions, and
the rule that a unit with one not accepted goes no further.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from cart_chain.domain.effective import effective_value
from cart_chain.domain.errors import (
    DeviationOpen,
)
from cart_chain.domain.steps import Step
from cart_chain.domain.windows import (
    Breach,
)
from cart_chain.services.effective import fixes_of
from cart_chain.store import batch, ledger
from cart_chain.store.models import (
    Deviation,
    DeviationReview,
    LedgerEntry,
    User,
)


@dataclass(frozen=True, slots=True)
class DeviationState:
    seq: int
    coi: str
    unit: str
    step: str
    rule: str
    detail: str
    limit: str
    actual: str
    decision: str | None  # latest QA decision, None while unreviewed
    reason: str | None
    # Who made the latest decision and when: a decision is only as good as its signer.
    reviewed_by: str | None = None
    reviewed_by_name: str | None = None
    reviewed_at: str | None = None

    @property
    def blocking(self) -> bool:
        return self.decision != "accept"


def deviations_of(
    session: Session,
    *,
    coi: str | None = None,
    unit: str | None = None,
    cois: list[str] | None = None,
) -> list[DeviationState]:
    q = select(Deviation).order_by(Deviation.entry_seq)
    if coi is not None:
        q = q.where(Deviation.coi == coi)
    if cois is not None:
        q = q.where(Deviation.coi.in_(cois))
    if unit is not None:
        q = q.where(Deviation.unit_code == unit)
    devs = session.execute(q).scalars().all()
    if not devs:
        return []
    reviews: dict[int, tuple[str, str, str | None, str | None, str]] = {}
    rows = session.execute(
        select(DeviationReview, LedgerEntry.actor, User.full_name, LedgerEntry.recorded_at)
        .join(LedgerEntry, LedgerEntry.seq == DeviationReview.entry_seq)
        .outerjoin(User, User.username == LedgerEntry.actor)
        .where(DeviationReview.deviation_seq.in_([d.entry_seq for d in devs]))
        .order_by(DeviationReview.entry_seq)
    ).all()
    fixed = corrected_reasons(session, [r.entry_seq for r, _, _, _ in rows])
    for r, actor, name, at in rows:
        reason = fixed.get(r.entry_seq, r.reason)
        reviews[r.deviation_seq] = (r.decision, reason, actor, name, at)
    return [
        DeviationState(
            d.entry_seq,
            d.coi,
            d.unit_code,
            d.step,
            d.rule,
            d.detail,
            d.limit_value,
            d.actual,
            *reviews.get(d.entry_seq, (None, None, None, None, None)),
        )
        for d in devs
    ]


def corrected_reasons(session: Session, seqs: list[int]) -> dict[int, str]:
    """The reason QA last corrected, per entry (reviews and overrides), where corrected."""
    fixes = fixes_of(session, seqs, ("reason",))
    return {seq: str(effective_value(None, "reason", f)) for seq, f in fixes.items()}


#: Whether a unit has any deviation: most have none, and every step asks.
_ANY_OF_UNIT = select(Deviation.entry_seq).where(Deviation.unit_code == bindparam("unit")).limit(1)


def open_deviation_reads(unit_code: str) -> list[batch.Read]:
    """The read `check_no_open_deviation` makes first (`batch.read_ahead`)."""
    return [(_ANY_OF_UNIT, {"unit": unit_code})]


def check_no_open_deviation(session: Session, unit_code: str) -> None:
    if not batch.rows(session, _ANY_OF_UNIT, {"unit": unit_code}):
        return
    for d in deviations_of(session, unit=unit_code):
        if d.decision == "reject":
            raise DeviationOpen(
                f"unit {unit_code} was rejected by QA (deviation #{d.seq}: {d.rule}); "
                "it may not go on"
            )
        if d.blocking:
            state = "in quarantine" if d.decision == "quarantine" else "open"
            raise DeviationOpen(
                f"unit {unit_code} has an {state} deviation #{d.seq} ({d.detail}); "
                "QA must accept it before the next step"
            )


def open_deviations(
    session: Session,
    entry: ledger.Entry,
    unit_code: str,
    coi: str,
    step: Step,
    found: Sequence[Breach],
) -> None:
    for b in found:
        ledger.append(
            session,
            "deviation_opened",
            entry.actor,
            {
                "coi": coi,
                "unit": unit_code,
                "event_seq": entry.seq,
                "step": step.value,
                "rule": b.rule,
                "detail": b.detail,
                "limit": b.limit,
                "actual": b.actual,
            },
        )
