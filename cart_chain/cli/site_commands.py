"""``site key`` and ``checkpoint``: the site's verifier key and signed checkpoints.

Kept apart from `cli.commands` (already long). ``site key`` only reads; creating
the key and signing a checkpoint are recorded in the ledger, so they need a user.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from cart_chain.cli.common import open_db, signer
from cart_chain.cli.prompt import PasswordSource
from cart_chain.domain.errors import UsageError


def cmd_site_key(args: argparse.Namespace) -> int:
    from cart_chain.services.site_key import create_site_key, key_path, site_key

    if args.action == "rotate":
        from cart_chain.services.site_key import rotate_site_key

        if args.create:
            raise UsageError("rotate replaces the key; --create makes the first one")
        by = signer(args.by, "administrator", PasswordSource())
        made = rotate_site_key(open_db(args), by)
        print(
            f"site key rotated as entry {made.seq}; new private key at {key_path()}, "
            "the old one kept beside it as .retired-SEQ",
            file=sys.stderr,
        )
        print(made.vkey)
        return 0
    if args.create:
        by = signer(args.by, "administrator", PasswordSource())
        made = create_site_key(open_db(args), by)
        print(
            f"site key recorded as entry {made.seq}; private key at {key_path()}", file=sys.stderr
        )
        print(made.vkey)
        return 0
    if args.by:
        raise UsageError("--by goes with --create")
    print(site_key(open_db(args, read_only=True)).vkey)
    return 0


def cmd_checkpoint(args: argparse.Namespace) -> int:
    from cart_chain.services.site_key import make_checkpoint

    made = make_checkpoint(open_db(args), signer(args.by, "checkpoint", PasswordSource()))
    if args.out:
        try:
            Path(args.out).write_bytes(made.note.encode("utf-8"))
        except OSError as err:
            raise UsageError(f"cannot write {args.out} ({err.strerror})") from err
        print(f"checkpoint of {made.head.size} entries written to {args.out}", file=sys.stderr)
    else:
        sys.stdout.write(made.note)
    print(f"recorded as entry {made.seq}", file=sys.stderr)
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    site = sub.add_parser("site", help="the site key that signs checkpoints")
    ss = site.add_subparsers(dest="site_command", metavar="WHAT", required=True)
    p = ss.add_parser("key", help="print the verifier key (Go sumdb/note format: NAME+HASH+BASE64)")
    p.add_argument(
        "action",
        nargs="?",
        choices=("rotate",),
        help="rotate: a new key, signed over by the old one (--by ADMIN)",
    )
    p.add_argument(
        "--create", action="store_true", help="give a ledger made before site keys its key"
    )
    p.add_argument("--by", metavar="ADMIN", help="the administrator creating the key")
    p.set_defaults(handler=cmd_site_key)

    p = sub.add_parser(
        "checkpoint",
        help="sign the current tree head (C2SP tlog-checkpoint) and record it",
    )
    p.add_argument("--out", metavar="FILE", help="write the signed note to FILE")
    p.add_argument("--by", metavar="USER", help="the user making the checkpoint")
    p.set_defaults(handler=cmd_checkpoint)
