"""The package's import structure: no import cycles, no module using another module's private names, and the rule
inputs derived from the import graph cover every module a workflow script really imports."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from implicit_bias._imports import import_graph, local_modules, module_file, package_dir, package_modules
from implicit_bias.checks import PAPERS, checks_module
from implicit_bias.papers import HOMES, home
from implicit_bias.papers.beyond import STUDIES, study_module_name

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p for p in (ROOT / "workflow" / "scripts").glob("*.py") if not p.name.startswith("_"))

# Imports the script's `implicit_bias` modules (found with a regex, independently of the ast walk under test) and
# prints the files of every implicit_bias module then loaded.
_PROBE = r"""
import importlib, json, re, sys
text = open(sys.argv[1]).read()
extra = json.loads(sys.argv[2])
for m in re.finditer(r"^[ \t]*from[ \t]+(implicit_bias[\w.]*)[ \t]+import[ \t]+(\([\w\s,]+\)|[\w \t,]+)", text, re.M):
    mod = importlib.import_module(m[1])
    for name in (n.strip().split(" as ")[0] for n in m[2].strip("()").split(",") if n.strip()):
        getattr(mod, name)  # a public name of a lazy module, or a submodule (imported by the from-import)
for m in re.finditer(r"^[ \t]*import[ \t]+(implicit_bias[\w.]*)", text, re.M):
    importlib.import_module(m[1])
for name in extra:
    importlib.import_module(name)
print(json.dumps(sorted(m.__file__ for k, m in list(sys.modules.items()) if k.split(".")[0] == "implicit_bias")))
"""


def _bey_layers() -> dict[str, str]:
    """script -> the layer of its study it imports by name, as workflow/rules/beyond.smk declares it (`bey_lib`)."""
    text = (ROOT / "workflow" / "rules" / "beyond.smk").read_text()
    return dict(re.findall(r'bey_lib\(\s*"\.\./scripts/(\w+\.py)",\s*"(\w+)"\s*\)', text))


def _extras(script: Path) -> list[list[str]]:
    """The modules a script imports by name, one list per job kind it runs: each paper's checks (check.py), each
    beyond study's layer (bey_*.py, as its rule declares it); none for the others."""
    if script.name == "check.py":
        return [[checks_module(paper)] for paper in PAPERS]
    if script.name.startswith("bey_"):
        layer = _bey_layers()[script.name]
        return [[study_module_name(study, layer)] for study in STUDIES]
    return [[]]


def test_every_beyond_script_declares_the_layer_it_imports():
    """Each bey_*.py script's rule names the layer of the study it runs: the figure its plots, the others their
    experiments (the extras the tests below import)."""
    bey = {s.name for s in SCRIPTS if s.name.startswith("bey_")}
    layers = _bey_layers()
    assert set(layers) == bey, layers
    assert layers["bey_figure.py"] == "plots" and set(layers.values()) == {"plots", "experiments"}


def _loaded(script: Path, extra=()) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", _PROBE, str(script), json.dumps(list(extra))],
        check=True,
        capture_output=True,
        text=True,
    )
    return {str(Path(p).resolve()) for p in json.loads(proc.stdout.strip().splitlines()[-1])}


@pytest.mark.parametrize("script", SCRIPTS, ids=lambda p: p.name)
def test_derived_rule_inputs_cover_the_modules_a_script_loads(script):
    """`package_modules` (static, transitive) is a superset of what importing the script's modules loads."""
    for extra in _extras(script):
        derived = {str(Path(p).resolve()) for p in package_modules(script, extra=tuple(extra))}
        missing = _loaded(script, extra) - derived
        assert not missing, f"{script.name} {extra}: imports not declared as rule inputs: {sorted(missing)}"


def test_derived_rule_inputs_follow_relative_and_function_level_imports():
    check = ROOT / "workflow" / "scripts" / "check.py"
    derived = {Path(p).name for p in package_modules(check, extra=(checks_module("fan2025"),))}
    # checks_of imports the paper's module by name (the `extra`); that module imports the maths it checks
    assert {"__init__.py", "artifacts.py", "multiclass.py", "margins.py"} <= derived
    assert re.search(r"fan2025", " ".join(package_modules(check, extra=(checks_module("fan2025"),))))


def test_script_helpers_next_to_a_script_are_rule_inputs_too():
    check = ROOT / "workflow" / "scripts" / "check.py"
    assert [Path(p).name for p in local_modules(check)] == ["_common.py"]


def test_public_api_is_lazy_and_complete():
    """`import implicit_bias` loads no submodule; every name of `__all__` resolves (PEP 562 `__getattr__`)."""
    probe = (
        "import sys, implicit_bias as ib; "
        "loaded = [m for m in sys.modules if m.startswith('implicit_bias.')]; "
        "assert not loaded, loaded; "
        "assert all(getattr(ib, n) is not None for n in ib.__all__); "
        "assert set(ib.__all__) <= set(dir(ib))"
    )
    subprocess.run([sys.executable, "-c", probe], check=True)


# ------------------------------------------------------------------------------------- what a process loads
# Libraries that cost a second or so to import and that only some jobs use: cvxpy (the dataset and reference jobs
# that solve LPs/QPs), numba (the runs), matplotlib and seaborn (the figure jobs), PyTorch (the optional sweep).
_HEAVY = ("cvxpy", "numba", "matplotlib", "seaborn", "torch")

# Imports the given package modules and prints which of the heavy libraries are then loaded.
_HEAVY_PROBE = r"""
import importlib, json, sys
for name in json.loads(sys.argv[1]):
    importlib.import_module(name)
for paper in json.loads(sys.argv[2]):
    importlib.import_module("implicit_bias.checks").checks_of(paper)
print(json.dumps(sorted(m for m in json.loads(sys.argv[3]) if m in sys.modules)))
"""


def _heavy_loaded(modules, papers=()) -> set[str]:
    proc = subprocess.run(
        [sys.executable, "-c", _HEAVY_PROBE, json.dumps(sorted(modules)), json.dumps(list(papers)), json.dumps(_HEAVY)],
        check=True,
        capture_output=True,
        text=True,
    )
    return set(json.loads(proc.stdout.strip().splitlines()[-1]))


def _import_names(text: str) -> set[str]:
    """The `implicit_bias` modules a file imports at its top level (`from M import a, b`, `import M`; `a` counts
    when it is a submodule of M), found by regex, independently of the ast walk of `implicit_bias._imports`."""
    names = set(re.findall(r"^import[ \t]+(implicit_bias[\w.]*)", text, re.M))
    for m in re.finditer(r"^from[ \t]+(implicit_bias[\w.]*)[ \t]+import[ \t]+(\([\w\s,]+\)|[\w \t,]+)", text, re.M):
        names.add(m[1])
        for name in (n.strip().split(" as ")[0] for n in m[2].strip("()").split(",") if n.strip()):
            if module_file(f"{m[1]}.{name}") is not None:
                names.add(f"{m[1]}.{name}")
    return names


@pytest.mark.parametrize("script", [s for s in SCRIPTS if s.name.endswith("_figure.py")], ids=lambda p: p.name)
def test_a_figure_job_loads_no_solver_and_no_kernel(script):
    """Every package module a figure script may import (the derived closure, function-level imports included)
    imports without cvxpy or numba: a figure job pays for matplotlib, not for the solvers and kernels."""
    for extra in _extras(script):
        modules = {_module_name(Path(p)) for p in package_modules(script, extra=tuple(extra))}
        assert any(m.endswith(".plots") for m in modules), modules
        assert set(extra) <= modules  # a beyond figure job: its study's plots module is among its inputs
        loaded = _heavy_loaded(modules)
        assert "matplotlib" in loaded  # the probe sees what it should: a figure job does import matplotlib
        assert not loaded & {"cvxpy", "numba"}, f"{script.name} {extra} loads {sorted(loaded)}"


def test_the_snakefile_imports_only_what_builds_the_dag():
    """What the Snakefile and workflow/rules/*.smk import from the package (and every paper's CHECKS registry,
    which they read through `checks_of`) loads none of cvxpy, numba, matplotlib, seaborn, PyTorch: a dry run or a
    no-op rerun does not pay for them."""
    files = [ROOT / "Snakefile", *sorted((ROOT / "workflow" / "rules").glob("*.smk"))]
    modules = set().union(*(_import_names(f.read_text()) for f in files))
    # and what `implicit_bias.config.validate_config`, which the Snakefile calls, imports where it runs: the
    # registry, and every home's declaration and experiments (whose `cross_references` it calls by name)
    modules |= import_graph()["implicit_bias.config"]
    modules |= {m for p in PAPERS for m in (home(p).module, home(p).experiments_module)}
    assert {"implicit_bias.checks", *(f"implicit_bias.papers.{p}.experiments" for p in PAPERS)} <= modules
    assert not _heavy_loaded(modules, PAPERS)


def test_only_the_kernels_import_numba_and_nothing_imports_cvxpy_at_module_level():
    """cvxpy is imported where a problem is solved and numba where a kernel runs: importing every other module of
    the package (the plotting ones included) loads neither, so a job pays for them only if it uses them."""
    kernels = {
        "implicit_bias._core",
        "implicit_bias._fast",
        "implicit_bias._fast_multiclass",
        "implicit_bias._fast_two_layer",
    }
    others = set(import_graph()) - kernels
    assert {"implicit_bias.margins", "implicit_bias.fixed_point", "implicit_bias.training"} <= others
    assert not _heavy_loaded(others) & {"cvxpy", "numba"}


def test_lazy_imports_are_still_rule_inputs():
    """The kernels and the solvers are imported inside the functions that use them; the derived rule inputs still
    list them, so an edit to a kernel re-runs the runs and an edit to the LP re-runs the references."""
    scripts = ROOT / "workflow" / "scripts"
    # the generic step scripts import the home's experiments by name: the rule passes it as `extra`
    experiments = (home("baek2025").experiments_module,)
    run = {Path(p).name for p in package_modules(scripts / "generic_run.py", extra=experiments)}
    assert {"training.py", "_fast.py", "_fast_multiclass.py", "_core.py"} <= run
    ref = {Path(p).name for p in package_modules(scripts / "generic_reference.py", extra=experiments)}
    assert {"fixed_point.py", "margins.py"} <= ref
    # and a probe that imports the kernel module sees numba: the test above would notice a heavy import
    assert "numba" in _heavy_loaded({"implicit_bias._fast"})


# --------------------------------------------------------------------------------------------- import graph
# The modules that dispatch to the papers by design, each by the papers' registry (`papers.PAPERS`, a study by name):
# the check registry (each paper's CHECKS), the target lists (each paper's figures and checks) and the config's
# cross-references (each paper's `check_config`), and the command line, whose help names the registered homes. Every
# other module outside `papers` is shared: it imports no paper.
DISPATCHERS = {"implicit_bias.checks", "implicit_bias.targets", "implicit_bias.config", "implicit_bias.cli"}


def _shared_importing_a_paper(graph: dict[str, set[str]]) -> dict[str, list[str]]:
    """{shared module: the paper modules it imports} over `graph` (module- and function-level imports)."""
    out = {}
    for module, deps in graph.items():
        if module == "implicit_bias.papers" or module.startswith("implicit_bias.papers.") or module in DISPATCHERS:
            continue
        papers = sorted(d for d in deps if d == "implicit_bias.papers" or d.startswith("implicit_bias.papers."))
        if papers:
            out[module] = papers
    return out


def test_shared_modules_import_no_paper():
    """A shared module (the maths, the kernels, the artifacts, torch_full, ...) imports no `implicit_bias.papers`
    module, at module or function level: a paper builds on the shared code, never the other way round."""
    graph = import_graph()
    assert {"implicit_bias.torch_full", "implicit_bias.training", "implicit_bias.margins"} <= set(graph)
    assert not _shared_importing_a_paper(graph), _shared_importing_a_paper(graph)
    # the rule bites: a shared module importing a paper module (or the papers package) is reported
    fake = {**graph, "implicit_bias.torch_full": {*graph["implicit_bias.torch_full"], "implicit_bias.papers.fan2025"}}
    fake["implicit_bias.margins"] = {"implicit_bias.papers"}
    assert set(_shared_importing_a_paper(fake)) == {"implicit_bias.torch_full", "implicit_bias.margins"}


# ---------------------------------------------------------------------------------------------------- layering
# A home (papers/__init__.py) is layered: `experiments` (config -> data, references, runs, metric tables), `checks`
# (verdicts read off the artifacts), `plots` (figures from the metric tables). A beyond study is a home within the
# `beyond` home, laid out the same way (papers/beyond/<study>/). A kernel or solver module is one that imports
# numba, cvxpy or PyTorch anywhere in its source (found here, not listed): the kernels, training, the LP/QP solvers.
_KERNEL_LIBRARIES = ("numba", "torch")
_SOLVER_LIBRARIES = ("cvxpy",)

# Imports from one home into another, each by design and with its reason; any other is a failure.
ALLOWED_CROSS_HOME = {
    ("implicit_bias.papers.beyond.real_data.checks", "implicit_bias.papers.fan2025.checks"): (
        "real_data_multiclass judges fan2025's rate claims (C3, C5) on the ten digits with fan2025's own slope fit "
        "and interval (`loglog_slope`), so that the two verdicts are read the same way"
    ),
}


def _importers_of(libraries: tuple[str, ...]) -> set[str]:
    """The package modules whose source imports one of the third-party `libraries` (module or function level)."""
    out = set()
    for path in sorted(package_dir().rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level:
                names = [node.module or ""]
            else:
                continue
            if any(name.split(".")[0] in libraries for name in names):
                out.add(_module_name(path))
                break
    return out


def _home_of(module: str) -> str | None:
    """The home `module` belongs to: the paper's name (fan2025, ...), beyond for the beyond home's own modules,
    beyond.<study> for a beyond study's; None outside the homes (the registry `implicit_bias.papers` included)."""
    parts = module.split(".")
    if parts[:2] != ["implicit_bias", "papers"] or len(parts) < 3:
        return None
    if parts[2] == "beyond" and len(parts) > 3 and parts[3] in STUDIES:
        return f"beyond.{parts[3]}"
    return parts[2]


def _cross_home_imports(graph: dict[str, frozenset[str]]) -> set[tuple[str, str]]:
    """(importer, imported) across two homes; a home may import its own studies and a study its own home (the
    registry of `beyond` collects its studies' checks, a study's package is a submodule of beyond's)."""
    out = set()
    for module, deps in graph.items():
        a = _home_of(module)
        for dep in deps:
            b = _home_of(dep)
            if a and b and a != b and not b.startswith(f"{a}.") and not a.startswith(f"{b}."):
                out.add((module, dep))
    return out


def _closure(graph: dict[str, frozenset[str]], root: str) -> set[str]:
    """`root` and every module it imports, transitively (module and function level, parent packages included)."""
    seen: set[str] = set()
    todo = [root]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        parts = name.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        todo += sorted(graph[name])
    return seen


def _plots_violations(graph: dict[str, frozenset[str]], kernels: set[str], solvers: set[str]) -> list[str]:
    """A home's plots module imports no experiments module and no kernel or solver module; and what a figure job
    declares (the plots module's closure) holds no experiments module and no kernel. A plots module may import its
    home's checks (a figure marks a check's verdict or threshold); through them it may reach a solver module (baek2025's
    checks solve the proxy problem), whose cvxpy loads only when it solves (the figure-job test above)."""
    experiments = {m for m in graph if _home_of(m) and m.endswith(".experiments")}
    bad = []
    for plots in sorted(m for m in graph if _home_of(m) and m.endswith(".plots")):
        direct = graph[plots] & (experiments | kernels | solvers)
        bad += [f"{plots} imports {dep}" for dep in sorted(direct)]
        reached = (_closure(graph, plots) & (experiments | kernels)) - direct
        bad += [f"{plots} reaches {dep}" for dep in sorted(reached)]
    return bad


def test_a_plots_module_imports_no_experiments_and_no_kernel_or_solver():
    graph = import_graph()
    kernels, solvers = _importers_of(_KERNEL_LIBRARIES), _importers_of(_SOLVER_LIBRARIES)
    assert {"implicit_bias._fast", "implicit_bias.training", "implicit_bias.torch_full"} <= kernels
    assert {"implicit_bias.margins", "implicit_bias.fixed_point"} <= solvers
    plots = {m for m in graph if _home_of(m) and m.endswith(".plots")}
    assert {f"implicit_bias.papers.{h}.plots" for h in HOMES if h != "beyond"} <= plots
    assert {f"implicit_bias.papers.beyond.{s}.plots" for s in STUDIES} <= plots
    assert not _plots_violations(graph, kernels, solvers), _plots_violations(graph, kernels, solvers)
    # the rule bites: a plots module importing its experiments, a solver, or reaching a kernel through its checks
    fake = dict(graph)
    fake["implicit_bias.papers.beyond.eps.plots"] = graph["implicit_bias.papers.beyond.eps.plots"] | {
        "implicit_bias.papers.beyond.eps.experiments",
        "implicit_bias.margins",
    }
    fake["implicit_bias.papers.beyond.phase.checks"] = graph["implicit_bias.papers.beyond.phase.checks"] | {
        "implicit_bias.training"
    }
    reported = _plots_violations(fake, kernels, solvers)
    assert {
        "implicit_bias.papers.beyond.eps.plots imports implicit_bias.margins",
        "implicit_bias.papers.beyond.eps.plots imports implicit_bias.papers.beyond.eps.experiments",
        "implicit_bias.papers.beyond.eps.plots reaches implicit_bias._fast",  # through its experiments
        "implicit_bias.papers.beyond.phase.plots reaches implicit_bias.training",
        "implicit_bias.papers.beyond.phase.plots reaches implicit_bias._fast",
    } <= set(reported)
    assert {line.split()[0] for line in reported} == {
        "implicit_bias.papers.beyond.eps.plots",
        "implicit_bias.papers.beyond.phase.plots",
    }


def test_no_home_imports_another_home():
    """A paper's home (and a beyond study) builds on the shared modules, never on another home, except by the
    allowed edges (ALLOWED_CROSS_HOME), each with its reason; an allowed edge that no longer exists is stale."""
    graph = import_graph()
    cross = _cross_home_imports(graph)
    assert not cross - set(ALLOWED_CROSS_HOME), sorted(cross - set(ALLOWED_CROSS_HOME))
    assert set(ALLOWED_CROSS_HOME) <= cross, "stale allowed edges: " + str(sorted(set(ALLOWED_CROSS_HOME) - cross))
    # the rule bites: a paper importing another paper, a study another study; the beyond registry its studies is fine
    fake = dict(graph)
    fake["implicit_bias.papers.baek2025.plots"] = graph["implicit_bias.papers.baek2025.plots"] | {
        "implicit_bias.papers.fan2025.tables"
    }
    fake["implicit_bias.papers.beyond.eps.checks"] = graph["implicit_bias.papers.beyond.eps.checks"] | {
        "implicit_bias.papers.beyond.phase.checks"
    }
    assert _cross_home_imports(fake) - cross == {
        ("implicit_bias.papers.baek2025.plots", "implicit_bias.papers.fan2025.tables"),
        ("implicit_bias.papers.beyond.eps.checks", "implicit_bias.papers.beyond.phase.checks"),
    }
    assert ("implicit_bias.papers.beyond.checks", "implicit_bias.papers.beyond.eps.checks") not in cross


def test_package_has_no_import_cycle():
    """Module- and function-level, absolute and relative imports: the package's import graph is acyclic."""
    graph = import_graph()
    assert "implicit_bias.papers.fan2025.experiments" in graph and len(graph) > 20
    state: dict[str, int] = {}  # 1 on the DFS stack, 2 done
    cycles = []

    def visit(node, path):
        state[node] = 1
        for dep in sorted(graph[node]):
            if dep == node:
                continue
            if state.get(dep) == 1:
                cycles.append([*path[path.index(dep) :], dep])
            elif dep not in state:
                visit(dep, [*path, dep])
        state[node] = 2

    for node in sorted(graph):
        if node not in state:
            visit(node, [node])
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _module_name(path: Path) -> str:
    rel = path.relative_to(package_dir()).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(["implicit_bias", *parts])


def _absolute(node: ast.ImportFrom, importer: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = importer.split(".") if is_package else importer.split(".")[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _private_uses(path: Path) -> list[str]:
    """`from <package module> import _name` (a private name, not a private submodule) and `<module alias>._name`."""
    name = _module_name(path)
    tree = ast.parse(path.read_text())
    module_aliases: dict[str, str] = {}  # local name -> package module it is bound to
    bad = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("implicit_bias"):
                    module_aliases[alias.asname or alias.name.split(".")[0]] = alias.name
        elif isinstance(node, ast.ImportFrom):
            source = _absolute(node, name, path.name == "__init__.py")
            if not source.startswith("implicit_bias"):
                continue
            for alias in node.names:
                target = f"{source}.{alias.name}"
                if module_file(target) is not None:  # a submodule, private or not (e.g. the numba kernels)
                    module_aliases[alias.asname or alias.name] = target
                elif _is_private(alias.name) and source != name:
                    bad.append(f"{name}: from {source} import {alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr) and isinstance(node.value, ast.Name):
            owner = node.value.id
            if owner in module_aliases and module_file(f"{module_aliases[owner]}.{node.attr}") is None:
                bad.append(f"{name}: {owner}.{node.attr} (module {module_aliases[owner]})")
            elif owner not in module_aliases and owner not in ("self", "cls") and node.attr not in _NAMEDTUPLE_API:
                bad.append(f"{name}: {owner}.{node.attr} (private attribute of another object)")
    return bad


_NAMEDTUPLE_API = {"_replace", "_asdict", "_fields", "_make", "_field_defaults"}


def test_no_module_uses_another_modules_private_names():
    """Private names stay in their module: cross-module use goes through public names (private *modules*, such as
    the numba kernels `_fast*`, may be imported; their private names may not)."""
    bad = [use for path in sorted(package_dir().rglob("*.py")) for use in _private_uses(path)]
    assert not bad, "private names used across modules:\n" + "\n".join(bad)


def _unannotated(tree: ast.Module) -> list[str]:
    """Public functions and public methods (and __init__) of public classes missing a parameter or return hint."""
    out = []
    for node in tree.body:
        funcs = [node]
        if isinstance(node, ast.ClassDef) and not node.name.startswith("_"):
            funcs += [n for n in node.body if isinstance(n, ast.FunctionDef)]
        for f in funcs:
            if not isinstance(f, ast.FunctionDef) or (f.name.startswith("_") and f.name != "__init__"):
                continue
            params = [a for a in f.args.posonlyargs + f.args.args + f.args.kwonlyargs if a.arg not in ("self", "cls")]
            params += [a for a in (f.args.vararg, f.args.kwarg) if a is not None]
            if f.returns is None or any(a.annotation is None for a in params):
                out.append(f.name)
    return out


def test_every_public_function_has_type_hints():
    """Every public function of the package's public modules has type hints (the numba kernels in
    private modules take no annotations; numba types them itself)."""
    missing = {}
    for path in sorted(package_dir().rglob("*.py")):
        if path.name.startswith("_") and path.name != "__init__.py":
            continue
        names = _unannotated(ast.parse(path.read_text()))
        if names:
            missing[str(path.relative_to(package_dir()))] = names
    assert not missing, missing
