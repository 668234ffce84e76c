"""The pieces of a witness on their own: the append-only folder, the cosignature format
and the witness list setting (no database)."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from cart_chain.domain import cosignature, witnesses
from cart_chain.domain.errors import EnvironmentProblem, InvalidValue, WitnessRefused
from cart_chain.domain.merkle import TreeHead
from cart_chain.domain.signed_note import sign, verifier_key
from cart_chain.services import witness_folder

ORIGIN = "cart-chain.A9999.0badc0de"


def note(size: int, fill: int = 1, key: Ed25519PrivateKey | None = None) -> str:
    return sign(ORIGIN, TreeHead(size, bytes([fill]) * 32), key or Ed25519PrivateKey.generate())[0]


def test_folder_is_append_only_and_refuses_rollbacks_and_forks(tmp_path: Path) -> None:
    assert witness_folder.latest(tmp_path, ORIGIN) is None
    first, second = note(5), note(9)
    assert witness_folder.append(tmp_path, ORIGIN, 5, first)
    assert witness_folder.append(tmp_path, ORIGIN, 9, second)
    assert not witness_folder.append(tmp_path, ORIGIN, 9, second)  # already there
    with pytest.raises(WitnessRefused, match="rollback"):
        witness_folder.append(tmp_path, ORIGIN, 7, note(7))
    with pytest.raises(WitnessRefused, match="another checkpoint of 9"):
        witness_folder.append(tmp_path, ORIGIN, 9, note(9, fill=2))
    held = witness_folder.latest(tmp_path, ORIGIN)
    assert held == witness_folder.Held(9, second)
    where = tmp_path / ORIGIN
    assert sorted(p.name for p in where.iterdir()) == [
        f"{5:020d}.checkpoint",
        f"{9:020d}.checkpoint",
        "checkpoints.log",
    ]
    assert len((where / "checkpoints.log").read_text().splitlines()) == 2
    assert (where / f"{5:020d}.checkpoint").read_text() == first
    assert os.stat(where / f"{5:020d}.checkpoint").st_mode & 0o222 == 0
    with pytest.raises(EnvironmentProblem, match="not reachable"):
        witness_folder.latest(tmp_path / "unplugged", ORIGIN)


def test_cosignature_round_trip_and_refusals() -> None:
    key = Ed25519PrivateKey.generate()
    public = key.public_key().public_bytes_raw()
    name = "cart-chain.B1234.feedface"
    vkey = cosignature.cosigner_vkey(name, public)
    assert cosignature.parse_cosigner_vkey(vkey) == (name, public)
    text = note(3)
    line = cosignature.cosign(text, name, key, 1_700_000_000)
    cosigned = cosignature.add_cosignature(text, line)
    assert cosignature.add_cosignature(cosigned, line) == cosigned
    assert cosignature.open_cosignature(cosigned, name, public) == 1_700_000_000
    raw = base64.b64decode(line.split(" ")[2])
    assert len(raw) == 4 + 8 + 64 and raw[4:12] == (1_700_000_000).to_bytes(8, "big")
    altered = cosigned.replace("\n3\n", "\n4\n", 1)
    with pytest.raises(InvalidValue, match="does not verify"):
        cosignature.open_cosignature(altered, name, public)
    with pytest.raises(InvalidValue, match="no cosignature"):
        cosignature.open_cosignature(text, name, public)
    with pytest.raises(InvalidValue, match="not a cosignature/v1"):  # a log key (type 0x01)
        cosignature.parse_cosigner_vkey(verifier_key(name, public))


def test_witness_setting_is_validated() -> None:
    vkey = cosignature.cosigner_vkey("w.example", b"\x02" * 32)
    value = witnesses.validate(
        json.dumps(
            [
                {"kind": "folder", "path": "/media/usb"},
                {"kind": "site", "url": "x.db", "vkey": vkey},
            ]
        )
    )
    parsed = witnesses.parse(value)
    assert [w.kind for w in parsed] == ["folder", "site"] and parsed[1].number == 2
    for bad, why in (
        ("{}", "JSON list"),
        ("not json", "JSON list"),
        ('[{"kind": "cloud"}]', "not a folder or site"),
        ('[{"kind": "folder"}]', "needs 'path'"),
        ('[{"kind": "site", "url": "x", "vkey": "nope"}]', "not a cosigner"),
        ('[{"kind": "folder", "path": "/a"}, {"kind": "folder", "path": "/a"}]', "twice"),
    ):
        with pytest.raises(InvalidValue, match=why):
            witnesses.validate(bad)
