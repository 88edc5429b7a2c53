"""The Snakemake profiles (profiles/slurm, profiles/local): a dry run of the whole DAG through each of them.

The SLURM dry run runs with failing stand-ins for the SLURM commands first on PATH that record every call, so the
test also shows that planning a cluster run needs neither sbatch nor a cluster: the plugin probes `scontrol show
config` (for its defaults) and carries on when that fails; nothing is submitted.
"""

from __future__ import annotations

import math
import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from implicit_bias.checks import PAPERS
from implicit_bias.papers import home

ROOT = Path(__file__).resolve().parents[1]
SLURM = ROOT / "profiles" / "slurm"
LOCAL = ROOT / "profiles" / "local"
SLURM_COMMANDS = ("sbatch", "srun", "squeue", "sacct", "sacctmgr", "sshare", "sinfo", "scontrol", "scancel")
SUMMARIES = [f"results/checks/{paper}/summary.md" for paper in PAPERS] + ["results/checks/summary.md"]

try:
    import snakemake_executor_plugin_slurm  # noqa: F401

    HAS_SLURM_PLUGIN = True
except ImportError:
    HAS_SLURM_PLUGIN = False
needs_slurm_plugin = pytest.mark.skipif(
    not HAS_SLURM_PLUGIN, reason="snakemake-executor-plugin-slurm is in the [test] and [cluster] extras"
)


def _dry_run(directory, profile, env=None, extra_configs=()):
    """`snakemake -n --forceall --profile <profile>` of the default config (plus `extra_configs` on top) in
    `directory` (the repo's results/ untouched); --forceall plans every job whatever is already built."""
    cmd = [sys.executable, "-m", "snakemake", "-n", "--forceall", "--profile", str(profile)]
    cmd += ["--directory", str(directory), "--snakefile", str(ROOT / "Snakefile")]
    cmd += ["--configfile", str(ROOT / "config.yaml"), *map(str, extra_configs)]
    return subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True, env=env)


def _outputs(out: str) -> list[str]:
    return [p for line in re.findall(r"^\s+output: (.+)$", out, re.M) for p in line.split(", ")]


def _jobs(out: str) -> list[dict]:
    """Every planned job: its rule, its group (None for a job of its own) and its resources."""
    jobs, group = [], None
    for line in out.splitlines():
        if m := re.search(r"Group job (\S+) \(", line):
            group = m[1]
        elif m := re.match(r"(\s*)rule (\w+):$", line):
            jobs.append({"rule": m[2], "group": group if m[1] else None, "resources": {}})
            if not m[1]:
                group = None
        elif (m := re.match(r"\s+resources: (.+)$", line)) and jobs:
            jobs[-1]["resources"] = dict(kv.split("=", 1) for kv in m[1].split(", "))
    return jobs


def _declared_resources() -> dict[str, dict[str, str]]:
    """rule -> the runtime and mem_mb its `resources:` block declares (rules without one are absent)."""
    declared = {}
    for smk in (ROOT / "workflow" / "rules").glob("*.smk"):
        for block in re.split(r"^rule ", smk.read_text(), flags=re.M)[1:]:
            name = block.split(":", 1)[0].strip()
            if m := re.search(r"^    resources:\n((?:        .+\n)+)", block, re.M):
                values = dict(re.findall(r"(\w+)=(\w+)", m[1]))
                declared[name] = {k: v for k, v in values.items() if k in ("runtime", "mem_mb")}
    # the generic rules take a home's resources from its declaration (Paper.resources: step -> resources)
    for paper in PAPERS:
        if home(paper).generic:
            for step, resources in home(paper).resources.items():
                wanted = {k: str(v) for k, v in resources.items() if k in ("runtime", "mem_mb")}
                if wanted:
                    declared[f"{home(paper).prefix}_{step}"] = wanted
    return declared


def _local_rules() -> set[str]:
    """The rules listed under a `localrules:` directive (they run on the submitting host, not as SLURM jobs)."""
    texts = [(ROOT / "Snakefile").read_text()] + [p.read_text() for p in (ROOT / "workflow" / "rules").glob("*.smk")]
    return {
        name
        for text in texts
        for block in re.findall(r"^localrules:\n((?:    .+\n)+)", text, re.M)
        for name in re.findall(r"(\w+),", block)
    }


def _recording_slurm_commands(bin_dir: Path, calls: Path) -> dict:
    """An environment whose PATH starts with stand-ins for the SLURM commands, each appending its name to `calls`
    and failing."""
    bin_dir.mkdir()
    for name in SLURM_COMMANDS:
        path = bin_dir / name
        path.write_text(f'#!/bin/sh\necho "{name} $*" >> "{calls}"\nexit 1\n')
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}"}


@pytest.fixture(scope="module")
def slurm_plan(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("slurm")
    calls = tmp / "slurm_calls.txt"
    env = _recording_slurm_commands(tmp / "bin", calls)
    proc = _dry_run(tmp / "work", SLURM, env=env)
    return proc, calls


@needs_slurm_plugin
def test_slurm_profile_dry_runs_the_whole_dag_without_a_cluster(slurm_plan):
    proc, calls = slurm_plan
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Using profile" in proc.stdout + proc.stderr
    called = calls.read_text().splitlines() if calls.exists() else []
    submitted = [c for c in called if c.split()[0] in ("sbatch", "srun", "scancel")]
    assert not submitted, f"a dry run submitted or cancelled SLURM jobs: {submitted}"
    outputs = _outputs(proc.stdout)
    assert all(s in outputs for s in SUMMARIES), [s for s in SUMMARIES if s not in outputs]
    assert any("/figures/" in p for p in outputs) and any("/runs/" in p for p in outputs)


@needs_slurm_plugin
def test_slurm_profile_resources_come_from_the_rules_or_the_defaults(slurm_plan):
    """Every job asks SLURM for a time limit and memory: a rule's own `resources:` where it declares them (the
    profile does not override them), the profile's `default-resources` otherwise."""
    proc, _ = slurm_plan
    profile = yaml.safe_load((SLURM / "config.yaml").read_text())
    defaults = {k: str(v) for k, v in profile["default-resources"].items() if k in ("runtime", "mem_mb")}
    declared = _declared_resources()
    jobs = _jobs(proc.stdout)
    assert jobs and declared
    assert {"baek_run", "fan_run", "cat_sweep_point"} <= set(declared)  # the optimizer runs declare theirs
    for job in jobs:
        want = {**defaults, **declared.get(job["rule"], {})}
        got = {k: job["resources"].get(k) for k in want}
        assert got == want, (job["rule"], got, want)


@needs_slurm_plugin
def test_slurm_profile_groups_the_short_jobs(slurm_plan):
    """The short jobs (every cluster rule that declares no resources) run inside group jobs of up to
    `group-components` jobs each, so the ~155 short jobs become a few submissions."""
    proc, _ = slurm_plan
    profile = yaml.safe_load((SLURM / "config.yaml").read_text())
    groups, components = profile["groups"], profile["group-components"]
    jobs = _jobs(proc.stdout)
    local, declared = _local_rules(), _declared_resources()
    assert {"all", "summary", "paper_summary"} <= local
    short = {job["rule"] for job in jobs} - local - set(declared)
    assert short and short == set(groups), (sorted(short), sorted(groups))
    for job in jobs:
        assert job["group"] == groups.get(job["rule"]), job
    headers = re.findall(r"Group job (\S+) \(", proc.stdout)
    for name in set(groups.values()):
        members = sum(job["group"] == name for job in jobs)
        assert members > 1
        assert headers.count(name) == math.ceil(members / components[name]), (name, members, headers)
    grouped = sum(job["group"] is not None for job in jobs)
    assert grouped > len(jobs) / 2  # most jobs are short ones


@needs_slurm_plugin
def test_slurm_profile_plans_the_large_config(tmp_path):
    """config/large.yaml (the cluster-scale recipe in docs/cluster.md) validates and plans on top of config.yaml through
    the SLURM profile: a data set for every one of its seeds, every summary, nothing submitted."""
    large = ROOT / "config" / "large.yaml"
    env = _recording_slurm_commands(tmp_path / "bin", tmp_path / "calls.txt")
    proc = _dry_run(tmp_path / "work", SLURM, env=env, extra_configs=[large])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    outputs = _outputs(proc.stdout)
    assert all(s in outputs for s in SUMMARIES), [s for s in SUMMARIES if s not in outputs]
    seeds = yaml.safe_load(large.read_text())["fan2025"]["seeds"]
    default_seeds = yaml.safe_load((ROOT / "config.yaml").read_text())["fan2025"]["seeds"]
    assert len(seeds) > len(default_seeds)
    k = yaml.safe_load((ROOT / "config.yaml").read_text())["fan2025"]["data"]["classes"]
    missing = [s for s in seeds if f"results/data/fan2025/k{k}_s{s}.npz" not in outputs]
    assert not missing, f"no data set planned for seeds {missing}"


def test_local_profile_is_cores_all():
    """`snakemake --profile profiles/local` is `snakemake --cores all` (Snakemake's own parser reads the profile)."""
    from snakemake.cli import parse_args

    _, args = parse_args(["--profile", str(LOCAL)])
    _, plain = parse_args(["--cores", "all"])
    assert args.cores == plain.cores >= 1
    assert args.executor in (None, "local") and args.rerun_incomplete


def test_local_profile_dry_runs_the_whole_dag(tmp_path):
    proc = _dry_run(tmp_path, LOCAL)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    outputs = _outputs(proc.stdout)
    assert all(s in outputs for s in SUMMARIES), [s for s in SUMMARIES if s not in outputs]
    assert "Group job" not in proc.stdout
