"""``python -m cart_chain.ui [--db URL]``: the desktop app without the CLI's parser.

The ``cart-chain`` command builds its whole argument parser (every subcommand
module) before it starts the GUI; this entry point skips that for the fastest
start on a workstation shortcut.
"""

from __future__ import annotations

import sys

from cart_chain.ui.app import run


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    url = None
    if len(args) == 2 and args[0] == "--db":
        url = args[1]
    elif args:
        print("usage: python -m cart_chain.ui [--db URL]", file=sys.stderr)
        return 2
    return run(url)


if __name__ == "__main__":
    raise SystemExit(main())
