"""Scanning: every refusal is distinct, nothing is written, and no near miss ever matches."""

from __future__ import annotations

import io
import json
import random
import string
import sys
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select

from cart_chain.cli.main import main
from cart_chain.domain.errors import (
    AuthenticationError,
    CartChainError,
    CheckFailed,
    InvalidValue,
    MalformedScan,
    NotFound,
    StepNotAllowed,
    UnknownLabel,
    UnknownUnit,
    VoidedLabel,
    WrongPatient,
)
from cart_chain.domain.identifiers import ALPHABET, mod37_2, parse_coi
from cart_chain.domain.labelcode import PAYLOAD_LENGTH
from cart_chain.labels.printing import print_label
from cart_chain.services.scanning import record_refused_scan, refusal_code, scan
from cart_chain.services.verification import verify_ledger
from cart_chain.store.database import Database
from cart_chain.store.ledger import get_entry
from cart_chain.store.models import LedgerEntry
from tests.helpers import creds, enrol, unit_of, walk

REFUSALS = (MalformedScan, CheckFailed, UnknownUnit, UnknownLabel, WrongPatient, VoidedLabel)


@dataclass
class World:
    db: Database
    coi_a: str
    coi_b: str
    unit_a: str
    unit_b: str
    label_a: str  # live bag label of unit_a
    old_label_a: str  # voided by the reprint
    labels_b: list[str]


@pytest.fixture
def world(ready_db: Database) -> World:
    db = ready_db
    coi_a = enrol(db, "Anna Alpha", bags=2)
    coi_b = enrol(db, "Bert Beta", bags=3)
    unit_a, unit_b = unit_of(coi_a, 1), unit_of(coi_b, 1)
    walk(db, unit_a, 1)
    old = print_label(db, unit_a, "bag", creds("alice")).payload
    live = print_label(db, unit_a, "bag", creds("anna"), reason="smudged").payload
    labels_b = [
        print_label(db, unit_of(coi_b, n), kind, creds("alice")).payload
        for n in (1, 2, 3)
        for kind in ("bag", "tube")
    ]
    return World(db, coi_a, coi_b, unit_a, unit_b, live, old, labels_b)


def _count(db: Database) -> int:
    return db.read(lambda s: s.execute(select(func.count()).select_from(LedgerEntry)).scalar_one())


def _refused(db: Database, text: str, **kw: str) -> CartChainError:
    before = _count(db)
    with pytest.raises(CartChainError) as info:
        scan(db, text, **kw)
    assert _count(db) == before, "a refused scan must write nothing"
    return info.value


def test_a_good_scan_resolves_unit_step_custodian_and_next_steps(world: World) -> None:
    r = scan(world.db, world.label_a, expect=world.coi_a, step="ship_to_manufacturing")
    assert r.scanned == "label" and r.coi == world.coi_a
    assert r.unit is not None and r.unit.unit == world.unit_a
    assert r.unit.current_step == "collection" and r.unit.custodian == "alice"
    assert r.unit.next_steps == ("ship_to_manufacturing",)
    assert r.label is not None and r.label.kind == "bag" and r.step == "ship_to_manufacturing"
    typed = scan(world.db, parse_coi(world.coi_a).unit(1).grouped())  # typed with groups
    assert typed.scanned == "unit" and typed.unit is not None and typed.unit.unit == world.unit_a
    case = scan(world.db, f"]C0&/{world.coi_a[:15]}")  # ISBT 128 DS 040 read from Code 128
    assert case.scanned == "coi" and case.unit is None and len(case.units) == 2
    assert scan(world.db, f"&/{world.coi_a}").coi == world.coi_a  # typed, with its check


def test_each_refusal_has_its_own_type_and_message(world: World) -> None:
    db = world.db
    cases = {
        MalformedScan: "not a code",
        CheckFailed: world.label_a[:-1] + ("0" if world.label_a[-1] != "0" else "1"),
        UnknownUnit: parse_coi(world.coi_a).unit(7).full,
        WrongPatient: world.labels_b[0],
        VoidedLabel: world.old_label_a,
    }
    messages = set()
    for cls, text in cases.items():
        expect = world.coi_a if cls is WrongPatient else None
        exc = _refused(db, text, **({"expect": expect} if expect else {}))
        assert type(exc) is cls, (cls, exc)
        messages.add(str(exc))
    forged = world.label_a[:21] + "ZZZ"
    exc = _refused(db, forged + mod37_2(forged))
    assert type(exc) is UnknownLabel
    exc = _refused(db, world.label_a, step="infusion")
    assert type(exc) is StepNotAllowed and "ship_to_manufacturing" in str(exc)
    assert len(messages) == len(cases)
    codes = {refusal_code(c("x")) for c in (*REFUSALS, StepNotAllowed)}
    assert len(codes) == len(REFUSALS) + 1 and None not in codes


def test_wrong_patient_is_loud_names_both_cois_and_no_patient(world: World) -> None:
    exc = _refused(world.db, world.labels_b[2], expect=world.coi_a)
    msg = str(exc)
    assert isinstance(exc, WrongPatient) and "WRONG PATIENT" in msg
    assert parse_coi(world.coi_a).grouped() in msg and parse_coi(world.coi_b).grouped() in msg
    assert "Anna" not in msg and "Bert" not in msg and "MRN" not in msg
    # wrong patient wins over every later check, even for a unit this database lacks
    stranger = parse_coi(world.coi_b).unit(42).full
    assert isinstance(_refused(world.db, stranger, expect=world.coi_a), WrongPatient)


def test_keyboard_wedge_noise_around_a_scan_still_matches_exactly(world: World) -> None:
    for noisy in (
        f"{world.label_a}\r\n",
        f"{world.label_a}\n\n",
        f"  {world.label_a}\t",
        f"\n{world.label_a.lower()}\n",
    ):
        r = scan(world.db, noisy, expect=world.coi_a)
        assert r.unit is not None and r.unit.unit == world.unit_a
    for broken in (
        world.label_a + "\n" + world.label_a,  # two scans in one read
        world.label_a + world.label_a,
        world.label_a[1:],  # lost first character
        world.label_a[3:],  # lost prefix
        world.label_a[:-1],  # lost last character
        "\n\n",
    ):
        assert isinstance(_refused(world.db, broken), MalformedScan), broken


def test_no_single_character_error_or_swap_ever_matches(world: World) -> None:
    """Every substitution at every position and every neighbour swap is refused."""
    db = world.db
    for payload in (world.label_a, *world.labels_b[:2]):
        assert len(payload) == PAYLOAD_LENGTH
        for i in range(PAYLOAD_LENGTH):
            for ch in ALPHABET[:36]:
                if ch == payload[i]:
                    continue
                near = payload[:i] + ch + payload[i + 1 :]
                exc = _refused(db, near)
                expected = MalformedScan if i < 3 else CheckFailed
                assert type(exc) is expected, (near, exc)
        for i in range(PAYLOAD_LENGTH - 1):
            if payload[i] == payload[i + 1]:
                continue
            swapped = payload[:i] + payload[i + 1] + payload[i] + payload[i + 2 :]
            assert type(_refused(db, swapped)) in (MalformedScan, CheckFailed)


def test_truncated_scans_never_resolve_to_another_unit(world: World) -> None:
    db = world.db
    p = world.label_a
    for a in range(len(p)):
        for b in range(a + 1, len(p) + 1):
            if (a, b) == (0, len(p)):
                continue
            try:
                r = scan(db, p[a:b])
            except CartChainError as exc:
                assert refusal_code(exc) is not None, (p[a:b], exc)
                continue
            # Only a typed unit id can survive (the body plus a lucky check): same bag.
            assert r.unit is not None and r.unit.unit == world.unit_a, p[a:b]


def test_fuzzed_input_never_crashes_never_writes_and_is_refused(world: World) -> None:
    db = world.db
    rng = random.Random("cart-chain scan fuzz")
    before = _count(db)
    pool = string.ascii_letters + string.digits + string.punctuation + " \t\r\n\x00\x1bÄ€山"
    samples = ["".join(rng.choices(pool, k=rng.randint(0, 60))) for _ in range(400)]
    samples += ["CC1" + "".join(rng.choices(ALPHABET[:36], k=22)) for _ in range(200)]
    samples += ["CH" + "".join(rng.choices(ALPHABET[:36], k=17)) for _ in range(200)]
    for text in samples:
        with pytest.raises(CartChainError) as info:
            scan(db, text, expect=world.coi_a)
        assert refusal_code(info.value) is not None, (text, info.value)
    assert _count(db) == before


def test_other_patients_labels_are_refused_against_the_expected_case(world: World) -> None:
    for payload in world.labels_b:
        exc = _refused(world.db, payload, expect=world.coi_a, step="ship_to_manufacturing")
        assert type(exc) is WrongPatient
        assert scan(world.db, payload, expect=world.coi_b).coi == world.coi_b


def test_a_coi_names_the_case_and_a_step_needs_the_bag(world: World) -> None:
    with pytest.raises(MalformedScan, match="scan the bag"):
        scan(world.db, world.coi_b, step="collection")
    with pytest.raises(InvalidValue, match="expected COI"):
        scan(world.db, world.label_a, expect="CHA999926000001Q")
    r = scan(world.db, world.coi_a)
    assert r.scanned == "coi" and [u.number for u in r.units] == [1, 2]


def test_record_refused_scan_appends_an_attributed_entry(world: World) -> None:
    db = world.db
    receipt = record_refused_scan(
        db, creds("ines"), world.coi_a, world.labels_b[0] + "\n", "wrong_patient"
    )
    entry = db.read(lambda s: get_entry(s, receipt.seq))
    assert entry is not None and entry.kind == "scan_refused" and entry.actor == "ines"
    assert entry.payload["expected_coi"] == world.coi_a
    assert entry.payload["scanned_coi"] == world.coi_b
    assert entry.payload["reason"] == "wrong_patient"
    assert entry.payload["scanned"] == world.labels_b[0] + "\\x0a"
    by_name = record_refused_scan(db, "ivan", None, "garbage", "malformed")
    assert db.read(lambda s: get_entry(s, by_name.seq)).actor == "ivan"  # type: ignore[union-attr]
    with pytest.raises(AuthenticationError):
        record_refused_scan(db, type(creds("ines"))("ines", "wrong"), None, "x", "malformed")
    with pytest.raises(NotFound):
        record_refused_scan(db, "nobody", None, "x", "malformed")
    with pytest.raises(InvalidValue):
        record_refused_scan(db, "ivan", None, "x", " ")
    assert verify_ledger(db).ok


# -- CLI --------------------------------------------------------------------------------


def _run(db: Database, args: list[str], stdin: str, monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(["--db", db.url, *args])


def test_cli_scan_refusals_exit_1_with_one_line_and_json_codes(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = world.db
    before = _count(db)
    for args, code in (
        (["hello"], "malformed"),
        ([world.label_a[:-1] + ("0" if world.label_a[-1] != "0" else "1")], "check_failed"),
        ([parse_coi(world.coi_a).unit(9).full], "unknown_unit"),
        ([world.labels_b[1], "--expect", world.coi_a], "wrong_patient"),
        ([world.label_a, "--step", "thaw"], "step_not_allowed"),
        ([world.old_label_a], "voided_label"),
    ):
        assert _run(db, ["scan", *args], "", monkeypatch) == 1
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("cart-chain: ")
        assert _run(db, ["scan", *args, "--json"], "", monkeypatch) == 1
        out = json.loads(capsys.readouterr().out)
        assert out == {"ok": False, "refusal": code, "message": out["message"]}
    assert _count(db) == before


def test_cli_scan_reads_a_wedge_scan_from_stdin(
    world: World, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = _run(
        world.db,
        ["scan", "--expect", world.coi_a, "--json"],
        f"\n\n{world.label_a}\n\n",
        monkeypatch,
    )
    assert rc == 0
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] and out["unit"]["unit"] == world.unit_a and out["label"]["serial"] == 2
    rc = _run(world.db, ["scan", world.label_a, "--step", "ship_to_manufacturing"], "", monkeypatch)
    text = capsys.readouterr().out
    assert rc == 0 and "OK  unit" in text and "Anna Alpha" in text
    assert "Checked   ship_to_manufacturing is allowed next" in text
