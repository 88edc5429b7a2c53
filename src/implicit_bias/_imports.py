"""The package modules a file imports, found statically (the workflow declares them as rule inputs).

Snakemake tracks a rule's `script:` but not the modules that script imports, so an edit to the package would not
re-run the jobs it affects. `package_modules(script)` parses the script with `ast` and follows every import of
`implicit_bias` (absolute or relative, at module or function level, `from implicit_bias import submodule`
included) transitively through the package's own files, without importing anything: the package directory is
located with `importlib.util.find_spec`, which does not execute it. Importing `implicit_bias.a.b` runs the
`__init__.py` of `implicit_bias` and `implicit_bias.a` first, so those count as imported too.

Dynamic imports (`importlib.import_module(name)` with a computed name) are invisible to this; pass such modules
as `extra` roots.
"""

from __future__ import annotations

import ast
import importlib.util
import os
from collections.abc import Iterable
from functools import cache
from pathlib import Path

__all__ = [
    "PACKAGE",
    "import_graph",
    "local_modules",
    "module_file",
    "module_imports",
    "package_dir",
    "package_modules",
]

PACKAGE = "implicit_bias"


@cache
def package_dir() -> Path:
    """The directory of the `implicit_bias` package (found without importing it)."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        fallback = Path(__file__).resolve().parent
        return fallback
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def module_file(name: str) -> Path | None:
    """The source file of package module `name` (`implicit_bias.a.b`), or None if it is not one of the package's."""
    parts = name.split(".")
    if parts[0] != PACKAGE:
        return None
    base = package_dir().joinpath(*parts[1:])
    for path in (base / "__init__.py", base.with_suffix(".py")):
        if path.is_file():
            return path
    return None


def _parents(name: str) -> list[str]:
    """`a.b.c` -> [`a`, `a.b`]: the packages whose `__init__` runs before `a.b.c`."""
    parts = name.split(".")
    return [".".join(parts[:i]) for i in range(1, len(parts))]


def _resolve_relative(module: str | None, level: int, importer: str, is_package: bool) -> str:
    """Absolute name of `from <level dots><module> import ...` written in module `importer`."""
    if level == 0:
        return module or ""
    base = importer.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (level - 1)] if level > 1 else base
    return ".".join([*base, module] if module else base)


@cache
def _file_imports(path: Path, importer: str | None) -> frozenset[str]:
    """Absolute names of the package modules imported anywhere in `path` (module level or inside functions).

    `importer` is the dotted name of the file if it is a package module (needed for relative imports); None for a
    script outside the package.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level and importer is None:
                continue
            base = _resolve_relative(node.module, node.level, importer or "", is_package)
            # `from pkg import x` imports pkg, and pkg.x too when x is a submodule
            names = [base] + [f"{base}.{alias.name}" for alias in node.names if alias.name != "*"]
        else:
            continue
        for name in names:
            if name.split(".")[0] == PACKAGE and module_file(name) is not None:
                found.add(name)
    return frozenset(found)


def module_imports(name: str) -> frozenset[str]:
    """Package modules that module `name` imports directly (relative imports resolved; parents not added)."""
    path = module_file(name)
    if path is None:
        raise ValueError(f"{name!r} is not a module of {PACKAGE}")
    return _file_imports(path, name)


def _closure(roots) -> set[str]:
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        todo.extend(_parents(name))
        todo.extend(module_imports(name))
    return seen


@cache
def _script_modules(script: Path, extra: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(sorted(_closure([*_file_imports(script, None), *extra])))


def package_modules(script_path: str | os.PathLike, extra: Iterable[str] = ()) -> list[str]:
    """Files of the package modules that `script_path` imports, transitively, plus those of the `extra` modules.

    Returns sorted absolute paths (the script's own file is not included). Cached per (script, extra).
    """
    names = _script_modules(Path(script_path).resolve(), tuple(extra))
    return sorted(str(module_file(name)) for name in names)


@cache
def _local_modules(script: Path) -> tuple[str, ...]:
    tree = ast.parse(script.read_text(), filename=str(script))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
            names.add(node.module)
    found = [script.parent / f"{name}.py" for name in names if "." not in name]
    return tuple(sorted(str(path) for path in found if path.is_file() and path != script))


def local_modules(script_path: str | os.PathLike) -> list[str]:
    """Files next to `script_path` that it imports as top-level modules (the workflow scripts' `_common.py`)."""
    return list(_local_modules(Path(script_path).resolve()))


def import_graph() -> dict[str, frozenset[str]]:
    """module -> package modules it imports directly, for every module of the package."""
    root = package_dir()
    graph = {}
    for path in sorted(root.rglob("*.py")):
        rel = path.relative_to(root).with_suffix("")
        parts = list(rel.parts[:-1]) if rel.name == "__init__" else list(rel.parts)
        name = ".".join([PACKAGE, *parts])
        graph[name] = module_imports(name)
    return graph
