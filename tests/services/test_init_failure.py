"""A failed init or demo leaves no database file behind; a full disk names the path."""

from __future__ import annotations

import os
from pathlib import Path

from tests.cli.helpers import ok, one_line_error, run


def _left(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.iterdir() if p.name.startswith(path.name))


def test_init_refused_by_the_password_policy_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "new" / "records.sqlite3"
    line = one_line_error(
        run(path, "init", "--admin", "root", "--name", "Rita Root", stdin="short\n"), 1
    )
    assert "password" in line
    assert not path.exists() and not path.parent.exists()


def test_init_refused_for_a_bad_name_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite3"
    result = run(path, "init", "--admin", "root", "--name", "Rita\x1bRoot", stdin="root-secret-1\n")
    assert "full name contains U+001B" in one_line_error(result, 1)
    assert _left(path) == []


def test_a_refused_init_keeps_a_database_that_was_there(tmp_path: Path) -> None:
    path = tmp_path / "records.sqlite3"
    ok(run(path, "init", "--admin", "root", "--name", "Rita Root", stdin="root-secret-1\n"))
    before = path.read_bytes()
    again = run(path, "init", "--admin", "rita", "--name", "Rita Two", stdin="rita-secret-1\n")
    assert "already initialised" in one_line_error(again, 1)
    assert path.read_bytes() == before
    assert "ledger intact" in ok(run(path, "verify"))


def test_demo_on_a_full_disk_names_the_path_and_leaves_no_file(media: Path) -> None:
    fd = os.open(media / "filler", os.O_WRONLY | os.O_CREAT)
    try:
        os.write(fd, b"\0" * (8 * 1024 * 1024 - 96 * 1024))  # leave a few pages of room
    except OSError:
        pass
    finally:
        os.close(fd)
    path = media / "demo.sqlite3"
    line = one_line_error(run(path, "demo"), 3)
    assert str(path) in line and ("full" in line or "I/O" in line)
    assert _left(path) == []
