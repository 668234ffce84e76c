"""`cart-chain report ...` as a user runs it: real process, exit codes, progress on stderr."""

from __future__ import annotations

import csv
import io

from pypdf import PdfReader

from cart_chain.store import ledger
from cart_chain.store.database import Database
from tests.cli.helpers import ok, one_line_error, run
from tests.helpers import enrol, password, unit_of, walk


def test_custody_report_command(ready_db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db, "Ольга Петрова")
    walk(ready_db, unit_of(coi), 6)
    head = ready_db.read(ledger.head)
    out = tmp_path / "custody.pdf"
    stdout = ok(
        run(
            ready_db.path,
            "report",
            "custody",
            coi,
            "--out",
            str(out),
            "--by",
            "quinn",
            stdin=password("quinn") + "\n",
        )
    )
    assert f"checkpoint  {head}" in stdout  # SEQ:HASH, as `verify --checkpoint` takes it
    # The checkpoint the report embeds is recorded first, then the export itself.
    assert f"recorded as ledger entry {head.seq + 2}" in stdout
    assert f"(tree of {head.seq}, entry {head.seq + 1})" in stdout
    text = " ".join(PdfReader(str(out)).pages[0].extract_text().split())
    assert "Ольга Петрова" in text and head.hash in text


def test_audit_command_shows_progress_for_many_entries(ready_db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    def many(session):  # type: ignore[no-untyped-def]
        for i in range(2100):
            ledger.append(session, "scan_refused", "lena", {"by": "lena", "reason": f"test {i}"})

    ready_db.write(many)
    out = tmp_path / "audit.csv"
    result = run(
        ready_db.path,
        "report",
        "audit",
        "--out",
        str(out),
        "--by",
        "quinn",
        stdin=password("quinn") + "\n",
    )
    stdout = ok(result)
    total = ready_db.read(ledger.head).seq - 2  # less the export's entry and its checkpoint
    assert f"entries     {total}" in stdout
    assert f"exporting: {total}/{total} entries (100%)" in result.stderr
    assert "exporting: " in result.stderr.splitlines()[0]
    rows = list(csv.reader(io.StringIO(out.read_text("utf-8-sig"))))
    assert len(rows) == total + 1


def test_report_errors_are_one_line(ready_db: Database, tmp_path) -> None:  # type: ignore[no-untyped-def]
    line = one_line_error(
        run(
            ready_db.path,
            "report",
            "audit",
            "--out",
            str(tmp_path / "a.xlsx"),
            "--by",
            "quinn",
            stdin=password("quinn") + "\n",
        ),
        2,
    )
    assert "FILE.pdf or FILE.csv" in line
    line = one_line_error(
        run(
            ready_db.path,
            "report",
            "custody",
            "CHA999926000042I",
            "--out",
            str(tmp_path / "c.pdf"),
            "--by",
            "quinn",
            stdin=password("quinn") + "\n",
        ),
        1,
    )
    assert "not known" in line
    line = one_line_error(
        run(
            ready_db.path,
            "report",
            "audit",
            "--out",
            str(tmp_path / "a.csv"),
            "--by",
            "quinn",
            stdin="wrong\n",
        ),
        1,
    )
    assert "user name or password is wrong" in line
    assert not list(tmp_path.glob("*.csv")) and not list(tmp_path.glob(".*"))
