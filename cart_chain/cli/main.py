"""`cart-chain`: parse the command line, run one command, turn errors into exit codes.

Exit codes: 0 success; 1 a rule or verification failed; 2 bad usage;
3 the environment stopped us (database locked, disk full, database
unreachable or corrupt); 4 a bug in cart-chain (details in the log file).
Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence

#: Modules that add subcommands: each has ``register(subparsers)``.
COMMAND_MODULES = (
    "cart_chain.cli.commands",
    "cart_chain.cli.account_commands",
    "cart_chain.cli.case_commands",
    "cart_chain.cli.event_commands",
    "cart_chain.cli.report_commands",
    "cart_chain.cli.label_commands",
    "cart_chain.cli.readiness_commands",
    "cart_chain.cli.proof_commands",
    "cart_chain.cli.site_commands",
    "cart_chain.cli.witness_commands",
    "cart_chain.cli.din_commands",
    "cart_chain.cli.evidence_commands",
    "cart_chain.cli.condition_commands",
    "cart_chain.selftest",
)

#: Options whose value may start with "-" (a temperature below zero): argparse would
#: take "--temperature -inf" for a missing value, so the value is attached with "=".
SIGNED_OPTIONS = ("--temperature",)

EXIT_OK, EXIT_RULE, EXIT_USAGE, EXIT_ENVIRONMENT, EXIT_BUG = 0, 1, 2, 3, 4
log = logging.getLogger("cart_chain.cli")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"cart-chain: error: {message}\n")


class _Version(argparse.Action):
    """--version, reading the package metadata only when asked (start-up stays fast)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from cart_chain import __version__

        print(f"cart-chain {__version__}")
        parser.exit(0)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="cart-chain",
        description="Chain-of-custody logger for CAR-T cell therapy. "
        "Without a command, starts the desktop app.",
        epilog="Passwords are prompted without echo; when standard input is not a terminal, "
        "each password is read from it, one line per prompt, in prompt order.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    parser.add_argument(
        "--db",
        metavar="URL",
        help="database: a SQLite file path or URL, or postgresql+psycopg://... "
        "(default: $CART_CHAIN_DB, else the per-user SQLite file)",
    )
    from cart_chain.domain.labelcode import SOURCES

    parser.add_argument(
        "--scanner",
        choices=SOURCES,
        help="what this workstation's scanner sends, for every command that takes a scan: "
        "keyboard (default: a check-less ISBT 128 &/ COI only behind the AIM id ]C0) or "
        "code128 (a scanner that sends Code 128 reads without AIM id: a check-less &/ COI "
        "is trusted as a machine read). Default: $CART_CHAIN_SCANNER, else keyboard",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def _log_bug(exc: BaseException) -> str:
    try:
        from cart_chain.logs import describe, log_path, setup_logging

        setup_logging()  # its filter logs the class, error code and frames, no values
        log.error("unexpected error %s", describe(exc), exc_info=exc)
        return f" (details in {log_path()})"
    except Exception:  # pragma: no cover - logging must never hide the original error
        return ""


def _gui_only(argv: list[str]) -> tuple[bool, str | None]:
    """``cart-chain`` or ``cart-chain --db URL`` alone: start the app without the parser."""
    if not argv:
        return True, None
    if len(argv) == 2 and argv[0] == "--db":
        return True, argv[1]
    if len(argv) == 1 and argv[0].startswith("--db="):
        return True, argv[0].split("=", 1)[1]
    return False, None


def _attach_signed_values(argv: list[str]) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(argv):
        if argv[i] in SIGNED_OPTIONS and i + 1 < len(argv) and argv[i + 1].startswith("-"):
            out.append(f"{argv[i]}={argv[i + 1]}")
            i += 2
        else:
            out.append(argv[i])
            i += 1
    return out


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    gui, url = _gui_only(args_list)
    if gui:  # the desktop app: skip building every subcommand's parser (start-up time)
        from cart_chain.cli.commands import start_gui

        return start_gui(argparse.Namespace(db=url))
    parser = build_parser()
    args = parser.parse_args(_attach_signed_values(args_list))
    if args.command is None:
        from cart_chain.cli.commands import start_gui

        return start_gui(args)
    from cart_chain import crash
    from cart_chain.domain.errors import CartChainError, EnvironmentProblem

    crash.install("the command line")  # a hard crash (a signal) still leaves its stack
    try:
        return int(args.handler(args) or 0)
    except EnvironmentProblem as exc:
        print(f"cart-chain: {exc}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    except CartChainError as exc:
        print(f"cart-chain: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("cart-chain: interrupted; nothing was saved", file=sys.stderr)
        return EXIT_RULE
    except OSError as exc:
        print(
            f"cart-chain: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr
        )
        return EXIT_ENVIRONMENT
    except Exception as exc:
        where = _log_bug(exc)
        print(f"cart-chain: internal error {type(exc).__name__}: {exc}{where}", file=sys.stderr)
        return EXIT_BUG
