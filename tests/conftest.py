"""Shared fixtures: the default Gaussian data set and a NAIVE float64 implementation of every optimizer.

The naive implementation forms gradients directly, g = −(1/|B|) Σ_{i∈B} |ℓ'(z_i)| x_i, and runs the paper's
recursions (baek2025 spec §2) in plain float64. It is an independent oracle for the log-scale formulation of
`implicit_bias.losses` / `optimizers` while margins are small enough for g and g² to be representable, and it
exhibits the stall the log-scale formulation exists to avoid (engineering notes §4).
"""

# ruff: noqa: E402 (the BLAS thread count below is set before numpy is first imported)
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

# One BLAS thread per test process (inherited by the xdist workers and every subprocess they start; Snakemake sets
# its jobs' own count from their rules' `threads`). Two workers and the smoke build's jobs already fill the two cores:
# OpenBLAS's extra threads only spin-wait for a core, which cost several times the CPU of the work itself (the
# two-layer fast-path test: 25 CPU-s with two threads, 4 CPU-s with one). Set before numpy is first imported.
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import numpy as np
import pytest
from hypothesis import settings
from scipy.special import expit

from implicit_bias import batch_schedule, gaussian, learning_rate

# CI explores the same examples on every run (a red build must be reproducible); locally hypothesis searches afresh.
settings.register_profile("ci", derandomize=True, print_blob=True)
if os.environ.get("CI"):
    settings.load_profile("ci")


@pytest.fixture(scope="session")
def X():
    """gaussian(10, 50, 0): the paper's Gaussian setting (N = 10, d = 50)."""
    X = gaussian(10, 50, 0)
    X.setflags(write=False)
    return X


def naive_train(
    X,
    *,
    optimizer,
    steps,
    lr=0.1,
    decay=0.5,
    beta1=0.9,
    beta2=0.95,
    eps=0.0,
    eps_inside=False,
    bias_correction=False,
    batch_size=None,
    sampling="cyclic",
    seed=0,
    loss="exp",
    w0=None,
):
    """Plain float64 run of the paper's algorithms; returns the iterates w_0..w_steps as an array (steps+1, d)."""
    X = np.asarray(X, dtype=np.float64)
    n, d = X.shape
    batches = batch_schedule(n, steps, batch_size, sampling, seed)  # same index sets as `train`
    w = np.zeros(d) if w0 is None else np.array(w0, dtype=np.float64)
    m = np.zeros(d)
    v = np.zeros(d)
    W = np.empty((steps + 1, d))
    W[0] = w
    with np.errstate(all="ignore"):  # the naive run is *allowed* to underflow / produce 0/0 (that is the point)
        for t in range(steps):
            Xb = X[batches[t % len(batches)]]
            z = Xb @ w
            dl = np.exp(-z) if loss == "exp" else expit(-z)  # |ℓ'(z)|
            G = -dl[:, None] * Xb  # per-sample gradients ∇L_i(w) = ℓ'(z_i) x_i
            g = G.mean(axis=0)
            if optimizer == "gd":
                direc = g
            elif optimizer == "ngd":
                direc = g / np.linalg.norm(g)
            elif optimizer == "signgd":
                direc = np.sign(g)
            elif optimizer == "signum":
                m = beta1 * m + (1.0 - beta1) * g
                direc = np.sign(m)
            elif optimizer == "adam_proxy":
                direc = g / np.sqrt((G * G).mean(axis=0))
            elif optimizer == "adam":
                m = beta1 * m + (1.0 - beta1) * g
                v = beta2 * v + (1.0 - beta2) * g * g
                mc, vc = m, v
                if bias_correction:
                    mc = m / (1.0 - beta1 ** (t + 1))
                    vc = v / (1.0 - beta2 ** (t + 1))
                den = np.sqrt(vc + eps) if eps_inside else np.sqrt(vc) + eps
                direc = np.where(den > 0, mc / den, 0.0)
            else:
                raise ValueError(optimizer)
            w = w - learning_rate(t, lr, decay) * direc
            W[t + 1] = w
    return W


@pytest.fixture(scope="session")
def naive():
    return naive_train


def rel_w_error(Wa, Wb):
    """Per logged step: ‖w_a − w_b‖∞ / ‖w_b‖∞ (0 where both are 0). Coordinates cross zero, so scale by the row."""
    Wa, Wb = np.asarray(Wa), np.asarray(Wb)
    diff = np.max(np.abs(Wa - Wb), axis=-1)
    scale = np.max(np.abs(Wb), axis=-1)
    return np.divide(diff, scale, out=np.where(diff == 0, 0.0, np.inf), where=scale > 0)


@pytest.fixture(scope="session")
def rel_err():
    return rel_w_error


def run_python(code: str, check: bool = True) -> subprocess.CompletedProcess:
    """`python -c CODE` in a fresh process (output captured as text); raises with its stderr if it fails (unless
    `check` is False)."""
    proc = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True)
    assert not check or proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="session")
def python_process():
    """`python_process(code)`: run CODE in a fresh Python process, for what only a process shows (its output at the
    file-descriptor level, import side effects); see `run_python`."""
    return run_python


# --------------------------------------------------------------------------------------------------------------
# The Snakemake workflow (tests marked `pipeline`): a copy of the workflow in a temporary directory, run through
# Snakemake's command line on the smoke config (tests/smoke_config.yaml).
# --------------------------------------------------------------------------------------------------------------
ROOT = Path(__file__).resolve().parents[1]
SNAKEMAKE = [sys.executable, "-m", "snakemake"]


def copy_workflow(dest: Path) -> Path:
    """Snakefile, config.yaml, workflow/ and the smoke config, copied into `dest` (which must exist)."""
    for name in ("Snakefile", "config.yaml"):
        shutil.copy(ROOT / name, dest / name)
    shutil.copytree(ROOT / "workflow", dest / "workflow")
    shutil.copy(ROOT / "tests" / "smoke_config.yaml", dest / "smoke_config.yaml")
    return dest


def run_snakemake(wd: Path, *args, check=True, configfile="smoke_config.yaml") -> subprocess.CompletedProcess:
    """`snakemake --cores 2 ARGS --configfile CONFIGFILE` in `wd`; raises with its output if it fails."""
    cmd = [*SNAKEMAKE, "--cores", "2", *args, "--configfile", configfile]  # --configfile takes 1+ values
    proc = subprocess.run(cmd, check=False, cwd=wd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{proc.stdout[-4000:]}\n{proc.stderr[-4000:]}")
    return proc


def planned_jobs(wd: Path, *args, configfile="smoke_config.yaml") -> dict:
    """Job counts of a dry run (rule -> count), from Snakemake's job-stats table."""
    out = run_snakemake(wd, "-n", *args, configfile=configfile).stdout
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+)\s+(\d+)$", out, re.M) if m[1] != "total"}


@pytest.fixture(scope="session")
def snakemake():
    """`snakemake(wd, *args, check=True, configfile=...)`: run Snakemake in `wd` (see `run_snakemake`)."""
    return run_snakemake


@pytest.fixture(scope="session")
def dry_run_jobs():
    """`dry_run_jobs(wd, *args, configfile=...)`: rule -> job count of `snakemake -n ARGS` in `wd`."""
    return planned_jobs


@pytest.fixture
def workflow_copy(tmp_path):
    """A fresh copy of the workflow, nothing built: for dry runs and for config errors."""
    return copy_workflow(tmp_path)


@pytest.fixture(scope="session")
def smoke(tmp_path_factory):
    """The smoke reproduction, built once per test session: the default target (every figure and check of every
    paper) and then the `verify` gate. Read-only: a test that asks "what would re-run if ..." writes its changed
    configuration to a new file and dry-runs with it (`configfile=`), which leaves the built directory as it was
    and costs no copy of it.

    Tests using it carry `@pytest.mark.xdist_group("smoke")`, so that under pytest-xdist (`--dist loadgroup`) they
    all run on one worker and the reproduction is built once."""
    wd = copy_workflow(tmp_path_factory.mktemp("smoke"))
    run_snakemake(wd)
    run_snakemake(wd, "verify")
    return wd
