"""The database-wide commands: init, demo, verify, backup, restore, settings; and the app.

Handlers import the services lazily so `cart-chain --help` stays instant.
"""

from __future__ import annotations

import argparse
import sys

from cart_chain.cli.common import emit_json, open_db, read_note, signer
from cart_chain.cli.prompt import PasswordSource
from cart_chain.domain.errors import UsageError


def start_gui(args: argparse.Namespace) -> int:
    try:
        from cart_chain.ui.app import run
    except ImportError:
        print(
            "cart-chain: the desktop app is not part of this build yet; "
            "use the commands listed by 'cart-chain --help'",
            file=sys.stderr,
        )
        return 0
    return run(args.db)


def cmd_init(args: argparse.Namespace) -> int:
    from cart_chain.services.setup import init_database
    from cart_chain.services.workstation import creating

    source = PasswordSource()
    password = source.new_password(f"New password for {args.admin}")
    opened, _ = creating(  # on failure, no new database file is left behind
        args.db, lambda db: init_database(db, args.admin, args.name, password, args.facility)
    )
    opened.db.dispose()
    print(f"initialised {opened.where} with administrator {args.admin}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from cart_chain.services.demo import build_demo
    from cart_chain.services.workstation import creating

    opened, result = creating(args.db, build_demo)  # on failure, no new file is left
    opened.db.dispose()
    print(f"demo database: {opened.where}")
    print("users (user name, role, password):")
    for username, _full, role, password in result.users:
        print(f"  {username:<8} {role:<14} {password}")
    print("cases:")
    for coi in result.cases:
        print(f"  {coi}")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    import base64

    from cart_chain.services.verification import (
        is_seq_hash,
        parse_checkpoint,
        parse_tree_head,
        verify_ledger,
    )

    expect = note = None
    if args.checkpoint and is_seq_hash(args.checkpoint):
        expect = parse_checkpoint(args.checkpoint)
    elif args.checkpoint:
        note = read_note(args.checkpoint)
    if (args.root is None) != (args.size is None):
        raise UsageError("--root and --size go together: the tree size the root was printed for")
    head = None if args.root is None else parse_tree_head(args.size, args.root)
    db = open_db(args, read_only=True, verifying=True)
    report = verify_ledger(db, expect, head=head, note=note, quick=args.quick, remember=True)
    root = base64.b64encode(report.root).decode("ascii")
    if args.json:
        emit_json(
            {
                "ok": report.ok,
                "entries": report.entries,
                "rows": report.rows,
                "checked_in_full_from": report.since,
                "earlier_checked_at": report.earlier_checked_at or None,
                "checkpoint": {"seq": report.checkpoint.seq, "hash": report.checkpoint.hash},
                "tree": {"size": report.entries, "root": root} if report.ok else None,
                "warnings": report.warnings,
                "problem": None
                if report.ok
                else {
                    "seq": report.problem.seq,
                    "table": report.problem.table,  # type: ignore[union-attr]
                    "message": report.problem.message,
                },  # type: ignore[union-attr]
            }
        )
    elif report.ok:
        for warning in report.warnings:
            print(f"cart-chain: warning: {warning}", file=sys.stderr)
        print(f"ledger intact: {report.entries} entries, {report.rows} projection rows checked")
        if report.since > 1:
            print(
                f"checked in full from entry {report.since} (a signed checkpoint); entries "
                f"1-{report.since - 1} were checked in full at {report.earlier_checked_at} "
                "and now for their order and links only (verify without --quick redoes them)"
            )
        print(f"checkpoint {report.checkpoint}")
        print(f"tree head {report.entries} {root} (keep it: verify --size N --root ROOT)")
    else:
        print(f"cart-chain: verification FAILED at {report.problem}", file=sys.stderr)
        print(f"last good checkpoint {report.checkpoint}", file=sys.stderr)
    return 0 if report.ok else 1


def cmd_backup(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cart_chain.services.backup import backup

    db = open_db(args)
    by = signer(args.by, "Performed by (administrator)", PasswordSource())
    result = backup(db, Path(args.out), by)
    print(f"backup written and verified: {result.path}")
    print(f"{result.entries} entries, checkpoint {result.checkpoint}, sha256 {result.sha256}")
    print(f"recorded as entry {result.recorded}")
    return 0


def cmd_restore(args: argparse.Namespace) -> int:
    from pathlib import Path

    from cart_chain.services.backup import restore
    from cart_chain.store.database import Database

    source = PasswordSource()
    by = signer(args.by, "Performed by (administrator)", source)
    qa = signer(args.qa, "Approved by (QA)", source) if args.qa else None
    result = restore(
        Database(args.db),
        Path(args.file),
        by,
        qa=qa,
        reason=args.reason,
        replace=args.replace,
        accept_witnessed_loss=args.accept_witnessed_loss,
    )
    print(
        f"restored {result.path} from {args.file}: {result.entries} entries verified, "
        f"checkpoint {result.checkpoint}; recorded as entry {result.recorded}"
    )
    if result.dropped:
        print(f"entries {result.dropped[0]}..{result.dropped[1]} of the replaced ledger dropped")
    if result.replaced:
        print(f"the database it replaced is kept at {result.replaced}")
    return 0


def cmd_settings(args: argparse.Namespace) -> int:
    from cart_chain.services import settings

    db = open_db(args)
    if args.key is None:
        for key in settings.SETTINGS:
            print(f"{key} = {settings.get(db, key)}")
        return 0
    if args.value is None:
        print(settings.get(db, args.key))
        return 0
    admin = signer(args.by, "administrator", PasswordSource())
    settings.set_setting(db, admin, args.key, args.value)
    print(f"{args.key} = {settings.get(db, args.key)}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser("init", help="create a database and its first administrator")
    p.add_argument("--admin", required=True, metavar="USER")
    p.add_argument("--name", required=True, metavar="FULL_NAME")
    p.add_argument(
        "--facility", metavar="FIN", help="facility identification number for COIs (e.g. W1234)"
    )
    p.set_defaults(handler=cmd_init)

    p = sub.add_parser("demo", help="a fresh database with demo users and cases")
    p.set_defaults(handler=cmd_demo)

    p = sub.add_parser("verify", help="recompute the hash chain and every projection")
    p.add_argument("--json", action="store_true")
    p.add_argument(
        "--checkpoint",
        metavar="SEQ:HASH|FILE",
        help="also prove a printed checkpoint (SEQ:HASH) or a signed checkpoint file "
        "(from 'cart-chain checkpoint', checked against the site key) is still in the ledger",
    )
    p.add_argument(
        "--root",
        metavar="B64",
        help="also prove a Merkle tree root you kept (from verify or proof) still heads "
        "the first --size entries: any rewrite of them, even with every later hash "
        "recomputed, fails",
    )
    p.add_argument("--size", type=int, metavar="N", help="the tree size --root is for")
    p.add_argument(
        "--quick",
        action="store_true",
        help="check in full only from the newest signed checkpoint a full verify on this "
        "workstation passed; entries before it are checked for order and links only "
        "(a database never verified here in full is checked in full)",
    )
    p.set_defaults(handler=cmd_verify)

    p = sub.add_parser(
        "backup", help="consistent, verified copy of a live SQLite database (signed, recorded)"
    )
    p.add_argument("--out", required=True, metavar="FILE")
    p.add_argument("--by", metavar="ADMIN", help="the administrator signing the backup")
    p.set_defaults(handler=cmd_backup)

    p = sub.add_parser(
        "restore", help="restore a SQLite database from a backup that verifies (signed, recorded)"
    )
    p.add_argument("file", metavar="FILE")
    p.add_argument("--by", metavar="ADMIN", help="the administrator signing the restore")
    p.add_argument(
        "--qa",
        metavar="USER",
        help="QA user who also signs: needed when signed entries would be dropped",
    )
    p.add_argument("--reason", metavar="R", help="why (required with --qa)")
    p.add_argument(
        "--replace",
        action="store_true",
        help="restore over an existing database (kept beside it, renamed)",
    )
    p.add_argument(
        "--accept-witnessed-loss",
        action="store_true",
        help="after a disaster: restore a backup older than what the witnesses saw; "
        "the entries after it are recorded as lost (needs --qa and --reason)",
    )
    p.set_defaults(handler=cmd_restore)

    p = sub.add_parser("settings", help="show or change shared settings")
    p.add_argument("key", nargs="?")
    p.add_argument("value", nargs="?")
    p.add_argument("--by", metavar="ADMIN")
    p.set_defaults(handler=cmd_settings)
