"""Deviations, QA review, patient readiness gates and overrides, through the services."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import pytest

from cart_chain.domain.errors import DeviationOpen, GateClosed, InvalidValue, PermissionDenied
from cart_chain.services.analytics import case_billing, metrics
from cart_chain.services.case_detail import show_case
from cart_chain.services.cases import new_case
from cart_chain.services.custody import record_event
from cart_chain.services.readiness import (
    bedside_check,
    override_gate,
    record_patient_event,
    review_deviation,
)
from cart_chain.services.verification import verify_ledger
from tests.helpers import (
    CONDITION,
    JOURNEY,
    TEMPERATURES,
    condition_for,
    creds,
    enrol,
    prepare_patient,
    unit_of,
    walk,
)

NOW = datetime.now(UTC)


def _to_thaw(db, product: str = "Kymriah", bags: int = 1) -> str:  # type: ignore[no-untyped-def]
    coi = new_case(db, creds("alice"), "Pat Example", "1970-01-01", "M-1", product, bags).subject
    for n in range(1, bags + 1):
        walk(db, unit_of(coi, n), 11)  # through thaw
    return coi


def _infuse(db, unit: str, **kw):  # type: ignore[no-untyped-def]
    return record_event(
        db,
        unit,
        "infusion",
        creds("ines"),
        creds("ivan"),
        temperature_c=22.0,
        **{"condition": CONDITION, **kw},
    )


def test_a_warm_storage_is_a_deviation_that_blocks_until_qa_accepts(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db)
    walk(ready_db, unit_of(coi), 7)  # through release
    r = record_event(ready_db, unit_of(coi), "storage", creds("leo"), temperature_c=-100.0)
    assert r.deviations and "warmer than -120 °C by 20 °C" in r.deviations[0]
    unit = show_case(ready_db, coi).units[0]
    assert unit.current_step == "storage"  # the step is recorded, not refused
    (dev,) = unit.deviations
    assert dev.open and dev.rule == "storage_temperature" and dev.actual == "-100 °C"
    with pytest.raises(DeviationOpen, match="QA must accept"):
        record_event(ready_db, unit_of(coi), "ship_to_site", creds("leo"), creds("cora"))
    with pytest.raises(PermissionDenied):
        review_deviation(ready_db, dev.seq, "accept", "ok", creds("lena"))
    review_deviation(ready_db, dev.seq, "quarantine", "awaiting data logger", creds("quinn"))
    with pytest.raises(DeviationOpen, match="in quarantine"):
        record_event(ready_db, unit_of(coi), "ship_to_site", creds("leo"), creds("cora"))
    review_deviation(
        ready_db, dev.seq, "accept", "logger shows -150 °C; probe fault", creds("quinn")
    )
    record_event(
        ready_db, unit_of(coi), "ship_to_site", creds("leo"), creds("cora"), temperature_c=-170.0
    )
    with pytest.raises(InvalidValue, match="already accepted"):
        review_deviation(ready_db, dev.seq, "reject", "x", creds("quinn"))
    assert verify_ledger(ready_db).ok


def test_a_rejected_unit_never_goes_on(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = enrol(ready_db)
    walk(ready_db, unit_of(coi), 5)
    r = record_event(ready_db, unit_of(coi), "cryopreservation", creds("leo"), temperature_c=-20.0)
    seq = show_case(ready_db, coi).units[0].deviations[0].seq
    assert r.deviations
    review_deviation(ready_db, seq, "reject", "product compromised", creds("quinn"))
    with pytest.raises(DeviationOpen, match="rejected by QA"):
        record_event(ready_db, unit_of(coi), "release", creds("quinn"), creds("lena"))


def test_fresh_apheresis_received_late_opens_a_deviation(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = new_case(ready_db, creds("alice"), "P", "1970-01-01", "M", "Abecma").subject
    collected = NOW - timedelta(hours=50)
    record_event(
        ready_db,
        unit_of(coi),
        "collection",
        creds("alice"),
        creds("anna"),
        occurred_at=collected,
        temperature_c=22,
    )
    record_event(
        ready_db,
        unit_of(coi),
        "ship_to_manufacturing",
        creds("alice"),
        creds("carl"),
        occurred_at=collected + timedelta(hours=1),
        temperature_c=4,
    )
    (window,) = show_case(ready_db, coi).units[0].windows
    assert window.name == "fresh transit" and window.overdue
    r = record_event(
        ready_db,
        unit_of(coi),
        "receipt_at_manufacturing",
        creds("carl"),
        creds("lena"),
        occurred_at=collected + timedelta(hours=48, minutes=1),
        temperature_c=5,
        condition=CONDITION,
    )
    assert [d.split(",")[0] for d in r.deviations] == [
        "fresh apheresis received 48 h 01 min after collection"
    ]


def test_infusion_waits_for_every_gate(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = _to_thaw(ready_db)
    unit = unit_of(coi)
    with pytest.raises(GateClosed) as info:
        _infuse(ready_db, unit)
    assert "lymphodepletion: lymphodepleting chemotherapy has no recorded end" in str(info.value)
    assert "bedside_check: no bedside identity check" in str(info.value)
    record_patient_event(
        ready_db,
        coi,
        "lymphodepletion_start",
        creds("ines"),
        occurred_at=NOW - timedelta(days=5),
        detail="Flu/Cy",
    )
    with pytest.raises(InvalidValue, match="cannot be before its start"):
        record_patient_event(
            ready_db, coi, "lymphodepletion_end", creds("ines"), occurred_at=NOW - timedelta(days=6)
        )
    record_patient_event(
        ready_db, coi, "lymphodepletion_end", creds("ines"), occurred_at=NOW - timedelta(days=1)
    )  # too recent: >= 2 days needed
    result = bedside_check(
        ready_db, unit, "PAT  example", "1970-01-01", creds("ines"), creds("ivan")
    )
    assert result.passed
    with pytest.raises(GateClosed) as info:
        _infuse(ready_db, unit)
    assert "at least 2 days are required" in str(info.value)
    assert "bedside" not in str(info.value)
    override_gate(
        ready_db, unit, "lymphodepletion", "oncologist's documented decision", creds("quinn")
    )
    _infuse(ready_db, unit)
    detail = show_case(ready_db, coi)
    assert detail.units[0].current_step == "infusion"
    assert [(o.gate, o.reason) for o in detail.overrides] == [
        ("lymphodepletion", "oncologist's documented decision")
    ]


def test_a_failed_bedside_check_is_recorded_and_keeps_the_gate_closed(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = _to_thaw(ready_db)
    prepare_patient(ready_db, unit_of(coi))  # passes first...
    result = bedside_check(
        ready_db, unit_of(coi), "Someone Else", "1970-01-01", creds("ines"), creds("ivan")
    )  # ...then a later check fails
    assert not result.passed and result.mismatches == ("name",)
    with pytest.raises(GateClosed, match="the bedside identity check failed"):
        _infuse(ready_db, unit_of(coi))
    events = show_case(ready_db, coi).patient_events
    assert events[-1].detail == "mismatch: name" and len(events[-1].signatures) == 2


def test_the_bedside_name_check_ignores_case_accents_and_spacing_only(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = new_case(ready_db, creds("alice"), "Zoë  Müller", "1970-01-01", "M-2", "Kymriah").subject
    walk(ready_db, unit_of(coi), 11)  # through thaw
    typed = bedside_check(
        ready_db, unit_of(coi), "zoe muller", "1970-01-01", creds("ines"), creds("ivan")
    )
    assert typed.passed and typed.mismatches == ()
    other = bedside_check(
        ready_db, unit_of(coi), "Zoe Miller", "1970-01-01", creds("ines"), creds("ivan")
    )
    assert not other.passed and other.mismatches == ("name",)
    both = bedside_check(
        ready_db, unit_of(coi), "Zoe Mueller", "1970-01-02", creds("ines"), creds("ivan")
    )
    assert both.mismatches == ("name", "date of birth")
    events = show_case(ready_db, coi).patient_events
    assert [e.detail for e in events[-3:]] == [
        "pass",
        "mismatch: name",
        "mismatch: name, date of birth",
    ]


def test_post_thaw_window_expired_refuses_infusion(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = new_case(ready_db, creds("alice"), "P", "1970-01-01", "M", "Kymriah").subject
    unit = unit_of(coi)
    start = NOW - timedelta(days=20)
    for i, (step, by, to) in enumerate(JOURNEY[:10]):
        record_event(
            ready_db,
            unit,
            step,
            creds(by),
            creds(to) if to else None,
            temperature_c=TEMPERATURES[step],
            occurred_at=start + timedelta(days=i),
            condition=condition_for(step),
        )
    thawed = NOW - timedelta(minutes=45)
    record_event(
        ready_db,
        unit,
        "thaw",
        creds("ines"),
        creds("ivan"),
        temperature_c=37.0,
        occurred_at=thawed,
        started_at=thawed - timedelta(minutes=20),
        condition=CONDITION,
    )
    prepare_patient(ready_db, unit)
    (window,) = show_case(ready_db, coi).units[0].windows
    assert window.name == "post-thaw" and window.overdue
    with pytest.raises(GateClosed, match="post_thaw_window"):
        _infuse(ready_db, unit, started_at=NOW - timedelta(minutes=14), occurred_at=NOW)
    # Kymriah's 30 min run from the end of thaw to the END of infusion (issue 12): an
    # infusion that starts in time but ends a minute late is refused, one inside is allowed
    with pytest.raises(GateClosed, match="infusion end 0 h 31 min after thaw end"):
        _infuse(
            ready_db,
            unit,
            started_at=thawed + timedelta(minutes=5),
            occurred_at=thawed + timedelta(minutes=31),
        )
    _infuse(
        ready_db,
        unit,
        started_at=thawed + timedelta(minutes=5),
        occurred_at=thawed + timedelta(minutes=29),
    )


def test_billing_and_metrics_from_the_custody_events(ready_db) -> None:  # type: ignore[no-untyped-def]
    coi = _to_thaw(ready_db, bags=2)
    prepare_patient(ready_db, unit_of(coi, 1))
    prepare_patient(ready_db, unit_of(coi, 2))
    _infuse(ready_db, unit_of(coi, 1))
    _infuse(ready_db, unit_of(coi, 2))
    codes = [(b.code, b.units, b.events) for b in case_billing(ready_db, coi)]
    assert ("38228", 1, 2) in codes  # two bags, one administration that day
    assert ("38225", 1, 2) in codes
    figures = metrics(ready_db)
    assert figures["all"]["cases"] == 1
    assert figures["all"]["vein_to_vein_hours"]["n"] == 1
    assert figures["all"]["transport_hours"]["to_site"]["n"] == 2


def test_cli_for_readiness_billing_and_metrics(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = tmp_path / "demo.sqlite3"

    def run(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cart_chain", "--db", str(db), *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=120,
        )

    assert run("demo").returncode == 0
    cases = json.loads(run("case", "list", "--json").stdout)
    yescarta = next(c for c in cases if c["product"].startswith("Yescarta"))
    unit = yescarta["unit_steps"][0][0]
    out = run(
        "patient",
        "check",
        unit,
        "--name",
        "Wrong Person",
        "--dob",
        "1975-09-30",
        "--by",
        "ines",
        "--witness",
        "ivan",
        stdin="demo-ines-2026\ndemo-ivan-2026\n",
    )
    assert out.returncode == 1 and "STOP - bedside check FAILED" in out.stderr
    assert "name does not match this bag's patient" in out.stderr  # says which field
    billed = run("billing", yescarta["coi"], "--json")
    billing = json.loads(billed.stdout)
    assert [b["code"] for b in billing] == ["38225", "38226"]
    note = "Medicare reports the pre-infusion codes (38225, 38226, 38227) for tracking only"
    assert note in billed.stderr and "ICD-10-PCS" in billed.stderr
    assert "38225" in run("billing", yescarta["coi"], "--csv").stdout.splitlines()[1]
    text = run("billing", yescarta["coi"]).stdout.splitlines()
    assert "CPT 38226 x1" in text[1] and text[-1].startswith(f"Note: {note}")
    figures = json.loads(run("metrics", "--json").stdout)
    assert figures["all"]["cases"] == len(cases)
    shown = run("case", "show", yescarta["coi"]).stdout
    assert "profile yescarta v2" in shown and "bedside_check" in shown
    assert "Unconfirmed handling values: storage_max_c" in shown
    assert "kymriah" in run("profile", "list").stdout
