"""Where a reproduction's time goes: the per-rule profile of Snakemake's `benchmark:` records.

Every rule that runs a step writes one record per job, results/benchmarks/<rule>.tsv or
results/benchmarks/<rule>/<job>.tsv (the workflow's convention, tested in tests/test_workflow_lint.py), with the job's
wall time `s` and the CPU time `cpu_time` of its process tree. Summed per rule, the wall times say where the run's time
goes: the jobs are single-threaded (one BLAS thread), so on an idle machine running one job per core a job's wall time
is its CPU time. The span from the first job's start (a record's modification time minus its wall time) to the last
job's end is the run's wall time, when every record comes from one run; the summed wall times divided by the cores are
what that span would be if no core ever idled, so their ratio says how much the scheduling loses.

`cpu_time` is shown but not summed into the floor: Snakemake samples it (psutil, every 0.5 s for a job's first 15 s,
then every 30 s) and keeps the last sample, so a job's CPU time is low by what it spent after its last sample (a 45 s
job sampled at 15 s reports 15 s). It is a lower bound.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

__all__ = ["JobRecord", "RuleProfile", "job_records", "markdown_profile", "rule_profile", "run_span"]


@dataclass(frozen=True)
class JobRecord:
    """One job's `benchmark:` record: its rule, its file, wall and CPU seconds, peak memory, and when it ended."""

    rule: str
    path: str
    wall: float
    cpu: float
    max_rss_mb: float
    end: float


@dataclass(frozen=True)
class RuleProfile:
    """A rule's jobs summed: count, wall and CPU seconds, the longest job's wall time, the largest peak memory."""

    rule: str
    jobs: int
    wall: float
    cpu: float
    longest: float
    max_rss_mb: float


def _number(row: dict, key: str, path: Path) -> float:
    """A numeric column of a record; Snakemake writes "NA" where psutil could not measure (a job too short)."""
    value = row.get(key)
    if value is None:
        raise ValueError(f"{path}: not a Snakemake benchmark record (no column {key!r})")
    if value == "NA":
        return 0.0
    number = float(value)
    if not math.isfinite(number) or number < 0:
        raise ValueError(f"{path}: column {key!r} is {value!r}, not a non-negative number")
    return number


def job_records(root: str | Path) -> list[JobRecord]:
    """Every record under `root` (results/benchmarks), the rule named by its first path component.

    A record repeated by Snakemake's `repeat()` has several rows; its wall and CPU times are their means.
    """
    root = Path(root)
    records = []
    for path in sorted(root.rglob("*.tsv")):
        with path.open(newline="") as fh:
            rows = list(csv.DictReader(fh, delimiter="\t"))
        if not rows:
            raise ValueError(f"{path}: empty benchmark record")
        relative = path.relative_to(root)
        rule = relative.parts[0].removesuffix(".tsv")
        wall = sum(_number(r, "s", path) for r in rows) / len(rows)
        cpu = sum(_number(r, "cpu_time", path) for r in rows) / len(rows)
        rss = max(_number(r, "max_rss", path) for r in rows)
        records.append(JobRecord(rule, relative.as_posix(), wall, cpu, rss, path.stat().st_mtime))
    return records


def rule_profile(records: list[JobRecord]) -> list[RuleProfile]:
    """Per rule, the jobs summed; the rules by summed wall time, largest first."""
    rules: dict[str, list[JobRecord]] = {}
    for record in records:
        rules.setdefault(record.rule, []).append(record)
    profile = [
        RuleProfile(
            rule,
            len(jobs),
            sum(j.wall for j in jobs),
            sum(j.cpu for j in jobs),
            max(j.wall for j in jobs),
            max(j.max_rss_mb for j in jobs),
        )
        for rule, jobs in rules.items()
    ]
    return sorted(profile, key=lambda p: (-p.wall, p.rule))


def run_span(records: list[JobRecord]) -> float:
    """Seconds from the first job's start to the last job's end (the run's wall time if one run wrote them all)."""
    if not records:
        return 0.0
    return max(r.end for r in records) - min(r.end - r.wall for r in records)


def _seconds(value: float) -> str:
    return f"{value:,.1f}"


def markdown_profile(records: list[JobRecord], cores: int) -> str:
    """The profile as a Markdown table (rules by summed wall time), the totals, the span of the records and what the
    span would be on `cores` cores that never idle."""
    if cores < 1:
        raise ValueError(f"cores must be a positive integer, got {cores!r}")
    profile = rule_profile(records)
    wall = sum(p.wall for p in profile)
    lines = [
        "| rule | jobs | wall s (sum) | share | longest job s | CPU s (sampled, a lower bound) | peak RSS MB |",
        "|---|---|---|---|---|---|---|",
    ]
    for p in profile:
        share = p.wall / wall if wall > 0 else 0.0
        lines.append(
            f"| {p.rule} | {p.jobs} | {_seconds(p.wall)} | {share:.0%} | {_seconds(p.longest)} | {_seconds(p.cpu)} "
            f"| {p.max_rss_mb:,.0f} |"
        )
    jobs = sum(p.jobs for p in profile)
    cpu = sum(p.cpu for p in profile)
    lines.append(f"| **total** | {jobs} | {_seconds(wall)} | 100% | | {_seconds(cpu)} | |")
    span = run_span(records)
    busy = wall / cores
    lines += [
        "",
        f"Span of the records (first job's start to last job's end): {_seconds(span)} s. "
        f"The jobs' wall times summed over {cores} cores: {_seconds(busy)} s, the span if no core ever idled"
        + (f"; the span is {span / busy:.2f}× that." if busy > 0 else "."),
    ]
    return "\n".join(lines) + "\n"
