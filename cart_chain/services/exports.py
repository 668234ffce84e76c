"""Writing report files and recording every export in the ledger.

A report is only worth signing if it is provably tied to the ledger, so each
export reads everything it prints - the case, the label and scan entries, the
result of `verify` and the ledger checkpoint - from ONE database snapshot, and
then appends a ``report_exported`` entry naming who exported what, the file's
SHA-256 and that checkpoint.

Ordering matters and is deliberate: the checkpoint printed on a report is the
ledger head *before* the report's own ``report_exported`` entry (the entry
cannot be inside the file whose hash it records). So a report printed with
checkpoint ``N`` is normally followed by its export entry at ``N + 1`` or later.

Rendering lives in `cart_chain.reports` (which sits above this layer), so the
export functions take the renderer as a callable: this module owns the staged
file, its fsync and hash, the ledger entry and the rename; what a report prints
is read by `services.custody_data` and `services.audit_rows`; the renderer owns
the pixels.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from cart_chain.domain.errors import UsageError
from cart_chain.domain.evidence import ReportEvidence
from cart_chain.services import verify_marks as marks
from cart_chain.services.accounts import Credentials, authenticate_in, signed_write
from cart_chain.services.audit_rows import (
    AuditFilters,
    AuditHeader,
    AuditRow,
    audit_header_in,
    iter_audit,
)
from cart_chain.services.custody_data import (
    CustodyReportData,
    LedgerState,
    Progress,
    custody_report_data,
)
from cart_chain.services.evidence import render_with_evidence
from cart_chain.services.outfiles import publish, stage, storage_error, target
from cart_chain.services.site_key import checkpoint_in
from cart_chain.services.views import Receipt
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.kinds.reports import REPORT_EXPORTED
from cart_chain.store.resume import Resume


@dataclass(frozen=True, slots=True)
class ExportResult:
    path: Path
    report_id: str
    sha256: str
    entries: int
    ledger: LedgerState
    receipt: Receipt
    evidence: ReportEvidence | None = None  # what a custody report embeds


def _staging(out: Path, overwrite: bool) -> Path:
    """Refuse an existing ``out`` unless told to replace it; else a private temporary file."""
    return stage(target(out, overwrite=overwrite))


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def record_export_in(
    session: Session,
    by: Credentials,
    *,
    report: str,
    report_id: str,
    fmt: str,
    path: Path,
    sha256: str,
    entries: int,
    state: LedgerState,
    filters: dict[str, str],
    coi: str | None = None,
) -> ledger.Entry:
    """Append ``report_exported``: who exported which report, to which file, with what hash;
    then a signed checkpoint of the head that includes it (none on a ledger without a
    site key yet)."""
    user = authenticate_in(session, by)
    payload: dict[str, Any] = {
        "report": report,
        "report_id": report_id,
        "format": fmt,
        "file": str(path),
        "sha256": sha256,
        "entries": entries,
        "filters": filters,
        "checkpoint": {"seq": state.seq, "hash": state.hash},
        "verified": state.verified,
    }
    if state.since > 1:
        payload["verified_from"] = state.since
    if coi:
        payload["coi"] = coi
    entry = ledger.append(session, REPORT_EXPORTED, user.username, payload)
    checkpoint_in(session, user.username, required=False)
    return entry


def _finish(
    db: Database,
    by: Credentials,
    tmp: Path,
    out: Path,
    *,
    report: str,
    report_id: str,
    entries: int,
    state: LedgerState,
    filters: dict[str, str],
    coi: str | None,
    overwrite: bool = False,
) -> ExportResult:
    """Hash the staged file, record the export (authenticating ``by``), then publish it.

    The ledger entry is committed before the rename, so a wrong password leaves
    no file at all, and a file at ``out`` always has its export entry.
    """
    try:
        _fsync(tmp)
        digest = _sha256(tmp)
    except OSError as err:
        raise storage_error(err, out) from err
    final = out.expanduser().resolve()
    fmt = final.suffix.lstrip(".").lower()
    entry = signed_write(
        db,
        lambda s: record_export_in(
            s,
            by,
            report=report,
            report_id=report_id,
            fmt=fmt,
            path=final,
            sha256=digest,
            entries=entries,
            state=state,
            filters=filters,
            coi=coi,
        ),
    )
    publish(tmp, final, overwrite=overwrite)
    receipt = Receipt(entry.seq, entry.hash, entry.recorded_at, entry.kind, report_id)
    return ExportResult(final, report_id, digest, entries, state, receipt)


def export_custody(
    db: Database,
    by: Credentials,
    coi_text: str,
    out: Path,
    render: Callable[[CustodyReportData, Path], None],
    *,
    overwrite: bool = False,
) -> ExportResult:
    """Read the case, sign a checkpoint and prove what the report shows in it
    (`services.evidence`), render it to a temporary file, record the export, then rename."""
    if out.suffix.lower() != ".pdf":
        raise UsageError(f"a custody report is a PDF: name the file *.pdf, not {out.name}")
    tmp = _staging(out, overwrite)
    try:
        data = custody_report_data(db, coi_text, by.username)
        try:
            data = render_with_evidence(db, by, data, render, tmp)
        except OSError as err:
            raise storage_error(err, out) from err
        entries = sum(len(u.events) for u in data.case.units)
        done = _finish(
            db,
            by,
            tmp,
            out,
            report="custody",
            report_id=data.report_id,
            entries=entries,
            state=data.ledger,
            filters={"case": data.case.coi},
            coi=data.case.coi,
            overwrite=overwrite,
        )
        return replace(done, evidence=data.evidence)
    finally:
        tmp.unlink(missing_ok=True)


AuditWriter = Callable[[AuditHeader, Iterator[AuditRow], Path, Callable[[int], None]], int]
"""``write(header, rows, path, tick) -> rows written``; calls ``tick(n)`` as it goes."""


def export_audit(
    db: Database,
    by: Credentials,
    filters: AuditFilters,
    out: Path,
    write: AuditWriter,
    progress: Progress | None = None,
    *,
    overwrite: bool = False,
) -> ExportResult:
    """Stream matching ledger entries into ``write`` from one snapshot, then record it."""
    tmp = _staging(out, overwrite)

    def run(session: Session) -> tuple[AuditHeader, int]:
        key = marks.database_key(session, db.url)
        mark = None if key is None else marks.load(key)
        resume = None if mark is None else (Resume(mark.seq, mark.hash), mark.full_at)
        header = audit_header_in(session, filters, by.username, progress, resume)
        if progress is not None:
            progress("export", 0, header.count)

        def tick(done: int) -> None:
            if progress is not None:
                progress("export", done, header.count)

        try:
            rows = iter_audit(session, filters, rehash=header.ledger.verified)
            n = write(header, rows, tmp, tick)
        except OSError as err:
            raise storage_error(err, out) from err
        return header, n

    try:
        header, written = db.read(run)
        return _finish(
            db,
            by,
            tmp,
            out,
            report="audit",
            report_id=header.report_id,
            entries=written,
            state=header.ledger,
            filters=filters.described,
            coi=filters.coi,
            overwrite=overwrite,
        )
    finally:
        tmp.unlink(missing_ok=True)
