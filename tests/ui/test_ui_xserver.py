"""The real app under a real X server: a person logs in, a wedge scanner scans a bag.

pytest-qt drives widgets inside the test's own process, with Qt's synthetic key
events. This test drives the app as a workstation does: `Xvfb` is the screen,
`openbox` the window manager (focus and activation as on a desktop), and
`xdotool` types through the X server (XTEST) into whatever has the focus, a person
at 60 ms a key, a keyboard-wedge scanner at 4 ms a key. It watches the windows
only from outside, by their titles, and reads the database through the services.

Runs only where Xvfb, openbox and xdotool are installed (`.ci/run` installs them).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from cart_chain.domain.identifiers import parse_coi
from cart_chain.labels.printing import print_label
from cart_chain.services.accounts import current_user
from cart_chain.services.case_detail import show_case
from cart_chain.store.database import Database
from tests.conftest import creds, enrol, password, unit_of, walk

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ("Xvfb", "openbox", "xdotool")
PERSON_MS = "60"  # a person's keys, or more apart
SCANNER_MS = "4"  # a wired wedge scanner types a character every few milliseconds

pytestmark = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS),
    reason="needs Xvfb, openbox and xdotool on PATH (apt-get install xvfb openbox xdotool)",
)


@dataclass
class Desktop:
    """A virtual X screen with a window manager, and the processes started on it."""

    display: str
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]]

    def xdotool(self, *args: str, timeout: float = 15) -> str:
        out = subprocess.run(
            ["xdotool", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return out.stdout.strip()

    def titles(self) -> list[str]:
        """The titles of the visible top-level windows that have one."""
        ids = self.xdotool("search", "--onlyvisible", "--name", ".").split()
        return [t for t in (self.xdotool("getwindowname", i) for i in ids) if t]

    def wait_for(self, pattern: str, timeout: float = 20) -> tuple[str, str]:
        """(window id, title) of the first visible window whose title matches ``pattern``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for wid in self.xdotool("search", "--onlyvisible", "--name", pattern).split():
                return wid, self.xdotool("getwindowname", wid)
            time.sleep(0.1)
        raise AssertionError(f"no window titled /{pattern}/; visible: {self.titles()}")

    def activate(self, wid: str) -> None:
        """Raise and focus the window, through the window manager, as a click would."""
        self.xdotool("windowactivate", "--sync", wid)
        deadline = time.monotonic() + 5
        while self.xdotool("getactivewindow") != wid and time.monotonic() < deadline:
            time.sleep(0.05)

    def person_types(self, text: str) -> None:
        self.xdotool("type", "--delay", PERSON_MS, text)

    def key(self, *keys: str) -> None:
        self.xdotool("key", *keys)

    def scan(self, code: str) -> None:
        """A wedge scan: the code at scanner speed and its Enter (a carriage return, which
        `xdotool type` presses as Return; a newline it sends as Linefeed), in one run,
        with Shift pressed for each capital as a wedge does, and no process start-up
        between the last character and the Enter."""
        self.xdotool("type", "--delay", SCANNER_MS, code + "\r")


def _start_x(env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """Xvfb on a free display: it writes the display number it took to a pipe."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
        pass_fds=(write,),
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write)
    number = b""
    deadline = time.monotonic() + 10
    while not number.endswith(b"\n") and time.monotonic() < deadline:
        chunk = os.read(read, 16)
        if not chunk:
            break
        number += chunk
    os.close(read)
    if not number.strip().isdigit():
        xvfb.kill()
        raise AssertionError("Xvfb did not start")
    return xvfb, f":{number.decode().strip()}"


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for p in reversed(processes):  # the app first, the X server last
        if p.poll() is None:
            p.terminate()
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(timeout=5)


@pytest.fixture
def desktop(tmp_path: Path) -> Iterator[Desktop]:
    """Xvfb and openbox, with a home and XDG folders of their own under ``tmp_path``
    (no user setting is read or written), stopped at the end whatever happened."""
    home = tmp_path / "home"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_DATA_HOME": str(home / ".local" / "share"),
        "XDG_STATE_HOME": str(home / ".local" / "state"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_RUNTIME_DIR": str(tmp_path / "runtime"),
        "LANG": "C.UTF-8",
    }
    for folder in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        Path(env[folder]).mkdir(parents=True)
    Path(env["XDG_RUNTIME_DIR"]).mkdir(mode=0o700)
    processes: list[subprocess.Popen[bytes]] = []
    try:
        xvfb, display = _start_x(env)
        processes.append(xvfb)
        env["DISPLAY"] = display
        wm = subprocess.Popen(
            ["openbox"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
        )
        processes.append(wm)
        yield Desktop(display, env, processes)
    finally:
        _stop(processes)


def _routed(home: Path) -> list[str]:
    """The scan router's decisions, from the app's own log (it logs where each scan went,
    never the code): the check that a code was taken for a scan, not typed and Entered."""
    lines = [
        line
        for log in home.rglob("cart-chain.log*")
        for line in log.read_text(errors="replace").splitlines()
    ]
    return [line.rsplit("scan routed: ", 1)[1] for line in lines if "scan routed: " in line]


def _wait_routed(home: Path, count: int, timeout: float = 5) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(_routed(home)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return _routed(home)


def _start_app(desktop: Desktop, db_path: Path, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **desktop.env,
        "QT_QPA_PLATFORM": "xcb",
        "PYTHONPATH": str(ROOT),
        "CART_CHAIN_DB": "",  # only --db says where the database is
    }
    with log.open("wb") as out:
        app = subprocess.Popen(
            [sys.executable, "-m", "cart_chain.ui", "--db", str(db_path)],
            env=env,
            cwd=str(ROOT),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    desktop.processes.append(app)
    return app


def test_a_wedge_scan_on_the_case_list_opens_the_scanned_bags_case_and_the_lock_screen_refuses_one(
    desktop: Desktop, ready_db: Database, tmp_path: Path
) -> None:
    target = enrol(ready_db, "Alma Target")
    walk(ready_db, unit_of(target), 3)
    bag = print_label(ready_db, unit_of(target), "bag", creds("lena"))
    from cart_chain.domain.identifiers import parse_unit
    from cart_chain.domain.labelcode import LabelCode

    payload = LabelCode(parse_unit(unit_of(target)), bag.serial).payload
    other = enrol(ready_db, "Bruno Selected")  # newest: the first row of the list
    walk(ready_db, unit_of(other), 3)
    target_grouped = show_case(ready_db, target).grouped
    assert target_grouped == parse_coi(target).grouped()
    db_path = ready_db.path
    assert db_path is not None
    ready_db.dispose()  # the app opens it; this process reads it again at the end

    app = _start_app(desktop, db_path, tmp_path / "app.log")
    home = Path(desktop.env["HOME"])
    try:
        login, _ = desktop.wait_for("^Log in — cart-chain$")
        desktop.activate(login)
        desktop.person_types("lena")
        desktop.key("Tab")
        desktop.person_types(password("lena"))
        desktop.key("Return")
        main, title = desktop.wait_for("^Cases — cart-chain ")
        assert "Lena" in title
        desktop.activate(main)
        # A person moves from the search field into the list: the newest case's row,
        # another patient's, is selected. Then the scanner reads Alma Target's bag label.
        time.sleep(0.5)
        desktop.key("Down")
        time.sleep(0.3)
        desktop.scan(payload)
        _, title = desktop.wait_for("^Case .*Alma Target", timeout=10)
        # Routed as a scan (a table's type-ahead plus Enter could land on the row too).
        assert _wait_routed(home, 1) == ["scan_check"]
        assert target_grouped in title  # the scanned bag's case
        assert "Bruno Selected" not in title

        # Lock (Ctrl+L); a bag scanned at the lock screen is refused, never tried.
        desktop.key("ctrl+l")
        lock, _ = desktop.wait_for("^Locked — cart-chain$")
        desktop.activate(lock)
        time.sleep(0.3)
        desktop.scan(unit_of(target))
        assert _wait_routed(home, 2) == ["scan_check", "refuse_secret"]
        time.sleep(0.5)
        assert any(t == "Locked — cart-chain" for t in desktop.titles())  # still locked
        check = Database(str(db_path))
        try:
            assert current_user(check, "lena").failures == 0  # type: ignore[union-attr]
            # The control: a wrong password a person types there is a failed attempt.
            desktop.person_types("not-her-password")
            desktop.key("Return")
            deadline = time.monotonic() + 10
            while current_user(check, "lena").failures == 0 and time.monotonic() < deadline:  # type: ignore[union-attr]
                time.sleep(0.1)
            assert current_user(check, "lena").failures == 1  # type: ignore[union-attr]
        finally:
            check.dispose()
        assert app.poll() is None, (tmp_path / "app.log").read_text(errors="replace")
    except BaseException:
        print((tmp_path / "app.log").read_text(errors="replace"))
        if shutil.which("import"):  # ImageMagick: what the screen showed, for the log
            shot = tmp_path / "failed.png"
            subprocess.run(["import", "-window", "root", str(shot)], env=desktop.env, check=False)
            print(f"screen when it failed: {shot}")
        raise
