"""`train`: one loop for every optimizer = update rule (`optimizers.UpdateRule`) + batching schedule.

Binary and multiclass data take the same path. Two interchangeable back ends run the same maths: "numba" (the fast
kernels `_fast` and `_fast_multiclass`, which share the update rule `_core.update`) and "numpy" (the readable
reference `run_reference`, built from `losses.scaled_gradient` / `multiclass.scaled_gradient` and
`optimizers.step_direction`). Tests compare them with tolerances.
"""

from __future__ import annotations

import inspect
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from . import multiclass as mc
from .data import as_design_matrix
from .hyperparameters import TRAIN_DEFAULTS
from .losses import LOSSES, log_total_loss, scaled_gradient
from .optimizers import UpdateRule, batch_schedule, init_state, learning_rate, step_direction, step_size

__all__ = ["Trajectory", "log_grid", "log_progress", "run_reference", "train", "train_many"]

# how often the watcher thread of a run with a `progress` callback reads the run's count of steps done: a thread that
# wakes ten times a second costs nothing measurable, and a caller printing every few seconds sees fresh counts
POLL_SECONDS = 0.1


@dataclass(frozen=True)
class Trajectory:
    """Iterates of one run on a log-spaced grid of steps.

    `direction[j]` is d_t of the step w_{t+1} = w_t − η_t d_t taken at t = steps[j] (NaN at the last step);
    `max_direction` is max_t ‖d_t‖_∞ over every step of the run (Lemma D.1).
    """

    steps: np.ndarray
    w: np.ndarray
    log_loss: np.ndarray
    direction: np.ndarray
    max_direction: float
    settings: dict = field(default_factory=dict)

    @property
    def w_final(self) -> np.ndarray:
        return self.w[-1]

    @property
    def loss(self) -> np.ndarray:
        """L(w_t); underflows to 0 late in training — use `log_loss` for anything quantitative."""
        return np.exp(self.log_loss)

    @property
    def lr(self) -> np.ndarray:
        return learning_rate(self.steps, self.settings["lr"], self.settings["decay"])


def log_grid(steps: int, num: int = 200, extra: ArrayLike = ()) -> np.ndarray:
    """Sorted unique log-spaced steps in [0, steps], always containing 0 and `steps`, plus `extra`."""
    grid = np.unique(np.geomspace(1, max(steps, 1), num).astype(np.int64))
    grid = np.concatenate([[0], grid[grid <= steps], [steps], np.asarray(extra, dtype=np.int64)])
    grid = np.unique(grid)
    if grid.min() < 0 or grid.max() > steps:
        raise ValueError(f"log steps must lie in [0, {steps}]")
    return grid


def run_reference(
    w0: np.ndarray,
    steps: int,
    rule: UpdateRule,
    lr: float,
    decay: float,
    log_steps: np.ndarray,
    gradient: Callable,
    log_loss: Callable,
    progress: np.ndarray | None = None,
) -> tuple[int, int, float, np.ndarray, np.ndarray, np.ndarray]:
    """The plain numpy training loop (the oracle of the numba fast paths), for any parameter shape.

    `gradient(t, w)` returns the scaled batch gradient (c, ĝ, ĝ₂) of step t (∇L_B(w) = e^c ĝ, ĝ shaped like w) and
    `log_loss(w)` the logged log L(w); the update rule sees the parameters' shape (a Schatten rule needs the matrix).
    Returns
    (status, step, max|d|, W, D, L) like the fast paths, and sets `progress[0]` (if given) to t as step t starts,
    as they do.
    """
    n_log = log_steps.size
    W = np.full((n_log, *w0.shape), np.nan)
    D = np.full((n_log, *w0.shape), np.nan)
    L = np.full(n_log, np.nan)
    w = w0.copy()
    state = init_state(rule, w0.shape)
    max_dir = 0.0
    li = 0
    for t in range(steps + 1):
        if progress is not None:
            progress[0] = t
        logging = li < n_log and log_steps[li] == t
        if logging:
            if not np.all(np.isfinite(w)):
                return 1, t, max_dir, W, D, L
            W[li], L[li] = w, log_loss(w)
        if t == steps:
            break
        c, ghat, g2hat = gradient(t, w)
        if not np.isfinite(c):
            return 1, t, max_dir, W, D, L
        direc, state = step_direction(rule, state, t, c, ghat.reshape(w0.shape), g2hat)
        max_dir = max(max_dir, float(np.max(np.abs(direc))))
        w = w - step_size(t, lr, decay) * direc
        if logging:
            D[li] = direc
            li += 1
    return 0, steps, max_dir, W, D, L


# The optimizers square gradient entries (Adam's second moment, AdamProxy's ĝ₂). On the log scale ĝ is a convex
# combination of rows, so |ĝ_k| <= max|x_ik| and ĝ_k² stays finite while max|x| < sqrt(max float64) ~ 1.3e154;
# beyond that v would overflow to inf, d_t = m/sqrt(v) would be 0 and the run would stall silently. Refused, with
# a margin of 1e4 for the sums over a batch.
MAX_ENTRY = 1e150


def _check_scale(X: np.ndarray, name: str) -> None:
    top = float(np.max(np.abs(X)))
    if top > MAX_ENTRY:
        raise ValueError(
            f"{name} has entries as large as {top:.3g} in magnitude; the optimizers square gradient entries, which "
            f"overflows float64 beyond ~1e154: rescale the data (entries up to {MAX_ENTRY:.0e} are accepted)"
        )


def _initial_point(w0: ArrayLike, shape: tuple) -> np.ndarray:
    """`w0` as a float64 array of the parameters' shape, finite (else the run would fail "at step 0")."""
    w0 = np.array(w0, dtype=np.float64)
    if w0.size != int(np.prod(shape)):
        raise ValueError(f"w0 must have shape {shape} (the parameters' shape); got {w0.shape}")
    if not np.all(np.isfinite(w0)):
        raise ValueError("w0 contains NaN or infinite entries")
    return w0.reshape(shape)


def _check_common(steps: int, lr: float, decay: float, backend: str) -> int:
    if isinstance(steps, bool) or not float(steps).is_integer():
        raise ValueError(f"steps must be a whole number; got {steps!r}")
    steps = int(steps)
    if steps < 0:
        raise ValueError(f"steps must be >= 0; got {steps}")
    if not lr > 0:
        raise ValueError(f"lr must be > 0; got {lr}")
    if not decay >= 0:
        raise ValueError(f"decay must be >= 0; got {decay}")
    if backend not in ("numba", "numpy"):
        raise ValueError(f"unknown backend {backend!r}; expected 'numba' or 'numpy'")
    return steps


@dataclass(frozen=True)
class _Run:
    """One run of `train`, checked and ready for either back end."""

    X: np.ndarray  # binary: label-absorbed rows; multiclass: features H
    labels: np.ndarray | None  # multiclass labels (None for binary data)
    rule: UpdateRule
    batches: np.ndarray
    w_init: np.ndarray
    grid: np.ndarray
    steps: int
    lr: float
    decay: float
    loss: str
    settings: dict


def _prepare(args: dict[str, Any]) -> _Run:
    """`train`'s arguments (all of them, as `inspect.signature(train)` binds them) checked, as a `_Run`."""
    a = SimpleNamespace(**args)
    steps = _check_common(a.steps, a.lr, a.decay, a.backend)
    multiclass = a.y is not None
    labels = None
    if multiclass:
        X, labels, k = mc.check_labels(a.X, a.y, a.num_classes)
        loss = "ce" if a.loss is None else a.loss
        if loss not in mc.MC_LOSSES:
            raise ValueError(f"unknown multiclass loss {loss!r}; expected one of {mc.MC_LOSSES}")
        if a.optimizer == "adam_proxy":
            raise ValueError("optimizer 'adam_proxy' (baek2025 Def. 4.2) is defined for binary data only")
        n, d = X.shape
        shape: tuple[int, ...] = (k, d)
    else:
        if a.num_classes is not None:
            raise ValueError("num_classes is only meaningful for multiclass data (y given)")
        loss = "exp" if a.loss is None else a.loss
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; expected one of {LOSSES}")
        X = as_design_matrix(a.X)
        n, d = X.shape
        shape = (d,)
    _check_scale(X, "H" if multiclass else "X")
    rule = UpdateRule(
        a.optimizer,
        beta1=a.beta1,
        beta2=a.beta2,
        eps=a.eps,
        eps_inside=a.eps_inside,
        bias_correction=a.bias_correction,
        p=a.p,
        norm=a.norm,
        polar=a.polar,
        polar_steps=a.polar_steps,
    )
    if rule.schatten and not multiclass:
        raise ValueError(
            f"optimizer {a.optimizer!r} with a Schatten norm steps along a matrix's singular vectors: it needs "
            "multiclass data (features H and labels y), whose parameter is the matrix W (k, d)"
        )
    settings = dict(
        optimizer=a.optimizer,
        steps=steps,
        lr=float(a.lr),
        decay=float(a.decay),
        beta1=float(a.beta1),
        beta2=float(a.beta2),
        eps=float(a.eps),
        eps_inside=bool(a.eps_inside),
        bias_correction=bool(a.bias_correction),
        batch_size=n if a.batch_size is None else int(a.batch_size),
        sampling=a.sampling,
        seed=int(a.seed),
        loss=loss,
        p=float(a.p),
        norm=a.norm,
        polar=a.polar,
        polar_steps=int(a.polar_steps),
    )
    if multiclass:
        settings["num_classes"] = k
    return _Run(
        X=X,
        labels=labels,
        rule=rule,
        batches=batch_schedule(n, steps, a.batch_size, a.sampling, a.seed),
        w_init=np.zeros(shape) if a.w0 is None else _initial_point(a.w0, shape),
        grid=log_grid(steps, a.num_log, a.log_steps),
        steps=steps,
        lr=float(a.lr),
        decay=float(a.decay),
        loss=loss,
        settings=settings,
    )


@contextmanager
def _reporting(counter: np.ndarray, progress: Callable[[int], None] | None) -> Iterator[None]:
    """While the block runs, call `progress(counter[0])` from a watcher thread every `POLL_SECONDS` when the count
    has moved, and once more as the block ends; an exception of `progress` is raised here once the run is over.

    The block is a numba kernel, which runs without the GIL (`nogil`), or the numpy loop, which Python interrupts
    every few milliseconds to run other threads; either writes its count of steps done into `counter`.
    """
    if progress is None:
        yield
        return
    stop = threading.Event()
    errors: list[BaseException] = []

    def watch() -> None:
        seen = -1
        try:
            while True:
                ending = stop.wait(POLL_SECONDS)
                done = int(counter[0])
                if done != seen:
                    seen = done
                    progress(done)
                if ending:
                    return
        except BaseException as exc:  # handed to the caller's thread below
            errors.append(exc)

    watcher = threading.Thread(target=watch, name="implicit-bias-progress", daemon=True)
    watcher.start()
    try:
        yield
    finally:
        stop.set()
        watcher.join()
    if errors:
        raise errors[0]


def _execute(
    run: _Run, backend: str, progress: Callable[[int], None] | None = None
) -> tuple[int, int, float, np.ndarray, np.ndarray, np.ndarray]:
    """Run one `_Run` on one back end: (status, step, max|d|, W, D, L); `progress` as in `train`."""
    counter = np.zeros(1, dtype=np.int64)
    with _reporting(counter, progress):
        return _execute_counted(run, backend, counter)


def _execute_counted(
    run: _Run, backend: str, counter: np.ndarray
) -> tuple[int, int, float, np.ndarray, np.ndarray, np.ndarray]:
    """`_execute`'s run, which keeps `counter[0]` at the number of steps done."""
    X, labels, rule, batches, loss = run.X, run.labels, run.rule, run.batches, run.loss
    if backend == "numpy":
        if labels is not None:

            def gradient(t, W):
                rows = batches[t % len(batches)]
                return (*mc.scaled_gradient(W, X[rows], labels[rows], loss), None)

            def log_loss(W):
                return mc.log_loss(W, X, labels, loss)
        else:

            def gradient(t, w):
                return scaled_gradient(X[batches[t % len(batches)]], w, loss, rule.needs_second_moment)

            def log_loss(w):
                return log_total_loss(X @ w, loss)

        return run_reference(run.w_init, run.steps, rule, run.lr, run.decay, run.grid, gradient, log_loss, counter)
    W, D, L = _outputs(run.grid.size, run.w_init.shape)
    # the numba kernels (numba costs about 0.3 s to import, plus loading the cached machine code): imported by
    # the runs that call them, not by every module that imports `train`
    from . import _fast, _fast_multiclass
    from ._core import hyper

    args = (batches, run.steps, run.lr, run.decay, hyper(rule))
    if labels is not None:
        loss_code = _fast_multiclass.LOSS_CODES[loss]
        status, bad, max_dir = _fast_multiclass.run(X, labels, run.w_init, *args, loss_code, run.grid, W, D, L, counter)
    else:
        status, bad, max_dir = _fast.run(X, run.w_init, *args, _fast.LOSS_CODES[loss], run.grid, W, D, L, counter)
    return status, bad, max_dir, W, D, L


def _outputs(n_log: int, shape: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NaN-filled W, D (n_log, *shape) and L (n_log,): what a run leaves unlogged stays NaN."""
    return np.full((n_log, *shape), np.nan), np.full((n_log, *shape), np.nan), np.full(n_log, np.nan)


def _finish(run: _Run, status: int, bad: int, max_dir: float, W, D, L, name: str = "") -> Trajectory:
    """The `Trajectory` of a finished run, or the `FloatingPointError` of a non-finite one (`name` says which)."""
    if status != 0:
        r = run.settings
        raise FloatingPointError(
            f"{name}{r['optimizer']} run became non-finite (NaN or overflow) at or before step {bad}; "
            f"reduce lr (={r['lr']}) or check beta1 <= beta2 (beta1={r['beta1']}, beta2={r['beta2']})"
        )
    return Trajectory(steps=run.grid, w=W, log_loss=L, direction=D, max_direction=float(max_dir), settings=run.settings)


def train(
    X: np.ndarray,
    y: np.ndarray | None = None,
    *,
    optimizer: str,
    steps: int,
    lr: float = TRAIN_DEFAULTS["lr"],
    decay: float = TRAIN_DEFAULTS["decay"],
    beta1: float = TRAIN_DEFAULTS["beta1"],
    beta2: float = TRAIN_DEFAULTS["beta2"],
    eps: float = TRAIN_DEFAULTS["eps"],
    eps_inside: bool = TRAIN_DEFAULTS["eps_inside"],
    bias_correction: bool = TRAIN_DEFAULTS["bias_correction"],
    batch_size: int | None = TRAIN_DEFAULTS["batch_size"],
    sampling: str = TRAIN_DEFAULTS["sampling"],
    seed: int = TRAIN_DEFAULTS["seed"],
    loss: str | None = None,
    w0: np.ndarray | None = None,
    num_log: int = 200,
    log_steps: ArrayLike = (),
    backend: str = "numba",
    p: float = TRAIN_DEFAULTS["p"],
    norm: str = TRAIN_DEFAULTS["norm"],
    polar: str = TRAIN_DEFAULTS["polar"],
    polar_steps: int = TRAIN_DEFAULTS["polar_steps"],
    num_classes: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Trajectory:
    """Train a linear classifier on separable data and return its `Trajectory`.

    Binary: X holds label-absorbed rows x_i ← y_i·x_i, shape (N, d), and y is None; `loss` ∈ {"exp" (default),
    "logistic"}; w_0 = 0 unless `w0` is given.
    Multiclass (fan2025): pass features H (n, d) as `X` and integer labels `y` in [0, k); W ∈ R^{k×d} starts at 0
    (or `w0`), `loss` ∈ {"ce" (default), "exp", "pairlog"}, `.w` is (K, k, d) and `.w_final` (k, d).

    The optimizer settings and their defaults and ranges are declared once, in `hyperparameters.TRAIN_PARAMETERS`.
    optimizer ∈ {"gd", "ngd", "signgd", "signum", "adam", "adam_proxy" (binary only), "nsd", "nmd", "spectral",
    "muon"}; for "signum" the momentum is `beta1`; "nsd" is normalised steepest descent for the `p`-norm (p = 1, 2,
    ∞ or any p > 1; fan2025 eq 5), entry-wise or, with `norm="schatten"`, of the singular values (multiclass only);
    "nmd" is the same direction of the EMA momentum (fan2025 v4 eqs 4-5; β = `beta1`). "spectral" (Spectral-GD) and
    "muon" are nsd and nmd in the spectral norm (Schatten p = ∞): the step is UVᵀ of the gradient's (momentum's)
    truncated SVD, or with `polar` = "newton_schulz" (Muon's reference code) or "cubic" an iterative approximation
    of it in `polar_steps` iterations. η_t = lr·(t+2)^(−decay). batch_size None is full batch; `sampling` ∈ {"cyclic",
    "replacement", "reshuffle"} picks the mini-batches (seeded by `seed`), for binary and multiclass data alike.
    Adam has no bias correction and ε = 0 by default (baek2025 §2); `eps` is added outside the square root as in
    PyTorch unless `eps_inside`. The iterates are logged at `num_log` log-spaced steps plus any `log_steps` given.
    `backend` "numba" (fast) or "numpy" (the reference loop) run the same maths.
    `progress`, if given, is called with the number of steps done so far, from a watcher thread, about every
    `POLL_SECONDS` while the count moves and once at the end (on either back end; it does not change the run).

    Bad input raises ValueError naming it (shapes, NaN/Inf, labels, hyperparameters, entries beyond 1e150 whose
    squares overflow); a run that becomes non-finite raises FloatingPointError naming the optimizer and the step.
    The optimizers themselves run on any data: separability is checked by the reference solutions (`max_margin`,
    `proxy_fixed_point`), which raise ValueError on non-separable data.
    """
    run = _prepare(dict(locals()))  # every argument, by name
    return _finish(run, *_execute(run, backend, progress))


def log_progress(
    label: str, total: int, log: Callable[[str], object] = print, every: float = 5.0
) -> Callable[[int], None]:
    """A `progress` callback for `train` in a long job: `log`s "<label>: step t of T (p%)" at most once every `every`
    seconds, so a run shorter than that says nothing and a long one shows in its job's log how far it has got."""
    last = time.perf_counter()

    def report(done: int) -> None:
        nonlocal last
        now = time.perf_counter()
        if now - last >= every and 0 < done < total:
            last = now
            log(f"{label}: step {done:,} of {total:,} ({done / total:.0%})")

    return report


def train_many(
    X: np.ndarray,
    runs: list[dict],
    y: np.ndarray | None = None,
    *,
    backend: str = "numba",
    threads: int | None = None,
    **common: Any,
) -> list[Trajectory]:
    """`train(X, y, **common, **run)` for every `run` in `runs`, as one batched kernel call; the same trajectories.

    For sweeps on one data set (optimizer seeds, β grids, batch sizes, ε, lr, ...): binary runs on the numba back end
    go to one parallel kernel (`_fast.run_many`, one run per core at a time, `threads` of them; default: numba's
    thread count), which calls the very kernel `train` calls, so every trajectory is bit-for-bit the one `train`
    returns. Runs with different `steps` or logged steps are batched separately. Multiclass data and the numpy
    back end run one after another. A run that becomes non-finite raises `FloatingPointError` naming its index in
    `runs`; runs that are fine are not returned then. `train`'s `progress` callback is not taken here.
    """
    signature = inspect.signature(train)
    prepared = []
    for overrides in runs:
        bound = signature.bind(X, y, backend=backend, **{**common, **overrides})
        bound.apply_defaults()  # `train`'s defaults, from `train` itself
        if bound.arguments["progress"] is not None:
            raise ValueError("progress is reported by `train` only, not by `train_many`")
        prepared.append(_prepare(bound.arguments))
    results: list = [None] * len(prepared)
    groups: dict = {}
    for i, run in enumerate(prepared):
        if backend == "numba" and run.labels is None:
            groups.setdefault((run.steps, run.grid.tobytes()), []).append(i)
        else:
            results[i] = _execute(run, backend)
    for members in groups.values():
        for i, out in zip(members, _execute_batch([prepared[i] for i in members], threads), strict=True):
            results[i] = out
    return [_finish(run, *out, name=f"run {i} of train_many: ") for i, (run, out) in enumerate(zip(prepared, results))]  # type: ignore[misc]


def _execute_batch(runs: list[_Run], threads: int | None) -> list[tuple]:
    """Binary numba runs sharing `steps` and the logged grid, as one `_fast.run_many` call."""
    import numba

    from . import _fast
    from ._core import hyper

    first = runs[0]
    R, n_log, shape = len(runs), first.grid.size, first.w_init.shape
    W, D = np.full((R, n_log, *shape), np.nan), np.full((R, n_log, *shape), np.nan)
    L = np.full((R, n_log), np.nan)
    hypers = [hyper(run.rule) for run in runs]
    fields = {name: np.array([getattr(h, name) for h in hypers]) for name in hypers[0]._fields}
    offsets = np.cumsum([0] + [run.batches.size for run in runs])
    status = np.zeros(R, dtype=np.int64)
    bad = np.zeros(R, dtype=np.int64)
    max_dir = np.zeros(R)
    progress = np.zeros(R, dtype=np.int64)  # each run's count of steps done (not reported: see `train_many`)
    previous = numba.get_num_threads()
    if threads is not None:
        numba.set_num_threads(int(threads))
    try:
        _fast.run_many(
            first.X,
            np.stack([run.w_init for run in runs]),
            np.concatenate([run.batches.ravel() for run in runs]),
            offsets,
            np.array([run.batches.shape[1] for run in runs], dtype=np.int64),
            first.steps,
            np.array([run.lr for run in runs]),
            np.array([run.decay for run in runs]),
            *(fields[name] for name in hypers[0]._fields),
            np.array([_fast.LOSS_CODES[run.loss] for run in runs], dtype=np.int64),
            first.grid,
            W,
            D,
            L,
            status,
            bad,
            max_dir,
            progress,
        )
    finally:
        numba.set_num_threads(previous)
    return [(status[r], bad[r], max_dir[r], W[r], D[r], L[r]) for r in range(R)]
