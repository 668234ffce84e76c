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

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.effective import CASE_FIELDS, Fix, effective
from cart_chain.services.signing import signatures_of
from cart_chain.services.views import CorrectionView
from cart_chain.store.fixes import fixes_query, group_fixes
from cart_chain.store.models import Case, Correction, LedgerEntry


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


def case_fields(case: Case) -> dict[str, str]:
    """The correctable patient fields of a case as enrolled (the fold's starting values)."""
    return {f: getattr(case, f) for f in CASE_FIELDS}


def as_fixes(corrections: Iterable[CorrectionView]) -> list[Fix]:
    """Shown corrections as the fold takes them."""
    return [(c.field, c.new_value) for c in corrections]
