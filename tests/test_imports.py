"""The package's import structure: the rule inputs derived from the import graph cover every module a workflow
script really imports."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from implicit_bias._imports import package_modules
from implicit_bias.checks import PAPERS, checks_module

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = sorted(p for p in (ROOT / "workflow" / "scripts").glob("*.py") if not p.name.startswith("_"))

# Imports the script's `implicit_bias` modules (found with a regex, independently of the ast walk under test) and
# prints the files of every implicit_bias module then loaded.
_PROBE = r"""
import importlib, json, re, sys, types
text = open(sys.argv[1]).read()
extra = json.loads(sys.argv[2])
for m in re.finditer(r"^\s*from\s+(implicit_bias[\w.]*)\s+import\s+\(?([\w\s,]+)\)?", text, re.M):
    mod = importlib.import_module(m[1])
    for name in (n.strip().split(" as ")[0] for n in m[2].split(",") if n.strip()):
        if isinstance(getattr(mod, name, None), types.ModuleType):
            pass  # already loaded by the attribute access
for m in re.finditer(r"^\s*import\s+(implicit_bias[\w.]*)", text, re.M):
    importlib.import_module(m[1])
for name in extra:
    importlib.import_module(name)
print(json.dumps(sorted(m.__file__ for k, m in list(sys.modules.items()) if k.split(".")[0] == "implicit_bias")))
"""


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
    extras = [[checks_module(paper)] for paper in PAPERS] if script.name == "check.py" else [[]]
    for extra in extras:
        derived = {str(Path(p).resolve()) for p in package_modules(script, extra=tuple(extra))}
        missing = _loaded(script, extra) - derived
        assert not missing, f"{script.name} {extra}: imports not declared as rule inputs: {sorted(missing)}"


def test_derived_rule_inputs_follow_relative_and_function_level_imports():
    check = ROOT / "workflow" / "scripts" / "check.py"
    derived = {Path(p).name for p in package_modules(check, extra=(checks_module("fan2025"),))}
    # checks_of imports the paper's module by name (the `extra`); that module imports the maths it checks
    assert {"__init__.py", "artifacts.py", "multiclass.py", "margins.py"} <= derived
    assert re.search(r"fan2025", " ".join(package_modules(check, extra=(checks_module("fan2025"),))))


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
