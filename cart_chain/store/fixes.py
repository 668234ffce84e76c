"""The corrections of entries, read in the order the fold needs (`domain.effective`).

One query shape for every reader, store and services alike: (target, field, new
value) in ledger order, so the latest correction of a field is applied last.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Select, select

from cart_chain.domain.effective import Fix
from cart_chain.store.models import Correction


def fixes_query(
    targets: Any, fields: Iterable[str] | None = None, *, one: bool = False
) -> Select[Any]:
    """(target, field, new value) of the corrections of ``targets``, in ledger order.

    ``targets`` is a list of sequence numbers, an expanding bind parameter or a
    sub-select of them, so a hot reader can build its statement once. ``one``: ``targets``
    is a scalar subquery naming one entry, compared with = (evaluated once, then an index
    lookup) rather than joined.
    """
    q = select(Correction.target_seq, Correction.field, Correction.new_value).where(
        Correction.target_seq == targets if one else Correction.target_seq.in_(targets)
    )
    if fields is not None:
        q = q.where(Correction.field.in_(tuple(fields)))
    return q.order_by(Correction.entry_seq, Correction.ordinal)


def group_fixes(rows: Iterable[Any]) -> dict[int, list[Fix]]:
    """Rows of `fixes_query` per target, order kept."""
    out: dict[int, list[Fix]] = defaultdict(list)
    for target, field, new in rows:
        out[target].append((field, new))
    return out
