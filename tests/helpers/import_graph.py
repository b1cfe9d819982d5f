"""The project's import graph, read with `ast` (nothing is imported): which module imports
which at load time and inside functions, and which modules register routes on a blueprint.
`tests/test_imports.py` checks the rules on it (no circle, no view importing a view, models
is the floor)."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

ROUTE_METHODS = {"route", "get", "post", "put", "patch", "delete"}


@dataclass
class Module:
    name: str
    path: Path
    is_package: bool
    loaded: set[str] = field(default_factory=set)  # imported when the module is loaded
    lazy: set[str] = field(default_factory=set)  # imported inside a function
    typing: set[str] = field(default_factory=set)  # imported under `if TYPE_CHECKING:` only
    is_view: bool = False


def read_modules(root: Path, packages: list[str]) -> dict[str, Module]:
    """Every module under root/<package>, with its imports resolved to project modules."""
    modules: dict[str, Module] = {}
    trees: dict[str, ast.Module] = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            is_package = parts[-1] == "__init__"
            if is_package:
                parts.pop()
            name = ".".join(parts)
            modules[name] = Module(name, path, is_package)
            trees[name] = ast.parse(path.read_text(), filename=str(path))
    for name, tree in trees.items():
        module = modules[name]
        module.is_view = registers_routes(tree)
        _collect(module, tree.body, modules, lazy=False)
        module.loaded.discard(name)
        module.lazy.discard(name)
        module.typing.discard(name)
    return modules


def registers_routes(tree: ast.Module) -> bool:
    """A view module: a function decorated with `@<blueprint>.route(...)`, `.get`, `.post`..."""
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            for decorator in node.decorator_list:
                if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute)
                        and decorator.func.attr in ROUTE_METHODS
                        and isinstance(decorator.func.value, ast.Name)
                        and decorator.func.value.id != "app"):
                    return True
    return False


def _collect(module: Module, body: list[ast.stmt], modules: dict[str, Module], lazy: bool,
             typing: bool = False) -> None:
    for node in body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            _collect(module, node.body, modules, lazy=True)
        elif isinstance(node, ast.Import | ast.ImportFrom):
            targets = _targets(module, node, modules)
            (module.lazy if lazy else module.loaded).update(targets)
            if typing:
                module.typing.update(targets)
        elif isinstance(node, ast.If) and _is_type_checking(node.test):
            # Never executed: loads nothing, but a view may not name another view there, and a
            # circle closed by a type's import is a type in the wrong module (`circles`).
            _collect(module, node.body, modules, lazy=True, typing=not lazy)
            _collect(module, node.orelse, modules, lazy=lazy)
        else:
            for child_body in _bodies(node):
                _collect(module, child_body, modules, lazy, typing)


def _bodies(node: ast.stmt) -> list[list[ast.stmt]]:
    bodies = [getattr(node, name) for name in ("body", "orelse", "finalbody")
              if isinstance(getattr(node, name, None), list)]
    bodies += [handler.body for handler in getattr(node, "handlers", [])]
    bodies += [case.body for case in getattr(node, "cases", [])]
    return bodies


def _is_type_checking(test: ast.expr) -> bool:
    return ((isinstance(test, ast.Name) and test.id == "TYPE_CHECKING")
            or (isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"))


def _targets(module: Module, node: ast.Import | ast.ImportFrom,
             modules: dict[str, Module]) -> set[str]:
    """The project modules an import statement names. `import a.b.c` and `from a.b import c`
    (c a submodule) count as importing a.b.c only, not its parent packages: a package's
    __init__ importing its own submodules is not a circle. `from a.b import name` (not a
    submodule) imports a.b."""
    found: set[str] = set()
    if isinstance(node, ast.Import):
        for alias in node.names:
            found.add(_nearest(alias.name, modules))
        return found - {""}
    base = node.module or ""
    if node.level:
        package = module.name if module.is_package else module.name.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    for alias in node.names:
        submodule = f"{base}.{alias.name}"
        found.add(submodule if submodule in modules else _nearest(base, modules))
    return found - {""}


def _nearest(name: str, modules: dict[str, Module]) -> str:
    """The module itself, or the closest enclosing project module (for `import a.b.attr`-like
    names), or "" for a module outside the project."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def circles(modules: dict[str, Module]) -> list[list[str]]:
    """Strongly connected components of more than one module in the load-time graph (Tarjan),
    imports made for type hints only (`if TYPE_CHECKING:`) included: Python accepts such a
    circle, but it says that a type lives in the wrong module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(name: str) -> None:
        index[name] = low[name] = len(index)
        stack.append(name)
        on_stack.add(name)
        for other in sorted(modules[name].loaded | modules[name].typing):
            if other not in index:
                visit(other)
                low[name] = min(low[name], low[other])
            elif other in on_stack:
                low[name] = min(low[name], index[other])
        if low[name] == index[name]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == name:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for name in sorted(modules):
        if name not in index:
            visit(name)
    return found


def view_imports(modules: dict[str, Module]) -> list[str]:
    """"a imports b" for every view module a that imports (anywhere) another view module b."""
    return [f"{name} imports {other}"
            for name, module in sorted(modules.items()) if module.is_view
            for other in sorted(module.loaded | module.lazy)
            if other != name and modules[other].is_view]
