"""The `beyond` home through the workflow: its target, its jobs, its checks in the ledger."""

from __future__ import annotations

import json

import pytest
import yaml

from implicit_bias.checks import checks_of
from implicit_bias.papers.beyond import STUDIES, figure_studies, study_module

pytestmark = pytest.mark.pipeline


@pytest.mark.xdist_group("smoke")
def test_smoke_build_has_every_beyond_figure_and_check(smoke):
    for study in STUDIES:
        fig = study_module(study).FIGURE
        assert (smoke / f"results/figures/beyond/{fig}.png").stat().st_size > 10_000
    expected = {e["check"] for e in yaml.safe_load((smoke / "smoke_config.yaml").read_text())["expected_failures"]}
    for name, check in checks_of("beyond").items():
        verdict = json.loads((smoke / f"results/checks/beyond/{name}.json").read_text())
        assert verdict["kind"] == check.kind and verdict["passed"] is (f"beyond/{name}" not in expected), verdict
    assert "## beyond" in (smoke / "results/checks/summary.md").read_text()
    assert "beyond" in (smoke / "results/report.html").read_text()


def test_beyond_target_needs_only_beyond_jobs(workflow_copy, dry_run_jobs):
    jobs = dry_run_jobs(workflow_copy, "beyond")
    assert jobs and all(rule.startswith("bey_") or rule in ("beyond", "paper_summary") for rule in jobs), jobs
    # one data set, reference and run job per (study, data set); one metric table and figure per study
    cfg = yaml.safe_load((workflow_copy / "smoke_config.yaml").read_text())["beyond"]
    base = yaml.safe_load((workflow_copy / "config.yaml").read_text())["beyond"]
    per_study = {s: len({**base[s], **cfg.get(s, {})}.get("seeds", [])) for s in STUDIES}
    assert jobs["bey_metrics"] == len(STUDIES) and jobs["bey_figure"] == len(STUDIES)
    if all(per_study.values()):  # studies on seeded data sets
        assert jobs["bey_run"] == sum(per_study.values())


def test_one_beyond_figure_builds_only_its_study(workflow_copy, dry_run_jobs):
    study = STUDIES[0]
    fig = study_module(study).FIGURE
    jobs = dry_run_jobs(workflow_copy, f"results/figures/beyond/{fig}.png")
    assert set(jobs) == {"bey_dataset", "bey_reference", "bey_run", "bey_metrics", "bey_figure"}
    assert jobs["bey_metrics"] == 1 and jobs["bey_figure"] == 1
    assert figure_studies()[fig] == [study]


@pytest.mark.xdist_group("smoke")
def test_changing_one_study_reruns_only_that_study(smoke, dry_run_jobs):
    """A config edit in one study's section re-runs its jobs (and the ledger), no other study's."""
    cfg = yaml.safe_load((smoke / "smoke_config.yaml").read_text())
    cfg["beyond"]["phase"]["lr"] = 0.05
    (smoke / "phase_lr_changed.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False))
    jobs = dry_run_jobs(smoke, configfile="phase_lr_changed.yaml")
    assert jobs.get("bey_run") == len(cfg["beyond"]["phase"]["seeds"]) and jobs.get("bey_figure") == 1
    assert not [rule for rule in jobs if rule.startswith(("baek_", "fan_", "cat_"))], jobs


def test_every_beyond_check_sits_beside_its_studys_figure_in_the_report():
    for name, check in checks_of("beyond").items():
        (study,) = check.experiments
        assert check.drawn_by == study_module(study).FIGURE, name
