"""The home list at 100,000 cases: how long one page takes, per sort order and depth.

    python benchmarks/case_list.py [--cases 100000] [--keep FILE]

Builds a SQLite database of N enrolled cases (half with a collection step), then
times `count_cases` and keyset pages of 200 (`list_case_page` after a given row,
as the home list asks while scrolling) at the top, the middle and the end of the
list for every sort key, next to a bare baseline measured in the same run: 200
rows read by primary key from the same table with the sqlite3 module. Then the
Qt model's `fetchMore` while scrolling (offscreen), and the resident memory once the
list's table is scrolled to its last row (goal: under 300 MB at 100k cases). The target
is 50 ms a page.
Each page figure is the median of 5 calls after a first, cold one (the slowest
first call is printed apart). The last line is JSON: {"cases": N, "pages_ms":
{"SORT": {"top", "middle", "end"}}, "first_call_max_ms": ..., "bare_page_ms": ...,
"scrolled_rss_mb": ..., "bare_window_rss_mb": ...}.
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from cart_chain.domain.identifiers import Coi
from cart_chain.services import setup
from cart_chain.services.accounts import Credentials
from cart_chain.services.case_list import SORT_KEYS, count_cases, list_case_page, list_cases
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
                # a COI's sequence has six digits: past 999,999 cases, the next year's
                coi = Coi.build("B0001", 2026 + i // 999_999, i % 999_999 + 1)
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


def rss_mb() -> float:
    """This process's resident memory now (Linux: /proc/self/statm), in MB."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def scrolled_rss(app, model) -> dict[str, float]:  # type: ignore[no-untyped-def]
    """The home list's table scrolled to its last row as a user drags the scroll bar
    down: the view asks for pages (fetchMore) until every case is loaded; then RSS.
    The bare figure is a shown, empty QTableView in this process before the list."""
    from PySide6.QtWidgets import QTableView

    bare_view = QTableView()
    bare_view.resize(1200, 700)
    bare_view.show()
    app.processEvents()
    bare = rss_mb()
    bare_view.close()
    view = QTableView()
    view.resize(1200, 700)
    view.setModel(model)
    view.show()
    t0 = time.perf_counter()
    model.reload()  # as the home list opens: the count and the first page
    while model.canFetchMore(model.index(0, 0).parent()):
        view.scrollToBottom()
        app.processEvents()
        if model.canFetchMore(model.index(0, 0).parent()):
            model.fetchMore(model.index(0, 0).parent())
    view.scrollToBottom()
    app.processEvents()
    figures = {
        "rows": model.rowCount(),
        "seconds": time.perf_counter() - t0,
        "rss_mb": round(rss_mb(), 1),
        "bare_rss_mb": round(bare, 1),
    }
    # Qt's objects go before Python's: left to the interpreter's last collection, a
    # view with 100,000 rows ended the process with "bool_dealloc" (PySide6).
    view.setModel(None)
    view.deleteLater()
    bare_view.deleteLater()
    app.processEvents()
    return figures


def ms(fn) -> float:  # type: ignore[no-untyped-def]
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000


def main() -> int:
    # A key of this run: a benchmark never signs with (or writes) the user's site key.
    os.environ["CART_CHAIN_SITE_KEY"] = str(Path(tempfile.mkdtemp()) / "site-key.pem")
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument(
        "--keep",
        metavar="FILE",
        type=Path,
        help="keep the filled database here, and reuse it when it already exists",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.keep or Path(tmp) / "list.sqlite3"
        reuse = path.exists()
        db = Database(str(path))
        if reuse:
            args.cases = count_cases(db)
            print(f"reusing {path}: {args.cases:,} cases")
        else:
            setup.init_database(db, "admin", "Bench Admin", PW)
            add_user_with_own_password(
                db, Credentials("admin", PW), "b1", "Bench One", "apheresis", PW
            )
            t0 = time.perf_counter()
            fill(db, args.cases)
            print(f"filled {args.cases:,} cases in {time.perf_counter() - t0:.0f} s")
        print(f"count_cases                      {ms(lambda: count_cases(db)):8.1f} ms")
        print(f"count_cases search 'ü'           {ms(lambda: count_cases(db, 'ü')):8.1f} ms")
        n = args.cases
        bare = sqlite3.connect(str(db.path))
        bare_ms = ms(
            lambda: bare.execute(
                "SELECT * FROM case_index WHERE seq > ? ORDER BY seq LIMIT 200", (n // 2,)
            ).fetchall()
        )
        bare.close()
        print(f"bare page of 200 by primary key  {bare_ms:8.1f} ms")
        pages: dict[str, dict[str, float]] = {}
        first: dict[str, float] = {}
        for key in SORT_KEYS:
            figures = {}
            for where, offset in (("top", None), ("middle", n // 2), ("end", max(0, n - 201))):
                # the row a scrolling user holds there (found untimed), then the page after it
                after = None if offset is None else list_cases(db, "", offset, 1, key, True)[0]
                # first call (SQL compiled, pages cold), then the median of 5 as a
                # user scrolling meets them; the figure is the median
                runs = [ms(lambda a=after, k=key: list_case_page(db, "", k, True, a, 200))]
                runs += [
                    ms(lambda a=after, k=key: list_case_page(db, "", k, True, a, 200))
                    for _ in range(5)
                ]
                first[f"{key}/{where}"] = round(runs[0], 2)
                figures[where] = round(statistics.median(runs[1:]), 2)
            pages[key] = figures
            print(
                f"page of 200 by {key:<11} top {figures['top']:7.1f} ms  middle "
                f"{figures['middle']:7.1f} ms  end {figures['end']:7.1f} ms"
            )
        from PySide6.QtWidgets import QApplication

        from cart_chain.services.case_list import alerts
        from cart_chain.ui.models.cases_model import CasesModel

        app = QApplication.instance() or QApplication([])
        model = CasesModel(
            lambda s, k, d, a, lim: list_case_page(db, s, k, d, a, lim),
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
        rss = scrolled_rss(app, model)
        print(
            f"GUI list scrolled to the end      {rss['rows']:,} rows in {rss['seconds']:.0f} s: "
            f"RSS {rss['rss_mb']:.0f} MB (goal < 300 MB at 100k); bare Qt window "
            f"{rss['bare_rss_mb']:.0f} MB in this process before the list"
        )
        model.deleteLater()
        app.processEvents()
        del app
        db.dispose()
    print(f"slowest first call (cold)        {max(first.values()):8.1f} ms")
    print(
        json.dumps(
            {
                "cases": args.cases,
                "pages_ms": pages,
                "first_call_max_ms": max(first.values()),
                "bare_page_ms": round(bare_ms, 2),
                "scrolled_rss_mb": rss["rss_mb"],
                "bare_window_rss_mb": rss["bare_rss_mb"],
            }
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
