"""The case index: each case's effective values and search keys, for the case list.

The list searches and sorts 1M cases by MRN, name, product and last event, by the
values as corrected. Folding the corrections at query time cannot use an index, so
the fold is kept as a table (`models.CaseIndex`), written by `ledger.append` in
the same transaction as the entry that changes it:

- ``case_created`` inserts the case's row;
- a step (``event_recorded``, ``unit_split``) moves ``last_event_at`` forward;
- a correction of a case's patient fields, or of a step's time or a void, makes
  the row again from the append-only projections (`rows_for`), the same function
  `verify` uses to check every row (`check`) and migration 0007 to build it.

The fold itself is `domain.effective`; this module only reads its inputs.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection

from cart_chain.domain.effective import CASE_FIELDS, VOID, effective, search_key, voided
from cart_chain.store import batch, keyset
from cart_chain.store.fixes import fixes_query, group_fixes
from cart_chain.store.models import Case, CaseIndex, Event, Unit

#: Search and sort key column of each patient field that has one.
KEYS: dict[str, str] = {"patient_name": "name_key", "mrn": "mrn_key", "product": "product_key"}
#: Corrections of a step that change its case's last event.
STEP_FIELDS = ("occurred_at", VOID)
STEP_KINDS = ("event_recorded", "unit_split")
#: Columns in table order (what `check` compares).
COLUMNS: tuple[str, ...] = tuple(c.name for c in CaseIndex.__table__.columns)
BATCH = 2000

_INSERT = insert(CaseIndex.__table__)
_t = CaseIndex.__table__
#: A new live step: the case's last event is the later of the two (ISO times sort as text).
_LATER = (
    update(_t)
    .where(_t.c.coi == bindparam("k_coi"), _t.c.last_event_at < bindparam("k_at"))
    .values(last_event_at=bindparam("k_at"))
)


def index_row(coi: str, seq: int, fields: Mapping[str, Any], last_event_at: str) -> dict[str, Any]:
    """The row of one case from its effective patient fields and last live step time."""
    row: dict[str, Any] = {"coi": coi, "seq": seq, "last_event_at": last_event_at}
    row.update({f: fields[f] for f in CASE_FIELDS})
    row.update({key: search_key(fields[f]) for f, key in KEYS.items()})
    return row


def rows_for(conn: Connection, cois: list[str]) -> list[dict[str, Any]]:
    """The index rows ``cois`` should have, folded from the append-only projections.

    Four queries per call whatever the number of cases: the cases, their
    corrections, their units' steps, and those steps' time corrections and voids.
    Rows come in COI order.
    """
    if not cois:
        return []
    cases = conn.execute(
        select(Case.coi, Case.entry_seq, *(getattr(Case, f) for f in CASE_FIELDS))
        .where(Case.coi.in_(cois))
        .order_by(Case.coi)
    ).all()
    case_fixes = group_fixes(conn.execute(fixes_query([c[1] for c in cases], CASE_FIELDS)))
    steps = select(Event.entry_seq).join(Unit, Unit.unit_code == Event.unit_code)
    steps = steps.where(Unit.coi.in_(cois))
    step_fixes = group_fixes(conn.execute(fixes_query(steps.scalar_subquery(), STEP_FIELDS)))
    last: dict[str, str] = {}
    for coi, seq, occurred in conn.execute(
        select(Unit.coi, Event.entry_seq, Event.occurred_at)
        .join(Event, Event.unit_code == Unit.unit_code)
        .where(Unit.coi.in_(cois))
    ):
        fixes = step_fixes.get(seq, ())
        if voided(fixes):
            continue
        at = str(effective({"occurred_at": occurred}, fixes)["occurred_at"])
        if at > last.get(coi, ""):
            last[coi] = at
    out = []
    for coi, seq, *values in cases:
        fields = effective(dict(zip(CASE_FIELDS, values, strict=True)), case_fixes.get(seq, ()))
        out.append(index_row(coi, seq, fields, last.get(coi, "")))
    return out


def _changes_row(payload: Mapping[str, Any]) -> bool:
    """Whether a correction entry changes its case's index row."""
    kind = payload.get("target_kind")
    fields = {c["field"] for c in payload.get("changes", ())}
    if kind == "case_created":
        return bool(fields & set(CASE_FIELDS))
    return kind in STEP_KINDS and bool(fields & set(STEP_FIELDS))


def plain_writes(kind: str, payload: Mapping[str, Any], seq: int) -> list[batch.Write] | None:
    """The index change of one appended entry as writes that need no read: a case's
    new row, a step's later last event, or nothing; None for a correction that changes
    a row (`apply` folds it from the rows just written)."""
    if kind == "case_created":
        patient = payload["patient"]
        fields = {
            "patient_name": patient["name"],
            "patient_dob": patient["dob"],
            "mrn": patient["mrn"],
            "product": payload["product"],
        }
        return [(_INSERT, [index_row(payload["coi"], seq, fields, "")])]
    if kind in STEP_KINDS:
        return [(_LATER, [{"k_coi": payload["coi"], "k_at": payload["occurred_at"]}])]
    if kind == "correction" and payload.get("coi") and _changes_row(payload):
        return None
    return []


def apply(conn: Connection, kind: str, payload: Mapping[str, Any], seq: int) -> None:
    """Keep the index in step with one appended entry whose rows are written."""
    writes = plain_writes(kind, payload, seq)
    if writes is not None:
        for stmt, rows in writes:
            conn.execute(stmt, rows)
        return
    for row in rows_for(conn, [payload["coi"]]):
        conn.execute(update(_t).where(_t.c.coi == row["coi"]).values(**row))


def all_rows(conn: Connection) -> Iterator[list[dict[str, Any]]]:
    """Every case's expected row, a batch at a time in COI order (keyset pages)."""
    coi = Case.__table__.c.coi
    for page in keyset.pages(conn, [coi], [coi], size=BATCH):
        yield rows_for(conn, [coi for (coi,) in page])


def build(conn: Connection) -> int:
    """Fill an empty index from the projections (migration 0007); returns the rows written."""
    n = 0
    for rows in all_rows(conn):
        conn.execute(_INSERT, rows)
        n += len(rows)
    return n


def _batches(conn: Connection, only: Iterable[str] | None) -> Iterator[list[dict[str, Any]]]:
    if only is None:
        yield from all_rows(conn)
        return
    cois = sorted(only)
    for i in range(0, len(cois), BATCH):
        yield rows_for(conn, cois[i : i + BATCH])


def check(conn: Connection, only: Iterable[str] | None = None) -> tuple[int, str] | None:
    """The first index row that is not the fold of the projections: (case entry, why).

    ``only``: the rows of these cases (those a resumed `verify` read entries of), and
    that the index has one row per case.
    """
    seen = 0
    for rows in _batches(conn, only):
        stored = {
            r.coi: r
            for r in conn.execute(select(*_t.c).where(_t.c.coi.in_([row["coi"] for row in rows])))
        }
        for want in rows:
            got = stored.get(want["coi"])
            if got is None:
                return want["seq"], f"row of case {want['coi']} is missing"
            for name in COLUMNS:
                if getattr(got, name) != want[name]:
                    return (
                        want["seq"],
                        f"case {want['coi']} column {name}: the ledger says "
                        f"{want[name]!r}, the index has {getattr(got, name)!r}",
                    )
        seen += len(rows)
    stored_rows = conn.execute(select(func.count()).select_from(_t)).scalar_one()
    if only is not None:
        seen = conn.execute(select(func.count()).select_from(Case)).scalar_one()
    if stored_rows != seen:
        return 0, f"{stored_rows} rows for {seen} cases (a row was inserted)"
    return None
