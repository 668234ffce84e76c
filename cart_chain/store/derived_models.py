"""Tables the append writes that are not projections of an entry.

The Merkle tree's hashes, the original bytes of imported logger files and the case
index are kept by the same append transaction as the projections, but `verify`
checks them its own way (recomputing the tree, hashing the files, re-folding the
index) rather than rebuilding them row by row from one entry. They live here so
`store.models` stays the list of projections; `store.models` re-exports them.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from cart_chain.store.base import Base


class TreeHash(Base):
    """The ledger's RFC 6962 Merkle tree: leaf and interior hashes in sumdb/tlog's layout.

    ``idx`` is tlog's stored-hash index (`domain.merkle.stored_hash_index`); each row is
    written by the append of entry ``entry_seq`` (its leaf, then the subtrees it
    completes), so the table only grows and proofs read O(log n) rows by key.
    """

    __tablename__ = "tree_hashes"

    idx: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), index=True)
    hash: Mapped[str] = mapped_column(String(64))


class ConditionFile(Base):
    """The original bytes of an imported logger file, kept with the entry that names them.

    Not a projection (the ledger holds the file's SHA-256 and size, not its bytes):
    `verify` hashes each stored file and compares it with its entry
    (`store.attachments`).
    """

    __tablename__ = "condition_files"

    entry_seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class CaseIndex(Base):
    """One row per case: its effective values and search keys, for the case list.

    Not a fact but a fold: the patient fields as their corrections leave them, their
    `domain.effective.search_key`, and the latest live step's corrected time. Kept by
    `store.case_index` inside the append transaction (so it is the only table rows
    are updated in) and rebuilt from the append-only projections by `verify`, which
    names any row that differs. Each sort key has a (key, seq) index so the list is
    keyset-paged.
    """

    __tablename__ = "case_index"

    coi: Mapped[str] = mapped_column(ForeignKey("cases.coi"), primary_key=True)
    seq: Mapped[int] = mapped_column(ForeignKey("ledger_entries.seq"))
    patient_name: Mapped[str] = mapped_column(String(200))
    patient_dob: Mapped[str] = mapped_column(String(10))
    mrn: Mapped[str] = mapped_column(String(64))
    product: Mapped[str] = mapped_column(String(200))
    name_key: Mapped[str] = mapped_column(Text)
    mrn_key: Mapped[str] = mapped_column(Text)
    product_key: Mapped[str] = mapped_column(Text)
    last_event_at: Mapped[str] = mapped_column(String(32))  # "" while no live step

    __table_args__ = (
        Index("ix_case_index_seq", "seq", unique=True),
        Index("ix_case_index_name", "name_key", "seq"),
        Index("ix_case_index_mrn", "mrn_key", "seq"),
        Index("ix_case_index_product", "product_key", "seq"),
        Index("ix_case_index_last_event", "last_event_at", "seq"),
    )
