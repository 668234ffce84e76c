"""Build the one-folder cart-chain bundle with PyInstaller (and, on Windows, the installer).

    python packaging/build.py                 # bundle in dist/cart-chain/
    python packaging/build.py --dist D --work W
    python packaging/build.py --archive       # Linux: plus a .tar.gz with install.sh
    python packaging/build.py --installer     # Windows: plus the Inno Setup installer

Run it with the project's virtual environment's Python (``.venv/bin/python``):
PyInstaller bundles the interpreter it runs under and the packages installed in
it. PyInstaller is a build tool, not a dependency of cart-chain, so this script
installs it into that environment when it is missing instead of every developer
and CI machine having to remember to. The version baked into the installer is
read from the package metadata, the one place the version is kept.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import os
import platform
import re
import shutil
import subprocess
import sys
import tarfile
import time
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
SPEC = HERE / "cart-chain.spec"
ISS = HERE / "windows" / "cart-chain.iss"
LINUX = HERE / "linux"
ICO = ROOT / "cart_chain" / "resources" / "icons" / "cart-chain.ico"
#: Tested with PyInstaller 6.x; a major release may change the spec format.
PYINSTALLER = "pyinstaller>=6.3,<7"


class BuildError(Exception):
    """A step of the build failed; the message says which and what to do."""


def ensure_pyinstaller() -> None:
    """Install PyInstaller into the running interpreter's environment if it is missing."""
    if importlib.util.find_spec("PyInstaller") is not None:
        return
    print(f"[build] installing {PYINSTALLER} into {sys.prefix}", flush=True)
    pip = [sys.executable, "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    done = subprocess.run([*pip, PYINSTALLER], check=False)
    if done.returncode != 0:
        raise BuildError(f"could not install {PYINSTALLER} (pip exit {done.returncode})")
    importlib.invalidate_caches()


def app_version() -> str:
    """The version of the installed cart-chain: what the bundle will report."""
    try:
        return version("cart-chain")
    except PackageNotFoundError as exc:
        raise BuildError(
            "cart-chain is not installed in this environment; run "
            "'pip install -e .' (or 'python3 dev.py test' once) first"
        ) from exc


def numeric_version(text: str) -> str:
    """The leading X.Y.Z of a version ("1.2.0rc1" → "1.2.0"): Windows file versions are numeric."""
    match = re.match(r"\d+(\.\d+){0,3}", text)
    return match.group(0) if match else "0"


def executable_name() -> str:
    return "cart-chain.exe" if os.name == "nt" else "cart-chain"


def build_bundle(dist: Path, work: Path, clean: bool = True) -> Path:
    """Run the spec; returns the bundle folder (``dist/cart-chain``)."""
    ensure_pyinstaller()
    if os.name == "nt" and not ICO.exists():  # the .exe files and the installer need it
        import make_icons

        for path in make_icons.make():
            print(f"[build] made {path}", flush=True)
    cmd = [
        sys.executable,
        "-m",
        "PyInstaller",
        "--noconfirm",
        "--log-level",
        "WARN",
        "--distpath",
        str(dist),
        "--workpath",
        str(work),
    ]
    if clean:
        cmd.append("--clean")
    cmd.append(str(SPEC))
    print(f"[build] cart-chain {app_version()}: {' '.join(cmd)}", flush=True)
    # Outside the source tree, so that its stale *.egg-info is not taken for the metadata.
    work.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(cmd, cwd=work, check=False)
    if done.returncode != 0:
        raise BuildError(f"PyInstaller failed (exit {done.returncode}); see its output above")
    bundle = dist / "cart-chain"
    if not (bundle / executable_name()).is_file():
        raise BuildError(f"PyInstaller finished but {bundle / executable_name()} is missing")
    return bundle


def build_installer(bundle: Path, out: Path) -> Path:
    """Windows only: compile the Inno Setup script against ``bundle`` with ISCC."""
    iscc = shutil.which("iscc") or shutil.which("ISCC")
    if iscc is None:
        default = Path(os.environ.get("PROGRAMFILES(X86)", r"C:\Program Files (x86)"))
        candidate = default / "Inno Setup 6" / "ISCC.exe"
        iscc = str(candidate) if candidate.exists() else None
    if iscc is None:
        raise BuildError("Inno Setup's ISCC.exe was not found: install Inno Setup 6")
    out.mkdir(parents=True, exist_ok=True)
    cmd = [
        iscc,
        f"/DAppVersion={app_version()}",
        f"/DAppVersionNumeric={numeric_version(app_version())}",
        f"/DBundleDir={bundle}",
        f"/O{out}",
        str(ISS),
    ]
    print(f"[build] {' '.join(cmd)}", flush=True)
    if subprocess.run(cmd, check=False).returncode != 0:
        raise BuildError("Inno Setup failed; see its output above")
    return out / f"cart-chain-{app_version()}-setup.exe"


def build_archive(bundle: Path, out: Path) -> Path:
    """Linux: one .tar.gz an IT department unpacks and installs with its install.sh."""
    machine = platform.machine().lower() or "unknown"
    archive = out / f"cart-chain-{app_version()}-linux-{machine}.tar.gz"
    top = f"cart-chain-{app_version()}"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(bundle, arcname=f"{top}/cart-chain")
        for name in ("install.sh", "cart-chain.desktop"):
            tar.add(LINUX / name, arcname=f"{top}/{name}")
    return archive


def folder_size(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file() and not f.is_symlink())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="output folder")
    parser.add_argument("--work", type=Path, default=ROOT / "build", help="PyInstaller scratch")
    parser.add_argument("--no-clean", action="store_true", help="reuse PyInstaller's cache")
    parser.add_argument(
        "--archive",
        action="store_true",
        help="Linux: also pack the bundle with install.sh into DIST/cart-chain-*.tar.gz",
    )
    parser.add_argument(
        "--installer",
        action="store_true",
        help="Windows: also build the Inno Setup installer into DIST",
    )
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        bundle = build_bundle(args.dist.resolve(), args.work.resolve(), clean=not args.no_clean)
        print(
            f"[build] bundle built in {time.monotonic() - started:.0f} s, "
            f"{folder_size(bundle) / 2**20:.0f} MiB",
            flush=True,
        )
        if args.archive:
            if not sys.platform.startswith("linux"):
                raise BuildError("--archive is for Linux; on Windows use --installer")
            print(f"[build] archive: {build_archive(bundle, args.dist.resolve())}", flush=True)
        if args.installer:
            if os.name != "nt":
                raise BuildError("the Inno Setup installer can only be built on Windows")
            print(f"[build] installer: {build_installer(bundle, args.dist.resolve())}")
    except BuildError as exc:
        print(f"[build] error: {exc}", file=sys.stderr)
        return 1
    print(bundle)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
