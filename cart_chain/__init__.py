"""cart-chain: chain-of-custody logger for CAR-T cell therapy."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cart-chain")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0+unknown"
