"""A real X desktop for the real app: Xvfb, openbox and xdotool, driven from outside.

pytest-qt drives widgets inside the test's own process, with Qt's synthetic key
events. `tests/ui/test_ui_xserver.py` drives the app as a workstation does:
`Xvfb` is the screen, `openbox` the window manager (focus and activation as on a
desktop), and `xdotool` types through the X server (XTEST) into whatever has the
focus, a person at 60 ms a key, a keyboard-wedge scanner at 4 ms a key. The tests
watch the windows only by their titles, read the app's own log for where each
scan went, and read the database through the services. Kept here so each test
stays a story of what a person and a scanner do.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import password

ROOT = Path(__file__).resolve().parents[1]
TOOLS = ("Xvfb", "openbox", "xdotool")
PERSON_MS = "60"  # a person's keys, or more apart
SCANNER_MS = "4"  # a wired wedge scanner types a character every few milliseconds

needs_x = pytest.mark.skipif(
    any(shutil.which(t) is None for t in TOOLS),
    reason="needs Xvfb, openbox and xdotool on PATH (apt-get install xvfb openbox xdotool)",
)


@dataclass
class Desktop:
    """A virtual X screen with a window manager, and the processes started on it."""

    display: str
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]]

    @property
    def home(self) -> Path:
        return Path(self.env["HOME"])

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

    def shown(self, pattern: str) -> bool:
        """Whether a visible window's title matches ``pattern`` now."""
        return bool(self.xdotool("search", "--onlyvisible", "--name", pattern).split())

    def wait_for(self, pattern: str, timeout: float = 20) -> tuple[str, str]:
        """(window id, title) of the first visible window whose title matches ``pattern``."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for wid in self.xdotool("search", "--onlyvisible", "--name", pattern).split():
                return wid, self.xdotool("getwindowname", wid)
            time.sleep(0.1)
        raise AssertionError(f"no window titled /{pattern}/; visible: {self.titles()}")

    def wait_gone(self, pattern: str, timeout: float = 10) -> None:
        deadline = time.monotonic() + timeout
        while self.shown(pattern) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not self.shown(pattern), f"still shown: /{pattern}/; visible: {self.titles()}"

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

    def scan(self, code: str, enters: int = 1) -> None:
        """A wedge scan: the code at scanner speed and its Enter (a carriage return, which
        `xdotool type` presses as Return; a newline it sends as Linefeed), in one run,
        with Shift pressed for each capital as a wedge does, and no process start-up
        between the last character and the Enter. ``enters=2`` is a scanner that ends
        each code with CR+LF: a second Return 4 ms after the first."""
        self.xdotool("type", "--delay", SCANNER_MS, code + "\r" * enters)

    def screenshot(self, path: Path) -> Path | None:
        """The whole screen as a PNG (ImageMagick's `import`), when it is installed."""
        if shutil.which("import") is None:
            return None
        subprocess.run(["import", "-window", "root", str(path)], env=self.env, check=False)
        return path


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


@contextmanager
def open_desktop(tmp_path: Path) -> Iterator[Desktop]:
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


def routed(home: Path) -> list[str]:
    """The scan router's decisions, from the app's own log (it logs where each scan went,
    never the code): the check that a code was taken for a scan, not typed and Entered."""
    lines = [
        line
        for log in home.rglob("cart-chain.log*")
        for line in log.read_text(errors="replace").splitlines()
    ]
    return [line.rsplit("scan routed: ", 1)[1] for line in lines if "scan routed: " in line]


def wait_routed(home: Path, count: int, timeout: float = 5) -> list[str]:
    deadline = time.monotonic() + timeout
    while len(routed(home)) < count and time.monotonic() < deadline:
        time.sleep(0.05)
    return routed(home)


def start_app(desktop: Desktop, db_path: Path, log: Path) -> subprocess.Popen[bytes]:
    """``python -m cart_chain.ui --db db_path`` on the desktop, its output to ``log``."""
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


def log_in(desktop: Desktop, username: str) -> tuple[str, str]:
    """A person logs in at the log-in window: (the case list's window id, its title)."""
    login, _ = desktop.wait_for("^Log in — cart-chain$")
    desktop.activate(login)
    desktop.person_types(username)
    desktop.key("Tab")
    desktop.person_types(password(username))
    desktop.key("Return")
    main, title = desktop.wait_for("^Cases — cart-chain ")
    desktop.activate(main)
    time.sleep(0.5)  # the list is read off the GUI thread
    return main, title


@contextmanager
def evidence_on_failure(desktop: Desktop, tmp_path: Path) -> Iterator[None]:
    """On a failure: the app's output and a screenshot of the screen, for the log."""
    try:
        yield
    except BaseException:
        print((tmp_path / "app.log").read_text(errors="replace"))
        shot = desktop.screenshot(tmp_path / "failed.png")
        if shot is not None:
            print(f"screen when it failed: {shot}")
        raise
