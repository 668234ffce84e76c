"""cart-chain: chain-of-custody logger for CAR-T cell therapy."""

from __future__ import annotations

from functools import cache


@cache
def _version() -> str:
    # One place for the version: the installed package metadata (pyproject.toml).
    # Looked up on first use: importlib.metadata costs ~80 ms that start-up need not pay.
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("cart-chain")
    except PackageNotFoundError:  # a source tree that was never installed
        return "0+unknown"


def __getattr__(name: str) -> str:
    if name == "__version__":
        return _version()
    raise AttributeError(name)
