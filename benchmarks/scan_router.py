"""The scan router: what it costs per key, and how its threshold sorts simulated rhythms.

    python benchmarks/scan_router.py [--keys 20000] [--trials 20000]

1. `KeyStream.key` per key, beside a bare loop over the same keys.
2. Keys typed into a QLineEdit (offscreen) with and without the router installed on
   the application: the router's cost on every key press of the app.
3. Simulated rhythms (seeded): wedge scanners at 1-15 ms a character with jitter,
   slow wireless ones at 30-60 ms (recognised only with a configured prefix), and
   people at 60-250 ms a key with rollover bursts; how many of each the thresholds
   in `domain.scan_stream` take for a scan. A simulation, not a measurement of
   devices: it shows where the thresholds sit between the two populations.

Ends with one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from cart_chain.domain.scan_stream import Framing, KeyStream

CODE = "CHA999926000001U012"


def per_key_stream(n: int) -> tuple[float, float]:
    """(bare loop, KeyStream.key) in microseconds a key."""
    keys = [(CODE[i % len(CODE)], i * 0.002, i % 20 == 19) for i in range(n)]
    target = object()
    t0 = time.perf_counter()
    for ch, at, end in keys:
        _ = (target, at, "" if end else ch, end)
    bare = time.perf_counter() - t0
    stream = KeyStream()
    t0 = time.perf_counter()
    for ch, at, end in keys:
        stream.key(target, at, "" if end else ch, end)
    routed = time.perf_counter() - t0
    return bare / n * 1e6, routed / n * 1e6


def per_key_qt(n: int) -> tuple[float, float]:
    """(without, with the router) in microseconds a key typed into a QLineEdit."""
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication, QLineEdit

    from cart_chain.ui.scan_router import ScanRouter

    app = QApplication.instance() or QApplication([])
    field = QLineEdit()
    field.show()
    text = "abcdefghij" * (n // 10)

    def run() -> float:
        field.clear()
        t0 = time.perf_counter()
        QTest.keyClicks(field, text)
        return (time.perf_counter() - t0) / len(text) * 1e6

    bare, routed = [], []
    for _ in range(3):  # alternated, best of three: the machine's noise is larger than this
        bare.append(run())
        router = ScanRouter()
        routed.append(run())
        app.removeEventFilter(router)
        router.deleteLater()
    return min(bare), min(routed)


def rhythm(rng: random.Random, kind: str, length: int) -> list[float]:
    """Gaps in ms before each key and before the Enter."""
    if kind == "wedge":
        base = rng.uniform(1, 15)
        return [max(0.2, rng.gauss(base, base / 3)) for _ in range(length + 1)]
    if kind == "wireless":
        base = rng.uniform(30, 60)
        return [max(5.0, rng.gauss(base, 8)) for _ in range(length + 1)]
    gaps = []
    for _ in range(length + 1):  # a person: mostly 60-250 ms, one key in eight rolled over
        gaps.append(rng.uniform(15, 45) if rng.random() < 0.125 else rng.uniform(60, 250))
    return gaps


def classify(trials: int) -> dict[str, float]:
    rng = random.Random(11)
    taken: dict[str, float] = {}
    for kind, framing in (
        ("wedge", Framing()),
        ("wireless", Framing()),
        ("wireless+prefix", Framing(prefix="%%")),
        ("person", Framing()),
    ):
        scans = 0
        for _ in range(trials):
            length = rng.randint(8, 30)
            text = ("%%" if framing.prefix else "") + "X" * length
            gaps = rhythm(rng, kind.split("+")[0], len(text))
            stream, at = KeyStream(framing), 10.0
            for ch, gap in zip(text, gaps, strict=False):
                at += gap / 1000
                stream.key(None, at, ch, False)
            at += gaps[-1] / 1000
            scans += stream.key(None, at, "", True).action == "scan"
        taken[kind] = scans / trials
    return taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keys", type=int, default=20_000)
    parser.add_argument("--trials", type=int, default=20_000)
    args = parser.parse_args()
    bare, stream = per_key_stream(args.keys)
    print(f"bare loop: {bare:.2f} us/key; KeyStream.key: {stream:.2f} us/key")
    qt_bare, qt_routed = per_key_qt(min(args.keys, 5000))
    print(f"QLineEdit key press: {qt_bare:.1f} us without the router, {qt_routed:.1f} us with")
    taken = classify(args.trials)
    for kind, share in taken.items():
        print(f"  {kind:<16} taken for a scan: {share:.2%}")
    print(
        json.dumps(
            {
                "bare_us_per_key": round(bare, 3),
                "stream_us_per_key": round(stream, 3),
                "qt_us_per_key_without_router": round(qt_bare, 2),
                "qt_us_per_key_with_router": round(qt_routed, 2),
                "scan_share": {k: round(v, 5) for k, v in taken.items()},
            }
        )
    )


if __name__ == "__main__":
    main()
