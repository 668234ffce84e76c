"""Report rendering stays above the services: it never loads the store, SQLAlchemy or Qt."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "cart_chain"


def test_renderers_import_without_store_sqlalchemy_or_qt() -> None:
    code = (
        "import sys\n"
        "import cart_chain.reports.base, cart_chain.reports.fonts\n"
        "import cart_chain.reports.custody, cart_chain.reports.audit\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'PySide6')"
        " or m.startswith('cart_chain.store')]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]", out.stdout


def test_exports_service_does_not_import_the_renderers() -> None:
    tree = ast.parse((PACKAGE / "services" / "exports.py").read_text())
    names = {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)} | {
        a.name for node in ast.walk(tree) if isinstance(node, ast.Import) for a in node.names
    }
    assert not any(
        n.startswith(("cart_chain.reports", "cart_chain.cli", "cart_chain.ui")) for n in names
    )


def test_fonts_and_licences_ship_in_the_package() -> None:
    fonts = PACKAGE / "resources" / "fonts"
    for name in (
        "DejaVuSans.ttf",
        "DejaVuSans-Bold.ttf",
        "DroidSansFallbackFull.ttf",
        "LICENSE-DejaVu.txt",
        "LICENSE-DroidSansFallback.txt",
    ):
        assert (fonts / name).is_file(), name
    pyproject = (PACKAGE.parent / "pyproject.toml").read_text()
    assert '"resources/fonts/*"' in pyproject
