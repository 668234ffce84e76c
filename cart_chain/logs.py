"""A rotating log file in the platform's log folder, one named logger per subsystem.

No patient name, date of birth, MRN or password hash may reach the log, whatever
fails. The engines are created with ``hide_parameters`` and, as a second line, a
filter on the file handler rewrites every record before it is written: an
exception is logged as its class, its database error code and the frames it
passed through, never its message (a driver's message quotes the statement and
its values; a bug's arguments may be a whole payload); quoted text and SQLAlchemy
``[SQL: ...]`` / ``[parameters: ...]`` sections in messages are blanked.
"""

from __future__ import annotations

import logging
import logging.handlers
import re
import traceback
from pathlib import Path

_configured = False

_SQL_SECTION = re.compile(r"\[(?:SQL|parameters|generated in [^\]]*)\b[^\]]*\]?", re.DOTALL)
_QUOTED = re.compile(r"'[^']*'|\"[^\"]*\"")
REDACTED = "<redacted>"


def log_path() -> Path:
    from platformdirs import user_log_path

    return user_log_path("cart-chain", appauthor=False) / "cart-chain.log"


def error_code(exc: BaseException) -> str | None:
    """The driver's error code behind ``exc`` (SQLSTATE, SQLite error name), if any."""
    orig = getattr(exc, "orig", None) or exc
    for attr in ("sqlstate", "pgcode", "sqlite_errorname"):
        code = getattr(orig, attr, None)
        if code:
            return str(code)
    return None


def describe(exc: BaseException) -> str:
    """``exc`` without values: its class, its error code, and ours' messages made safe.

    Only cart-chain's own errors keep their message (written for users, naming
    fields, not values), with quoted text blanked as it may echo typed input.
    """
    from cart_chain.domain.errors import CartChainError

    name = f"{type(exc).__module__}.{type(exc).__qualname__}"
    code = error_code(exc)
    text = f"{name} [{code}]" if code else name
    if isinstance(exc, CartChainError):
        text += ": " + redact(str(exc))
    return text


def safe_traceback(exc: BaseException) -> str:
    """The frames an exception (and its causes) passed through, with no message text."""
    parts: list[str] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        frames = "".join(traceback.format_list(traceback.extract_tb(current.__traceback__)))
        parts.append(f"Traceback (most recent call last):\n{frames}{describe(current)}")
        current = current.__cause__ or current.__context__
    return "\n\nwhile handling, or caused by:\n".join(reversed(parts))


def redact(text: str) -> str:
    return _QUOTED.sub(REDACTED, _SQL_SECTION.sub(REDACTED, text))


class RedactingFilter(logging.Filter):
    """Rewrites a record so no value typed or stored reaches the log file."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = safe_traceback(record.exc_info[1])
            record.exc_info = None
        if isinstance(record.msg, BaseException):
            record.msg = describe(record.msg)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        if isinstance(record.args, dict):
            record.args = {k: self._arg(v) for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(self._arg(a) for a in record.args)
        return True

    @staticmethod
    def _arg(value: object) -> object:
        if isinstance(value, BaseException):
            return describe(value)
        if isinstance(value, str):
            return redact(value)
        if isinstance(value, int | float | bool) or value is None:
            return value
        return type(value).__name__  # a payload dict or a row would carry values


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
    handler.addFilter(RedactingFilter())
    root = logging.getLogger("cart_chain")
    root.addHandler(handler)
    root.setLevel(level)
    _configured = True
