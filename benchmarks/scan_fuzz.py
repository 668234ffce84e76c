"""Scan fuzzing: mutate every accepted form and count false accepts.

    python benchmarks/scan_fuzz.py --count 100000 [--seed S] [--db URL]

Builds a database with three cases (one bag each, one printed label each),
then feeds ``--count`` mutated scans through the real scan gate
(`cart_chain.services.scanning.scan_in`) twice: with the case at hand as the
expected COI (as at every handoff), and without one (as when a scan opens a
case). A *false accept* is a mutated input that resolves to another case or
unit than the one it was made from. Mutations: substitutions, neighbour swaps,
control characters inside, AIM prefixes added, changed or dropped, keyboard
layout mix-ups (German QWERTZ, French AZERTY), doubled characters and doubled
scans, truncation, and pairs of these.

The one form without a check character of its own, the Code 128 machine read
``]C0&/`` + COI body, can only be guarded by the symbol's check and by the
expected case: a mutated body that happens to be another case's COI is a read
of a different barcode. Those are counted apart (``machine_other``) and must
all be refused when the expected case is given. Prints counts next to the
time of a bare `parse_scan` loop over the same inputs, and ends with one JSON
line. Asserts nothing (tests/services/test_scan_fuzz.py runs 5,000 of these).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from cart_chain.domain.errors import CartChainError
from cart_chain.domain.identifiers import ALPHABET, parse_coi
from cart_chain.domain.labelcode import parse_scan
from cart_chain.services.scanning import refusal_code, scan_in
from cart_chain.store.database import Database

#: What a keyboard wedge or a person can put inside a scan by mistake.
CONTROLS = (
    "\x00",
    "\t",
    "\r",
    "\n",
    "\r\n",
    "\x1d",
    "\x1e",
    "\x04",
    "\x1b",
    "\x7f",
    "\x85",
    "\u2028",
    "\u2029",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u200e",
    "\u200f",
    "\u202a",
    "\u202e",
    "\u2066",
    "\u2069",
    "\ufeff",
    "\u00a0",
)
AIMS = ("]C0", "]C1", "]Q1", "]Q3", "]d1", "]d2", "]E0", "]A0", "]X0", "]c0", "]", "]C")
#: A US-keyboard scanner typed into a German (QWERTZ) and a French (AZERTY) host:
#: the same keys, other characters.
LAYOUTS = (
    str.maketrans(
        {"&": "/", "/": "-", "*": "(", "-": "ß", "]": "+", ";": "ö"}
        | {"Y": "Z", "Z": "Y", "y": "z", "z": "y"}
    ),
    str.maketrans(
        {"A": "Q", "Q": "A", "Z": "W", "W": "Z", "a": "q", "q": "a", "z": "w", "w": "z"}
        | {"M": "?", "m": ",", "&": "7", "/": "!", "*": "8", "]": "$", "-": ")"}
        | dict(zip("1234567890", "&é\"'(-è_çà", strict=True))
    ),
)
SUBSTITUTES = ALPHABET + "abcxyz&/]-. ·@#ÄßéОС０１"


@dataclass(frozen=True)
class Original:
    """One accepted form of one case's code, and what it must resolve to."""

    form: str
    text: str
    coi: str
    unit: str | None


@dataclass
class Tally:
    inputs: int = 0
    refused: int = 0
    same: int = 0
    false_accepts: int = 0
    machine_other: int = 0  # a mutated ]C0 body that is another real case's barcode
    machine_other_refused_with_expect: int = 0
    crashes: int = 0
    refusals: Counter[str] = field(default_factory=Counter)
    examples: list[str] = field(default_factory=list)


def originals(cois: list[str], units: list[str], payloads: list[str]) -> list[Original]:
    out = []
    for coi, unit, payload in zip(cois, units, payloads, strict=True):
        c = parse_coi(coi)
        u = c.unit(1)
        assert u.full == unit
        forms = {
            "coi": c.full,
            "coi_grouped": c.grouped(),
            "coi_isbt_typed": f"&/{c.full}",
            "coi_isbt_code128": f"]C0&/{c.body}",
            "unit": u.full,
            "unit_grouped": u.grouped(),
            "unit_code128": f"]C0{u.full}",
            "payload": payload,
            "payload_qr": f"]Q1{payload}",
            "payload_datamatrix": f"]d1{payload}",
        }
        for form, text in forms.items():
            out.append(Original(form, text, c.full, None if form.startswith("coi") else u.full))
    return out


def _mutate_once(rng: random.Random, t: str) -> str:
    n = len(t)
    op = rng.randrange(9)
    i = rng.randrange(n) if n else 0
    if op == 0:  # substitution
        return t[:i] + rng.choice(SUBSTITUTES) + t[i + 1 :]
    if op == 1 and n > 1:  # neighbour swap
        i = rng.randrange(n - 1)
        return t[:i] + t[i + 1] + t[i] + t[i + 2 :]
    if op == 2:  # control character inside
        i = rng.randrange(1, n) if n > 1 else 0
        return t[:i] + rng.choice(CONTROLS) + t[i:]
    if op == 3:  # AIM prefix added, changed or dropped
        bare = t[3:] if t.startswith("]") else t
        return rng.choice((*AIMS, "")) + bare
    if op == 4:  # keyboard layout mix-up, whole scan or a part
        table = rng.choice(LAYOUTS)
        j = rng.randrange(i, n + 1)
        return t[:i] + t[i:j].translate(table) + t[j:]
    if op == 5:  # a doubled character (key bounce)
        return t[:i] + t[i] + t[i:]
    if op == 6:  # two scans run together
        return t + rng.choice(("", "\n", "\t", " ", "\r\n")) + t
    if op == 7:  # truncated at either end
        k = rng.randint(1, max(1, n - 1))
        return t[k:] if rng.random() < 0.5 else t[:-k]
    return t.lower() if rng.random() < 0.5 else f" {t}\r\n"  # harmless: must stay the same


def mutations(
    rng: random.Random, bases: list[Original], count: int
) -> Iterator[tuple[Original, str]]:
    """``count`` (original, mutated text) pairs, one or two mutations each."""
    for _ in range(count):
        base = rng.choice(bases)
        text = _mutate_once(rng, base.text)
        if rng.random() < 0.3:
            text = _mutate_once(rng, text)
        yield base, text


def judge(session, base: Original, text: str, tally: Tally) -> None:  # type: ignore[no-untyped-def]
    """Run one input through the real gate with and without the expected case."""
    tally.inputs += 1
    results = []
    for expect in (base.coi, None):
        try:
            r = scan_in(session, text, expect)
        except CartChainError as exc:
            code = refusal_code(exc)
            if code is None:
                tally.crashes += 1
                tally.examples.append(f"unexpected {type(exc).__name__}: {text!r}")
            if expect is not None:
                tally.refusals[code or type(exc).__name__] += 1
            results.append(None)
            continue
        except Exception as exc:  # a bug: the gate must refuse, never crash
            tally.crashes += 1
            tally.examples.append(f"crash {type(exc).__name__}: {text!r}")
            results.append(None)
            continue
        results.append(r)
    with_expect, without = results
    same = [
        r is None or (r.coi == base.coi and (r.unit is None or base.unit in (None, r.unit.unit)))
        for r in results
    ]
    if not same[0]:
        tally.false_accepts += 1
        tally.examples.append(f"false accept with expected case: {text!r}")
    if not same[1]:
        scanned = parse_scan(text)
        if scanned.symbology == "C0" and scanned.kind == "coi" and scanned.unit is None:
            tally.machine_other += 1
            tally.machine_other_refused_with_expect += with_expect is None
        else:
            tally.false_accepts += 1
            tally.examples.append(f"false accept: {text!r} -> {without.coi}")  # type: ignore[union-attr]
    if with_expect is None:
        tally.refused += 1
    else:
        tally.same += 1


def build(db: Database, cases: int = 3) -> tuple[list[Original], str]:
    """A database of ``cases`` one-bag cases with a printed label each; the ledger head."""
    from cart_chain.labels.printing import print_label
    from cart_chain.services import setup
    from cart_chain.services.accounts import Credentials
    from cart_chain.services.cases import new_case
    from cart_chain.services.demo import add_user_with_own_password

    setup.init_database(db, "admin", "Ada Administrator", "admin-secret-1")
    admin = Credentials("admin", "admin-secret-1")
    add_user_with_own_password(db, admin, "alice", "Alice Apheresis", "apheresis", "alice-secret-1")
    alice = Credentials("alice", "alice-secret-1")
    cois, units, payloads = [], [], []
    for n in range(cases):
        coi = new_case(db, alice, f"Patient {n}", "1970-01-01", f"MRN-{n}", "Kymriah", 1).subject
        unit = parse_coi(coi).unit(1).full
        cois.append(coi)
        units.append(unit)
        payloads.append(print_label(db, unit, "bag", alice).payload)
    return originals(cois, units, payloads), head(db)


def head(db: Database) -> str:
    from sqlalchemy import select

    from cart_chain.store.models import LedgerEntry

    return db.read(
        lambda s: (
            s.execute(select(LedgerEntry.hash).order_by(LedgerEntry.seq.desc()).limit(1))
            .scalars()
            .one()
        )
    )


def run(db: Database, bases: list[Original], count: int, seed: str) -> Tally:
    tally = Tally()
    rng = random.Random(seed)

    def go(session) -> None:  # type: ignore[no-untyped-def]
        for base, text in mutations(rng, bases, count):
            judge(session, base, text, tally)

    db.read(go)
    return tally


def main() -> None:
    # A key of this run: a benchmark never signs with (or writes) the user's site key.
    os.environ["CART_CHAIN_SITE_KEY"] = str(Path(tempfile.mkdtemp()) / "site-key.pem")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--seed", default="cart-chain scan fuzz")
    ap.add_argument("--db", help="database URL (default: a temporary SQLite file)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(args.db or str(Path(tmp) / "fuzz.sqlite3"))
        bases, before = build(db)
        inputs = [t for _, t in mutations(random.Random(args.seed), bases, args.count)]
        t0 = time.perf_counter()
        for text in inputs:  # the bare baseline: the parser alone, no database
            with contextlib.suppress(CartChainError):
                parse_scan(text)
        bare = time.perf_counter() - t0
        t0 = time.perf_counter()
        tally = run(db, bases, args.count, args.seed)
        gated = time.perf_counter() - t0
        unchanged = head(db) == before
        db.dispose()
    print(f"inputs              {tally.inputs}")
    print(f"refused             {tally.refused}   (with the expected case)")
    print(f"same bag or case    {tally.same}")
    print(f"false accepts       {tally.false_accepts}")
    print(
        f"]C0 reads of another case's barcode (no expected case): {tally.machine_other}, "
        f"refused with it: {tally.machine_other_refused_with_expect}"
    )
    print(f"crashes             {tally.crashes}")
    print(f"ledger head unchanged: {unchanged}")
    for code, n in tally.refusals.most_common():
        print(f"  {code:<18} {n}")
    for line in tally.examples[:10]:
        print(f"  ! {line}")
    print(
        f"bare parse_scan: {bare / len(inputs) * 1e6:.1f} us/input; gate x2: "
        f"{gated / len(inputs) * 1e6:.1f} us/input"
    )
    print(
        json.dumps(
            {
                "inputs": tally.inputs,
                "refused": tally.refused,
                "same": tally.same,
                "false_accepts": tally.false_accepts,
                "machine_other": tally.machine_other,
                "machine_other_refused_with_expect": tally.machine_other_refused_with_expect,
                "crashes": tally.crashes,
                "ledger_unchanged": unchanged,
                "bare_us_per_input": round(bare / len(inputs) * 1e6, 2),
                "gate_us_per_input": round(gated / len(inputs) * 1e6, 2),
            }
        )
    )
    sys.exit(0)


if __name__ == "__main__":
    main()
