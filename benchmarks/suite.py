"""The peer benchmark (`snakemake --cores all benchmark`, or `python benchmarks/suite.py`): every fast path against
the package's numpy reference, the plain per-step numpy loop a user would write, JAX and PyTorch.

Cases (the optimizer settings are bench_steps.py's and bench_fan2025.py's CASES, not copies):

    binary, exp loss, gaussian data (N, d) = (10, 50) and (100, 500):  Inc-Adam, Det-Adam, Inc-Signum, AdamProxy
    multiclass CE, fan2025 spec §3 data (n, k, d) = (500, 10, 25):     full-batch SignGD, Adam, Spectral-GD, Muon
    100-run batched sweep (Inc-Adam over a β2 grid, N = 10, d = 50):   `train_many` against a `train` loop
    baek2025 Algorithm 3 (`proxy_fixed_point`) and fan2025's max-norm margin LP

Each implementation of a case runs the same algorithm from w = 0 (η_t = lr·(t+2)^(−decay), ε = 0, no bias
correction): "fast" is the package's numba path, "ref" its numpy reference (`backend="numpy"`), "numpy" the textbook
float64 loop below, "jax" the same step under `jit` + `lax.scan` (float64), "torch" the same step on float64 tensors.
The peers share one step function per case (written once against the numpy/JAX/PyTorch array API) and are plain:
they form e^{−z} and the softmax directly, so they underflow once margins grow (the package's log-scale path does
not); each record says whether the peer's final iterate is finite and how far it is from the fast path's at the
same step (the check that the peers run the same algorithm). A peer that is not importable is skipped with a note.

Timing: every implementation is warmed up once (compilation), then the implementations of a case are timed in turn,
`repeats` times (interleaved), and the median is reported, per step (loops) or per solve. Python loops (ref, numpy,
torch) run `loop_steps`, compiled ones (fast, jax) `steps`. One thread per library (BLAS, XLA, torch). Ratios in one
run are what matters: timings are machine- and load-specific.

The arithmetic floor of one step is counted from the shapes (`_floor_*`): flops of the matrix-vector products
(2 per multiply-add), of the elementwise updates, plus the exps, sqrts and divisions counted one flop each; bytes are
the compulsory traffic of one step (the batch's data read once, the state w, m, v read and written once, 8 bytes a
float). The working sets fit in L2, so the floor is compute, and the table reports achieved GFLOP/s.

A Spectral-GD step is the CE gradient plus the SVD of a 10 × 25 matrix, whose cost is latency (LAPACK's calls and
copies), not flops; its floor is measured instead (`_spectral_floor`): the gradient alone and the SVD alone (numba's
LAPACK call as the fast path makes it, `np.linalg.svd`, and eigh of the 10 × 10 GGᵀ, which is cheaper but squares
the singular values, so it cannot resolve the 1e-10 truncation), each timed interleaved as the cases are.
"""

from __future__ import annotations

import os

# one thread per library: the numba kernels are single-threaded, and the pipeline runs one job per core
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("MKL_NUM_THREADS", "1")
os.environ.setdefault("XLA_FLAGS", "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1")

import argparse
import datetime as _dt
import importlib
import importlib.metadata
import inspect
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numba import njit

sys.path.insert(0, str(Path(__file__).resolve().parent))  # bench_steps, bench_fan2025 (their CASES)

from bench_fan2025 import CASES as MC_CASES
from bench_steps import CASES as BINARY_CASES
from bench_steps import _cpu_model

from implicit_bias import gaussian, train, train_many
from implicit_bias._fast_multiclass import scaled_gradient
from implicit_bias.multiclass import make_multiclass

__all__ = ["IMPLEMENTATIONS", "load_protocol", "markdown_table", "run_benchmark"]

ROOT = Path(__file__).resolve().parents[1]

IMPLEMENTATIONS = ("fast", "ref", "numpy", "jax", "torch")
LABELS = {
    "fast": "fast path",
    "ref": "package numpy reference",
    "numpy": "plain numpy loop",
    "jax": "JAX jit + lax.scan",
    "torch": "PyTorch loop",
}
# the optimizer settings of each case: bench_steps.py's and bench_fan2025.py's definitions
BINARY = {
    "Inc-Adam": BINARY_CASES["Inc-Adam (b=1)"],
    "Det-Adam": BINARY_CASES["Det-Adam (full batch)"],
    "Inc-Signum": BINARY_CASES["Signum (b=2, beta=0.99)"],
    "AdamProxy": BINARY_CASES["AdamProxy (full batch)"],
}
MULTICLASS = {
    "SignGD (CE)": MC_CASES["SignGD, CE"],
    "Adam (CE)": MC_CASES["Adam (eps=0), CE"],
    "Spectral-GD (CE)": MC_CASES["Spectral-GD, CE"],
    "Muon (CE)": MC_CASES["Muon, CE"],
}
# the spectral peers keep the singular values above this fraction of σ_1 (fan2025 v4 spec §2, `optimizers.POLAR_RTOL`):
# the CE gradient has rank ≤ k − 1 (1ᵀG = 0: each softmax row minus its one-hot sums to zero), so σ_k is rounding
SPECTRAL_RTOL = 1e-10
# `train`'s own defaults complete a case's settings for the peers (lr, decay, betas)
TRAIN_DEFAULTS = {
    k: p.default for k, p in inspect.signature(train).parameters.items() if p.default is not inspect.Parameter.empty
}


def _settings(case: dict, n: int) -> dict:
    s = {**TRAIN_DEFAULTS, **case}
    s["batch_size"] = n if s["batch_size"] is None else int(s["batch_size"])
    return s


# ------------------------------------------------------------------------------------------------------------------
# The peers: one textbook step per case, written against an array namespace (numpy, jax.numpy or torch)
# ------------------------------------------------------------------------------------------------------------------
def binary_step(xp, Xb, w, m, v, eta, s):
    """One step of the exponential loss L_B(w) = (1/b) Σ_{i∈B} e^{−⟨w, x_i⟩} on the batch Xb (b, d), the
    textbook way (no log-scale). w, m, v are (d,) or a batch of runs (R, d) (β's then (R, 1))."""
    a = xp.exp(-(w @ Xb.T))  # |ℓ'(z_i)| per sample (and run)
    g = -(a @ Xb) / Xb.shape[0]
    if s["optimizer"] == "adam":  # baek2025 Alg. 1/2, ε = 0, no bias correction
        m = s["beta1"] * m + (1 - s["beta1"]) * g
        v = s["beta2"] * v + (1 - s["beta2"]) * g * g
        return w - eta * m / xp.sqrt(v), m, v
    if s["optimizer"] == "signum":
        m = s["beta1"] * m + (1 - s["beta1"]) * g
        return w - eta * xp.sign(m), m, v
    if s["optimizer"] == "adam_proxy":  # baek2025 Def. 4.2: P(w)^{-1}∇L, P = diag(sqrt((1/N) Σ_i ∇L_i²))
        g2 = (a * a) @ (Xb * Xb) / Xb.shape[0]
        return w - eta * g / xp.sqrt(g2), m, v
    raise ValueError(f"no peer step for {s['optimizer']!r}")


def ce_step(xp, H, Y, W, m, v, eta, s):
    """One full-batch step of the cross-entropy loss (1/n) Σ_i −log softmax(W h_i)_{y_i}, textbook softmax.
    Y is the one-hot label matrix (n, k); W, m, v are (k, d)."""
    Z = H @ W.T
    P = xp.exp(Z - xp.amax(Z, 1, keepdims=True))
    P = P / P.sum(1, keepdims=True)
    G = (P - Y).T @ H / H.shape[0]
    if s["optimizer"] == "signgd":
        return W - eta * xp.sign(G), m, v
    if s["optimizer"] == "adam":  # fan2025 eqs 3a-3c, ε = 0
        m = s["beta1"] * m + (1 - s["beta1"]) * G
        v = s["beta2"] * v + (1 - s["beta2"]) * G * G
        return W - eta * m / xp.sqrt(v), m, v
    if s["optimizer"] == "spectral":  # fan2025 v4 Table: Spectral-GD, Δ = UVᵀ of G
        return W - eta * polar(xp, G), m, v
    if s["optimizer"] == "muon":  # fan2025 v4 eqs 4-5 in the spectral norm: UVᵀ of M = β1 M + (1 − β1) G
        m = s["beta1"] * m + (1 - s["beta1"]) * G
        return W - eta * polar(xp, m), m, v
    raise ValueError(f"no peer step for {s['optimizer']!r}")


def polar(xp, G):
    """UVᵀ of the thin SVD G = UΣVᵀ truncated to σ_i > SPECTRAL_RTOL·σ_1 (a zero G gives 0). The columns of U are
    masked rather than sliced, so that the shapes stay static under `jit`."""
    U, sigma, Vt = xp.linalg.svd(G, full_matrices=False)
    return (U * (sigma > SPECTRAL_RTOL * sigma[0])) @ Vt


def _peer_problem(kind, data, s):
    """(step(xp, batch, w, m, v, eta, s), batches (L, ...) in numpy, shape of w) of a case."""
    loss = s["loss"] or ("exp" if kind == "binary" else "ce")
    if s["eps"] or s["bias_correction"] or loss != ("exp" if kind == "binary" else "ce"):
        raise ValueError("the peers implement ε = 0 without bias correction, exp loss (binary) and CE (multiclass)")
    if s["optimizer"] in ("spectral", "muon") and s["polar"] != "svd":
        raise ValueError("the spectral peers take UVᵀ from the SVD (polar='svd')")
    if kind == "binary":
        X = data
        b = s["batch_size"]
        if s.get("sampling", "cyclic") != "cyclic":
            raise ValueError("the peers implement cyclic batches only")
        batches = X.reshape(X.shape[0] // b, b, X.shape[1])  # B_j = rows jb..jb+b−1, visited in order

        def step(xp, batch, w, m, v, eta, s):
            return binary_step(xp, batch[0], w, m, v, eta, s)

        return step, (batches,), (X.shape[1],)
    H, y = data
    Y = np.eye(int(y.max()) + 1)[y]

    def step(xp, batch, w, m, v, eta, s):
        return ce_step(xp, *batch, w, m, v, eta, s)

    return step, (H[None], Y[None]), (Y.shape[1], H.shape[1])


def numpy_loop(step, batches, shape, steps, s):
    """The per-step numpy loop a user would write."""
    w = np.zeros(shape)
    m, v = np.zeros(shape), np.zeros(shape)
    L = batches[0].shape[0]
    for t in range(steps):
        eta = s["lr"] * (t + 2.0) ** -s["decay"]
        w, m, v = step(np, tuple(B[t % L] for B in batches), w, m, v, eta, s)
    return w


def torch_loop(step, batches, shape, steps, s):
    """The same loop on float64 torch tensors (CPU, no autograd)."""
    import torch

    tb = [torch.from_numpy(np.ascontiguousarray(B)) for B in batches]
    st = {key: torch.from_numpy(x) if isinstance(x, np.ndarray) else x for key, x in s.items()}  # a sweep's grid
    w = torch.zeros(shape, dtype=torch.float64)
    m, v = torch.zeros_like(w), torch.zeros_like(w)
    L = tb[0].shape[0]
    with torch.inference_mode():
        for t in range(steps):
            eta = s["lr"] * (t + 2.0) ** -s["decay"]
            w, m, v = step(torch, tuple(B[t % L] for B in tb), w, m, v, eta, st)
    return w.numpy()


def jax_runner(step, batches, shape, steps, s):
    """The same step under `jax.jit` + `lax.scan` (float64); returns a function running `steps` steps."""
    import jax

    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp

    L = batches[0].shape[0]

    @jax.jit
    def run(w0, jb):  # the data as arguments, not as constants folded into the compiled program
        def body(carry, t):
            eta = s["lr"] * (t + 2.0) ** -s["decay"]
            return step(jnp, tuple(B[t % L] for B in jb), *carry, eta, s), None

        (w, _, _), _ = jax.lax.scan(body, (w0, w0, w0), jnp.arange(steps))
        return w

    w0 = jnp.zeros(shape, dtype=jnp.float64)
    jb = tuple(jnp.asarray(B) for B in batches)
    return lambda: np.asarray(run(w0, jb).block_until_ready())


# ------------------------------------------------------------------------------------------------------------------
# Arithmetic floors (flops and bytes of one step, from the shapes)
# ------------------------------------------------------------------------------------------------------------------
def _floor_binary(optimizer: str, b: int, d: int) -> dict:
    """z = X_B w (2bd), e^{−z} (b), ĝ = a X_B (2bd), then the update per coordinate: Adam m 3, v 4, m/√v 2,
    w 2 (11d); Signum m 3, sign 1, w 2 (6d); AdamProxy also (a²)(X_B²) (b + 3bd) and g/√g₂, w (4d)."""
    flops = 4 * b * d + b
    state = {"adam": 3, "signum": 2, "adam_proxy": 1}[optimizer]  # w, m, v read and written
    flops += {"adam": 11 * d, "signum": 6 * d, "adam_proxy": 3 * b * d + b + 4 * d}[optimizer]
    return dict(flops=flops, bytes=8 * b * d + 16 * state * d, formula=_FLOOR_FORMULA[optimizer])


def _floor_ce(optimizer: str, n: int, k: int, d: int) -> dict:
    """Z = H Wᵀ (2nkd), softmax (max, subtract, exp, sum, divide: 5nk), P − Y (nk), Gᵀ = (P − Y)ᵀ H (2nkd),
    then the update per entry of W: SignGD 3kd, Adam 11kd; Spectral-GD the thin SVD of the k × d matrix
    (6dk² + 11k³, Golub & Van Loan's count for the R-SVD with Σ, U and V), UVᵀ (2k²d) and w (2kd), Muon also the
    momentum (3kd)."""
    flops = 4 * n * k * d + 6 * n * k
    if optimizer in ("spectral", "muon"):
        flops += 8 * k * k * d + 11 * k**3 + (5 if optimizer == "muon" else 2) * k * d
    else:
        flops += (3 if optimizer == "signgd" else 11) * k * d
    state = {"signgd": 1, "spectral": 1, "muon": 2, "adam": 3}[optimizer]
    return dict(flops=flops, bytes=8 * n * d + 8 * n + 16 * state * k * d, formula=_FLOOR_FORMULA["ce_" + optimizer])


_FLOOR_FORMULA = {
    "adam": "4bd + b + 11d flops; 8bd + 48d bytes",
    "signum": "4bd + b + 6d flops; 8bd + 32d bytes",
    "adam_proxy": "7bd + 2b + 4d flops; 8bd + 16d bytes",
    "ce_signgd": "4nkd + 6nk + 3kd flops; 8nd + 8n + 16kd bytes",
    "ce_adam": "4nkd + 6nk + 11kd flops; 8nd + 8n + 48kd bytes",
    "ce_spectral": "4nkd + 6nk + 8k²d + 11k³ + 2kd flops; 8nd + 8n + 16kd bytes",
    "ce_muon": "4nkd + 6nk + 8k²d + 11k³ + 5kd flops; 8nd + 8n + 32kd bytes",
}


# ------------------------------------------------------------------------------------------------------------------
# Timing
# ------------------------------------------------------------------------------------------------------------------
def _interleaved(fns: dict[str, Callable], repeats: int) -> tuple[dict[str, list[float]], dict[str, float], dict]:
    """Warm every function up once, then time them in turn `repeats` times. Returns (seconds per call, warm-up
    seconds, last result) per name."""
    warm, out = {}, {}
    for name, fn in fns.items():
        t0 = time.perf_counter()
        out[name] = fn()
        warm[name] = time.perf_counter() - t0
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            t0 = time.perf_counter()
            out[name] = fn()
            times[name].append(time.perf_counter() - t0)
    return times, warm, out


def _peer_available(name: str) -> str | None:
    """None if the peer library imports, else the reason it is skipped."""
    module = {"jax": "jax", "torch": "torch"}.get(name)
    if module is None:
        return None
    try:
        importlib.import_module(module)
    except ImportError as err:
        return f"{module} is not installed ({err}); pip install -e '.[bench]'"
    return None


def _agreement(w: np.ndarray, w_fast: np.ndarray) -> dict:
    finite = bool(np.all(np.isfinite(w)))
    if not finite:
        return dict(finite=False, max_rel_diff=None)
    return dict(finite=True, max_rel_diff=float(np.max(np.abs(w - w_fast)) / max(np.max(np.abs(w_fast)), 1e-300)))


def _time_with_peers(fns, peer_args, s, steps, loop_steps, repeats):
    """Add the JAX and PyTorch peers (when importable) to `fns` and time them all, interleaved.
    Returns (times, warm-ups, results, {skipped peer: reason})."""
    skipped = {}
    for peer in ("jax", "torch"):
        reason = _peer_available(peer)
        if reason:
            skipped[peer] = reason
        elif peer == "jax":
            fns["jax"] = jax_runner(*peer_args, steps, s)
        else:
            fns["torch"] = lambda: torch_loop(*peer_args, loop_steps, s)
    return (*_interleaved(fns, repeats), skipped)


def _records(timed, n_steps, floor, w_at, unit):
    """Per implementation: median time per step, the repeats, achieved GFLOP/s and agreement with the fast path's
    iterate `w_at[steps]` at the same step count; or the reason it was skipped."""
    times, warm, out, skipped = timed
    impls = {}
    for impl in IMPLEMENTATIONS:
        if impl in skipped:
            impls[impl] = dict(skipped=True, reason=skipped[impl])
            continue
        per = statistics.median(times[impl]) / n_steps[impl]
        w_fast = w_at[n_steps[impl]]
        impls[impl] = dict(
            skipped=False,
            seconds=per,
            unit=unit,
            steps=n_steps[impl],
            repeats_s=times[impl],
            warmup_s=warm[impl],
            gflops=floor["flops"] / per / 1e9,
            **_agreement(np.asarray(out[impl]).reshape(w_fast.shape), w_fast),
        )
    return impls


def _step_case(name, kind, data, case, steps, loop_steps, repeats, floor, size, train_args):
    """Time one optimizer case: fast, ref, and the peers."""
    s = _settings(case, (data if kind == "binary" else data[0]).shape[0])
    step, batches, shape = _peer_problem(kind, data, s)
    n_steps = dict(fast=steps, ref=loop_steps, numpy=loop_steps, jax=steps, torch=loop_steps)
    fns = {
        "fast": lambda: train(*train_args, steps=steps, num_log=2, **case).w_final,
        "ref": lambda: train(*train_args, steps=loop_steps, num_log=2, backend="numpy", **case).w_final,
        "numpy": lambda: numpy_loop(step, batches, shape, loop_steps, s),
    }
    timed = _time_with_peers(fns, (step, batches, shape), s, steps, loop_steps, repeats)
    # the fast path's iterate at each step count, to check that every implementation ran the same algorithm
    check = train(*train_args, steps=max(steps, loop_steps), num_log=2, log_steps=[steps, loop_steps], **case)
    w_at = {n: check.w[list(check.steps).index(n)] for n in (steps, loop_steps)}
    impls = _records(timed, n_steps, floor, w_at, "step")
    settings = {key: s[key] for key in ("optimizer", "lr", "decay", "beta1", "beta2", "batch_size", "sampling")}
    return dict(name=name, kind=kind, size=size, settings=settings, floor=floor, **impls)


def _not_applicable(reason):
    return {impl: dict(skipped=True, reason=reason) for impl in ("numpy", "jax", "torch")}


def _solver_case(name, size, fast, ref, repeats, note):
    times, warm, _out = _interleaved({"fast": fast, "ref": ref}, repeats)
    impls = {
        impl: dict(
            skipped=False,
            seconds=statistics.median(times[impl]),
            unit="solve",
            repeats_s=times[impl],
            warmup_s=warm[impl],
        )
        for impl in ("fast", "ref")
    }
    return dict(
        name=name,
        kind="solver",
        size=size,
        floor=None,
        note=note,
        **impls,
        **_not_applicable("no LP/QP solver in numpy, JAX or PyTorch: not applicable"),
    )


def _reference_fixed_point(X, tol=1e-6, max_iter=50):
    """baek2025 Algorithm 3 with the package's one-shot solver (`solve_proxy_problem`): P(c) is rebuilt and
    re-canonicalised every iteration, where `proxy_fixed_point` builds it once in DPP form and only re-solves."""
    from implicit_bias import solve_proxy_problem

    c = np.full(X.shape[0], 1.0 / X.shape[0])
    for _ in range(max_iter):
        _w, lam = solve_proxy_problem(X, c)
        c_next = lam / lam.sum()
        done = np.sum(np.abs(c_next - c)) < tol
        c = c_next
        if done:
            break
    return c


def _sweep_case(cfg, repeats):
    """`train_many` (one kernel call over a batch of runs) against separate `train` calls and the batched peers."""
    runs, steps = cfg["runs"], cfg["steps"]
    size = dict(N=10, d=50, runs=runs)
    case = BINARY["Inc-Adam"]
    X = gaussian(10, 50, 0)
    beta2 = np.linspace(0.95, 0.999, runs)
    s = _settings(case, X.shape[0]) | {"beta2": beta2[:, None]}
    step, batches, _ = _peer_problem("binary", X, s)
    per_run = [dict(beta2=float(b2)) for b2 in beta2]
    fns = {
        "fast": lambda: [tr.w_final for tr in train_many(X, runs=per_run, steps=steps, num_log=2, **case)],
        "ref": lambda: [train(X, steps=steps, num_log=2, **case, **r).w_final for r in per_run],
        "numpy": lambda: numpy_loop(step, batches, (runs, 50), steps, s),
    }
    timed = _time_with_peers(fns, (step, batches, (runs, 50)), s, steps, steps, repeats)
    floor = _floor_binary("adam", 1, 50)
    floor = dict(flops=floor["flops"] * runs, bytes=floor["bytes"] * runs, formula=f"{runs} × Inc-Adam's")
    w_ref = {steps: np.asarray(timed[2]["ref"])}  # separate `train` calls
    impls = _records(timed, dict.fromkeys(IMPLEMENTATIONS, steps), floor, w_ref, f"step of {runs} runs")
    note = "fast: one train_many call; ref: one train call (fast path) per run; peers: one loop over (R, d) arrays"
    return dict(name="Inc-Adam sweep", kind="sweep", size=size, floor=floor, note=note, skipped=False, **impls)


# ------------------------------------------------------------------------------------------------------------------
# The floor of a Spectral-GD step: its gradient and its SVD, each timed alone
# ------------------------------------------------------------------------------------------------------------------
@njit
def _gradient_loop(H, y, W0, reps):
    """The fast path's CE gradient (`_fast_multiclass.scaled_gradient`), `reps` times, on buffers allocated here as
    `_fast_multiclass.run` allocates them: numba's allocations are aligned for its vector loads, numpy's need not
    be (on numpy-allocated buffers the same calls run about 10% slower)."""
    n, d = H.shape
    k = W0.shape[0]
    Ht, W = np.ascontiguousarray(H.T), W0.copy()
    Zb, R, G = np.empty((k, n)), np.empty((k, n)), np.empty((k, d))
    wa, wb, wf = np.empty(n), np.empty(n), np.empty(n)
    c = 0.0
    for _ in range(reps):
        c += scaled_gradient(Ht, y, W, 0, Zb, R, G, wa, wb, wf)
    return c


@njit
def _svd_loop(G, reps):
    """numba's `np.linalg.svd` (LAPACK gesdd, as `_core._schatten` calls it) of G, `reps` times."""
    acc = 0.0
    for _ in range(reps):
        _U, sigma, _Vt = np.linalg.svd(G, full_matrices=False)
        acc += sigma[0]
    return acc


@njit
def _gram_eigh_loop(G, reps):
    """The eigen-decomposition of the k × k Gram matrix GGᵀ = UΣ²Uᵀ (numba, LAPACK syevd), `reps` times: the
    cheaper route to U and Σ, whose precision `_gram_polar` measures."""
    acc = 0.0
    for _ in range(reps):
        lam, _U = np.linalg.eigh(G @ G.T)
        acc += lam[-1]
    return acc


def _gram_polar(G: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(σ from eigh of GGᵀ in decreasing order, UVᵀ from them with `polar`'s truncation): Vᵀ = Σ⁻¹UᵀG."""
    lam, U = np.linalg.eigh(G @ G.T)
    lam, U = lam[::-1], U[:, ::-1]
    sigma = np.sqrt(np.maximum(lam, 0.0))
    keep = sigma > SPECTRAL_RTOL * sigma[0]
    return sigma, U[:, keep] @ (U[:, keep].T @ G / sigma[keep, None])


def _synthetic_precision(k: int, d: int, sigma_min: float = 1e-9) -> dict:
    """max |UVᵀ − exact| of the SVD and GGᵀ routes on G = U diag(σ) Vᵀ with σ log-spaced from 1 to `sigma_min`
    (every singular value above the cut, so the exact answer is UVᵀ)."""
    rng = np.random.default_rng(0)
    U = np.linalg.qr(rng.standard_normal((k, k)))[0]
    V = np.linalg.qr(rng.standard_normal((d, k)))[0]
    G = (U * np.logspace(0, np.log10(sigma_min), k)) @ V.T
    exact = U @ V.T
    return dict(
        synthetic_sigma_min=sigma_min,
        synthetic_err_svd=float(np.max(np.abs(polar(np, G) - exact))),
        synthetic_err_gram=float(np.max(np.abs(_gram_polar(G)[1] - exact))),
    )


def _spectral_floor(H, y, fast_step: dict, steps: int, loop_steps: int, repeats: int) -> dict:
    """The two parts of the fast Spectral-GD step timed alone on fan2025's data: the CE gradient (the fast path's
    kernel) and the SVD of the k × d gradient (numba's LAPACK call, numpy's, and eigh of the k × k GGᵀ), per call,
    and their shares of `fast_step` (the Spectral-GD case's fast record). Shares and the floor compare minima over the
    repeats (the least disturbed timings on a shared machine; medians are recorded too). The gradient is taken at the
    fast path's iterate after 100 Spectral-GD steps. eigh of GGᵀ squares the singular values, so it resolves σ_i/σ_1
    only to ≈ √ε ≈ 1.5e-8, above the 1e-10 cut; `gram_precision` measures that on this gradient (whose σ_k is zero:
    rank k − 1) and on a matrix with σ down to 1e-9."""
    n, d = H.shape
    k = int(y.max()) + 1
    W = train(H, y, steps=100, num_log=2, **MULTICLASS["Spectral-GD (CE)"]).w_final
    Y = np.eye(k)[y]
    P = np.exp(H @ W.T - (H @ W.T).max(1, keepdims=True))
    G = (P / P.sum(1, keepdims=True) - Y).T @ H / n

    def numpy_svd():
        for _ in range(loop_steps):
            np.linalg.svd(G, full_matrices=False)

    fns = {
        "gradient": lambda: _gradient_loop(H, y, W, steps),
        "svd_numba": lambda: _svd_loop(G, steps),
        "svd_numpy": numpy_svd,
        "gram_eigh_numba": lambda: _gram_eigh_loop(G, steps),
    }
    times, warm, _out = _interleaved(fns, repeats)
    calls = dict(gradient=steps, svd_numba=steps, svd_numpy=loop_steps, gram_eigh_numba=steps)
    step_min = min(fast_step["repeats_s"]) / fast_step["steps"]
    parts = {
        name: dict(
            seconds=statistics.median(times[name]) / calls[name],
            min_seconds=min(times[name]) / calls[name],
            share=min(times[name]) / calls[name] / step_min,
            calls=calls[name],
            repeats_s=times[name],
            warmup_s=warm[name],
        )
        for name in fns
    }
    sigma = np.linalg.svd(G, compute_uv=False)
    D = polar(np, G)
    sigma_gram, D_gram = _gram_polar(G)
    precision = dict(
        sigma_k_over_sigma_1_svd=float(sigma[-1] / sigma[0]),
        sigma_k_over_sigma_1_gram=float(sigma_gram[-1] / sigma_gram[0]),
        rank_svd=int(np.sum(sigma > SPECTRAL_RTOL * sigma[0])),
        rank_gram=int(np.sum(sigma_gram > SPECTRAL_RTOL * sigma_gram[0])),
        max_abs_diff_polar_gram=float(np.max(np.abs(D_gram - D))),
        rtol=SPECTRAL_RTOL,
        **_synthetic_precision(k, d),
    )
    floor = parts["gradient"]["min_seconds"] + parts["svd_numba"]["min_seconds"]
    return dict(
        size=dict(n=n, k=k, d=d),
        step_seconds=fast_step["seconds"],
        step_min_seconds=step_min,
        parts=parts,
        floor_seconds=floor,
        step_over_floor=step_min / floor,
        gram_precision=precision,
    )


# ------------------------------------------------------------------------------------------------------------------
# Machine, driver, table
# ------------------------------------------------------------------------------------------------------------------
def _instruction_set() -> dict:
    """What the compiled kernels were built for: the microarchitecture LLVM detects (numba compiles for it, and XLA
    for the same host) and the widest vector extension. A cloud CPU that reports only "AMD EPYC" can be Zen 3 (AVX2)
    or Zen 4 (AVX-512): the fast paths and JAX gain differently from the wider vectors, so the ratios between them
    move with it."""
    import llvmlite.binding as llvm

    flags: set[str] = set()
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    break
    except OSError:
        pass
    widest = "AVX-512" if "avx512f" in flags else "AVX2" if "avx2" in flags else "AVX" if "avx" in flags else None
    return dict(microarchitecture=llvm.get_host_cpu_name(), vector_extension=widest)


def machine_info() -> dict:
    versions = {}
    for dist in ("implicit-bias", "numpy", "scipy", "numba", "cvxpy", "highspy", "clarabel", "jax", "jaxlib", "torch"):
        try:
            versions[dist] = importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            versions[dist] = None
    return dict(
        cpu=_cpu_model(),
        **_instruction_set(),
        cores=os.cpu_count(),
        cores_available=len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        platform=platform.platform(),
        python=platform.python_version(),
        versions=versions,
        threads="1 per library (OMP/OPENBLAS/MKL_NUM_THREADS=1, XLA single-threaded, torch.set_num_threads(1))",
        date=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
    )


def load_protocol(configfile: str | os.PathLike) -> dict:
    """The `benchmark:` section of a workflow config file (config.yaml): step counts and repeats."""
    import yaml

    return yaml.safe_load(Path(configfile).read_text())["benchmark"]


def run_benchmark(cfg: dict, log=print) -> dict:
    """Run every case with the protocol `cfg` (config.yaml's `benchmark:` section) and return the JSON-ready
    record."""
    if _peer_available("torch") is None:
        import torch

        torch.set_num_threads(1)
    reps = cfg["repeats"]
    cases = []
    bcfg = cfg["binary"]
    for N, d in bcfg["sizes"]:
        X = gaussian(N, d, 0)
        for name, case in BINARY.items():
            s = _settings(case, N)
            floor = _floor_binary(s["optimizer"], s["batch_size"], d)
            cases.append(
                _step_case(
                    name, "binary", X, case, bcfg["steps"], bcfg["loop_steps"], reps, floor, dict(N=N, d=d), (X,)
                )
            )
            log(_line(cases[-1]))
    H, y, _, _ = make_multiclass(seed=0)  # fan2025 spec §3, as in bench_fan2025.py
    k = int(y.max()) + 1
    mcfg = cfg["multiclass"]
    for name, case in MULTICLASS.items():
        floor = _floor_ce(case["optimizer"], H.shape[0], k, H.shape[1])
        size = dict(n=H.shape[0], k=k, d=H.shape[1])
        cases.append(
            _step_case(name, "multiclass", (H, y), case, mcfg["steps"], mcfg["loop_steps"], reps, floor, size, (H, y))
        )
        log(_line(cases[-1]))
    spectral_step = next(c for c in cases if c["name"] == "Spectral-GD (CE)")["fast"]
    spectral_floor = _spectral_floor(H, y, spectral_step, mcfg["steps"], mcfg["loop_steps"], reps)
    log(_floor_line(spectral_floor))
    cases.append(_sweep_case(cfg["sweep"], reps))
    log(_line(cases[-1]))

    from implicit_bias import proxy_fixed_point
    from implicit_bias.margins import max_margin, max_norm_margin_sparse

    X = gaussian(10, 50, 0)
    cases.append(
        _solver_case(
            "proxy_fixed_point",
            dict(N=10, d=50),
            lambda: proxy_fixed_point(X).c,
            lambda: _reference_fixed_point(X),
            cfg["solver_repeats"],
            "baek2025 Algorithm 3; fast: P(c) built once in DPP form (Clarabel); "
            "ref: solve_proxy_problem (a new problem) per iteration",
        )
    )
    log(_line(cases[-1]))
    cases.append(
        _solver_case(
            "max-norm margin LP",
            dict(n=H.shape[0], k=k, d=H.shape[1], constraints=H.shape[0] * (k - 1), variables=k * H.shape[1]),
            lambda: max_norm_margin_sparse(H, y).gamma,
            lambda: max_margin(H, y, "inf").gamma,
            cfg["solver_repeats"],
            "fan2025 γ_∞; fast: sparse bound-constrained LP (HiGHS IPM, scipy); ref: dense min ‖v‖_∞ LP (cvxpy, HiGHS)",
        )
    )
    log(_line(cases[-1]))
    return dict(
        benchmark="peer benchmark",
        protocol=cfg,
        machine=machine_info(),
        implementations=LABELS,
        cases=cases,
        spectral_floor=spectral_floor,
    )


def _fmt_time(seconds: float) -> str:
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


def _line(case: dict) -> str:
    if case.get("skipped"):
        return f"{case['name']}: skipped ({case['note']})"
    cells = [
        f"{impl} {_fmt_time(case[impl]['seconds'])}" if not case[impl]["skipped"] else f"{impl} —"
        for impl in IMPLEMENTATIONS
    ]
    return f"{case['name']} {case['size']}: " + ", ".join(cells)


FLOOR_PARTS = {
    "gradient": "CE gradient alone (the fast path's kernel)",
    "svd_numba": "SVD of the k × d gradient alone, numba (LAPACK gesdd, as the fast path)",
    "svd_numpy": "SVD alone, `np.linalg.svd` (a Python call)",
    "gram_eigh_numba": "eigh of the k × k GGᵀ alone, numba (not exact enough²)",
}


def _floor_line(floor: dict) -> str:
    parts = ", ".join(f"{name} {_fmt_time(p['min_seconds'])}" for name, p in floor["parts"].items())
    return f"Spectral-GD step floor {floor['size']}, minima: {parts}; fast step {_fmt_time(floor['step_min_seconds'])}"


def _floor_table(floor: dict) -> list[str]:
    """The floor of a Spectral-GD step as Markdown lines: its parts' times and shares of the fast step."""
    p, g = floor["parts"], floor["gram_precision"]
    lines = [
        f"The floor of a Spectral-GD step ({_size(floor['size'])}): its parts timed alone, interleaved as above, per "
        "call (minimum / median over the repeats), and their share of the fast path's step, minimum over minimum "
        f"(the step: {_fmt_time(floor['step_min_seconds'])} / {_fmt_time(floor['step_seconds'])}).",
        "",
        "| part | time per call, min / median | share of the fast step |",
        "|---|---|---|",
        *(
            f"| {FLOOR_PARTS[name]} | {_fmt_time(r['min_seconds'])} / {_fmt_time(r['seconds'])} | "
            f"{100 * r['share']:.0f}% |"
            for name, r in p.items()
        ),
        "",
        f"Floor = gradient + numba SVD = {_fmt_time(floor['floor_seconds'])} (minima); the fast step takes "
        f"{floor['step_over_floor']:.2f}× that (the rest: UVᵀ, the update, the SVD's input copy).",
        f"² GGᵀ squares the singular values, so eigh resolves σ_i/σ_1 only to ≈ √ε ≈ 1.5e-8, above the "
        f"{g['rtol']:g} cut: on this gradient (rank k − 1, 1ᵀG = 0) the SVD gives σ_k/σ_1 = "
        f"{g['sigma_k_over_sigma_1_svd']:.1e} (rank {g['rank_svd']}), eigh {g['sigma_k_over_sigma_1_gram']:.1e} "
        f"(rank {g['rank_gram']}), and the two UVᵀ differ by up to {g['max_abs_diff_polar_gram']:.2g} per entry; "
        f"on a {floor['size']['k']} × {floor['size']['d']} matrix with σ log-spaced from 1 to "
        f"{g['synthetic_sigma_min']:g} (all kept), UVᵀ is off by up to {g['synthetic_err_svd']:.1g} through the SVD "
        f"and {g['synthetic_err_gram']:.1g} through eigh of GGᵀ.",
    ]
    return lines


def _size(size: dict) -> str:
    return ", ".join(f"{k} = {v}" for k, v in size.items())


def markdown_table(record: dict) -> str:
    """The record as a Markdown table: median time per step (or solve) and each implementation's ratio to the fast
    path, the step's arithmetic floor and the fast path's achieved GFLOP/s."""
    m = record["machine"]
    v = m["versions"]
    lines = [
        f"Machine: {m['cpu']} ({m.get('microarchitecture')}, {m.get('vector_extension')}), {m['cores']} cores, "
        f"Python {m['python']}; numpy {v['numpy']}, numba {v['numba']}, "
        f"jax {v['jax']}, torch {v['torch']}, cvxpy {v['cvxpy']}; {m['threads']}; {m['date']}.",
        "",
        f"Median of {record['protocol']['repeats']} interleaved repeats (solvers: "
        f"{record['protocol']['solver_repeats']}); time per step (per solve for the solvers) and, in brackets, the "
        "ratio to the fast path (larger is slower).",
        "",
        "| case | size | fast path | numpy reference | plain numpy | JAX scan | PyTorch | flops/step | "
        "bytes/step | fast GFLOP/s |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    notes = []
    for case in record["cases"]:
        if case.get("skipped"):
            lines.append(f"| {case['name']} | {_size(case['size'])} | skipped¹ | | | | | | | |")
            notes.append(f"¹ {case['name']}: {case['note']}.")
            continue
        fast = case["fast"]["seconds"]
        cells = []
        for impl in IMPLEMENTATIONS:
            r = case[impl]
            if r["skipped"]:
                cells.append("—")
            elif impl == "fast":
                cells.append(_fmt_time(fast))
            else:
                mark = "" if r.get("finite", True) else "‡"
                cells.append(f"{_fmt_time(r['seconds'])} ({r['seconds'] / fast:.3g}×){mark}")
        floor = case["floor"]
        if floor:
            tail = [f"{floor['flops']:,}", f"{floor['bytes']:,}", f"{case['fast']['gflops']:.2f}"]
        else:
            tail = ["—", "—", "—"]
        lines.append(f"| {case['name']} | {_size(case['size'])} | " + " | ".join(cells + tail) + " |")
    lines += [
        "",
        "Floors count the flops of one step from the shapes (2 per multiply-add; exp, sqrt and division one each) and "
        "its compulsory bytes (the batch's data once, the state w, m, v read and written once, 8 bytes a float): "
        + "; ".join(f"{k.replace('_', ' ')}: {f}" for k, f in _FLOOR_FORMULA.items())
        + ". The working sets fit in cache, so the distance to the floor is the achieved GFLOP/s against the core's "
        "scalar/SIMD peak.",
        "‡ the textbook peer's float64 iterate is not finite at the end of the run (e^{−z} or g² underflowed; the "
        "package's log-scale path does not), so its time is that of a run gone NaN.",
        "— peer skipped: " + "; ".join(sorted({_skip_note(c) for c in record["cases"] if _skip_note(c)})) + ".",
        *notes,
    ]
    if record.get("spectral_floor"):
        lines += ["", *_floor_table(record["spectral_floor"])]
    return "\n".join(lines) + "\n"


def _skip_note(case: dict) -> str:
    reasons = {case[i]["reason"] for i in IMPLEMENTATIONS if i in case and case[i].get("skipped")}
    return f"{case['name']}: {'; '.join(sorted(reasons))}" if reasons else ""


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--configfile", type=Path, default=ROOT / "config.yaml", help="whose `benchmark:` protocol to run")
    ap.add_argument("--out", type=Path, default=ROOT / "results" / "benchmark")
    args = ap.parse_args(argv)
    record = run_benchmark(load_protocol(args.configfile))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "benchmark.json").write_text(json.dumps(record, indent=1) + "\n")
    (args.out / "benchmark.md").write_text(markdown_table(record))
    print(markdown_table(record))


if __name__ == "__main__":
    main()
