"""cattaneo2024 end to end: `snakemake cattaneo2024` on the smoke config in a temporary copy of the workflow."""

from __future__ import annotations

import json

import pytest
import yaml
from test_pipeline import _copy_workflow, _snakemake

from implicit_bias.checks import checks_of

pytestmark = pytest.mark.pipeline
CHECKS = checks_of("cattaneo2024")


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    wd = _copy_workflow(tmp_path_factory.mktemp("cat_smoke"))
    _snakemake(wd, "cattaneo2024")
    return wd


def test_builds_every_figure_and_passing_check(smoke):
    for i in range(1, 6):
        for ext in ("png", "pdf"):
            path = smoke / f"results/figures/cattaneo2024/fig{i}.{ext}"
            assert path.stat().st_size > 10_000, path
    for name in CHECKS:
        verdict = json.loads((smoke / f"results/checks/cattaneo2024/{name}.json").read_text())
        assert {"claim", "measured", "threshold", "passed", "versions"} <= set(verdict)
        assert verdict["passed"] is True, verdict
    assert "Nothing to be done" in _snakemake(smoke, "-n", "cattaneo2024").stdout


def test_config_typo_fails_naming_the_key(tmp_path):
    wd = _copy_workflow(tmp_path)
    (wd / "smoke_config.yaml").write_text(yaml.safe_dump({"cattaneo2024": {"sweeps": {"stepz": 3}}}))
    proc = _snakemake(wd, "-n", "cattaneo2024", check=False)
    assert proc.returncode != 0
    assert "stepz" in proc.stdout + proc.stderr
