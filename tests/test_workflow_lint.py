"""Static checks: ruff (lint and format), mypy on src/, Snakemake's linter, snakefmt, and a dry run of the full default
config."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from implicit_bias.checks import checks_of
from implicit_bias.papers import PAPERS, home

ROOT = Path(__file__).resolve().parents[1]


def _run(*cmd):
    return subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True)


def _dry_run(directory, *args):
    """A dry run of the full default config in `directory` (the repo's results/ untouched)."""
    return _run(
        *(sys.executable, "-m", "snakemake", *args, "-n", "--cores", "2", "--directory", str(directory)),
        *("--snakefile", str(ROOT / "Snakefile"), "--configfile", str(ROOT / "config.yaml")),
    )


PY_TREES = ("src", "tests", "workflow", "benchmarks")


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is in the [test] extra")
def test_ruff_check_is_clean():
    proc = _run("ruff", "check", *PY_TREES)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is in the [test] extra")
def test_ruff_format_is_clean():
    proc = _run("ruff", "format", "--check", *PY_TREES)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(importlib.util.find_spec("mypy") is None, reason="mypy is in the [test] extra")
def test_mypy_is_clean():
    """The type check of src/ with pyproject.toml's [tool.mypy] settings (about 20 s of CPU without a cache)."""
    proc = _run(sys.executable, "-m", "mypy")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Success" in proc.stdout


def test_snakemake_lint_is_clean():
    proc = _run(sys.executable, "-m", "snakemake", "--lint", "--cores", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(shutil.which("snakefmt") is None, reason="snakefmt is in the [test] extra")
def test_snakefmt_check_is_clean():
    proc = _run("snakefmt", "--check", "Snakefile", "workflow/")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_default_config_dry_run_plans_every_target(tmp_path):
    """The full configuration validates and its DAG resolves (without touching the repo's results/)."""
    proc = _dry_run(tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert all(r in proc.stdout for r in ("baek_figure", "fan_figure", "cat_figure", "summary"))
    # Every job that runs a step records its time under results/benchmarks/<its rule> (implicit_bias.profile reads the
    # rule from that path); only `profile`, which reads those records, keeps none.
    jobs = re.findall(r"^rule (\w+):\n((?:    .*\n)+)", proc.stdout, re.M)
    stepped = [(rule, body) for rule, body in jobs if "    log: " in body and rule != "profile"]
    assert len(stepped) > 100
    unrecorded = sorted(
        {
            rule
            for rule, body in stepped
            if not re.search(rf"^    benchmark: results/benchmarks/{rule}(/|\.tsv)", body, re.M)
        }
    )
    assert not unrecorded, f"rules without a benchmark record under results/benchmarks/<rule>: {unrecorded}"


def _job_stats(out: str) -> dict:
    """rule -> planned job count, from the first job-stats table of a dry run."""
    table = out.split("Job stats:", 1)[1].split("\n\n", 1)[0]
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", table, re.M) if m[1] != "total"}


PREFIX = {paper: home(paper).prefix for paper in PAPERS}  # the registry: every home, its rule-name prefix


@pytest.mark.parametrize("paper", sorted(PREFIX))
def test_paper_target_plans_only_that_paper(tmp_path, paper):
    """`snakemake <paper>` builds that paper's figures, checks and per-paper summary, and no job of another paper."""
    proc = _dry_run(tmp_path, paper, "--forceall")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    jobs = _job_stats(proc.stdout)
    other = {rule for rule in jobs if rule not in (paper, "paper_summary") and not rule.startswith(PREFIX[paper] + "_")}
    assert not other, f"{paper} plans jobs of other rules: {sorted(other)}"
    assert jobs[paper] == 1 and jobs["paper_summary"] == 1
    assert jobs[f"{PREFIX[paper]}_check"] == len(checks_of(paper))
    assert any(rule.endswith("_figure") for rule in jobs)
    outputs = re.findall(r"^\s+output: (.+)$", proc.stdout, re.M)
    paths = [p for line in outputs for p in line.split(", ")]
    assert paths and all(f"/{paper}/" in p for p in paths), [p for p in paths if f"/{paper}/" not in p]
    assert f"results/checks/{paper}/summary.md" in paths
