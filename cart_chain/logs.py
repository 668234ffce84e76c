"""A rotating log file in the platform's log folder, one named logger per subsystem."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

_configured = False


def log_path() -> Path:
    from platformdirs import user_log_path

    return user_log_path("cart-chain", appauthor=False) / "cart-chain.log"


def setup_logging(level: int = logging.INFO) -> None:
    global _configured
    if _configured:
        return
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=5, encoding="utf-8"
    )
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger("cart_chain")
    root.addHandler(handler)
    root.setLevel(level)
    _configured = True
