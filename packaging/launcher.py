"""Entry script of the PyInstaller bundle: the same CLI as ``cart-chain``, plus ``--self-test``.

PyInstaller needs a script, not a console-script entry point, so this file stands
in for the ``cart-chain`` console script inside the bundle. ``--self-test`` is
handled here, before argparse, so that the offscreen self-test stays out of the
user-facing ``--help`` yet can always be run from an installed bundle by IT staff
and by the packaging test (it catches a hidden import PyInstaller missed).
"""

from __future__ import annotations

import sys


def main() -> int:
    """Run the self-test when asked to, else the normal command line (GUI without a command)."""
    if len(sys.argv) > 1 and sys.argv[1] == "--self-test":
        from cart_chain.selftest import main as selftest_main

        return selftest_main(sys.argv[2:])
    from cart_chain.cli.main import main as cli_main

    return cli_main()


if __name__ == "__main__":
    raise SystemExit(main())
