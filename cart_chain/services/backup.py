"""Signed, recorded backups of a live SQLite database, and restores that say what they drop.

`backup` is an administrator's signed action: it uses SQLite's online backup API
(a consistent copy while others keep working), verifies the copy, and only then
appends a ``backup_made`` entry to the live ledger naming the copy's head and the
copy file's SHA-256. A backup that does not verify is deleted and reported,
never left looking usable.

`restore` refuses a backup that does not verify, or one that is not an earlier
state of the live ledger. Entries after the backup's head are dropped by a
restore; when any of them is signed (a custody record), a QA user must also sign
with a reason. The first entry of the restored ledger, ``restored``, names the
head it replaced, the range it dropped and the backup's SHA-256; its actor is
the administrator (named with printed name; administrators sign no content) and
it carries QA's signature when QA approved. The database it replaces is never
deleted: it is kept beside it, renamed, so no committed record is lost. A backup
older than what a witness saw restores only as a signed, recorded loss
(`witness_loss`). PostgreSQL has its own tools (pg_dump).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from cart_chain.domain.errors import (
    DatabaseUnavailable,
    InvalidValue,
    NotFound,
    SignatureError,
    VerificationFailed,
)
from cart_chain.domain.roles import Role
from cart_chain.services import verify_marks as marks
from cart_chain.services import witness_loss
from cart_chain.services.accounts import load_user
from cart_chain.services.auth import (
    Credentials,
    UserState,
    authenticate_in,
    require_role,
    signed_write,
)
from cart_chain.services.restore_files import keep, kept_name
from cart_chain.services.signing import VERIFIED, signature
from cart_chain.services.verification import verify_ledger
from cart_chain.services.witness_loss import Superseded
from cart_chain.services.witnesses import findings_in
from cart_chain.store import ledger
from cart_chain.store.database import Database
from cart_chain.store.kinds.admin import BACKUP_MADE, RESTORED
from cart_chain.store.ledger import Checkpoint
from cart_chain.store.models import LedgerEntry
from cart_chain.store.schema import sqlite_copy, state
from cart_chain.store.verify import Report

ADMINS = frozenset({Role.ADMINISTRATOR})
QA = frozenset({Role.QA})
#: Kinds that are custody facts though their payload carries no signature list.
_CUSTODY_KINDS = frozenset({"label_printed", "label_voided", "deviation_opened"})


@dataclass(frozen=True, slots=True)
class BackupResult:
    path: Path
    entries: int
    checkpoint: Checkpoint
    replaced: Path | None = None  # restore: where the database it replaced was kept
    sha256: str = ""  # of the backup file
    recorded: int = 0  # seq of the backup_made / restored entry
    dropped: tuple[int, int] | None = None  # restore: first and last entry dropped


def _sqlite_only(db: Database) -> Path:
    if db.path is None:
        raise InvalidValue(
            "backup and restore copy SQLite databases; back up PostgreSQL with pg_dump "
            "and restore it with pg_restore"
        )
    return db.path


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def check_file(path: Path) -> Report:
    """Open ``path`` as a cart-chain database and verify it completely (triggers included)."""
    return check_backup(path, accept_witnessed_loss=False)[0]


def check_backup(path: Path, *, accept_witnessed_loss: bool) -> tuple[Report, list[Superseded]]:
    """`check_file`, and the witnesses' checkpoints beyond the backup's end, which fail it
    unless ``accept_witnessed_loss`` (`witness_loss`): then they are returned instead."""
    if not path.is_file():
        raise DatabaseUnavailable(f"no backup file at {path}")
    copy = Database(str(path), read_only=True)
    found = None
    try:
        state(copy)  # refuses foreign, corrupt or newer databases
        report = verify_ledger(copy)
        if report.problem is not None and report.problem.table == "witness":
            found = copy.read(lambda s: findings_in(s, report.entries, collect_ahead=True))
    finally:
        copy.dispose()
    if report.ok:
        return report, []
    failed = f"{path} does not verify: {report.problem}"
    if found is None or found.problems or not found.ahead:
        raise VerificationFailed(failed)
    if not accept_witnessed_loss:
        raise VerificationFailed(
            f"{failed}. If the entries after this backup are lost for good, restore it with "
            "--accept-witnessed-loss, signed by QA with a reason"
        )
    return dataclasses.replace(report, problem=None), found.ahead


def _signer(session: Session, creds: Credentials, roles: frozenset[Role], action: str) -> UserState:
    user = authenticate_in(session, creds)
    require_role(user, roles, action)
    return user


def _hash_at(session: Session, seq: int) -> str | None:
    return session.execute(select(LedgerEntry.hash).where(LedgerEntry.seq == seq)).scalar()


def backup(db: Database, out: Path, by: Credentials) -> BackupResult:
    """Copy, verify, then record ``backup_made`` (signed by an administrator) in the live ledger.

    The copy ends at the head before that entry: a backup never contains its own
    ``backup_made`` entry, which names the copy's head and SHA-256. The entry is
    attributed to the administrator (re-authenticated), as user management is, and
    carries no Part 11 signature list: it is no custody record, so a restore that
    drops only such entries needs no QA approval.
    """
    source = _sqlite_only(db)
    if not source.exists():
        raise DatabaseUnavailable(f"no database at {source}")
    out = out.expanduser().resolve()
    if out == source.resolve():
        raise InvalidValue("the backup must be a different file from the database")
    # who may is settled before a copy of patient data is written anywhere
    signed_write(db, lambda s: _signer(s, by, ADMINS, "make backups"))
    out.parent.mkdir(parents=True, exist_ok=True)
    sqlite_copy(source, out)
    try:
        report = check_file(out)
        digest = file_sha256(out)
        head = report.checkpoint

        def record(session: Session) -> ledger.Entry:
            admin = _signer(session, by, ADMINS, "make backups")
            if _hash_at(session, head.seq) != head.hash:
                raise VerificationFailed("the database changed under the backup; try again")
            return ledger.append(
                session,
                BACKUP_MADE,
                admin.username,
                {
                    "file": out.name,
                    "sha256": digest,
                    "head": {"seq": head.seq, "hash": head.hash},
                },
            )

        entry = signed_write(db, record)
    except BaseException:
        out.unlink(missing_ok=True)
        raise
    return BackupResult(out, report.entries, head, sha256=digest, recorded=entry.seq)


# -- restore ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Live:
    """What a restore would replace, as read (and signed for) in the live database."""

    head: Checkpoint | None = None  # None: no live database, or none that can be trusted
    problem: str | None = None  # why the live database cannot be trusted
    dropped: tuple[int, int] | None = None
    signed_dropped: int = 0  # how many dropped entries are signed custody records
    admin: UserState | None = None  # signers, when authenticated against the live database
    qa: UserState | None = None


def _is_signed(kind: str, payload_text: str) -> bool:
    return kind in _CUSTODY_KINDS or bool(json.loads(payload_text).get("signatures"))


def _require_qa(live: _Live, qa: Credentials | None, reason: str | None) -> None:
    """Dropping signed records, or replacing what cannot be read, needs QA's signature too."""
    if qa is not None and reason is not None:
        return
    if live.problem is not None:
        why = f"the database it replaces cannot be trusted ({live.problem})"
    elif live.signed_dropped and live.dropped is not None:
        why = (
            f"it would drop {live.signed_dropped} signed entries "
            f"(entries {live.dropped[0]}..{live.dropped[1]})"
        )
    else:
        return
    raise SignatureError(
        f"restore refused: {why}; a QA user must also sign it with a reason (--qa USER --reason R)"
    )


def _assess_live(
    db: Database,
    target: Path,
    backup_head: Checkpoint,
    by: Credentials,
    qa: Credentials | None,
    reason: str | None,
) -> _Live:
    if not target.exists():
        return _Live()
    try:
        state(db)
        report = verify_ledger(db)
    except DatabaseUnavailable as exc:
        live = _Live(problem=str(exc))
    else:
        live = _Live(problem=None if report.ok else f"it does not verify: {report.problem}")
    if live.problem is None and db.corrupt:  # it takes no writes, so nothing is signed in it
        live = _Live(problem="SQLite reports the file corrupt")
    if live.problem is not None:
        _require_qa(live, qa, reason)
        return live

    def run(session: Session) -> _Live:
        admin = _signer(session, by, ADMINS, "restore databases")
        checker = None if qa is None else _signer(session, qa, QA, "approve a restore")
        live_head = ledger.head(session)  # after any sign-in bookkeeping: that is dropped too
        if _hash_at(session, backup_head.seq) != backup_head.hash:
            raise InvalidValue(
                f"the backup (head {backup_head}) is not an earlier copy of {db.where} "
                f"(head {live_head}): restoring it would replace a different ledger, "
                "so it is refused"
            )
        rows = session.execute(
            select(LedgerEntry.kind, LedgerEntry.payload).where(LedgerEntry.seq > backup_head.seq)
        ).all()
        dropped = (backup_head.seq + 1, live_head.seq) if rows else None
        signed = sum(_is_signed(kind, text) for kind, text in rows)
        found = _Live(live_head, None, dropped, signed, admin, checker)
        _require_qa(found, qa, reason)  # inside the transaction: a refusal writes nothing
        return found

    return signed_write(db, run)


def _restored_payload(
    backup_file: Path, digest: str, restored: Checkpoint, live: _Live, kept: Path | None
) -> dict[str, Any]:
    return {
        "backup": {
            "file": backup_file.name,
            "sha256": digest,
            "head": {"seq": restored.seq, "hash": restored.hash},
        },
        "replaced": {
            "head": None if live.head is None else {"seq": live.head.seq, "hash": live.head.hash},
            "problem": live.problem,
            "kept_as": None if kept is None else kept.name,
        },
        "dropped": None
        if live.dropped is None
        else {"first": live.dropped[0], "last": live.dropped[1], "signed": live.signed_dropped},
    }


def restore(
    db: Database,
    backup_file: Path,
    by: Credentials,
    *,
    qa: Credentials | None = None,
    reason: str | None = None,
    replace: bool = False,
    accept_witnessed_loss: bool = False,
) -> BackupResult:
    """Restore ``backup_file`` over the database; signed by an administrator (and QA, see below).

    A QA user must also sign, with a reason, when the restore would drop signed
    entries, when the live database cannot be trusted to say what it drops, or
    when witnesses saw entries after the backup (``accept_witnessed_loss``).
    """
    target = _sqlite_only(db)
    backup_file = backup_file.expanduser().resolve()
    reason = (reason or "").strip() or None
    if qa is not None and reason is None:
        raise InvalidValue("a QA approval of a restore needs a reason (--reason)")
    report, superseded = check_backup(  # before anything is touched
        backup_file, accept_witnessed_loss=accept_witnessed_loss
    )
    if superseded and (qa is None or reason is None):
        raise SignatureError(
            f"restore refused: witnesses saw entries up to {max(s.size for s in superseded)} "
            f"after this backup's {report.entries}; accepting their loss needs a QA user's "
            "signature with a reason (--qa USER --reason R)"
        )
    if target.exists() and not replace:
        raise InvalidValue(
            f"{target} already exists; give --replace to restore over it "
            "(the current file is kept beside it, renamed)"
        )
    live = _assess_live(db, target, report.checkpoint, by, qa, reason)
    kept = kept_name(target) if target.exists() else None
    digest = file_sha256(backup_file)
    staging_path = target.with_name(f".{target.name}.restoring")
    target.parent.mkdir(parents=True, exist_ok=True)
    sqlite_copy(backup_file, staging_path)
    staging = Database(str(staging_path))
    try:
        entry = signed_write(
            staging,
            lambda s: _append_restored(
                s,
                by,
                qa,
                live,
                reason,
                {
                    **_restored_payload(backup_file, digest, report.checkpoint, live, kept),
                    "lost": witness_loss.payload(superseded, report.entries),
                },
            ),
        )
        check_file(staging_path)
        staging.dispose()
        db.dispose()
        if kept is not None:
            keep(target, kept, live.head)
        sqlite_copy(staging_path, target)
    finally:
        staging.dispose()
        for suffix in ("", "-wal", "-shm"):
            Path(f"{staging_path}{suffix}").unlink(missing_ok=True)
    check_file(target)
    marks.forget_place(db.url)  # another file is there now: the next --quick checks in full
    return BackupResult(
        target, report.entries, report.checkpoint, kept, digest, entry.seq, live.dropped
    )


def _append_restored(
    session: Session,
    by: Credentials,
    qa: Credentials | None,
    live: _Live,
    reason: str | None,
    payload: dict[str, Any],
) -> ledger.Entry:
    """The first entry of the restored ledger; signers must exist in the backup too."""
    if live.admin is not None:  # signed in against the live database
        admin, checker = live.admin, live.qa
        for user in (admin, checker):
            if user is not None:
                try:
                    load_user(session, user.username)
                except NotFound:
                    raise SignatureError(
                        f"{user.username} is not a user in the backup, so cannot sign its "
                        "restore; sign with a user it knows"
                    ) from None
    else:
        admin = _signer(session, by, ADMINS, "restore databases")
        checker = None if qa is None else _signer(session, qa, QA, "approve a restore")
    # The administrator is the entry's actor (re-authenticated, signs no content, as
    # for user management); QA's approval is the Part 11 signature.
    sigs = [] if checker is None else [signature(checker, VERIFIED)]
    administrator = {"username": admin.username, "printed_name": admin.full_name}
    return ledger.append(
        session,
        RESTORED,
        admin.username,
        {**payload, "administrator": administrator, "reason": reason, "signatures": sigs},
    )
