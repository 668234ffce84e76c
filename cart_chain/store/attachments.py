"""The files kept beside ledger entries, and the check that they are the files named.

A ``condition_imported`` entry records its logger file's SHA-256 and size; the
bytes are kept in ``condition_files`` under the entry's sequence number. `verify`
gathers what the entries say while it walks the ledger (`AttachmentCheck.note`)
and then reads the stored files, a few at a time, and hashes each: a file
changed, missing or without an entry is named by its entry.
"""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy.orm import Session

from cart_chain.store import keyset
from cart_chain.store.models import ConditionFile

#: Entry kinds that carry a kept file, and where in their payload it is described.
FILE_KINDS = frozenset({"condition_imported"})
#: Files read per query: each may be megabytes.
PAGE = 16


def file_digest(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


class AttachmentCheck:
    """What the ledger says about kept files, then the check of the stored bytes."""

    def __init__(self) -> None:
        self.expected: dict[int, tuple[str, int]] = {}

    def note(self, seq: int, kind: str, payload: dict[str, Any]) -> str | None:
        """Remember the file an entry names; a malformed description is a problem."""
        if kind not in FILE_KINDS:
            return None
        try:
            described = payload["file"]
            self.expected[seq] = (str(described["sha256"]), int(described["size"]))
        except (KeyError, TypeError, ValueError):
            return f"{kind} entry does not describe its file (sha256 and size)"
        return None

    def check(self, session: Session) -> tuple[int, str] | None:
        """(entry, message) for the first stored file that is not the one its entry names."""
        seen: set[int] = set()
        columns = [ConditionFile.entry_seq, ConditionFile.content]
        for seq, content in keyset.rows(session.connection(), columns, columns[:1], size=PAGE):
            want = self.expected.get(seq)
            if want is None:
                return seq, "a kept file no ledger entry names (inserted)"
            data = bytes(content)
            if len(data) != want[1] or file_digest(data) != want[0]:
                return (
                    seq,
                    f"the kept file is not the one the entry names (SHA-256 "
                    f"{file_digest(data)[:16]}..., {len(data)} bytes; the entry says "
                    f"{want[0][:16]}..., {want[1]} bytes): altered",
                )
            seen.add(seq)
        missing = sorted(set(self.expected) - seen)
        if missing:
            return missing[0], "the file this entry names is not kept (deleted)"
        return None
