"""``evidence check REPORT.pdf [--vkey KEY]``: check a custody report's own proof offline.

No database is opened and no site key is needed: the report's attachment, its
text and (best) the site's verifier key obtained from the site are enough.
"""

from __future__ import annotations

import argparse
import base64
from pathlib import Path

from cart_chain.domain.errors import VerificationFailed


def _vkey(value: str | None) -> str | None:
    """The key as given, or read from a file of that name (``site key > site.vkey``)."""
    if value is None:
        return None
    path = Path(value)
    if "+" not in value and path.is_file():
        return path.read_text(encoding="utf-8").strip()
    return value.strip()


def cmd_evidence_check(args: argparse.Namespace) -> int:
    from cart_chain.domain.evidence import check, from_json
    from cart_chain.reports.evidence_pdf import read_report

    raw, text = read_report(Path(args.report))
    try:
        verdict = check(from_json(raw), text, _vkey(args.vkey))
    except VerificationFailed as err:
        raise VerificationFailed(f"evidence check FAILED for {args.report}: {err}") from None
    root = base64.b64encode(verdict.head.root).decode("ascii")
    print(
        f"evidence check passed: the {verdict.entries} entries this report shows are in the "
        f"tree of {verdict.head.size} entries of {verdict.origin} (root {root})"
    )
    if verdict.key_given:
        print(f"signed by the key you gave ({verdict.fingerprint})")
    else:
        print(
            f"signed by the key EMBEDDED in the report ({verdict.fingerprint}): this only "
            "shows the report is self-consistent; give the site's key with --vkey to show "
            "the site signed it"
        )
    return 0


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    ev = sub.add_parser("evidence", help="check a custody report's embedded proof offline")
    es = ev.add_subparsers(dest="evidence_command", metavar="WHAT", required=True)
    p = es.add_parser(
        "check",
        help="check REPORT.pdf's signed checkpoint and inclusion proofs (no database)",
    )
    p.add_argument("report", metavar="REPORT.pdf")
    p.add_argument(
        "--vkey",
        metavar="KEY",
        help="the site's verifier key (NAME+HASH+BASE64, or a file holding it); "
        "default: the key embedded in the report, which only proves self-consistency",
    )
    p.set_defaults(handler=cmd_evidence_check)
