"""``proof inclusion`` and ``proof consistency``: Merkle proofs anyone can check offline.

Kept apart from `cli.commands` (already long). Both open the database read-only,
as ``verify`` does.
"""

from __future__ import annotations

import argparse

from cart_chain.cli.common import emit_json, open_db


def cmd_proof_inclusion(args: argparse.Namespace) -> int:
    from cart_chain.services.proofs import inclusion_json, inclusion_proof

    shown = inclusion_json(inclusion_proof(open_db(args, read_only=True), args.seq, args.size))
    if args.json:
        emit_json(shown)
        return 0
    print(
        f"entry {shown['seq']} is leaf {shown['leaf_index']} of the tree of "
        f"{shown['tree_size']} entries"
    )
    print(f"leaf data {shown['leaf_data']}")
    print(f"root      {shown['root']}")
    for i, h in enumerate(shown["proof"]):
        print(f"proof[{i}]  {h}")
    return 0


def cmd_proof_consistency(args: argparse.Namespace) -> int:
    from cart_chain.services.proofs import consistency_json, consistency_proof

    db = open_db(args, read_only=True)
    shown = consistency_json(consistency_proof(db, args.from_size, args.to_size))
    if args.json:
        emit_json(shown)
        return 0
    print(f"the tree of {shown['to']} entries extends the tree of {shown['from']}")
    print(f"old root  {shown['old_root']}")
    print(f"new root  {shown['new_root']}")
    for i, h in enumerate(shown["proof"]):
        print(f"proof[{i}]  {h}")
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    proof = sub.add_parser(
        "proof",
        help="RFC 6962 Merkle proofs of the ledger (checkable with Go's sumdb/tlog)",
    )
    ps = proof.add_subparsers(dest="proof_command", metavar="KIND", required=True)
    p = ps.add_parser("inclusion", help="prove an entry is in the tree of a given size")
    p.add_argument("seq", type=int, metavar="SEQ", help="the entry's sequence number")
    p.add_argument("--size", type=int, metavar="N", help="the tree size (default: every entry)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_proof_inclusion)
    p = ps.add_parser("consistency", help="prove a later tree extends an earlier one")
    p.add_argument(
        "--from",
        dest="from_size",
        type=int,
        required=True,
        metavar="N",
        help="the earlier tree size",
    )
    p.add_argument(
        "--to", dest="to_size", type=int, metavar="M", help="the later size (default: every entry)"
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=cmd_proof_consistency)
