"""Finding logger layouts (shipped and a site's own) and choosing the one for a file.

A site adds or overrides a layout by dropping ``<name>.json`` into the folder
named by ``CART_CHAIN_LOGGERS`` (default: ``loggers/`` in the user data folder,
beside ``profiles/``). ``auto`` picks the first layout whose ``detect`` patterns
all match the top of the file, else the generic ``delimited`` reader. A PDF
report is opened and its attached CSV read instead.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from cart_chain.domain.errors import InvalidValue, NotFound
from cart_chain.domain.logger_format import LoggerFormat, parse_format
from cart_chain.domain.logger_parse import LoggerFileError, LoggerRecord, parse_log
from cart_chain.domain.logger_values import decode, is_pdf, pdf_attachment
from cart_chain.services import site_json

ENV_VAR = "CART_CHAIN_LOGGERS"
GENERIC = "delimited"
AUTO = "auto"


def site_folder() -> Path:
    return site_json.site_folder(ENV_VAR, "loggers")


def _read(text: str, where: str) -> LoggerFormat:
    return parse_format(site_json.load(text, f"logger format {where}"))


@cache
def _shipped() -> dict[str, LoggerFormat]:
    out = {}
    for name, text in site_json.shipped("loggers"):
        fmt = _read(text, name)
        out[fmt.name] = fmt
    return out


def all_formats() -> dict[str, LoggerFormat]:
    """Every layout by name; a site's own layout of the same name wins."""
    formats = dict(_shipped())
    for where, text in site_json.site_files(site_folder()):
        fmt = _read(text, where)
        formats[fmt.name] = fmt
    return formats


def get_format(name: str) -> LoggerFormat:
    formats = all_formats()
    key = name.strip().lower()
    if key not in formats:
        raise NotFound(f"no logger format {name!r}; known: {AUTO}, {', '.join(sorted(formats))}")
    return formats[key]


def read_logger_file(
    data: bytes, fmt: str = AUTO, *, tz: str | None = None, unit: str | None = None
) -> tuple[LoggerRecord, str | None]:
    """The file's samples, and the name of the CSV a PDF carried (None for a CSV)."""
    inner = None
    if is_pdf(data):
        try:
            inner, data = pdf_attachment(data)
        except InvalidValue as exc:
            raise LoggerFileError(str(exc)) from None
    if fmt.strip().lower() == AUTO:
        head = "\n".join(decode(data[:8192]).splitlines()[:60])
        formats = all_formats()
        chosen = next(
            (f for n, f in sorted(formats.items()) if n != GENERIC and f.recognises(head)),
            formats[GENERIC],
        )
    else:
        chosen = get_format(fmt)
    return parse_log(data, chosen, tz=tz, unit=unit), inner
