"""Offscreen self-test: proves an installation (source, wheel or PyInstaller bundle) works.

A frozen bundle fails in ways the test suite cannot see: a module imported only
inside a function, a driver chosen from a URL string, a file loaded by path (the
Alembic migrations, fonts, label templates) or package metadata that PyInstaller
left out. Each of those surfaces only when that code path runs *from the bundle*.
So this walks the real code paths once, end to end, through the public services:

    migrations, first administrator, enrolment, a signed step, a label PNG (decoded
    back when zxing-cpp is present), a custody report PDF, ledger verification and
    the main window on Qt's offscreen platform.

It never touches the user's data: the database, the report and Qt's settings all
live in a temporary folder that is deleted afterwards, and Qt is forced onto the
offscreen platform so nothing is shown. One line per check, ``OK``, ``FAIL`` or
``SKIP`` (a part not in this build, e.g. no GUI yet); the exit status is 0 only when
nothing failed (with ``--strict``, when nothing was skipped either).

Run it as ``cart-chain --self-test`` from a bundle, ``python -m cart_chain.selftest``
from a source tree, or in-process with `run`.
"""

from __future__ import annotations

# Only cheap imports at the top: the CLI imports this module to register ``self-test``
# on every start, and start-up time is budgeted. The rest is imported when a check runs.
import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from cart_chain.selftest_checks import CHECKS, Check, Context, Skipped

__all__ = ["CHECKS", "Check", "Context", "Skipped", "main", "run"]

OK, FAIL, SKIP = "OK", "FAIL", "SKIP"


def run(
    checks: Sequence[tuple[str, Check]] = CHECKS,
    out: TextIO | None = None,
    strict: bool = False,
    verbose: bool = False,
) -> int:
    """Run ``checks`` in a throw-away folder, print one line each; 0 only if none failed."""
    import tempfile
    import traceback

    from cart_chain.services.site_key import KEY_ENV as SITE_KEY_ENV

    out = out if out is not None else sys.stdout
    failed = skipped = 0
    key_before = os.environ.get(SITE_KEY_ENV)
    with tempfile.TemporaryDirectory(prefix="cart-chain-selftest-") as tmp:
        ctx = Context(Path(tmp))
        # The throw-away ledger gets a throw-away site key, never the workstation's.
        os.environ[SITE_KEY_ENV] = str(Path(tmp) / "site-key.pem")
        width = max(len(name) for name, _ in checks)
        try:
            for name, check in checks:
                started = time.perf_counter()
                try:
                    detail = check(ctx)
                    status = OK
                except Skipped as exc:
                    status, detail = SKIP, str(exc)
                    skipped += 1
                except Exception as exc:  # every failure is reported, the next check still runs
                    status, detail = FAIL, f"{type(exc).__name__}: {exc}"
                    failed += 1
                    if verbose:
                        traceback.print_exc(file=out)
                ms = (time.perf_counter() - started) * 1000
                print(f"{status:<4} {name:<{width}}  {detail} ({ms:.0f} ms)", file=out, flush=True)
        finally:
            if key_before is None:
                os.environ.pop(SITE_KEY_ENV, None)
            else:
                os.environ[SITE_KEY_ENV] = key_before
            if ctx.db is not None:
                ctx.db.dispose()
            for extra in ctx.extras:
                db = getattr(extra, "db", None)
                if db is not None:
                    db.dispose()
    bad = failed + (skipped if strict else 0)
    verdict = "self-test passed" if not bad else "self-test FAILED"
    print(
        f"{verdict}: {len(checks) - failed - skipped} ok, {failed} failed, {skipped} skipped",
        file=out,
        flush=True,
    )
    return 0 if not bad else 1


def build_parser(parser: argparse.ArgumentParser | None = None) -> argparse.ArgumentParser:
    parser = parser or argparse.ArgumentParser(
        prog="cart-chain --self-test", description="Offscreen self-test of this installation."
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="a skipped check (a part missing from this build) also fails",
    )
    parser.add_argument("--verbose", action="store_true", help="print a traceback per failure")
    return parser


def handler(args: argparse.Namespace) -> int:
    """``cart-chain self-test`` handler, for registration as a CLI subcommand."""
    return run(strict=args.strict, verbose=args.verbose)


def register(sub: Any) -> None:
    """Add ``self-test`` to the CLI's subparsers (``register(subparsers)`` like the others)."""
    p = sub.add_parser(
        "self-test",
        help="check this installation offscreen, without user data",
        description=__doc__.splitlines()[0],
    )
    build_parser(p)
    p.set_defaults(handler=handler)


def main(argv: Sequence[str] | None = None) -> int:
    """``cart-chain --self-test [--strict] [--verbose]`` and ``python -m cart_chain.selftest``."""
    args = build_parser().parse_args(argv)
    return run(strict=args.strict, verbose=args.verbose)


if __name__ == "__main__":
    raise SystemExit(main())
