"""Reading passwords: without echo at a terminal, one line each from a pipe otherwise.

The non-interactive form serves scripts and tests: every password the command
would prompt for is read from standard input, one per line, in prompt order
(for a handoff: the first signer's, then the second signer's).
"""

from __future__ import annotations

import getpass
import sys

from cart_chain.domain.errors import InvalidValue, UsageError


class PasswordSource:
    def __init__(self) -> None:
        self.interactive = sys.stdin is not None and sys.stdin.isatty()

    def ask(self, prompt: str) -> str:
        if self.interactive:
            return getpass.getpass(f"{prompt}: ")
        line = sys.stdin.readline() if sys.stdin is not None else ""
        if not line:
            raise InvalidValue(
                f"no password on standard input for: {prompt} (give one line per password)"
            )
        return line.rstrip("\r\n")

    def new_password(self, prompt: str) -> str:
        first = self.ask(prompt)
        if self.interactive and self.ask("Repeat the password") != first:
            raise InvalidValue("the two passwords differ")
        return first

    def ask_user(self, prompt: str) -> str:
        if not self.interactive:
            raise UsageError(f"{prompt}: give it with --by USER or CART_CHAIN_USER")
        return input(f"{prompt}: ").strip()
