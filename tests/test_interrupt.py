"""Interruption: Ctrl-C stops a run at once, and an interrupted run (Ctrl-C or SIGKILL) loses no finished work and
leaves no half-written artifact; the rerun redoes only what was cut off."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from implicit_bias.artifacts import load_npz

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "workflow" / "scripts"
# A narrow target of the smoke config: one experiment's metrics and only what they need (data set, then its
# reference solutions and its runs side by side, two jobs in flight at once, then the metrics): four jobs.
TARGET = "results/metrics/baek2025/gr_adam.csv"
RULES = ["baek_dataset", "baek_metrics", "baek_reference", "baek_run"]
DEADLINE = 180  # seconds for any one phase to reach its point (a loaded CI machine); normally a few seconds


def test_a_job_inside_a_compiled_call_dies_at_once_on_ctrl_c():
    """A workflow script ends on SIGINT at once, even inside one long compiled call that holds the GIL (a HiGHS
    solve, a numba kernel; here a C loop over a range), and prints no traceback. With Python's own handler the
    interrupt waits for the call to return (36 s seen for a HiGHS job), and Snakemake waits for the job."""
    code = (
        f"import sys; sys.path.insert(0, {str(SCRIPTS)!r}); import _common; print('ready', flush=True); "
        "sum(range(10**13))"  # hours in C, no signal check
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert proc.stdout.readline() == "ready\n", proc.stderr.read()
        time.sleep(0.3)  # inside the call
        proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pytest.fail("the job ignored SIGINT for 10 s")
        assert time.monotonic() - started < 5
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == -signal.SIGINT  # killed by the signal, not exited through KeyboardInterrupt
    assert "KeyboardInterrupt" not in proc.stderr.read()


# --------------------------------------------------------------------------------------------------------------
# Snakemake interrupted mid-way, as a terminal's Ctrl-C does it (SIGINT to the whole process group: Snakemake and
# every job) and as a killed session or node does it (SIGKILL to the group).
# --------------------------------------------------------------------------------------------------------------
def start(wd: Path, console: str, *args: str) -> subprocess.Popen:
    """`snakemake --cores 2 ... ARGS` in `wd`, in a process group of its own, its console written to `console`."""
    with open(wd / console, "w") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "snakemake", "--cores", "2", *args, "--configfile", "smoke_config.yaml"],
            cwd=wd,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def wait_for(condition, proc: subprocess.Popen, what: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if proc.poll() is not None:
            pytest.fail(f"Snakemake ended (exit {proc.returncode}) before {what}")
        if time.monotonic() > deadline:
            pytest.fail(f"no {what} within {DEADLINE} s")
        time.sleep(0.1)


def kill_group(proc: subprocess.Popen, sig: int) -> float:
    """Send `sig` to Snakemake's process group; return the seconds until Snakemake exited."""
    os.killpg(proc.pid, sig)
    started = time.monotonic()
    proc.wait(timeout=DEADLINE)
    return time.monotonic() - started


def group_alive(pgid: int) -> bool:
    """Whether a live process (not a zombie: a hard kill orphans the jobs, and the reaper may be slow) is in the
    process group `pgid`."""
    proc = Path("/proc")
    if not proc.is_dir():  # no procfs: ask the kernel (counts zombies too)
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()  # after "pid (comm)": state, ppid, pgrp, ...
        except (OSError, IndexError):
            continue  # ended meanwhile
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def wait_group_gone(proc: subprocess.Popen) -> None:
    """Wait (a few seconds at most) until no process of Snakemake's group is left: no job outlives Snakemake."""
    deadline = time.monotonic() + 10
    while group_alive(proc.pid):
        if time.monotonic() > deadline:
            pytest.fail("a job outlived Snakemake by 10 s")
        time.sleep(0.1)


def jobs(console: str) -> dict[int, dict]:
    """Snakemake's job blocks in a console: jobid -> {"rule", "output" (list), "finished"}."""
    out = {}
    for block in re.split(r"^(?=(?:local)?rule \w+:$)", console, flags=re.M)[1:]:
        rule = re.match(r"(?:local)?rule (\w+):", block)[1]
        jobid = int(re.search(r"^\s+jobid: (\d+)$", block, re.M)[1])
        output = re.search(r"^\s+output: (.+)$", block, re.M)[1].split(", ")
        out[jobid] = {"rule": rule, "output": output, "finished": False}
    for jobid in re.findall(r"^Finished jobid: (\d+) ", console, re.M):
        out[int(jobid)]["finished"] = True
    return out


def finished(console: str) -> list[dict]:
    return [job for job in jobs(console).values() if job["finished"]]


def outputs(jobs: list[dict]) -> set[str]:
    return {path for job in jobs for path in job["output"]}


def assert_artifacts_whole(wd: Path) -> list[Path]:
    """Every file under results/ reads back whole: .npz (every array: the zip's CRC is checked), .json, .png, .pdf,
    and the rest (.csv, .tsv, .md) as UTF-8 text ending in a newline. Returns the hidden files (temporary files of
    `atomic_path` cut off by a kill, never under an artifact's name)."""
    hidden = []
    for path in sorted((wd / "results").rglob("*")):
        if path.is_dir():
            continue
        if path.name.startswith("."):
            hidden.append(path)
            continue
        data = path.read_bytes()
        if path.suffix == ".npz":
            arrays, record = load_npz(path)
            assert arrays and record["meta"], path
        elif path.suffix == ".json":
            json.loads(data)
        elif path.suffix == ".png":
            assert data.startswith(b"\x89PNG\r\n\x1a\n") and data.endswith(b"IEND\xaeB`\x82"), path
        elif path.suffix == ".pdf":
            assert data.startswith(b"%PDF-") and data.rstrip().endswith(b"%%EOF"), path
        else:
            assert data.decode("utf-8").endswith("\n"), path
    return hidden


def mtimes(wd: Path, paths) -> dict[str, int]:
    return {p: (wd / p).stat().st_mtime_ns for p in paths}


@pytest.mark.pipeline
def test_interrupted_runs_lose_nothing_and_resume(workflow_copy, snakemake):
    """Ctrl-C (SIGINT to the process group) while two jobs compute; then the same command, killed by SIGKILL to
    the group once a job has finished; then the documented recovery (`--unlock`, then the same command with
    `--rerun-incomplete`). Snakemake stops within seconds of the Ctrl-C, no job outlives it, no finished job is run
    again or its artifact rewritten, nothing under results/ is ever half-written, and the last run builds it all."""
    wd = workflow_copy
    procs = []

    def console(name):
        return (wd / name).read_text()

    try:
        # 1. Ctrl-C once the data set is built, while the reference solutions and the runs compute (their logs
        #    exist: both jobs are past their imports)
        procs.append(proc := start(wd, "run1.txt", TARGET))
        computing = ("logs/baek2025/reference/gr.log", "logs/baek2025/run/gr_adam.log")
        wait_for(
            lambda: finished(console("run1.txt")) and all((wd / log).exists() for log in computing),
            proc,
            "two jobs computing after the first finished",
        )
        seconds = kill_group(proc, signal.SIGINT)
        wait_group_gone(proc)
        assert seconds < 30, f"Snakemake took {seconds:.1f} s to stop after Ctrl-C"
        assert proc.returncode != 0
        assert "KeyboardInterrupt" not in console("run1.txt"), console("run1.txt")[-3000:]
        for log in computing:  # killed by the signal, not stopped by a KeyboardInterrupt once a call returned
            assert "KeyboardInterrupt" not in (wd / log).read_text(), log
        assert not list((wd / ".snakemake" / "locks").glob("*")), "Ctrl-C left the directory locked"
        assert_artifacts_whole(wd)
        done1 = finished(console("run1.txt"))
        kept = mtimes(wd, outputs(done1))

        # 2. the same command again (--rerun-incomplete: a job that completed just as Ctrl-C came is marked
        #    incomplete), killed hard (SIGKILL to the group) once one more job has finished
        procs.append(proc := start(wd, "run2.txt", TARGET, "--rerun-incomplete"))
        wait_for(lambda: finished(console("run2.txt")), proc, "a finished job in the second run")
        kill_group(proc, signal.SIGKILL)
        wait_group_gone(proc)
        assert_artifacts_whole(wd)
        assert not outputs(jobs(console("run2.txt")).values()) & set(kept), "the second run redid a finished job"
        done2 = finished(console("run2.txt"))
        kept |= mtimes(wd, outputs(done2))

        # 3. a hard kill leaves the lock: the same command (with --rerun-incomplete, as the profiles and
        #    docs/reliability.md give it; without it, a job killed mid-way first stops Snakemake with
        #    IncompleteFilesException, which it checks before the lock) stops with Snakemake's LockException, which
        #    names the cure; `--unlock`, then the same command with --rerun-incomplete finishes
        locked = snakemake(wd, TARGET, "--rerun-incomplete", check=False)
        said = locked.stdout + locked.stderr
        assert locked.returncode != 0 and "LockException" in said and "--unlock" in said, said[-3000:]
        snakemake(wd, "--unlock")
        final = snakemake(wd, TARGET, "--rerun-incomplete")
    finally:
        for p in procs:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    done3 = list(jobs(final.stdout + final.stderr).values())
    assert not outputs(done3) & set(kept), "a finished job was run again"
    assert mtimes(wd, kept) == kept, "a finished artifact was rewritten"
    # each of the target's jobs ran to the end exactly once over the three runs
    assert sorted(job["rule"] for job in done1 + done2 + done3) == RULES
    assert assert_artifacts_whole(wd) == [], "a temporary file was left behind"
