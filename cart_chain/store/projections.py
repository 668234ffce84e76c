"""From a ledger entry to the rows it puts in the projection tables.

The same function serves the writer (`ledger.append`) and the checker
(`verify`), so a projection can never drift from what the ledger says. Each
kind's rows are declared with the kind itself, in `cart_chain.store.kinds`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from cart_chain.store.kinds import Row, kind_of

if TYPE_CHECKING:
    from cart_chain.store.ledger import Entry

__all__ = ["Row", "project"]


def project(entry: Entry) -> list[Row]:
    """The projection rows of ``entry``; an undeclared kind is refused (`MalformedEntry`)."""
    return list(kind_of(entry.kind).rows(entry))
