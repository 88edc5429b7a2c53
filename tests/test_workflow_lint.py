"""Static checks: ruff (lint and format), Snakemake's linter, snakefmt, and a dry run of the full default config."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _run(*cmd):
    return subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True)


PY_TREES = ("src", "tests", "workflow", "benchmarks")


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is in the [test] extra")
def test_ruff_check_is_clean():
    proc = _run("ruff", "check", *PY_TREES)
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(shutil.which("ruff") is None, reason="ruff is in the [test] extra")
def test_ruff_format_is_clean():
    proc = _run("ruff", "format", "--check", *PY_TREES)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_snakemake_lint_is_clean():
    proc = _run(sys.executable, "-m", "snakemake", "--lint", "--cores", "1")
    assert proc.returncode == 0, proc.stdout + proc.stderr


@pytest.mark.skipif(shutil.which("snakefmt") is None, reason="snakefmt is in the [test] extra")
def test_snakefmt_check_is_clean():
    proc = _run("snakefmt", "--check", "Snakefile", "workflow/")
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_default_config_dry_run_plans_every_target(tmp_path):
    """The full configuration validates and its DAG resolves (without touching the repo's results/)."""
    proc = _run(
        sys.executable,
        "-m",
        "snakemake",
        "-n",
        "--cores",
        "2",
        "--directory",
        str(tmp_path),
        "--snakefile",
        str(ROOT / "Snakefile"),
        "--configfile",
        str(ROOT / "config.yaml"),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert all(r in proc.stdout for r in ("baek_figure", "fan_figure", "cat_figure", "summary"))
