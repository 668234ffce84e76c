"""Workstation preferences kept in QSettings, each declared once with its default.

Only what belongs to this machine lives here (printer, label size, database
location, remembered UI state). Settings that matter for compliance (facility
code, inactivity lock) are shared and signed in the database instead.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Generic, TypeVar

from PySide6.QtCore import QSettings

if TYPE_CHECKING:
    from cart_chain.domain.labelcode import ScanSource
    from cart_chain.domain.scan_stream import Framing

ORGANISATION = "cart-chain"
APPLICATION = "cart-chain"

T = TypeVar("T", str, int, float, bool)


class Pref(Generic[T]):
    """One typed QSettings key with its default (a plain class: no dataclasses import
    on the start-up path)."""

    __slots__ = ("default", "key")

    def __init__(self, key: str, default: T) -> None:
        self.key = key
        self.default = default

    def get(self) -> T:
        value = QSettings().value(self.key, self.default)
        kind = type(self.default)
        if kind is bool:
            return (value in (True, "true", "1", 1)) if value is not None else self.default  # type: ignore[return-value]
        try:
            return kind(value)  # type: ignore[return-value]
        except (TypeError, ValueError):
            return self.default

    def set(self, value: T) -> None:
        s = QSettings()
        s.setValue(self.key, value)
        s.sync()


DATABASE_URL: Pref[str] = Pref("database/url", "")
PRINTER_NAME: Pref[str] = Pref("labels/printer", "")
LABEL_KIND: Pref[str] = Pref("labels/kind", "bag")
LABEL_WIDTH_MM: Pref[float] = Pref("labels/width_mm", 100.0)
LABEL_HEIGHT_MM: Pref[float] = Pref("labels/height_mm", 50.0)
LAST_EXPORT_DIR: Pref[str] = Pref("export/last_dir", "")
MAIN_GEOMETRY: Pref[str] = Pref("window/main_geometry", "")
#: What this workstation's scanner sends: "keyboard" (AIM identifiers on, or typing) or
#: "code128" (Code 128 reads without AIM identifier). See `domain.labelcode`.
SCANNER: Pref[str] = Pref("scan/source", "keyboard")
#: What this workstation's scanner sends before and after each code, if set to (printable
#: ASCII, no spaces; "" = nothing). Lets the scan router tell a slow scanner's code from
#: typing. See `domain.scan_stream`.
SCANNER_PREFIX: Pref[str] = Pref("scan/prefix", "")
SCANNER_SUFFIX: Pref[str] = Pref("scan/suffix", "")


def last_location(username: str, step: str) -> Pref[str]:
    """Where this user last recorded ``step`` on this workstation: offered as the
    default next time (a courier's dock is not the lab's intake). A UI convenience,
    never evidence: the ledger records only what was signed. The user name is quoted
    so that no character of it can change the key's groups."""
    from urllib.parse import quote

    return Pref(f"record/last_location/{quote(username, safe='')}/{step}", "")


def scan_source() -> ScanSource:
    """The scanner setting every scan field passes to the services (keyboard when unset or
    not a known value: the safe form)."""
    from cart_chain.domain.labelcode import SOURCES

    value = SCANNER.get()
    return value if value in SOURCES else "keyboard"  # type: ignore[return-value]


def scanner_framing() -> Framing:
    """The prefix and suffix this workstation's scanner sends; a stored value that is no
    longer valid counts as unset (the speed test still recognises a scan)."""
    from cart_chain.domain.errors import InvalidValue
    from cart_chain.domain.scan_stream import Framing

    try:
        return Framing(SCANNER_PREFIX.get(), SCANNER_SUFFIX.get())
    except InvalidValue:
        return Framing()
