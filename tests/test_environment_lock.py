"""Pinned environments: requirements.lock pins every dependency of pyproject.toml (and the test extra) to one
version; environment.yml (the developer's conda environment) and workflow/envs/python.yaml (the rules' conda
environment, `snakemake --use-conda`) pin the same versions; CI installs with the lock as constraints, while
pyproject.toml keeps ranges so that `pip install -e .` works for library users.
"""

from __future__ import annotations

import os
import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements.lock"
# torch (the `full` and `bench` extras) is large and optional: it stays out of the lock's default set
LOCKED_EXTRAS = ("test", "cluster")


def normalize(name: str) -> str:
    """A distribution name as PEP 503 compares them (case, runs of -_. )."""
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_name(req: str) -> str:
    return normalize(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)[1])


def lock_pins() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            m = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)(\s*;.*)?", line.strip())
            assert m, f"requirements.lock: not an exact pin: {line!r}"
            pins[normalize(m[1])] = m[2]
    return pins


@pytest.fixture(scope="module")
def project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def direct_requirements(project: dict) -> list[str]:
    extras = project["optional-dependencies"]
    return project["dependencies"] + [req for extra in LOCKED_EXTRAS for req in extras[extra]]


def test_the_lock_pins_every_dependency_of_pyproject(project):
    pins = lock_pins()
    missing = [req for req in direct_requirements(project) if requirement_name(req) not in pins]
    assert not missing, f"requirements.lock lacks {missing}: refresh it (docs/contributing.md, Pinned environments)"
    assert "torch" not in pins and "jax" not in pins, "torch/jax stay out of the lock's default set"
    assert normalize(project["name"]) not in pins  # the package itself is installed from the checkout


def test_the_lock_says_how_it_was_made():
    head = LOCK.read_text().splitlines()[:3]
    assert any("uv pip compile pyproject.toml --extra test --universal -o requirements.lock" in h for h in head)


def test_pyproject_keeps_ranges_for_library_users(project):
    """`pip install -e .` resolves against ranges: no exact pin among the package's own dependencies."""
    exact = [req for req in direct_requirements(project) if "==" in req]
    assert not exact, exact
    assert project["requires-python"] == ">=3.11"


def conda_pins(path: Path) -> tuple[list[str], dict[str, str]]:
    """(conda specs, {name: version}) of a conda environment file; every package but python and pip (its conda
    list and its pip list) must be an exact pin `name==version`, and agree with requirements.lock."""
    env = yaml.safe_load(path.read_text())
    conda = [dep for dep in env["dependencies"] if isinstance(dep, str)]
    pip = next(dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict))
    pins = lock_pins()
    listed = {}
    for spec in conda + [p for p in pip if not p.startswith("-")]:
        name = requirement_name(spec)
        if name in ("python", "pip"):
            continue
        m = re.fullmatch(r"[A-Za-z0-9._-]+==(\S+)", spec.strip())
        assert m, f"{path.name}: {spec!r} is not an exact pin (name==version)"
        assert pins.get(name) == m[1], f"{path.name} pins {spec}, requirements.lock {name}=={pins.get(name)}"
        assert name not in listed, f"{path.name} lists {name} twice"
        listed[name] = m[1]
    assert "python=3.11" in conda  # the oldest Python pyproject allows, the one the lock and CI use
    return conda, listed


def test_environment_yml_pins_the_locks_versions(project):
    _, listed = conda_pins(ROOT / "environment.yml")
    missing = {requirement_name(req) for req in direct_requirements(project)} - set(listed)
    assert not missing, f"environment.yml lacks {sorted(missing)}"


def test_the_rules_conda_env_is_the_runtime_dependencies_at_the_locks_versions(project):
    """workflow/envs/python.yaml (every rule's `conda:`) holds exactly pyproject's runtime dependencies, pinned to
    the lock, and installs the package from the checkout: a `--use-conda` run computes with the versions CI tests."""
    path = ROOT / "workflow" / "envs" / "python.yaml"
    _, listed = conda_pins(path)
    runtime = {requirement_name(req) for req in project["dependencies"]}
    assert set(listed) == runtime, (
        f"{path.name}: lacks {sorted(runtime - set(listed))}, extra {sorted(set(listed) - runtime)}"
    )
    env = yaml.safe_load(path.read_text())
    pip = next(dep["pip"] for dep in env["dependencies"] if isinstance(dep, dict))
    assert "-e ../.." in pip and (path.parent / "../..").resolve() == ROOT


def test_ci_installs_with_the_lock_as_constraints():
    assert re.search(r"pip install .*-c requirements\.lock .*-e \"\.\[test\]\"", (ROOT / ".ci" / "run").read_text())
    workflow = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
    assert workflow["env"]["PIP_CONSTRAINT"] == "requirements.lock"  # every job's `pip install` takes it as -c


@pytest.mark.skipif(not os.environ.get("CI"), reason="CI installs from the lock; a developer's environment may differ")
def test_ci_runs_on_the_locked_versions(project):
    pins = lock_pins()
    off = {}
    for req in direct_requirements(project):
        name = requirement_name(req)
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != pins[name]:
            off[name] = (installed, pins[name])
    assert not off, f"installed vs locked: {off}"
