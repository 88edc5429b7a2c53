"""cattaneo2024 end to end: `snakemake cattaneo2024` on the smoke config in a temporary copy of the workflow."""

from __future__ import annotations

import json

import pytest
import yaml

from implicit_bias.checks import checks_of

pytestmark = pytest.mark.pipeline
CHECKS = checks_of("cattaneo2024")


@pytest.mark.xdist_group("smoke")
def test_builds_every_figure_and_passing_check(smoke, snakemake):
    """The cattaneo2024 figures and checks of the shared smoke reproduction (conftest.py), which builds every paper:
    every check passes except those the smoke config expects to fail."""
    for i in range(1, 6):
        for ext in ("png", "pdf"):
            path = smoke / f"results/figures/cattaneo2024/fig{i}.{ext}"
            assert path.stat().st_size > 10_000, path
    expected = {e["check"] for e in yaml.safe_load((smoke / "smoke_config.yaml").read_text())["expected_failures"]}
    for name in CHECKS:
        verdict = json.loads((smoke / f"results/checks/cattaneo2024/{name}.json").read_text())
        assert {"claim", "measured", "threshold", "passed", "versions"} <= set(verdict)
        # Figs. 4-5 are not testable on the substitute (no hill): expected failures of the smoke config
        assert verdict["passed"] is (f"cattaneo2024/{name}" not in expected), verdict
    assert "Nothing to be done" in snakemake(smoke, "-n", "cattaneo2024").stdout


def test_target_needs_only_cattaneo2024_jobs(workflow_copy, dry_run_jobs):
    """`snakemake cattaneo2024` alone plans cattaneo2024 jobs only, every step of them."""
    jobs = dry_run_jobs(workflow_copy, "cattaneo2024")
    steps = {"cat_fcurve", "cat_toy", "cat_order", "cat_sweep_point", "cat_sweep", "cat_figure", "cat_check"}
    assert steps <= set(jobs)
    assert not [rule for rule in jobs if rule.startswith(("baek_", "fan_"))], jobs


def test_config_typo_fails_naming_the_key(workflow_copy, snakemake):
    wd = workflow_copy
    (wd / "smoke_config.yaml").write_text(yaml.safe_dump({"cattaneo2024": {"sweeps": {"stepz": 3}}}))
    proc = snakemake(wd, "-n", "cattaneo2024", check=False)
    assert proc.returncode != 0
    assert "stepz" in proc.stdout + proc.stderr
    out = (proc.stdout + proc.stderr).strip()
    assert out.splitlines()[-1].startswith("config error: cattaneo2024.sweeps: "), out
    assert "instance[" not in out and "Failed validating" not in out
