"""The fan2025 part of the workflow through Snakemake's command line, on the smoke config in a temporary directory."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from implicit_bias.checks import checks_of

FAN_CHECKS = checks_of("fan2025")
SMOKE_EXPECTED = {
    e["check"] for e in yaml.safe_load((Path(__file__).parent / "smoke_config.yaml").read_text())["expected_failures"]
}
FIGURES = ("fig1", "fig1_gaps", "fig_nsd", "fig_losses", "fig1_v4", "fig2_v4", "fig3_net")
pytestmark = pytest.mark.pipeline


def _fan_targets():
    return [f"results/figures/fan2025/{f}.png" for f in FIGURES] + [
        f"results/checks/fan2025/{c}.json" for c in FAN_CHECKS
    ]


@pytest.mark.xdist_group("smoke")
def test_fan2025_targets_build_and_every_check_passes(smoke, snakemake):
    """The fan2025 figures and checks of the shared smoke reproduction (conftest.py), which builds every paper: every
    check passes except those the smoke config expects to fail."""
    for fig in FIGURES:
        for ext in ("png", "pdf"):
            path = smoke / f"results/figures/fan2025/{fig}.{ext}"
            assert path.stat().st_size > 10_000, path
    for name in FAN_CHECKS:
        verdict = json.loads((smoke / f"results/checks/fan2025/{name}.json").read_text())
        assert {"claim", "measured", "threshold", "passed", "versions"} <= set(verdict)
        assert verdict["passed"] is (f"fan2025/{name}" not in SMOKE_EXPECTED), verdict
    assert "Nothing to be done" in snakemake(smoke, "-n", *_fan_targets()).stdout


def test_fan2025_targets_need_only_fan2025_jobs(workflow_copy, dry_run_jobs):
    """Asking for the fan2025 figures and checks alone plans fan2025 jobs only, every step of them."""
    jobs = dry_run_jobs(workflow_copy, *_fan_targets())
    assert {"fan_dataset", "fan_reference", "fan_run", "fan_metrics", "fan_figure", "fan_check"} <= set(jobs)
    assert not [rule for rule in jobs if rule.startswith(("baek_", "cat_"))], jobs


def test_fan2025_config_typo_fails_naming_the_key(workflow_copy, snakemake):
    wd = workflow_copy
    (wd / "smoke_config.yaml").write_text(
        yaml.safe_dump({"fan2025": {"experiments": {"main": {"runs": {"ngd": {"betta1": 0.5}}}}}})
    )
    proc = snakemake(wd, "-n", "fan2025", check=False)
    assert proc.returncode != 0 and "betta1" in proc.stdout + proc.stderr
    # one line naming the dotted key path with the paper prefix, no schema dump
    out = (proc.stdout + proc.stderr).strip()
    assert out.splitlines()[-1].startswith("config error: fan2025.experiments.main.runs.ngd: "), out
    assert "instance[" not in out and "Failed validating" not in out
    assert not (wd / "results").exists()


def test_fan2025_cross_reference_error_names_the_key(workflow_copy, snakemake):
    wd = workflow_copy
    (wd / "smoke_config.yaml").write_text(
        yaml.safe_dump({"fan2025": {"experiments": {"main": {"runs": {"ngd": {"p": 3}}}}}})
    )
    proc = snakemake(wd, "-n", "fan2025", check=False)
    assert proc.returncode != 0 and "fan2025.experiments.main.runs.ngd.p" in proc.stdout + proc.stderr


def test_fan2025_one_figure_builds_only_what_it_needs(workflow_copy, snakemake):
    out = snakemake(workflow_copy, "-n", "results/figures/fan2025/fig_nsd.png").stdout
    assert "fan_run" in out and "fan_check" not in out and "baek_run" not in out
