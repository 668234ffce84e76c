"""Importing a leg's logger file: checks, deviations QA reviews, the kept file, refusals."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from cart_chain.domain.errors import DeviationOpen, PermissionDenied
from cart_chain.domain.logger_parse import LoggerFileError
from cart_chain.services.condition import DuplicateLoggerFile, import_condition
from cart_chain.services.condition_views import condition_of, leg_samples
from cart_chain.services.custody import record_event
from cart_chain.services.readiness import review_deviation
from cart_chain.services.verification import verify_ledger
from cart_chain.store.database import Database
from tests import logger_files as lf
from tests.helpers import HANDOFF, creds, fresh_leg
from tests.tamper import tamper


def covering(temps_every_5_min: list[float] | None = None, **kw: object) -> bytes:
    """A file from 10 min before the handoff to 10 min after the receipt, at 5 °C."""
    n = (4 * 60 + 20) // 5 + 1
    temps = temps_every_5_min or [5.0] * n
    return lf.delimited(lf.regular(HANDOFF - timedelta(minutes=10), 5, temps), **kw)  # type: ignore[arg-type]


def head(db: Database) -> int:
    from sqlalchemy import text

    with db.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM ledger_entries")).scalar_one())


def test_a_clean_leg_is_signed_kept_and_shown(ready_db: Database) -> None:
    unit = fresh_leg(ready_db)
    temps = [4.0 + (i % 5) for i in range(53)]  # 4..8 °C, inside 2-8
    data = covering(temps)
    r = import_condition(ready_db, unit, data, creds("lena"), filename="/tmp/x/LOG-0001.csv")
    assert r.deviations == () and r.kind == "condition_imported"
    assert [s.meaning for s in r.signatures] == ["Performed by"]
    c = condition_of(ready_db, unit)
    (leg,) = c.legs
    assert leg.step == "ship_to_manufacturing" and leg.handoff.startswith(
        f"{HANDOFF:%Y-%m-%dT%H:%M}"
    )
    (imp,) = leg.imports
    assert (imp.serial, imp.format, imp.samples, imp.min_c, imp.max_c) == (
        "LOG-0001",
        "delimited",
        53,
        4.0,
        8.0,
    )
    assert imp.file_name == "LOG-0001.csv" and imp.size == len(data)
    assert imp.mkt_c is not None and 6.0 < imp.mkt_c < 6.5  # above the 6.0 mean, as MKT is
    assert imp.limits == "2 to 8 °C" and not imp.excursions and not imp.gaps
    times, got = leg_samples(ready_db, imp.seq)
    assert got == tuple(temps) and times[0] == (HANDOFF - timedelta(minutes=10)).timestamp()
    assert verify_ledger(ready_db).ok


def test_an_excursion_is_a_deviation_and_the_unit_waits_for_qa(ready_db: Database) -> None:
    unit = fresh_leg(ready_db)
    temps = [5.0] * 53
    temps[20:23] = [8.5, 11.25, 9.0]  # three samples outside: 15 minutes
    r = import_condition(ready_db, unit, covering(temps, decimal=",", delimiter=";"), creds("lena"))
    (detail,) = r.deviations
    assert "outside 2 to 8 °C" in detail and "15 min" in detail and "11.25 °C" in detail
    (imp,) = condition_of(ready_db, unit).legs[0].imports
    (e,) = imp.excursions
    assert e["duration_s"] == 900 and e["extreme_c"] == 11.25 and e["samples"] == 3
    start = HANDOFF - timedelta(minutes=10) + timedelta(minutes=100)
    assert e["start"] == start.strftime("%Y-%m-%dT%H:%M:%S.000000Z")
    (dev,) = imp.deviations
    assert dev.rule == "condition_excursion" and dev.decision is None
    with pytest.raises(DeviationOpen, match="QA must accept"):
        record_event(ready_db, unit, "engineering", creds("lena"))
    review_deviation(ready_db, dev.seq, "accept", "product within stability data", creds("quinn"))
    record_event(ready_db, unit, "engineering", creds("lena"))
    (imp,) = condition_of(ready_db, unit).legs[0].imports
    assert imp.deviations[0].decision == "accept"
    assert verify_ledger(ready_db).ok


def test_a_gap_and_a_logger_that_does_not_cover_the_leg(ready_db: Database) -> None:
    unit = fresh_leg(ready_db)
    start = HANDOFF + timedelta(minutes=5)  # started after the handoff
    samples = lf.regular(start, 5, [5.0] * 20) + lf.regular(
        start + timedelta(minutes=5 * 19 + 16), 5, [5.0] * 5
    )  # 16 min without a sample (more than 3 x 5 min); stops long before receipt
    r = import_condition(ready_db, unit, lf.delimited(samples, serial="OTHER-7"), creds("lena"))
    assert len(r.deviations) == 3
    (imp,) = condition_of(ready_db, unit).legs[0].imports
    assert imp.serial == "OTHER-7" and imp.started_late and imp.stopped_early
    (g,) = imp.gaps
    assert g["duration_s"] == 16 * 60
    assert sorted(d.rule for d in imp.deviations) == [
        "condition_gap",
        "logger_started_late",
        "logger_stopped_early",
    ]


def test_the_same_file_twice_and_a_broken_file_write_nothing(ready_db: Database) -> None:
    unit = fresh_leg(ready_db)
    data = covering()
    import_condition(ready_db, unit, data, creds("lena"))
    before = head(ready_db)
    with pytest.raises(DuplicateLoggerFile, match="already imported"):
        import_condition(ready_db, unit, data, creds("lena"))
    truncated = data[: len(data) - 7]
    with pytest.raises(LoggerFileError, match=r"^line \d+: .*truncated"):
        import_condition(ready_db, unit, truncated, creds("lena"))
    no_zone = covering(tz="Europe/Berlin", zone_in_file=False)
    with pytest.raises(LoggerFileError, match="no time zone"):
        import_condition(ready_db, unit, no_zone, creds("lena"))
    with pytest.raises(PermissionDenied, match="import a temperature logger file"):
        import_condition(ready_db, unit, covering(serial="C-1"), creds("carl"))
    assert head(ready_db) == before
    # the same file with its zone given is another file's worth of evidence: imported
    r = import_condition(ready_db, unit, no_zone, creds("lena"), tz="Europe/Berlin")
    assert r.deviations == ()
    assert head(ready_db) == before + 1
    c = condition_of(ready_db, unit)
    assert [i.serial for i in c.legs[0].imports] == ["LOG-0001", "LOG-0001"]


def test_a_pdf_in_fahrenheit_on_a_leg_still_under_way(ready_db: Database) -> None:
    unit = fresh_leg(ready_db, receive=False)
    samples = lf.regular(HANDOFF - timedelta(minutes=5), 5, [41.0, 42.8, 44.6])
    pdf = lf.pdf_with(lf.delimited(samples, unit="F"), "report.csv")
    r = import_condition(ready_db, unit, pdf, creds("lena"))
    assert r.deviations == ()  # no receipt yet: nothing stopped "early"
    (imp,) = condition_of(ready_db, unit).legs[0].imports
    assert (imp.min_c, imp.max_c) == (5.0, 7.0) and imp.size == len(pdf)
    assert verify_ledger(ready_db).ok


def test_a_cryopreserved_leg_has_no_mkt_and_the_latest_leg_is_the_default(
    ready_db: Database,
) -> None:
    unit = fresh_leg(ready_db, product="Kymriah")  # cryopreserved apheresis: LN2 limits
    r = import_condition(ready_db, unit, covering([-180.0] * 53), creds("lena"))
    assert r.deviations == ()
    (imp,) = condition_of(ready_db, unit).legs[0].imports
    assert imp.mkt_c is None and imp.limits.startswith("<= -1")


def test_verify_catches_a_kept_file_changed_or_removed(ready_db: Database) -> None:
    unit = fresh_leg(ready_db)
    r = import_condition(ready_db, unit, covering(), creds("lena"))
    assert verify_ledger(ready_db).ok
    tamper(ready_db, f"UPDATE condition_files SET content = X'00' WHERE entry_seq = {r.seq}")
    report = verify_ledger(ready_db)
    assert not report.ok and report.problem.table == "condition_files"  # type: ignore[union-attr]
    assert report.problem.seq == r.seq and "altered" in report.problem.message  # type: ignore[union-attr]
    tamper(ready_db, f"DELETE FROM condition_files WHERE entry_seq = {r.seq}")
    report = verify_ledger(ready_db)
    assert not report.ok and "deleted" in report.problem.message  # type: ignore[union-attr]


def test_the_command_line(ready_db: Database, tmp_path: Path) -> None:
    unit = fresh_leg(ready_db)
    temps = [5.0] * 53
    temps[30] = 8.4
    path = tmp_path / "shipper.csv"
    path.write_bytes(covering(temps))

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cart_chain", "--db", str(ready_db.path), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    ready_db.dispose()
    done = cli("condition", "import", unit, str(path), "--by", "lena", stdin="lena-secret-1\n")
    assert done.returncode == 0, done.stderr
    assert "DEVIATION (QA must review)" in done.stdout and "8.4 °C" in done.stdout
    again = cli("condition", "import", unit, str(path), "--by", "lena", stdin="lena-secret-1\n")
    assert again.returncode == 1 and "already imported" in again.stderr
    assert "Traceback" not in again.stderr
    shown = cli("condition", "show", unit)
    assert shown.returncode == 0, shown.stderr
    assert "logger LOG-0001" in shown.stdout and "min 5 °C, max 8.4 °C, MKT" in shown.stdout
    assert "OPEN, awaiting QA" in shown.stdout
    data = json.loads(cli("condition", "show", unit, "--json").stdout)
    (imp,) = data["legs"][0]["imports"]
    assert imp["max_c"] == 8.4 and imp["excursions"][0]["duration_s"] == 300
    formats = cli("condition", "formats")
    assert "sensormetrix-neon" in formats.stdout and "UNVERIFIED" in formats.stdout


def _tolerant_profile(folder: Path) -> None:
    """A site profile that tolerates transport excursions up to 30 minutes."""
    data = json.loads(
        (Path(__file__).parents[2] / "cart_chain/resources/profiles/generic.json").read_text()
    )
    data.update(id="tolerant", name="Tolerant Test Product", aliases=["tolerant"])
    data["excursion_tolerance_minutes"] = {
        "value": 30,
        "unconfirmed": True,
        "why": "test profile: a site's own stability data",
    }
    (folder / "tolerant.json").write_text(json.dumps(data), encoding="utf-8")


def test_exactly_the_tolerated_duration_passes_and_a_second_more_is_a_deviation(
    ready_db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tolerant_profile(tmp_path)
    monkeypatch.setenv("CART_CHAIN_PROFILES", str(tmp_path))
    start = HANDOFF - timedelta(minutes=10)

    def file_with_excursion(seconds: int, serial: str) -> bytes:
        # 5 °C, then 9 °C from 60 min, back to 5 °C exactly ``seconds`` later
        out = [(start + timedelta(minutes=5 * i), 5.0) for i in range(12)]  # to 55 min
        warm = start + timedelta(minutes=60)
        out += [(warm + timedelta(minutes=5 * i), 9.0) for i in range(6)]  # to 85 min
        back = warm + timedelta(seconds=seconds)
        out += [(back + timedelta(minutes=5 * i), 5.0) for i in range(38)]
        return lf.delimited(out, serial=serial, interval="5 min")

    exact = fresh_leg(ready_db, product="Tolerant")
    r = import_condition(ready_db, exact, file_with_excursion(1800, "EXACT"), creds("lena"))
    assert r.deviations == ()
    (imp,) = condition_of(ready_db, exact).legs[0].imports
    (e,) = imp.excursions
    assert e["duration_s"] == 1800 and e["tolerated"]
    assert imp.limits == "2 to 8 °C, excursions up to 30 min tolerated"
    longer = fresh_leg(ready_db, product="Tolerant")
    r = import_condition(ready_db, longer, file_with_excursion(1801, "PLUS-1S"), creds("lena"))
    (detail,) = r.deviations
    assert "30 min 01 s" in detail
    (imp,) = condition_of(ready_db, longer).legs[0].imports
    assert not imp.excursions[0]["tolerated"] and imp.deviations[0].rule == "condition_excursion"


def test_on_both_databases_the_file_is_kept_verified_and_unique(ready_any_db: Database) -> None:
    unit = fresh_leg(ready_any_db)
    data = lf.pdf_with(covering(), "shipper.csv")  # bytes that are not text
    r = import_condition(ready_any_db, unit, data, creds("lena"))
    assert verify_ledger(ready_any_db).ok
    with pytest.raises(DuplicateLoggerFile):
        import_condition(ready_any_db, unit, data, creds("lena"))
    times, temps = leg_samples(ready_any_db, r.seq)
    assert len(times) == 53 and set(temps) == {5.0}
