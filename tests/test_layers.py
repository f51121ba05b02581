"""The import-layering contract (docs/architecture.md): lower layers never import higher ones.

Every `import` statement counts, at module level or inside a function, under
`if TYPE_CHECKING:` or not, and so do `importlib.import_module("hwnas...")` calls with a
literal name. Packages of one layer are siblings and do not import each other. Inside a
package, modules must not import each other in a circle (type-checking imports aside:
an interface may name the context it is handed).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "hwnas"

# Lowest first. A package may import only from packages in strictly lower layers.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("spaces", "runs", "devices"),
    ("toolchain", "pareto", "benchmarks"),
    ("profilers", "proxies", "llm"),
    ("lut",),
    ("predictors",),
    ("train",),
    ("export",),
    ("search",),
    ("report",),
    ("cli", "testing"),
)
TOP_LEVEL_MODULES = {"hwnas": set(), "hwnas.__main__": {"cli"}}
RANK = {package: rank for rank, layer in enumerate(LAYERS) for package in layer}


@dataclass(frozen=True)
class Import:
    source: str  # importing module, dotted
    target: str  # imported module or name, dotted and absolute
    path: Path
    line: int
    typing_only: bool = False  # under `if TYPE_CHECKING:`

    def where(self) -> str:
        return f"{self.path.relative_to(PACKAGE_ROOT.parent)}:{self.line}"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _absolute(module: str, is_package: bool, level: int, name: str | None) -> str:
    base = module.split(".")
    if level:
        base = base[: len(base) - level + (1 if is_package else 0)]
        return ".".join(base + ([name] if name else []))
    return name or ""


def _typing_only_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _imports(path: Path) -> list[Import]:
    module = _module_name(path)
    is_package = path.name == "__init__.py"
    tree = ast.parse(path.read_text(), str(path))
    typing_only = _typing_only_lines(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [Import(module, alias.name, path, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = _absolute(module, is_package, node.level, node.module)
            found += [Import(module, f"{base}.{alias.name}", path, node.lineno)
                      for alias in node.names]
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and (getattr(node.func, "attr", None) == "import_module"
                   or getattr(node.func, "id", None) in ("import_module", "__import__"))):
            found.append(Import(module, node.args[0].value, path, node.lineno))
    return [Import(i.source, i.target, i.path, i.line, i.line in typing_only) for i in found
            if i.target == "hwnas" or i.target.startswith("hwnas.")]


def _all_imports() -> list[Import]:
    return [i for path in sorted(PACKAGE_ROOT.rglob("*.py")) for i in _imports(path)]


def _package(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and (PACKAGE_ROOT / parts[1]).is_dir() else None


def test_every_package_has_a_layer() -> None:
    packages = {p.name for p in PACKAGE_ROOT.iterdir()
                if p.is_dir() and (p / "__init__.py").exists()}
    missing = sorted(packages - set(RANK))
    assert not missing, (
        f"packages without a layer: {missing}; add them to LAYERS here and to "
        "docs/architecture.md"
    )


def test_no_import_reaches_up_or_sideways() -> None:
    violations = []
    for imp in _all_imports():
        source, target = _package(imp.source), _package(imp.target)
        if source is None:
            allowed = TOP_LEVEL_MODULES.get(imp.source, set())
            if target is not None and target not in allowed:
                violations.append(f"{imp.where()}: {imp.source} imports {imp.target}")
            continue
        if target is None or target == source:
            continue
        if RANK[target] >= RANK[source]:
            relation = "its sibling" if RANK[target] == RANK[source] else "the higher layer"
            violations.append(
                f"{imp.where()}: {source} (layer {RANK[source]}) imports {relation} "
                f"{target} (layer {RANK[target]}) via {imp.target}"
            )
    assert not violations, "layering violations:\n" + "\n".join(violations)


def _resolve(target: str, exported: dict[str, dict[str, str]], modules: set[str]) -> str | None:
    """The module an import lands in: `pkg.mod.name` -> `pkg.mod`; a name re-exported by a
    package's __init__ -> the module that defines it."""
    if target in modules:
        return target
    parent, _, name = target.rpartition(".")
    if parent in modules:
        return exported.get(parent, {}).get(name, parent)
    return None


def _init_exports(imports: list[Import], modules: set[str]) -> dict[str, dict[str, str]]:
    exported: dict[str, dict[str, str]] = {}
    for imp in imports:
        parent, _, name = imp.target.rpartition(".")
        if imp.path.name == "__init__.py" and parent in modules and parent != imp.source:
            exported.setdefault(imp.source, {})[name] = parent
    return exported


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_module_circles_inside_a_package() -> None:
    imports = _all_imports()
    modules = {_module_name(p) for p in PACKAGE_ROOT.rglob("*.py")}
    exported = _init_exports(imports, modules)
    graph: dict[str, set[str]] = {}
    for imp in imports:
        if imp.path.name == "__init__.py" or imp.typing_only:
            continue  # an __init__ gathers its modules, a type hint runs nothing: no circle
        target = _resolve(imp.target, exported, modules)
        if target and target != imp.source and _package(target) == _package(imp.source):
            graph.setdefault(imp.source, set()).add(target)
    circles = _cycles(graph)
    assert not circles, "modules importing each other in a circle:\n" + "\n".join(
        " <-> ".join(c) for c in circles)


@pytest.mark.parametrize("path", sorted(PACKAGE_ROOT.rglob("*.py")),
                         ids=lambda p: str(p.relative_to(PACKAGE_ROOT)))
def test_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text().splitlines())
    where = path.relative_to(PACKAGE_ROOT.parent)
    assert lines <= 450, f"{where} has {lines} lines; split it by idea"


def test_other_packages_use_the_public_interface() -> None:
    """A package reaches another only through its `__init__` (private modules stay private)."""
    violations = []
    for imp in _all_imports():
        source, target = _package(imp.source), _package(imp.target)
        if target is None or target == source:
            continue
        private = [part for part in imp.target.split(".")[2:] if part.startswith("_")]
        if private:
            violations.append(f"{imp.where()}: {imp.source} imports {imp.target}; export the "
                              f"name from hwnas.{target} and import it from there")
    assert not violations, "private modules used across packages:\n" + "\n".join(violations)
