"""Is this key stream a barcode scan, and where may it go? (Pure: no Qt, no clock.)

A keyboard-wedge scanner "types" a whole code into whatever widget has the
focus, a few milliseconds a character, and ends it with Enter or Tab (or a
suffix it is set to send). The GUI's one scan router (`ui.scan_router`) feeds
every key press to a `KeyStream` and asks it what to do; this module decides,
so the decision is unit- and property-tested without Qt.

**Bursts.** Keys to one widget with no pause longer than `BURST_GAP_MS`
between them form a burst; a pause, another widget or a terminator starts a
new one. A person's keys come 80-250 ms apart, so a person's typing is a chain
of one-key bursts; a scanner's whole code is one burst.

**A scan** is a burst ended by a terminator (Enter, Tab, or the workstation's
configured suffix) that is either

* *fast*: at least `SCAN_MIN_KEYS` characters at an average under
  `SCAN_MEAN_GAP_MS` a key, the terminator included. 25 ms a key keeps the
  slowest wired wedges in use (10-15 ms a character) on the scan side and
  the fastest typist (about 60 ms a key, 200 words a minute) far on the other:
  a 14-character code at 25 ms takes 350 ms, a 14-character password typed by
  a person over a second; or
* *framed*: it begins with the configured prefix or an AIM symbology
  identifier (``]C0``, ``]Q1``, ``]d2``...; see `labelcode.SYMBOLOGIES`), or
  ends with the configured suffix. This catches a slow (Bluetooth) scanner
  that a speed test alone would miss; a burst still needs every gap under
  `BURST_GAP_MS`, so a person typing ``]Q1`` slowly is not taken for a scan.

A scan typed right after a person's last key (within `BURST_GAP_MS`) begins at
its prefix or AIM identifier, or else after the pause of over `RUN_GAP_MS` that
follows the person's key (`fast_run`); the person's keys before it stay typed,
and a stall of the event loop in the middle of a scan does not cut it.

The configured prefix and suffix are stripped from the scan; an AIM identifier
is kept (the scan parser reads it). Enter or Tab keys that follow a scan within
`TRAIL_MS` (a scanner's CR+LF, or a suffix then Enter) belong to it and are
used up, so they cannot press a button or dismiss an alert.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cart_chain.domain.errors import InvalidValue
from cart_chain.domain.labelcode import SYMBOLOGIES

#: A fast scan has at least this many characters before its terminator.
SCAN_MIN_KEYS = 4
#: ... typed at an average under this many milliseconds a key (terminator included).
SCAN_MEAN_GAP_MS = 25.0
#: A pause longer than this ends a burst (a person's keys are further apart).
BURST_GAP_MS = 100.0
#: Within a burst, a pause longer than this separates a person's keys from a scan's.
RUN_GAP_MS = 2 * SCAN_MEAN_GAP_MS
#: Enter or Tab this soon after a scan is the scanner's (CR+LF), used up with it.
TRAIL_MS = 80.0
#: The longest prefix or suffix a workstation may configure.
MAX_FRAME = 8

Action = Literal["type", "swallow", "scan"]
Route = Literal["scan_check", "refuse_secret", "refuse_here"]


@dataclass(frozen=True, slots=True)
class Framing:
    """What this workstation's scanner sends before and after each code ("" = nothing)."""

    prefix: str = ""
    suffix: str = ""

    def __post_init__(self) -> None:
        for what, value in (("prefix", self.prefix), ("suffix", self.suffix)):
            check_frame(what, value)


def check_frame(what: str, value: str) -> str:
    """Refuse a prefix or suffix that could not be told from a code or from typing.

    Printable ASCII without spaces, at most `MAX_FRAME` characters; a prefix may
    not start with ``]`` (AIM identifiers are recognised anyway, and kept).
    """
    if len(value) > MAX_FRAME:
        raise InvalidValue(f"scanner {what} has {len(value)} characters; at most {MAX_FRAME}")
    bad = sorted({c for c in value if not ("!" <= c <= "~")})
    if bad:
        raise InvalidValue(
            f"scanner {what} may hold printable ASCII characters only, no spaces "
            f"(not {''.join(bad)!r}); Enter and Tab end a scan anyway"
        )
    if what == "prefix" and value.startswith("]"):
        raise InvalidValue(
            "scanner prefix may not start with ']': AIM symbology identifiers "
            "(]C0, ]Q1, ]d2) are recognised without being configured"
        )
    return value


@dataclass(frozen=True, slots=True)
class Decision:
    """What the router does with one key.

    ``type``: let it through (for a character, ``at`` is its place in the burst:
    the router remembers the widget's content before it, to put back the part of
    the burst that turns out to be a scan); ``swallow``: use it up; ``scan``:
    use it up, put the widget back as it was before the burst's character
    ``at`` (where the scan began) and route ``text``.
    """

    action: Action
    text: str = ""
    at: int = 0


@dataclass(slots=True)
class KeyStream:
    """The keys seen so far, as bursts. Feed it every key press, in order."""

    framing: Framing = field(default_factory=Framing)
    target: object = None
    chars: list[str] = field(default_factory=list)
    stamps: list[float] = field(default_factory=list)  # seconds, monotonic
    last_at: float | None = None
    scan_ended_at: float | None = None

    def reset(self) -> None:
        """Forget the current burst (a key that is neither a character nor a terminator)."""
        self.chars, self.stamps, self.target = [], [], None

    def key(self, target: object, at: float, char: str, terminator: bool) -> Decision:
        """Decide about one key: ``char`` (one printable character, or "") sent to
        ``target`` at ``at`` seconds; ``terminator`` for Enter or Tab."""
        gap_ms = None if self.last_at is None else (at - self.last_at) * 1000
        self.last_at = at
        trailing = self.scan_ended_at is not None and (at - self.scan_ended_at) * 1000 <= TRAIL_MS
        if terminator and not self.chars and trailing:
            self.scan_ended_at = at
            return Decision("swallow")
        self.scan_ended_at = None
        if target is not self.target or (gap_ms is not None and gap_ms > BURST_GAP_MS):
            self.reset()
            self.target = target
        if terminator:
            return self._end(at)
        if not char:
            self.reset()
            return Decision("type")
        place = len(self.chars)
        self.chars.append(char)
        self.stamps.append(at)
        suffix = self.framing.suffix
        if suffix and "".join(self.chars).endswith(suffix) and len(self.chars) > len(suffix):
            return self._end(at, by_suffix=True)
        return Decision("type", at=place)

    def _end(self, at: float, *, by_suffix: bool = False) -> Decision:
        text = "".join(self.chars)
        stamps = self.stamps
        self.reset()
        start = self._framed_from(text)
        if start is None:
            start = fast_run(stamps)
            fast = is_fast(stamps[start:], at)
            if not (
                fast or by_suffix or (self.framing.suffix and text.endswith(self.framing.suffix))
            ):
                return Decision("type")
        self.scan_ended_at = at
        return Decision("scan", self.unframe(text[start:]), start)

    def _framed_from(self, text: str) -> int | None:
        """Where the configured prefix or an AIM identifier begins the scan, if one does."""
        prefix = self.framing.prefix
        places = [i for i in range(len(text)) if has_aim(text[i:])]
        if prefix:
            places += [i for i in range(len(text)) if text.startswith(prefix, i)]
            places = [i for i in places if len(text) - i > len(prefix) or has_aim(text[i:])]
        return max(places) if places else None

    def unframe(self, text: str) -> str:
        """``text`` without the configured prefix and suffix (an AIM identifier stays)."""
        prefix, suffix = self.framing.prefix, self.framing.suffix
        if prefix and text.startswith(prefix):
            text = text[len(prefix) :]
        if suffix and text.endswith(suffix):
            text = text[: -len(suffix)]
        return text


def fast_run(stamps: list[float]) -> int:
    """Where the scan at the end of a burst begins: after the last pause of more than
    `RUN_GAP_MS` that follows a person's key (the burst's first key, or one that came
    after a pause itself). A scan made right after a person's last key starts there,
    not at the person's key; a stall in the middle of a scan (fast keys before it)
    splits nothing, so the code stays whole."""
    start = 0
    for i in range(1, len(stamps)):
        after_person = i == 1 or (stamps[i - 1] - stamps[i - 2]) * 1000 > RUN_GAP_MS
        if (stamps[i] - stamps[i - 1]) * 1000 > RUN_GAP_MS and after_person:
            start = i
    return start


def is_fast(stamps: list[float], end_at: float) -> bool:
    """True when keys at ``stamps`` (seconds) then a terminator at ``end_at`` came at
    scanner speed: `SCAN_MIN_KEYS` or more, under `SCAN_MEAN_GAP_MS` a key on average."""
    if len(stamps) < SCAN_MIN_KEYS:
        return False
    return (end_at - stamps[0]) * 1000 / len(stamps) < SCAN_MEAN_GAP_MS


def has_aim(text: str) -> bool:
    """``text`` starts with an AIM symbology identifier cart-chain reads, and more."""
    return len(text) > 3 and text[0] == "]" and text[1:3] in SYMBOLOGIES


def route(*, secret: bool, takes_scans: bool) -> Route:
    """Where a recognised scan goes: never into a password (``secret``) field, else
    to the scan check of the window that has one, else nowhere (refused)."""
    if secret:
        return "refuse_secret"
    return "scan_check" if takes_scans else "refuse_here"
