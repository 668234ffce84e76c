"""Printing labels through the service and the CLI: ledger entries, reprints, voids, files."""

from __future__ import annotations

import io
import os
import socket
import sys
import threading
from pathlib import Path

import pytest
from PIL import Image
from sqlalchemy import func, select, text

from cart_chain.cli.main import main
from cart_chain.domain.errors import (
    AuthenticationError,
    InvalidValue,
    MalformedScan,
    PermissionDenied,
    StepNotAllowed,
    UnknownLabel,
    UnknownUnit,
    VoidedLabel,
)
from cart_chain.domain.label_layout import load_layout
from cart_chain.labels.printing import print_label
from cart_chain.services.labels import list_labels, void_label
from cart_chain.services.scanning import scan
from cart_chain.services.verification import verify_ledger
from cart_chain.store.database import Database
from cart_chain.store.ledger import get_entry
from cart_chain.store.models import LabelPrint, LedgerEntry
from tests.helpers import creds, enrol, password, unit_of, walk
from tests.labels.helpers import decode, pdf_to_image, zpl_commands, zpl_to_image


def _entries(db: Database) -> int:
    return db.read(lambda s: s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one())


def test_print_records_who_what_and_the_label_scans_back(ready_any_db: Database) -> None:
    db = ready_any_db
    unit = unit_of(enrol(db, bags=2), 2)
    walk(db, unit, 1)
    printed = print_label(db, unit, "bag", creds("anna"))
    assert printed.serial == 1 and printed.voided == ()
    img = Image.open(io.BytesIO(printed.output))
    (found,) = decode(img)
    result = scan(db, found[1])
    assert result.unit is not None and result.unit.unit == unit
    assert result.label is not None and result.label.serial == 1 and not result.label.voided
    assert result.label.step == "collection" and result.label.printed_by == "anna"
    entry = db.read(lambda s: get_entry(s, printed.receipt.seq))
    assert entry is not None and entry.kind == "label_printed" and entry.actor == "anna"
    assert entry.payload["kind"] == "bag" and entry.payload["reason"] is None
    assert entry.payload["serial"] == 1 and entry.payload["voids"] == []
    assert "Test Patient" not in str(entry.payload)  # names the label, not the patient
    assert verify_ledger(db).ok


def test_reprint_needs_a_reason_and_voids_the_earlier_label_of_that_kind(
    ready_any_db: Database,
) -> None:
    db = ready_any_db
    unit = unit_of(enrol(db))
    first = print_label(db, unit, "bag", creds("alice"))
    tube = print_label(db, unit, "tube", creds("alice"))
    before = _entries(db)
    with pytest.raises(InvalidValue, match="reprint"):
        print_label(db, unit, "bag", creds("alice"))
    assert _entries(db) == before
    second = print_label(db, unit, "bag", creds("anna"), reason="torn in the bag sealer")
    assert second.serial == 3 and second.voided == (1,)
    assert second.data.reprint == "REPRINT"
    with pytest.raises(VoidedLabel, match="VOID") as refused:
        scan(db, first.payload)
    assert "003" in str(refused.value)  # names the label to use instead
    assert scan(db, second.payload).label is not None
    assert scan(db, tube.payload).label is not None  # another kind stays valid
    third = print_label(db, unit, "bag", creds("anna"), reason="smudged")
    assert third.voided == (3,)  # 1 is already void
    views = list_labels(db, unit)
    assert [(v.serial, v.kind, v.voided) for v in views] == [
        (1, "bag", True),
        (2, "tube", False),
        (3, "bag", True),
        (4, "bag", False),
    ]
    assert views[2].reason == "torn in the bag sealer"
    assert views[2].void_reason is not None and "smudged" in views[2].void_reason
    assert verify_ledger(db).ok


def test_voiding_a_label_without_reprint(ready_db: Database) -> None:
    db = ready_db
    unit = unit_of(enrol(db))
    printed = print_label(db, unit, "tube", creds("alice"))
    with pytest.raises(InvalidValue, match="reason"):
        void_label(db, creds("alice"), printed.payload, "  ")
    void_label(db, creds("alice"), printed.payload, "tube dropped and destroyed")
    with pytest.raises(VoidedLabel, match="destroyed"):
        scan(db, printed.payload)
    with pytest.raises(InvalidValue, match="already void"):
        void_label(db, creds("alice"), printed.payload, "again")
    forged = printed.payload[:21] + "0ZZ"
    from cart_chain.domain.identifiers import mod37_2

    with pytest.raises(UnknownLabel):
        void_label(db, creds("alice"), forged + mod37_2(forged), "never printed")
    assert verify_ledger(db).ok


@pytest.mark.parametrize("given", ["unit", "garbage", "cut"])
def test_a_malformed_void_payload_is_recorded_as_a_refused_scan(
    ready_any_db: Database, given: str
) -> None:
    """Regression: void_label parsed the payload before its write, so a malformed one
    (or a unit id where a label was asked for) was refused without a scan_refused entry."""
    db = ready_any_db
    unit = unit_of(enrol(db))
    printed = print_label(db, unit, "tube", creds("alice"))
    text = {"unit": unit, "garbage": "CC1-NOT-A-LABEL", "cut": printed.payload[:-3]}[given]
    before = _entries(db)
    with pytest.raises(MalformedScan):
        void_label(db, creds("alice"), text, "destroyed")
    assert _entries(db) == before + 1
    last = db.read(lambda s: get_entry(s, before + 1))
    assert last is not None and last.kind == "scan_refused" and last.actor == "alice"
    assert last.payload["reason"].startswith("malformed:")
    assert scan(db, printed.payload).label is not None  # the label itself is untouched
    assert verify_ledger(db).ok


def test_who_may_print_and_at_which_step(ready_db: Database) -> None:
    db = ready_db
    unit = unit_of(enrol(db))
    with pytest.raises(PermissionDenied, match=r"(?i)administrator"):
        print_label(db, unit, "bag", creds("admin"))
    with pytest.raises(AuthenticationError):
        print_label(db, unit, "bag", type(creds("alice"))("alice", "wrong"))
    with pytest.raises(StepNotAllowed, match="collection"):
        print_label(db, unit, "bag", creds("alice"), step="infusion")
    with pytest.raises(UnknownUnit):
        print_label(
            db, unit_of("CHA999926999999" + _check("CHA999926999999")), "bag", creds("alice")
        )
    walk(db, unit, 2)  # now in transport
    p = print_label(db, unit, "transport", creds("carl"), step="receipt_at_manufacturing")
    assert p.data.step == "Receipt at manufacturing"
    assert print_label(db, unit, "tube", creds("carl")).data.step == "Ship to manufacturing"


def _check(body: str) -> str:
    from cart_chain.domain.identifiers import mod37_2

    return mod37_2(body)


def test_a_failed_delivery_records_nothing(ready_db: Database) -> None:
    db = ready_db
    unit = unit_of(enrol(db))
    before = _entries(db)

    def broken(_: bytes) -> None:
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        print_label(db, unit, "bag", creds("alice"), deliver=broken)
    assert _entries(db) == before
    # ... so the next print is still a first print, needing no reason
    assert print_label(db, unit, "bag", creds("alice")).serial == 1


def test_label_tables_are_append_only_and_tampering_is_caught(ready_any_db: Database) -> None:
    db = ready_any_db
    unit = unit_of(enrol(db))
    print_label(db, unit, "bag", creds("alice"))
    print_label(db, unit, "bag", creds("alice"), reason="damaged")
    for table in ("label_prints", "label_voids"):
        with pytest.raises(Exception, match="append-only"):
            db.write(lambda s, t=table: s.execute(text(f"UPDATE {t} SET reason = 'x'")))
        with pytest.raises(Exception, match="append-only"):
            db.write(lambda s, t=table: s.execute(text(f"DELETE FROM {t}")))
    assert verify_ledger(db).ok
    # Someone with the database owner's rights drops the trigger and edits a print row.
    _tamper(db, "label_prints", "UPDATE label_prints SET kind = 'tube' WHERE serial = 1")
    report = verify_ledger(db)
    assert not report.ok and report.problem is not None
    assert report.problem.table == "label_prints" and "kind" in report.problem.message


def test_a_label_row_inserted_outside_the_ledger_is_caught(ready_db: Database) -> None:
    db = ready_db
    unit = unit_of(enrol(db))
    p = print_label(db, unit, "bag", creds("alice"))
    db.write(
        lambda s: s.execute(
            text(
                "INSERT INTO label_prints (unit_code, serial, entry_seq, coi, kind, layout, "
                "step, printed_by, reason) VALUES (:u, 9, :seq, :coi, 'bag', 'bag@1', "
                "'collection', 'alice', NULL)"
            ),
            {"u": unit, "seq": p.receipt.seq, "coi": unit[:15] + _check(unit[:15])},
        )
    )
    report = verify_ledger(db)
    assert not report.ok and report.problem is not None
    assert report.problem.table == "label_prints"


def _tamper(db: Database, table: str, sql: str) -> None:
    if db.engine.dialect.name == "sqlite":
        db.write(lambda s: s.execute(text(f"DROP TRIGGER {table}_no_update")))
    else:
        db.write(lambda s: s.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER")))
    db.write(lambda s: s.execute(text(sql)))


# -- CLI --------------------------------------------------------------------------------


def _cli(args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(args)


@pytest.mark.parametrize("fmt", ["png", "pdf", "zpl"])
def test_cli_writes_each_format_atomically(
    ready_db: Database,
    tmp_path: Path,
    fmt: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = ready_db
    unit = unit_of(enrol(db))
    out = tmp_path / "labels" / f"bag.{fmt}"
    out.parent.mkdir()
    dbarg = ["--db", db.url]
    rc = _cli(
        [
            *dbarg,
            "label",
            unit,
            "--kind",
            "bag",
            "--out",
            str(out),
            "--by",
            "alice",
            "--dpi",
            "203",
        ],
        password("alice") + "\n",
        monkeypatch,
    )
    assert rc == 0, capsys.readouterr().err
    assert "printed bag label 001" in capsys.readouterr().out
    assert sorted(os.listdir(out.parent)) == [out.name]  # no temporary file left behind
    data = out.read_bytes()
    if fmt == "png":
        assert Image.open(io.BytesIO(data)).size == (799, 559)
        payload = decode(Image.open(io.BytesIO(data)))[0][1]
    elif fmt == "pdf":
        assert data.startswith(b"%PDF")
        payload = decode(pdf_to_image(data, 203))[0][1]
    else:
        zpl = data.decode("ascii")
        payload = decode(zpl_to_image(zpl))[0][1]
        assert [p for c, p in zpl_commands(zpl) if c == "FD"] == [f"QA,{payload}"]
    rc = _cli([*dbarg, "scan", payload, "--expect", unit[:15] + _check(unit[:15])], "", monkeypatch)
    assert rc == 0
    # a reprint without a reason is refused and leaves the file as it was
    rc = _cli(
        [*dbarg, "label", unit, "--kind", "bag", "--out", str(out), "--overwrite", "--by", "alice"],
        password("alice") + "\n",
        monkeypatch,
    )
    assert rc == 1 and "reason" in capsys.readouterr().err
    assert out.read_bytes() == data


@pytest.mark.parametrize(
    ("kind", "listening", "expected_rc"),
    [
        pytest.param("transport", True, 0, id="sends-zpl-to-a-raw-printer-port"),
        pytest.param("bag", False, 3, id="refuses-a-printer-that-is-not-there-records-nothing"),
    ],
)
def test_cli_prints_to_a_raw_printer_port(
    ready_db: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    kind: str,
    listening: bool,
    expected_rc: int,
) -> None:
    """A label sent to a raw printer port (``--printer HOST:PORT``): a printer listening
    there gets the ZPL and the print is recorded; a port that refuses the connection is an
    error (exit 3) and nothing is recorded."""
    db = ready_db
    unit = unit_of(enrol(db))
    received: list[bytes] = []

    def printer(server: socket.socket) -> None:
        conn, _ = server.accept()
        with conn:
            chunks = []
            while chunk := conn.recv(65536):
                chunks.append(chunk)
            received.append(b"".join(chunks))

    # The port stays bound until the print is over, so no other process (a pytest-xdist
    # worker's printer) can be given it: listened on, it is the printer; never listened
    # on, a connection to it is refused.
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        port = server.getsockname()[1]
        if listening:
            server.listen(1)
            server.settimeout(30)
            thread = threading.Thread(target=printer, args=(server,), daemon=True)
            thread.start()
        before = _entries(db)
        rc = _cli(
            [
                "--db",
                db.url,
                "label",
                unit,
                "--kind",
                kind,
                "--printer",
                f"127.0.0.1:{port}",
                "--by",
                "alice",
            ],
            password("alice") + "\n",
            monkeypatch,
        )
        if listening:
            thread.join(30)
    if not listening:
        assert rc == expected_rc and "refused" in capsys.readouterr().err.lower()
        assert _entries(db) == before
        count = select(func.count()).select_from(LabelPrint)
        assert db.read(lambda s: s.execute(count).scalar()) == 0
        return
    assert rc == expected_rc, capsys.readouterr().err
    zpl = received[0].decode("ascii")
    assert zpl.startswith("^XA") and zpl.rstrip().endswith("^XZ")
    (found,) = decode(zpl_to_image(zpl))
    assert scan(db, found[1]).unit.unit == unit  # type: ignore[union-attr]
    views = list_labels(db, unit)
    assert len(views) == 1 and views[0].kind == kind


def test_cli_usage_errors(
    tmp_path: Path,
    ready_db: Database,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    unit = unit_of(enrol(ready_db))
    dbarg = ["--db", ready_db.url]
    assert _cli([*dbarg, "label", unit, "--kind", "bag"], "", monkeypatch) == 2
    assert (
        _cli(
            [*dbarg, "label", unit, "--kind", "bag", "--out", str(tmp_path / "x.jpg")],
            "",
            monkeypatch,
        )
        == 2
    )
    assert (
        _cli(
            [
                *dbarg,
                "label",
                unit,
                "--kind",
                "bag",
                "--out",
                str(tmp_path / "x.png"),
                "--printer",
                "127.0.0.1",
            ],
            "",
            monkeypatch,
        )
        == 2
    )
    assert "--printer sends ZPL" in capsys.readouterr().err


def test_a_database_at_revision_0001_is_upgraded_with_the_label_tables(tmp_path: Path) -> None:
    from alembic import command
    from alembic.config import Config

    from cart_chain.store import schema

    db = Database(str(tmp_path / "old.sqlite3"))
    cfg = Config()
    cfg.set_main_option("script_location", str(schema.MIGRATIONS))
    with db.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    assert schema.state(db) == "outdated"
    schema.upgrade(db)
    assert schema.state(db) == "current"
    names = db.read(lambda s: set(s.connection().dialect.get_table_names(s.connection())))
    assert {"label_prints", "label_voids"} <= names
    db.dispose()


def test_label_rendering_needs_neither_the_database_layer_nor_qt() -> None:
    import subprocess

    code = (
        "import sys\n"
        "import cart_chain.labels.render, cart_chain.labels.png, cart_chain.labels.pdf\n"
        "import cart_chain.labels.zpl, cart_chain.domain.labelcode\n"
        "from tests.labels.helpers import sample_data\n"
        "from cart_chain.domain.label_layout import load_layout\n"
        "for fmt in ('png', 'pdf', 'zpl'):\n"
        "    cart_chain.labels.render.render(load_layout('bag'), sample_data(), fmt)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'PySide6')\n"
        "             or m.startswith('cart_chain.store') or m.startswith('cart_chain.services'))\n"
        "print(bad)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        cwd=Path(__file__).resolve().parents[2],
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_cli_lists_and_voids_labels(
    ready_db: Database, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ready_db
    unit = unit_of(enrol(db))
    first = print_label(db, unit, "bag", creds("alice"))
    print_label(db, unit, "bag", creds("alice"), reason="wet")
    dbarg = ["--db", db.url]
    assert _cli([*dbarg, "label-list", unit], "", monkeypatch) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith("001") and "VOID (replaced by reprint 002: wet)" in lines[0]
    assert lines[1].startswith("002") and "valid" in lines[1]
    assert load_layout("bag").ref in lines[1]  # the template revision each label was printed from
    second = list_labels(db, unit)[1].payload
    rc = _cli(
        [*dbarg, "label-void", second, "--reason", "destroyed", "--by", "anna"],
        password("anna") + "\n",
        monkeypatch,
    )
    assert rc == 0
    assert (
        _cli(
            [*dbarg, "label-void", first.payload, "--reason", "x", "--by", "anna"],
            password("anna") + "\n",
            monkeypatch,
        )
        == 1
    )
    assert "already void" in capsys.readouterr().err
    assert [v.voided for v in list_labels(db, unit)] == [True, True]
    with pytest.raises(VoidedLabel, match="no bag label of this unit is valid"):
        scan(db, second)
