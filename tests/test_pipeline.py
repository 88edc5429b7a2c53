"""The Snakemake workflow end to end, through its command line, on the smoke config in a temporary directory."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml

from implicit_bias.checks import PAPERS, checks_of

BAEK2025_CHECKS = checks_of("baek2025")
N_CHECKS = sum(len(checks_of(paper)) for paper in PAPERS)

ROOT = Path(__file__).resolve().parents[1]
# checks the smoke config expects to fail (claims not reproduced on its one data seed either)
SMOKE_EXPECTED = {
    e["check"] for e in yaml.safe_load((ROOT / "tests" / "smoke_config.yaml").read_text())["expected_failures"]
}
pytestmark = pytest.mark.pipeline
# The `smoke`, `workflow_copy`, `snakemake` and `dry_run_jobs` fixtures are in conftest.py; `smoke`
# (the default target and `verify`, built once per session) is shared with the fan2025 and cattaneo2024 tests.


@pytest.mark.xdist_group("smoke")
def test_the_smoke_group_runs_on_one_worker(request):
    """Under pytest-xdist's `--dist loadgroup` a test marked xdist_group("smoke") carries its group in its id, which is
    what keeps every smoke test on one worker and the smoke reproduction built once; where the mark is ignored
    (pytest 9.2.0 with pytest-xdist 3.8.0) each worker builds its own, and the suite takes twice as long."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.skip("not under pytest-xdist (-n 0): one process, one smoke build")
    assert request.node.nodeid.endswith("@smoke"), request.node.nodeid


@pytest.mark.xdist_group("smoke")
def test_verify_builds_every_figure_and_check(smoke):
    cfg = yaml.safe_load((ROOT / "config.yaml").read_text())["baek2025"]
    for fig in cfg["figures"]:
        for ext in ("png", "pdf"):
            path = smoke / f"results/figures/baek2025/{fig}.{ext}"
            assert path.stat().st_size > 10_000, path
    for name in BAEK2025_CHECKS:
        verdict = json.loads((smoke / f"results/checks/baek2025/{name}.json").read_text())
        assert {"claim", "measured", "threshold", "passed"} <= set(verdict)
        assert verdict["passed"] is (f"baek2025/{name}" not in SMOKE_EXPECTED), verdict
    summary = (smoke / "results/checks/summary.md").read_text()
    assert f"{N_CHECKS - len(SMOKE_EXPECTED)} of {N_CHECKS} checks passed" in summary
    assert (smoke / "results/checks/verified.txt").exists()


@pytest.mark.xdist_group("smoke")
def test_every_verdict_states_its_kind_and_criteria(smoke):
    """The ledger's verdict model on every check of every paper: a kind, criteria each with a reason, the threshold
    shown equal to the threshold applied, and the verdict equal to "every criterion holds"."""
    for paper in PAPERS:
        for name in checks_of(paper):
            v = json.loads((smoke / f"results/checks/{paper}/{name}.json").read_text())
            assert v["kind"] in ("claim", "consistency"), (paper, name)
            assert v["criteria"], (paper, name)
            for c in v["criteria"]:
                assert c["reason"].strip() and c["key"] in v["measured"], (paper, name, c)
                assert v["threshold"][f"{c['key']} {c['op']}"] == c["threshold"]
            assert v["passed"] == all(c["passed"] for c in v["criteria"])
    ledger = (smoke / "results/checks/summary.md").read_text()
    for paper in PAPERS:
        assert f"## {paper}" in ledger and (smoke / f"results/checks/{paper}/summary.md").exists()


@pytest.mark.xdist_group("smoke")
def test_second_run_does_nothing(smoke, snakemake):
    assert "Nothing to be done" in snakemake(smoke, "-n").stdout


@pytest.mark.xdist_group("smoke")
def test_changing_one_beta_reruns_only_its_experiment(smoke, dry_run_jobs):
    cfg = yaml.safe_load((smoke / "smoke_config.yaml").read_text())
    cfg["baek2025"].setdefault("experiments", {})["gaussian_beta2_sweep"] = {"beta1": 0.4}
    # the smoke config with one beta changed (key order kept: Snakemake compares params in order)
    (smoke / "beta1_changed.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    jobs = dry_run_jobs(smoke, configfile="beta1_changed.yaml")  # a dry run: the shared build is left as it is
    # the sweep's run, its metrics, Fig. 8, the checks that read it, and the summary gate
    assert jobs.get("baek_run") == 1 and jobs.get("baek_metrics") == 1 and jobs.get("baek_figure") == 1
    assert "baek_dataset" not in jobs and "baek_reference" not in jobs
    assert jobs.get("baek_check") == 3  # fig8, lemma_a1 and loss_sanity
    assert not [rule for rule in jobs if rule.startswith(("fan_", "cat_"))], jobs  # other papers are untouched


def test_one_figure_builds_only_what_it_needs(workflow_copy, dry_run_jobs):
    jobs = dry_run_jobs(workflow_copy, "results/figures/baek2025/fig2.png")
    assert jobs == {"baek_dataset": 1, "baek_reference": 1, "baek_run": 1, "baek_metrics": 1, "baek_figure": 1}


def test_config_typo_fails_before_any_job_naming_the_key(workflow_copy, snakemake):
    wd = workflow_copy
    (wd / "smoke_config.yaml").write_text(
        yaml.safe_dump({"baek2025": {"experiments": {"gr_adam": {"runs": {"det_adam": {"betta1": 0.5}}}}}})
    )
    proc = snakemake(wd, "-n", check=False)
    assert proc.returncode != 0
    assert "betta1" in proc.stdout + proc.stderr
    out = (proc.stdout + proc.stderr).strip()
    assert out.splitlines()[-1].startswith("config error: baek2025.experiments.gr_adam.runs.det_adam: "), out
    assert "instance[" not in out and "Failed validating" not in out
    assert not (wd / "results").exists()


def test_config_cross_reference_error_names_the_key(workflow_copy, snakemake):
    wd = workflow_copy
    (wd / "smoke_config.yaml").write_text(
        yaml.safe_dump({"baek2025": {"experiments": {"gr_adam": {"runs": {"inc_adam": {"batch_size": 3}}}}}})
    )
    proc = snakemake(wd, "-n", check=False)
    assert proc.returncode != 0
    assert "baek2025.experiments.gr_adam.runs.inc_adam.batch_size" in proc.stdout + proc.stderr
