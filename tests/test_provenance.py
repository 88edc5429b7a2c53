"""Provenance: every artifact records the config subset it came from, the package version, the git commit
("unknown" outside a checkout) and the library versions; the summaries and the report name the commit. Recording
the commit re-runs nothing: a new commit leaves every finished job up to date.
"""

from __future__ import annotations

import json
import subprocess
import time
from importlib import metadata
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from implicit_bias.artifacts import COMMIT_ENV, git_commit, load_csv, load_npz, provenance, save_csv, save_npz
from implicit_bias.checks import summary_table
from implicit_bias.plots import save_figure
from implicit_bias.report import report_provenance

VERSION = metadata.version("implicit-bias")
TIMINGS = Path("results/benchmarks")  # Snakemake's `benchmark:` records, written by Snakemake itself
AGGREGATES = {".md", ".html", ".txt"}  # summaries, report, verify marker: they name the commit in their text
# a cattaneo2024 figure and its check: a run (.npz), a verdict (.json), a figure (.png, .pdf) in 3 jobs
CAT_FIG1 = ("results/figures/cattaneo2024/fig1.png", "results/checks/cattaneo2024/c3_figure1.json")


def recorded(path: Path) -> dict:
    """The provenance an artifact records: {"config", "commit", "versions"} (an .npz calls its config `meta`)."""
    if path.suffix == ".npz":
        record = load_npz(path)[1]
        return {"config": record.get("meta"), **record}
    if path.suffix == ".csv":
        return load_csv(path)[1]
    if path.suffix == ".json":
        return json.loads(path.read_text())
    if path.suffix == ".png":
        with Image.open(path) as im:
            return json.loads(im.text["provenance"])
    raise ValueError(path)


def assert_provenance(path: Path, commit: str) -> None:
    """`path` records `commit`, this package's version, the library versions and a config subset."""
    if path.suffix == ".pdf":  # the record is the document's Subject (a PDF string; JSON, ASCII only)
        data = path.read_bytes()
        assert b"/Subject (" in data and f'"commit": "{commit}"'.encode() in data, path
        assert f'"implicit-bias": "{VERSION}"'.encode() in data, path
        return
    rec = recorded(path)
    assert rec["commit"] == commit, (path, rec.get("commit"))
    assert rec["versions"]["implicit-bias"] == VERSION and rec["versions"]["numpy"] == np.__version__, path
    assert rec["config"], f"{path}: no config subset recorded"


def artifacts(wd: Path) -> list[Path]:
    """Every file the pipeline wrote under wd/results, but Snakemake's timing records and the aggregate texts."""
    return [
        p
        for p in sorted((wd / "results").rglob("*"))
        if p.is_file() and TIMINGS not in p.relative_to(wd).parents and p.suffix not in AGGREGATES
    ]


def git(wd: Path, *args: str) -> str:
    cmd = ["git", "-c", "user.name=test", "-c", "user.email=test@example.org", "-c", "commit.gpgsign=false", *args]
    return subprocess.run(cmd, cwd=wd, check=True, capture_output=True, text=True).stdout.strip()


# ---------------------------------------------------------------------------------------------- the pieces
def test_commit_is_unknown_outside_a_checkout_and_the_environment_wins(tmp_path, monkeypatch):
    monkeypatch.delenv(COMMIT_ENV, raising=False)
    assert git_commit(tmp_path) == "unknown"
    assert git_commit(tmp_path / "missing") == "unknown"
    git(tmp_path, "init", "-q")
    (tmp_path / "a.txt").write_text("a")
    git(tmp_path, "add", "a.txt")
    git(tmp_path, "commit", "-q", "-m", "a")
    head = git(tmp_path, "rev-parse", "HEAD")
    assert git_commit(tmp_path) == head
    (tmp_path / "a.txt").write_text("b")
    assert git_commit(tmp_path) == f"{head} (with uncommitted changes)"
    monkeypatch.setenv(COMMIT_ENV, "abc123")
    assert git_commit(tmp_path) == "abc123" and git_commit() == "abc123"
    assert provenance({"k": np.float64(1.5)})["config"] == {"k": 1.5}


def test_npz_csv_and_figures_record_provenance(tmp_path, monkeypatch):
    monkeypatch.setenv(COMMIT_ENV, "c0ffee")
    save_npz(tmp_path / "a.npz", {"x": np.arange(3)}, {"steps": 3})
    df = pd.DataFrame({"step": [0, 1], "label": ["Adam (eps=0)", "b=1"], "loss": [0.5, np.nan]})
    save_csv(tmp_path / "a.csv", df, {"steps": 3})
    back, rec = load_csv(tmp_path / "a.csv")
    pd.testing.assert_frame_equal(back, df)
    assert pd.read_csv(tmp_path / "a.csv", comment="#").shape == df.shape  # what the docstring tells users
    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0], label="Adam (eps=0)")
    save_figure(fig, tmp_path / "a.png", tmp_path / "a.pdf", config={"fig": "a"})
    for name in ("a.npz", "a.csv", "a.png", "a.pdf"):
        assert_provenance(tmp_path / name, "c0ffee")
    assert rec["config"] == {"steps": 3} and recorded(tmp_path / "a.png")["config"] == {"fig": "a"}


def test_the_same_arrays_give_the_same_npz_bytes_at_another_time(tmp_path, monkeypatch):
    """The clock leaves no trace: an .npz member's zip date is the fixed default, not the time of writing."""
    save_npz(tmp_path / "a.npz", {"x": np.arange(3.0)}, {"k": 1})
    later = time.time() + 86_400 * 400
    monkeypatch.setattr(time, "time", lambda: later)
    save_npz(tmp_path / "b.npz", {"x": np.arange(3.0)}, {"k": 1})
    assert (tmp_path / "a.npz").read_bytes() == (tmp_path / "b.npz").read_bytes()


def test_summary_names_the_commits_of_its_verdicts():
    verdict = {"paper": "p", "check": "a", "claim": "c", "measured": {}, "criteria": [], "passed": True}
    table = summary_table([{**verdict, "commit": "1111"}, {**verdict, "check": "b", "commit": "2222"}])
    assert "Commit: 1111, 2222." in table


def test_report_names_the_commit_every_artifact_records(monkeypatch, tmp_path):
    monkeypatch.setenv(COMMIT_ENV, "c0ffee")
    prov = report_provenance({"a": 1}, tmp_path)
    assert prov["commit"] == "c0ffee"
    assert "date" not in prov  # a build time would make two builds differ


# ---------------------------------------------------------------------------------------------- the workflow
@pytest.mark.pipeline
@pytest.mark.xdist_group("smoke")
def test_every_smoke_artifact_records_its_provenance(smoke):
    """Outside a checkout (the tests' copy of the workflow) the commit is "unknown"; the summaries and the report
    say so too."""
    paths = artifacts(smoke)
    assert {p.suffix for p in paths} >= {".npz", ".csv", ".json", ".png", ".pdf"}
    for path in paths:
        assert_provenance(path, "unknown")
    for summary in (smoke / "results/checks").rglob("summary.md"):
        assert "Commit: unknown." in summary.read_text(), summary
    assert ">unknown<" in (smoke / "results/report.html").read_text()


@pytest.mark.pipeline
def test_artifacts_record_the_commit_and_a_new_commit_reruns_nothing(workflow_copy, snakemake, dry_run_jobs):
    wd = workflow_copy
    git(wd, "init", "-q")
    git(wd, "add", "-A")
    git(wd, "commit", "-q", "-m", "workflow")
    head = git(wd, "rev-parse", "HEAD")
    snakemake(wd, *CAT_FIG1)
    paths = artifacts(wd)
    assert {p.suffix for p in paths} == {".npz", ".json", ".png", ".pdf"}
    for path in paths:
        assert_provenance(path, head)
    check = json.loads((wd / CAT_FIG1[1]).read_text())
    assert check["config"]["runs"]["fcurve"] == load_npz(wd / "results/runs/cattaneo2024/fcurve.npz")[1]["meta"]
    git(wd, "commit", "-q", "--allow-empty", "-m", "a later commit")
    assert dry_run_jobs(wd, *CAT_FIG1) == {}, "a new commit must not re-run finished jobs"
