"""Reading corrections for the fold in `cart_chain.domain.effective`.

Every reader that needs an entry's values as corrected gets its corrections
here, in ledger order, and folds them with `domain.effective`: the case view,
the case list, the bedside identity check, the infusion gates, corrections
themselves (the "old value" of a second correction is the first one's new value)
and QA's corrected reasons.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from cart_chain.domain.effective import CASE_FIELDS, Fix, effective
from cart_chain.services.signing import signatures_of
from cart_chain.services.views import CorrectionView
from cart_chain.store.models import Case, Correction, LedgerEntry


def fixes_query(targets: Any, fields: Iterable[str] | None = None) -> Select[Any]:
    """(target, field, new value) of the corrections of ``targets``, in ledger order.

    ``targets`` is a list of sequence numbers, an expanding bind parameter or a
    sub-select of them, so a hot reader can build its statement once.
    """
    q = select(Correction.target_seq, Correction.field, Correction.new_value).where(
        Correction.target_seq.in_(targets)
    )
    if fields is not None:
        q = q.where(Correction.field.in_(tuple(fields)))
    return q.order_by(Correction.entry_seq, Correction.ordinal)


def group_fixes(rows: Iterable[tuple[int, str, str | None]]) -> dict[int, list[Fix]]:
    """Rows of `fixes_query` per target, order kept."""
    out: dict[int, list[Fix]] = defaultdict(list)
    for target, field, new in rows:
        out[target].append((field, new))
    return out


def fixes_of(
    session: Session, targets: list[int], fields: Iterable[str] | None = None
) -> dict[int, list[Fix]]:
    """The corrections of each entry in ``targets`` (only of ``fields`` when given)."""
    if not targets:
        return {}
    return group_fixes(session.execute(fixes_query(targets, fields)))


def effective_of(
    session: Session, originals: dict[int, dict[str, Any]]
) -> dict[int, dict[str, Any]]:
    """Each entry's ``originals`` (entry seq -> field -> value) as its corrections leave them."""
    fields = {f for values in originals.values() for f in values}
    fixes = fixes_of(session, list(originals), fields)
    return {seq: effective(values, fixes.get(seq, ())) for seq, values in originals.items()}


def corrections_for(session: Session, targets: list[int]) -> dict[int, list[CorrectionView]]:
    """The corrections of each entry in ``targets`` as shown (with signatures), oldest first."""
    if not targets:
        return {}
    rows = session.execute(
        select(Correction, LedgerEntry.recorded_at)
        .join(LedgerEntry, LedgerEntry.seq == Correction.entry_seq)
        .where(Correction.target_seq.in_(targets))
        .order_by(Correction.entry_seq, Correction.ordinal)
    ).all()
    sigs = signatures_of(session, sorted({c.entry_seq for c, _ in rows}))
    out: dict[int, list[CorrectionView]] = defaultdict(list)
    for c, at in rows:
        out[c.target_seq].append(
            CorrectionView(
                c.entry_seq,
                c.target_seq,
                at,
                c.field,
                c.old_value,
                c.new_value,
                c.reason,
                sigs.get(c.entry_seq, ()),
            )
        )
    return out


def effective_column(target_seq: Any, field: str, column: Any) -> Any:
    """SQL: ``column`` of the entry ``target_seq`` as its latest correction of ``field`` leaves it.

    The same rule as `domain.effective.effective` (latest correction wins), for the
    database to search and sort by.
    """
    latest = (
        select(Correction.new_value)
        .where(Correction.target_seq == target_seq, Correction.field == field)
        .order_by(Correction.entry_seq.desc(), Correction.ordinal.desc())
        .limit(1)
        .scalar_subquery()
    )
    return func.coalesce(latest, column)


def case_fields(case: Case) -> dict[str, str]:
    """The correctable patient fields of a case as enrolled (the fold's starting values)."""
    return {f: getattr(case, f) for f in CASE_FIELDS}


def as_fixes(corrections: Iterable[CorrectionView]) -> list[Fix]:
    """Shown corrections as the fold takes them."""
    return [(c.field, c.new_value) for c in corrections]
