#!/usr/bin/env python3
"""Developer entry point that works on a fresh machine with only Python 3.11+.

    python3 dev.py app [ARGS...]   start the desktop app (embedded SQLite by default)
    python3 dev.py test [PYTEST ARGS...]   run the whole test suite, one worker per CPU
    python3 dev.py cli ARGS...     run the cart-chain command line

It creates ``.venv`` beside this file, installs cart-chain with its test tools
into it (again only when pyproject.toml changes), and on Debian/Ubuntu installs
the system libraries Qt needs when they are missing and it may (as root).
Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".cart-chain-installed"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")

#: Debian packages Qt's offscreen and xcb platforms load at run time.
QT_SYSTEM_PACKAGES = [
    "libegl1",
    "libgl1",
    "libglib2.0-0",
    "libfontconfig1",
    "libfreetype6",
    "libdbus-1-3",
    "libxkbcommon0",
    "libxkbcommon-x11-0",
    "libxcb-cursor0",
    "libxcb-icccm4",
    "libxcb-keysyms1",
    "libxcb-image0",
    "libxcb-render-util0",
    "libxcb-xinerama0",
    "libxcb-randr0",
    "libxcb-shape0",
    "libx11-xcb1",
    "fonts-dejavu-core",
]


def say(msg: str) -> None:
    print(f"[dev] {msg}", file=sys.stderr, flush=True)


def ensure_venv() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 is there
        sys.exit(f"cart-chain needs Python 3.11 or newer; this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        say(f"creating virtual environment in {VENV}")
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    say("installing cart-chain and its test tools into .venv")
    pip = [str(PYTHON), "-m", "pip", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "install", "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "install", "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text(wanted)


def qt_works() -> bool:
    probe = (
        "from PySide6.QtWidgets import QApplication; import sys; "
        "app = QApplication(sys.argv[:1]); print('ok')"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    out = subprocess.run([str(PYTHON), "-c", probe], capture_output=True, text=True, env=env)
    return out.returncode == 0 and "ok" in out.stdout


def ensure_qt_libraries() -> None:
    if sys.platform != "linux" or qt_works():
        return
    apt = shutil.which("apt-get")
    if apt is None or os.geteuid() != 0:
        say(
            "Qt cannot start: install its system libraries, e.g. on Debian/Ubuntu:\n  "
            f"sudo apt-get install {' '.join(QT_SYSTEM_PACKAGES)}"
        )
        return
    say("installing the system libraries Qt needs")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run([apt, "update", "-qq"], check=True, env=env)
    subprocess.run([apt, "install", "-y", "-qq", *QT_SYSTEM_PACKAGES], check=True, env=env)


def chooses_workers(args: list[str]) -> bool:
    """Whether pytest's arguments already say how to run: ``-n N``/``--numprocesses``,
    ``-p no:xdist`` (one process, no xdist), or ``--pdb``/``--trace`` (one process)."""
    for i, arg in enumerate(args):
        if arg in ("--pdb", "--trace") or arg.startswith("--numprocesses"):
            return True
        if arg.startswith("-n") or arg == "-pno:xdist":
            return True
        if arg == "-p" and args[i + 1 : i + 2] == ["no:xdist"]:
            return True
    return False


def names_tests(args: list[str]) -> bool:
    """Whether the paths in ``args`` all name tests (``FILE::TEST``), not files or folders:
    then one process is quicker (starting two workers costs some 4 s, a test ~1 s)."""
    paths = [a for a in args if not a.startswith("-") and (ROOT / a.split("::")[0]).exists()]
    return bool(paths) and all("::" in a for a in paths)


def pytest_args(rest: list[str]) -> list[str]:
    """``rest``, run on every CPU by pytest-xdist unless it says otherwise (`chooses_workers`)
    or names single tests (`names_tests`).

    ``-n auto`` is one worker per CPU this process may use; ``--dist loadgroup`` hands out
    tests in small batches as workers free up (so a slow test holds up no others), except
    those marked ``xdist_group``, which run on one worker together.
    """
    given = rest + os.environ.get("PYTEST_ADDOPTS", "").split()
    if chooses_workers(given) or names_tests(rest):
        return rest
    dist = [] if any(a.startswith("--dist") for a in given) else ["--dist", "loadgroup"]
    return ["-n", "auto", *dist, *rest]


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("app", "test", "cli"):
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_venv()
    if command != "cli":
        ensure_qt_libraries()
    if command == "test":
        env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
        command = [str(PYTHON), "-m", "pytest", *pytest_args(rest)]
        return subprocess.run(command, cwd=ROOT, env=env).returncode
    # `app` with no arguments starts the desktop app; `cli` passes a command through.
    return subprocess.run([str(PYTHON), "-m", "cart_chain", *rest], cwd=ROOT).returncode


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
