"""Determinism: two runs of the smoke config in two fresh directories give byte-identical artifacts.

The smoke reproduction (conftest `smoke`) is the first run. The second builds, in a fresh copy of the workflow, a
narrow target that makes every kind of artifact (data sets, references and runs (.npz), metric tables (.csv),
check verdicts (.json), figures (.png, .pdf)) and compares the SHA-256 of every file it wrote with the same file of
the first run. The summaries and the report read every check, so they are rebuilt from the first run's checks
and figures in a copy of its folder and compared the same way (a build time in the report would break this).

Declared exception: results/benchmarks/ holds Snakemake's `benchmark:` records (wall time, memory of each job):
measurements of the run, not results, and different every time. Nothing else is ignored, no field of any file.
"""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

pytestmark = pytest.mark.pipeline

# A narrow target of the smoke config that writes every kind of artifact (9 jobs): a baek2025 figure and a check
# (data set, reference, run, metric table), a cattaneo2024 figure and its check (run).
NARROW = (
    "results/figures/baek2025/fig1.png",
    "results/checks/baek2025/prop_2_4.json",
    "results/figures/cattaneo2024/fig1.png",
    "results/checks/cattaneo2024/c3_figure1.json",
)
TIMINGS = Path("results/benchmarks")  # Snakemake's per-job timing records: the one declared exception
SUMMARIES = (
    "results/checks/summary.md",
    "results/checks/baek2025/summary.md",
    "results/checks/fan2025/summary.md",
    "results/checks/cattaneo2024/summary.md",
    "results/report.html",
)


def digests(wd: Path) -> dict[str, str]:
    """SHA-256 of every file under wd/results but the timing records, by path relative to wd."""
    out = {}
    for path in sorted((wd / "results").rglob("*")):
        rel = path.relative_to(wd)
        if path.is_file() and TIMINGS not in rel.parents:
            out[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.mark.xdist_group("smoke")
def test_a_fresh_run_rebuilds_the_same_bytes(smoke, workflow_copy, snakemake):
    snakemake(workflow_copy, *NARROW)
    second = digests(workflow_copy)
    assert {Path(p).suffix for p in second} >= {".npz", ".csv", ".json", ".png", ".pdf"}
    first = digests(smoke)
    differ = [path for path, digest in second.items() if first.get(path) != digest]
    assert not differ, f"not byte-identical to the first run: {differ}"


@pytest.mark.xdist_group("smoke")
def test_summaries_and_report_rebuild_the_same_bytes(smoke, tmp_path, snakemake, dry_run_jobs):
    """Rebuilt from the first run's verdicts and figures (a copy of its folder, modification times kept so that
    nothing else is out of date): the same bytes, so neither records when it was built."""
    wd = tmp_path / "second"
    shutil.copytree(smoke, wd, symlinks=True)
    for rel in SUMMARIES:
        (wd / rel).unlink()
    assert dry_run_jobs(wd, *SUMMARIES) == {"paper_summary": 3, "summary": 1, "report": 1}  # nothing else
    snakemake(wd, *SUMMARIES)
    for rel in SUMMARIES:
        first, second = (hashlib.sha256((d / rel).read_bytes()).hexdigest() for d in (smoke, wd))
        assert first == second, f"{rel} differs between two builds"
