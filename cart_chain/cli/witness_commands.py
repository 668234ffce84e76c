"""``witness``: where checkpoints also go, and the witness site's side of cosigning.

Log side: ``witness add folder PATH``, ``witness add site DB [--key FILE]``,
``witness remove N`` (an administrator), ``witness list``, ``witness sync``
(retry what is queued) and ``witness request N --out DIR`` (the file exchange).
Witness side: ``witness key``, ``witness accept VKEY`` (an administrator) and
``witness cosign CHECKPOINT [PROOF]``.
"""

from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from cart_chain.cli.common import open_db, read_note, signer
from cart_chain.cli.prompt import PasswordSource
from cart_chain.domain.errors import UsageError


def _print_list(witnesses: list) -> None:  # type: ignore[type-arg]
    if not witnesses:
        print("no witnesses configured")
    for w in witnesses:
        where = w.path if w.kind == "folder" else f"{w.url} {w.vkey}"
        key = f" (key {w.key})" if w.key else ""
        print(f"{w.number} {w.kind} {where}{key}")


def cmd_witness_add(args: argparse.Namespace) -> int:
    from cart_chain.services import witness_admin

    by = signer(args.by, "administrator", PasswordSource())
    db = open_db(args)
    if args.kind == "folder":
        now = witness_admin.add_folder(db, by, Path(args.where))
    else:
        key = Path(args.key) if args.key else None
        now = witness_admin.add_site(db, by, args.where, key)
    _print_list(now)
    return 0


def cmd_witness_remove(args: argparse.Namespace) -> int:
    from cart_chain.services import witness_admin

    by = signer(args.by, "administrator", PasswordSource())
    _print_list(witness_admin.remove(open_db(args), by, args.number))
    return 0


def cmd_witness_list(args: argparse.Namespace) -> int:
    from cart_chain.services.witnesses import configured_in

    _print_list(open_db(args, read_only=True).read(configured_in))
    return 0


def cmd_witness_sync(args: argparse.Namespace) -> int:
    from cart_chain.services import witness_admin

    failed = False
    for o in witness_admin.sync(open_db(args)):
        if o.problem:
            failed = failed or o.refused
            print(f"{o.witness.label}: {o.problem}", file=sys.stderr)
        else:
            print(f"{o.witness.label}: {o.delivered} checkpoint(s) delivered")
    return 1 if failed else 0


def cmd_witness_request(args: argparse.Namespace) -> int:
    from cart_chain.services import witness_admin

    note, proof = witness_admin.request(
        open_db(args, read_only=True), args.number, Path(args.out), args.since
    )
    print(f"wrote {note} and {proof}: take them to the witness site ('witness cosign')")
    return 0


def cmd_witness_key(args: argparse.Namespace) -> int:
    from cart_chain.services.witness_site import cosigner_key

    print(cosigner_key(open_db(args, read_only=True)))
    return 0


def cmd_witness_accept(args: argparse.Namespace) -> int:
    from cart_chain.services import witness_admin

    by = signer(args.by, "administrator", PasswordSource())
    entry = witness_admin.accept(open_db(args), by, args.vkey)
    print(f"this site now witnesses {entry.payload['origin']} (entry {entry.seq})")
    return 0


def cmd_witness_cosign(args: argparse.Namespace) -> int:
    from cart_chain.services.witness_admin import read_proof
    from cart_chain.services.witness_site import cosign_checkpoint

    note = read_note(args.checkpoint)
    proof: list[bytes] = []
    rotations: list[dict[str, str]] = []
    if args.proof:
        try:
            text = Path(args.proof).read_text(encoding="utf-8")
        except OSError as err:
            raise UsageError(f"cannot read {args.proof} ({err.strerror})") from err
        proof, rotations = read_proof(text, note)
    key = Path(args.key) if args.key else None
    cosigned = cosign_checkpoint(open_db(args), note, proof, key, rotations)
    if args.out:
        Path(args.out).write_text(cosigned, encoding="utf-8")
    else:
        sys.stdout.write(cosigned)
    return 0


class _Stderr(logging.Handler):
    """Witness problems after a committed write, shown on the command line too."""

    def emit(self, record: logging.LogRecord) -> None:
        print(f"cart-chain: warning: {record.getMessage()}", file=sys.stderr)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    witness_log = logging.getLogger("cart_chain.witness")
    if not any(isinstance(h, _Stderr) for h in witness_log.handlers):
        witness_log.addHandler(_Stderr(logging.WARNING))
    w = sub.add_parser("witness", help="witnesses that hold every checkpoint outside this ledger")
    ws = w.add_subparsers(dest="witness_command", metavar="WHAT", required=True)

    p = ws.add_parser("add", help="add a witness (an administrator)")
    p.add_argument("kind", choices=("folder", "site"))
    p.add_argument("where", metavar="PATH|DB", help="the folder, or the witness site's database")
    p.add_argument(
        "--key", metavar="FILE", help="site: the witness's private key, if on this workstation"
    )
    p.add_argument("--by", metavar="ADMIN")
    p.set_defaults(handler=cmd_witness_add)

    p = ws.add_parser("remove", help="remove witness N (an administrator)")
    p.add_argument("number", type=int)
    p.add_argument("--by", metavar="ADMIN")
    p.set_defaults(handler=cmd_witness_remove)

    p = ws.add_parser("list", help="the configured witnesses")
    p.set_defaults(handler=cmd_witness_list)

    p = ws.add_parser("sync", help="send every queued checkpoint to every witness now")
    p.set_defaults(handler=cmd_witness_sync)

    p = ws.add_parser("request", help="write the checkpoint and proof witness N needs to DIR")
    p.add_argument("number", type=int)
    p.add_argument("--out", metavar="DIR", required=True)
    p.add_argument("--since", type=int, metavar="SIZE", help="the size the witness last cosigned")
    p.set_defaults(handler=cmd_witness_request)

    p = ws.add_parser("key", help="this site's cosigner key (C2SP cosignature/v1 vkey)")
    p.set_defaults(handler=cmd_witness_key)

    p = ws.add_parser("accept", help="witness the log of VKEY from now on (an administrator)")
    p.add_argument("vkey", help="the log's key, as 'cart-chain site key' prints it")
    p.add_argument("--by", metavar="ADMIN")
    p.set_defaults(handler=cmd_witness_accept)

    p = ws.add_parser("cosign", help="check a log's checkpoint against what this site saw, cosign")
    p.add_argument("checkpoint", metavar="CHECKPOINT")
    p.add_argument("proof", metavar="PROOF", nargs="?", help="proof.json from 'witness request'")
    p.add_argument(
        "--key", metavar="FILE", help="this site's private key (default: $CART_CHAIN_SITE_KEY)"
    )
    p.add_argument("--out", metavar="FILE")
    p.set_defaults(handler=cmd_witness_cosign)
