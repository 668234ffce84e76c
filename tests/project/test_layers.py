"""The core imports without Qt, imports only point down the layers, modules stay small."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "cart_chain"

BLOCK_QT = """
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split('.')[0] in ('PySide6', 'shiboken6'):
            raise ImportError('Qt is not available here')
        return None
sys.meta_path.insert(0, Block())
import cart_chain.domain.identifiers, cart_chain.domain.steps, cart_chain.domain.clock
import cart_chain.store.ledger, cart_chain.store.verify, cart_chain.store.schema
import pkgutil, importlib, cart_chain.services
for m in pkgutil.iter_modules(cart_chain.services.__path__):
    importlib.import_module('cart_chain.services.' + m.name)
import cart_chain.cli.main
cart_chain.cli.main.build_parser()
assert not any(k.startswith('PySide6') for k in sys.modules)
print('ok')
"""


def test_core_imports_without_qt() -> None:
    out = subprocess.run(
        [sys.executable, "-c", BLOCK_QT], capture_output=True, text=True, timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


#: For each layer, the packages it must never import.
FORBIDDEN = {
    "domain": (
        "sqlalchemy",
        "alembic",
        "PySide6",
        "cart_chain.store",
        "cart_chain.services",
        "cart_chain.cli",
        "cart_chain.ui",
        "cart_chain.labels",
        "cart_chain.reports",
    ),
    "store": (
        "PySide6",
        "cart_chain.services",
        "cart_chain.cli",
        "cart_chain.ui",
        "cart_chain.labels",
        "cart_chain.reports",
    ),
    "services": (
        "PySide6",
        "cart_chain.cli",
        "cart_chain.ui",
        "cart_chain.labels",
        "cart_chain.reports",
    ),
    "ui": ("sqlalchemy", "cart_chain.store"),
    "labels": ("sqlalchemy", "cart_chain.store", "PySide6"),
    "reports": ("sqlalchemy", "cart_chain.store", "PySide6"),
}


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_imports_point_down_the_layers() -> None:
    wrong = []
    for layer, forbidden in FORBIDDEN.items():
        for path in (PACKAGE / layer).rglob("*.py"):
            for name in _imports(path):
                if any(name == f or name.startswith(f + ".") for f in forbidden):
                    wrong.append(f"{path.relative_to(PACKAGE)} imports {name}")
    assert wrong == []


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def _cart_chain_imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every ``from cart_chain.x import name`` in ``path``, nested ones too."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith("cart_chain"):
                out += [(node.module, a.name) for a in node.names]
        elif isinstance(node, ast.Import):
            out += [(a.name, "") for a in node.names if a.name.startswith("cart_chain")]
    return out


def _graph() -> dict[str, set[str]]:
    """Module -> the cart_chain modules it imports (function-level imports included:
    a cycle hidden inside a function is still a cycle)."""
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps = set()
        for module, imported in _cart_chain_imports(path):
            target = f"{module}.{imported}" if f"{module}.{imported}" in modules else module
            if target in modules and target != name and not name.startswith(target + "."):
                deps.add(target)
        graph[name] = deps
    return graph


def test_no_import_cycle_between_services() -> None:
    graph = _graph()
    services = {m for m in graph if m.startswith("cart_chain.services.")}
    seen: dict[str, int] = {}  # 1 on the current path, 2 done

    def visit(m: str, path: list[str]) -> None:
        seen[m] = 1
        for d in sorted(graph[m] & services):
            if seen.get(d) == 1:
                cycle = [*path[path.index(d) :], d]
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            if d not in seen:
                visit(d, [*path, d])
        seen[m] = 2

    for m in sorted(services):
        if m not in seen:
            visit(m, [m])


def test_no_private_name_is_imported_across_modules() -> None:
    crossing = [
        f"{_module_name(p)} imports {name} from {module}"
        for p in PACKAGE.rglob("*.py")
        for module, name in _cart_chain_imports(p)
        if name.startswith("_") and not name.startswith("__")
    ]
    assert crossing == []


#: STYLE: "no module past ~400 lines"; a module that grows past it is split by job.
MAX_MODULE_LINES = 400


def test_no_module_is_past_the_size_limit() -> None:
    long = {
        _module_name(p): n
        for p in PACKAGE.rglob("*.py")
        if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}
