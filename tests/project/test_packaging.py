"""Packaging: the offscreen self-test, the bundle's data files, and the PyInstaller bundle itself.

The slow test builds the real one-folder bundle and runs ``--version`` and
``--self-test`` *from the bundle*: only that catches a module PyInstaller did not
see (lazy imports, drivers picked from URL strings) or a data file it left out
(Alembic loads the migrations by path). The fast tests keep the self-test honest
in the source tree and check, without building, that every data file of the
package lies in a folder the spec collects.
"""

from __future__ import annotations

import ast
import configparser
import io
import os
import re
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import pytest

from cart_chain import selftest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
PKG = ROOT / "cart_chain"
ICONS = PKG / "resources" / "icons"
EXE = "cart-chain.exe" if os.name == "nt" else "cart-chain"
LINE = re.compile(r"^(OK|FAIL|SKIP) +(.+?)  ")


def isolated_env(home: Path) -> dict[str, str]:
    """An environment whose home, XDG folders and display point nowhere real, so a run
    can be checked for writing nothing of the user's (database, log, Qt settings)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.pop("CART_CHAIN_DB", None)
    env.pop("QT_QPA_PLATFORM", None)  # the self-test must choose offscreen by itself
    env.update(
        HOME=str(home),
        USERPROFILE=str(home),
        APPDATA=str(home / "AppData" / "Roaming"),
        LOCALAPPDATA=str(home / "AppData" / "Local"),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_CACHE_HOME=str(home / ".cache"),
    )
    return env


def assert_all_ok(output: str) -> None:
    lines = [m.groups() for m in map(LINE.match, output.splitlines()) if m]
    names = [name for _, name in lines]
    assert names == [name for name, _ in selftest.CHECKS], output
    assert {status for status, _ in lines} == {"OK"}, output
    assert "self-test passed" in output


def written_by_cart_chain(home: Path) -> list[Path]:
    return [p for p in home.rglob("*") if "cart-chain" in p.name or "cart_chain" in p.name]


# -- the self-test in the source tree --------------------------------------------------------


def test_selftest_passes_in_source_tree_and_touches_no_user_data(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    done = subprocess.run(
        [sys.executable, "-m", "cart_chain.selftest", "--strict"],
        cwd=tmp_path,
        env=isolated_env(home),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert_all_ok(done.stdout)
    assert "OK   version" in done.stdout and version("cart-chain") in done.stdout
    assert written_by_cart_chain(home) == []


def _ok(_: selftest.Context) -> str:
    return "fine"


def _skipped(_: selftest.Context) -> str:
    raise selftest.Skipped("not in this build")


def _broken(_: selftest.Context) -> str:
    raise ImportError("No module named 'psycopg_binary'")


def test_a_failing_check_fails_the_run_and_the_rest_still_run() -> None:
    out = io.StringIO()
    status = selftest.run([("first", _broken), ("second", _ok)], out=out)
    text = out.getvalue()
    assert status == 1
    assert "FAIL first" in text and "ImportError: No module named 'psycopg_binary'" in text
    assert "OK   second" in text
    assert "self-test FAILED: 1 ok, 1 failed, 0 skipped" in text


def test_a_skipped_part_passes_unless_strict() -> None:
    out = io.StringIO()
    assert selftest.run([("a", _ok), ("gui", _skipped)], out=out) == 0
    assert "SKIP gui" in out.getvalue() and "not in this build" in out.getvalue()
    assert selftest.run([("a", _ok), ("gui", _skipped)], out=io.StringIO(), strict=True) == 1


def test_selftest_registers_as_a_cli_subcommand() -> None:
    import argparse

    parser = argparse.ArgumentParser()
    selftest.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["self-test", "--strict"])
    assert args.handler is selftest.handler and args.strict and not args.verbose


# -- what the spec collects, checked without building -----------------------------------------


def spec_data_dirs() -> tuple[str, ...]:
    tree = ast.parse((PACKAGING / "cart-chain.spec").read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "DATA_DIRS" for t in node.targets
        ):
            return tuple(ast.literal_eval(node.value))
    raise AssertionError("DATA_DIRS not found in packaging/cart-chain.spec")


def test_every_package_data_file_is_in_a_folder_the_spec_collects() -> None:
    """A resource added in a new folder (say cart_chain/ui/images) must be added to the spec,
    or the bundle silently lacks it; this says so in seconds instead of after a build."""
    dirs = spec_data_dirs()
    assert "store/migrations" in dirs  # Alembic needs the .py scripts as files
    stray = [
        p.relative_to(PKG).as_posix()
        for p in PKG.rglob("*")
        if p.is_file()
        and p.suffix not in (".py", ".pyc", ".pyi")
        and "__pycache__" not in p.parts
        and p.name != "py.typed"
        and not any(p.relative_to(PKG).as_posix().startswith(d + "/") for d in dirs)
    ]
    assert stray == [], f"data files outside the spec's DATA_DIRS {dirs}: {stray}"


def test_desktop_entry_names_the_bundle_and_a_shipped_icon() -> None:
    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str  # type: ignore[assignment,method-assign]
    entry.read(PACKAGING / "linux" / "cart-chain.desktop", encoding="utf-8")
    e = entry["Desktop Entry"]
    assert e["Type"] == "Application"
    assert e["Exec"] == "/opt/cart-chain/cart-chain"  # install.sh rewrites the prefix
    assert e["Terminal"] == "false"
    assert e["Categories"].endswith(";")
    assert e["Icon"] == "cart-chain"  # a theme name: install.sh installs these files under it
    assert (ICONS / "cart-chain.svg").is_file()
    assert all((ICONS / f"cart-chain-{n}.png").is_file() for n in (16, 32, 48, 64, 128, 256))


def test_inno_setup_script_takes_the_version_from_the_build_and_names_the_ico() -> None:
    iss = (PACKAGING / "windows" / "cart-chain.iss").read_text(encoding="utf-8")
    assert "AppVersion={#AppVersion}" in iss and "#error" in iss  # no version of its own
    icon = re.search(r'#define IconFile "([^"]+)"', iss)
    assert icon is not None
    where = (PACKAGING / "windows" / icon.group(1).replace("\\", "/")).resolve()
    assert where == ICONS / "cart-chain.ico"  # build.py --installer makes it when missing
    assert "{autopf}" in iss and "desktopicon" in iss


def _import_from_packaging(name: str):  # type: ignore[no-untyped-def]
    """packaging/NAME.py as a module ("packaging" itself is a PyPI package's name)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"_cart_chain_{name}", PACKAGING / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_make_icons_builds_an_ico_from_the_drawn_png_sizes(tmp_path: Path) -> None:
    from PIL import Image

    icons = tmp_path / "icons"
    icons.mkdir()
    for source in ICONS.glob("cart-chain-*.png"):
        (icons / source.name).write_bytes(source.read_bytes())
    (icons / "cart-chain.svg").write_bytes((ICONS / "cart-chain.svg").read_bytes())
    (icons / "cart-chain-48.png").unlink()  # a missing size is rendered, not left out
    # In a child process: rendering the SVG starts Qt, which must not happen in this one.
    script = [sys.executable, str(PACKAGING / "make_icons.py"), "--icons", str(icons)]
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}

    made = subprocess.run(script, capture_output=True, text=True, env=env, timeout=120)

    assert made.returncode == 0, made.stderr
    assert f"wrote {icons / 'cart-chain-48.png'}" in made.stdout
    assert f"wrote {icons / 'cart-chain.ico'}" in made.stdout
    assert Image.open(icons / "cart-chain-48.png").size == (48, 48)
    ico = Image.open(icons / "cart-chain.ico")
    assert ico.format == "ICO"
    assert {s for s, _ in ico.info["sizes"]} == {16, 24, 32, 48, 64, 128, 256}
    for size in (16, 256):  # each size is the PNG drawn for it, not a rescaled large one
        ico.size = (size, size)
        drawn = Image.open(icons / f"cart-chain-{size}.png").convert("RGBA")
        assert ico.convert("RGBA").tobytes() == drawn.tobytes()
    again = subprocess.run(script, capture_output=True, text=True, env=env, timeout=120)
    assert again.returncode == 0 and again.stdout == ""  # nothing missing: nothing rewritten


# -- the bundle ----------------------------------------------------------------------------------


def _have_pyinstaller() -> str | None:
    """Install PyInstaller when missing; returns why it cannot be had, or None."""
    probe = [sys.executable, "-c", "import PyInstaller"]
    if subprocess.run(probe, capture_output=True).returncode == 0:
        return None
    packaging_build = _import_from_packaging("build")
    try:
        packaging_build.ensure_pyinstaller()
    except packaging_build.BuildError as exc:
        return str(exc)
    return None


@pytest.mark.slow
def test_bundle_builds_and_runs_version_and_selftest(tmp_path: Path) -> None:
    why = _have_pyinstaller()
    if why is not None:
        pytest.skip(f"PyInstaller cannot be installed here, so no bundle is built: {why}")
    built = subprocess.run(
        [
            sys.executable,
            str(PACKAGING / "build.py"),
            "--dist",
            str(tmp_path / "dist"),
            "--work",
            str(tmp_path / "work"),
        ],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert built.returncode == 0, built.stdout[-5000:] + built.stderr[-5000:]
    bundle = Path(built.stdout.strip().splitlines()[-1])
    assert bundle == tmp_path / "dist" / "cart-chain"
    program = bundle / EXE
    home = tmp_path / "home"
    home.mkdir()
    env = isolated_env(home)

    shown = subprocess.run(
        [str(program), "--version"], env=env, capture_output=True, text=True, timeout=120
    )
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == f"cart-chain {version('cart-chain')}"

    checked = subprocess.run(
        [str(program), "--self-test", "--strict"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert_all_ok(checked.stdout)
    # The migrations ran from the bundle's own copy, not from this source tree.
    assert (bundle / "_internal" / "cart_chain" / "store" / "migrations" / "env.py").is_file()
    assert written_by_cart_chain(home) == []
