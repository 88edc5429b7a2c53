"""The Snakemake workflow end to end, through its command line, on the smoke config in a temporary directory."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from implicit_bias.checks import PAPERS, checks_of

BAEK2025_CHECKS = checks_of("baek2025")
N_CHECKS = sum(len(checks_of(paper)) for paper in PAPERS)

ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]
pytestmark = pytest.mark.pipeline


def _copy_workflow(dest: Path) -> Path:
    for name in ("Snakefile", "config.yaml"):
        shutil.copy(ROOT / name, dest / name)
    shutil.copytree(ROOT / "workflow", dest / "workflow")
    shutil.copy(ROOT / "tests" / "smoke_config.yaml", dest / "smoke_config.yaml")
    return dest


def _snakemake(wd: Path, *args, check=True):
    cmd = [*SNAKEMAKE, "--cores", "2", *args, "--configfile", "smoke_config.yaml"]  # --configfile takes 1+ values
    proc = subprocess.run(cmd, check=False, cwd=wd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def _planned_jobs(wd: Path, *args) -> dict:
    """Job counts of a dry run (rule -> count), from Snakemake's job-stats table."""
    out = _snakemake(wd, "-n", *args).stdout
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", out, re.M) if m[1] != "total"}


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """Run the default target (every figure and check of every paper), then the `verify` gate, on the smoke config."""
    wd = _copy_workflow(tmp_path_factory.mktemp("smoke"))
    _snakemake(wd)
    _snakemake(wd, "verify")
    return wd


def test_verify_builds_every_figure_and_check(smoke):
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())["baek2025"]
    for fig in cfg["figures"]:
        for ext in ("png", "pdf"):
            path = smoke / f"results/figures/baek2025/{fig}.{ext}"
            assert path.stat().st_size > 10_000, path
    for name in BAEK2025_CHECKS:
        verdict = json.loads((smoke / f"results/checks/baek2025/{name}.json").read_text())
        assert {"claim", "measured", "threshold", "passed"} <= set(verdict)
        assert verdict["passed"] is True, verdict
    summary = (smoke / "results/checks/summary.md").read_text()
    assert f"{N_CHECKS} of {N_CHECKS} checks passed" in summary
    assert (smoke / "results/checks/verified.txt").exists()


def test_second_run_does_nothing(smoke):
    assert "Nothing to be done" in _snakemake(smoke, "-n").stdout


def test_changing_one_beta_reruns_only_its_experiment(smoke):
    cfg = yaml.safe_load((smoke / "smoke_config.yaml").read_text())
    cfg["baek2025"]["experiments"] = {"gaussian_beta2_sweep": {"beta1": 0.4}}
    (smoke / "smoke_config.yaml").write_text(yaml.safe_dump(cfg))
    try:
        jobs = _planned_jobs(smoke)
    finally:
        shutil.copy(ROOT / "tests" / "smoke_config.yaml", smoke / "smoke_config.yaml")
    # the sweep's run, its metrics, Fig. 8, the checks that read it, and the summary gate
    assert jobs.get("baek_run") == 1 and jobs.get("baek_metrics") == 1 and jobs.get("baek_figure") == 1
    assert "baek_dataset" not in jobs and "baek_reference" not in jobs
    assert jobs.get("baek_check") == 2  # fig8 and loss_convergence


def test_one_figure_builds_only_what_it_needs(tmp_path):
    wd = _copy_workflow(tmp_path)
    jobs = _planned_jobs(wd, "results/figures/baek2025/fig2.png")
    assert jobs == {"baek_dataset": 1, "baek_reference": 1, "baek_run": 1, "baek_metrics": 1, "baek_figure": 1}


def test_config_typo_fails_before_any_job_naming_the_key(tmp_path):
    wd = _copy_workflow(tmp_path)
    (wd / "smoke_config.yaml").write_text(
        yaml.safe_dump({"baek2025": {"experiments": {"gr_adam": {"runs": {"det_adam": {"betta1": 0.5}}}}}})
    )
    proc = _snakemake(wd, "-n", check=False)
    assert proc.returncode != 0
    assert "betta1" in proc.stdout + proc.stderr
    assert not (wd / "results").exists()


def test_config_cross_reference_error_names_the_key(tmp_path):
    wd = _copy_workflow(tmp_path)
    (wd / "smoke_config.yaml").write_text(
        yaml.safe_dump({"baek2025": {"experiments": {"gr_adam": {"runs": {"inc_adam": {"batch_size": 3}}}}}})
    )
    proc = _snakemake(wd, "-n", check=False)
    assert proc.returncode != 0
    assert "baek2025.experiments.gr_adam.runs.inc_adam.batch_size" in proc.stdout + proc.stderr
