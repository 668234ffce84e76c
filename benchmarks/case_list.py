"""The home list at 100,000 cases: how long one page takes, per sort order and depth.

    python benchmarks/case_list.py [--cases 100000]

Builds a SQLite database of N enrolled cases (half with a collection step), then
times `count_cases` and `list_cases` pages of 200 at the top, the middle and the
end of the list for every sort key, and the Qt model's `fetchMore` while
scrolling (offscreen). A page well under 100 ms keeps scrolling smooth.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from cart_chain.domain.identifiers import Coi
from cart_chain.services import setup
from cart_chain.services.accounts import Credentials
from cart_chain.services.case_list import SORT_KEYS, count_cases, list_cases
from cart_chain.services.demo import add_user_with_own_password
from cart_chain.store import ledger
from cart_chain.store.database import Database

PW = "bench-secret-1"
SIG = [
    {
        "username": "b1",
        "printed_name": "Bench One",
        "meaning": "Performed by",
        "signed_at": "2026-01-01T00:00:00.000000Z",
    }
]
NAMES = ("García", "Lefèvre", "Петрова", "山田", "O'Neill", "Smith", "Nguyen", "Müller")


def fill(db: Database, n: int) -> None:
    made = 0
    while made < n:

        def batch(session, start=made):  # type: ignore[no-untyped-def]
            for i in range(start, min(start + 2000, n)):
                coi = Coi.build("B0001", 2026, i + 1)
                unit = coi.unit(1).full
                ledger.append(
                    session,
                    "case_created",
                    "b1",
                    {
                        "coi": coi.full,
                        "facility": "B0001",
                        "year": 26,
                        "patient": {
                            "name": f"{NAMES[i % len(NAMES)]} {i}",
                            "dob": "1970-01-01",
                            "mrn": f"MRN-{(i * 7919) % n:07d}",
                        },
                        "product": ("Kymriah", "Yescarta", "Carvykti")[i % 3],
                        "units": [unit],
                        "signatures": SIG,
                    },
                )
                if i % 2:
                    ledger.append(
                        session,
                        "event_recorded",
                        "b1",
                        {
                            "unit": unit,
                            "coi": coi.full,
                            "step": "collection",
                            "occurred_at": f"2026-01-{1 + i % 28:02d}T08:00:00.000000Z",
                            "location": "L",
                            "temperature_c": 22.0,
                            "note": None,
                            "by": "b1",
                            "to": None,
                            "signatures": SIG,
                        },
                    )
            return min(start + 2000, n) - start

        made += db.write(batch)


def ms(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Database(str(Path(tmp) / "list.sqlite3"))
        setup.init_database(db, "admin", "Bench Admin", PW)
        add_user_with_own_password(db, Credentials("admin", PW), "b1", "Bench One", "apheresis", PW)
        t0 = time.perf_counter()
        fill(db, args.cases)
        print(f"filled {args.cases:,} cases in {time.perf_counter() - t0:.0f} s")
        print(f"count_cases                      {ms(lambda: count_cases(db)):8.1f} ms")
        print(f"count_cases search 'ü'           {ms(lambda: count_cases(db, 'ü')):8.1f} ms")
        n = args.cases
        for key in SORT_KEYS:
            figures = []
            for offset in (0, n // 2, max(0, n - 200)):
                figures.append(ms(lambda o=offset, k=key: list_cases(db, "", o, 200, k, True)))
            print(
                f"page of 200 by {key:<11} top {figures[0]:7.1f} ms  middle "
                f"{figures[1]:7.1f} ms  end {figures[2]:7.1f} ms"
            )
        from PySide6.QtWidgets import QApplication

        from cart_chain.services.case_list import alerts, list_case_page
        from cart_chain.ui.models.cases_model import CasesModel

        app = QApplication.instance() or QApplication([])
        model = CasesModel(
            lambda s, k, d, o, lim: list_case_page(db, s, k, d, o, lim),
            lambda s: count_cases(db, s),
            alerts,
        )
        times = []
        for _ in range(10):
            times.append(ms(lambda: model.fetchMore(model.index(0, 0).parent())))
        print(
            f"model fetchMore, 10 pages        mean {sum(times) / len(times):7.1f} ms  "
            f"max {max(times):7.1f} ms  ({model.rowCount():,} rows loaded)"
        )
        del app
        db.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
