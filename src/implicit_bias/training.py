"""`train`: one loop for every optimizer = update rule (`optimizers.UpdateRule`) + batching schedule.

Binary and multiclass data take the same path. Two interchangeable back ends run the same maths: "numba" (the fast
kernels `_fast` and `_fast_multiclass`, which share the update rule `_core.update`) and "numpy" (the readable
reference `run_reference`, built from `losses.scaled_gradient` / `multiclass.scaled_gradient` and
`optimizers.step_direction`). Tests compare them with tolerances.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

from . import multiclass as mc
from .data import as_design_matrix
from .losses import LOSSES, log_total_loss, scaled_gradient
from .optimizers import UpdateRule, batch_schedule, init_state, learning_rate, step_direction, step_size

__all__ = ["Trajectory", "log_grid", "run_reference", "train"]


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
) -> tuple[int, int, float, np.ndarray, np.ndarray, np.ndarray]:
    """The plain numpy training loop (the oracle of the numba fast paths), for any parameter shape.

    `gradient(t, w)` returns the scaled batch gradient (c, ĝ, ĝ₂) of step t (∇L_B(w) = e^c ĝ, ĝ shaped like w) and
    `log_loss(w)` the logged log L(w); the update rule sees flattened parameters. Returns
    (status, step, max|d|, W, D, L) like the fast paths.
    """
    n_log = log_steps.size
    W = np.full((n_log, *w0.shape), np.nan)
    D = np.full((n_log, *w0.shape), np.nan)
    L = np.full(n_log, np.nan)
    w = w0.copy()
    state = init_state(rule, w0.size)
    max_dir = 0.0
    li = 0
    for t in range(steps + 1):
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
        g2flat = None if g2hat is None else g2hat.ravel()
        direc, state = step_direction(rule, state, t, c, ghat.ravel(), g2flat)
        direc = direc.reshape(w0.shape)
        max_dir = max(max_dir, float(np.max(np.abs(direc))))
        w = w - step_size(t, lr, decay) * direc
        if logging:
            D[li] = direc
            li += 1
    return 0, steps, max_dir, W, D, L


def _check_common(steps: int, lr: float, decay: float, backend: str) -> int:
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


def train(
    X: np.ndarray,
    y: np.ndarray | None = None,
    *,
    optimizer: str,
    steps: int,
    lr: float = 0.1,
    decay: float = 0.5,
    beta1: float = 0.9,
    beta2: float = 0.95,
    eps: float = 0.0,
    eps_inside: bool = False,
    bias_correction: bool = False,
    batch_size: int | None = None,
    sampling: str = "cyclic",
    seed: int = 0,
    loss: str | None = None,
    w0: np.ndarray | None = None,
    num_log: int = 200,
    log_steps: ArrayLike = (),
    backend: str = "numba",
    p: float = 2.0,
    num_classes: int | None = None,
) -> Trajectory:
    """Train a linear classifier on separable data and return its `Trajectory`.

    Binary: X holds label-absorbed rows x_i ← y_i·x_i, shape (N, d), and y is None; `loss` ∈ {"exp" (default),
    "logistic"}; w_0 = 0 unless `w0` is given.
    Multiclass (fan2025): pass features H (n, d) as `X` and integer labels `y` in [0, k); W ∈ R^{k×d} starts at 0
    (or `w0`), `loss` ∈ {"ce" (default), "exp", "pairlog"}, `.w` is (K, k, d) and `.w_final` (k, d).

    optimizer ∈ {"gd", "ngd", "signgd", "signum", "adam", "adam_proxy" (binary only), "nsd"}; for "signum" the
    momentum is `beta1`; "nsd" is normalised steepest descent for the entry-wise `p`-norm (p = 1, 2, ∞ or any
    p > 1; fan2025 eq 5). η_t = lr·(t+2)^(−decay). batch_size None is full batch; `sampling` ∈ {"cyclic",
    "replacement", "reshuffle"} picks the mini-batches (seeded by `seed`), for binary and multiclass data alike.
    Adam has no bias correction and ε = 0 by default (baek2025 §2); `eps` is added outside the square root as in
    PyTorch unless `eps_inside`. The iterates are logged at `num_log` log-spaced steps plus any `log_steps` given.
    `backend` "numba" (fast) or "numpy" (the reference loop) run the same maths.
    """
    steps = _check_common(steps, lr, decay, backend)
    multiclass = y is not None
    if multiclass:
        H, labels, k = mc.check_labels(X, y, num_classes)
        loss = "ce" if loss is None else loss
        if loss not in mc.MC_LOSSES:
            raise ValueError(f"unknown multiclass loss {loss!r}; expected one of {mc.MC_LOSSES}")
        if optimizer == "adam_proxy":
            raise ValueError("optimizer 'adam_proxy' (baek2025 Def. 4.2) is defined for binary data only")
        n, d = H.shape
        shape = (k, d)
    else:
        if num_classes is not None:
            raise ValueError("num_classes is only meaningful for multiclass data (y given)")
        loss = "exp" if loss is None else loss
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; expected one of {LOSSES}")
        X = as_design_matrix(X)
        n, d = X.shape
        shape = (d,)
    rule = UpdateRule(
        optimizer, beta1=beta1, beta2=beta2, eps=eps, eps_inside=eps_inside, bias_correction=bias_correction, p=p
    )
    batches = batch_schedule(n, steps, batch_size, sampling, seed)
    w_init = np.zeros(shape) if w0 is None else np.array(w0, dtype=np.float64).reshape(shape)
    grid = log_grid(steps, num_log, log_steps)

    if backend == "numpy":
        if multiclass:

            def gradient(t, W):
                rows = batches[t % len(batches)]
                return (*mc.scaled_gradient(W, H[rows], labels[rows], loss), None)

            def log_loss(W):
                return mc.log_loss(W, H, labels, loss)
        else:

            def gradient(t, w):
                return scaled_gradient(X[batches[t % len(batches)]], w, loss, rule.needs_second_moment)

            def log_loss(w):
                return log_total_loss(X @ w, loss)

        status, bad, max_dir, W, D, L = run_reference(w_init, steps, rule, lr, decay, grid, gradient, log_loss)
    else:
        W = np.full((grid.size, *shape), np.nan)
        D = np.full((grid.size, *shape), np.nan)
        L = np.full(grid.size, np.nan)
        # the numba kernels (numba costs about 0.3 s to import, plus loading the cached machine code): imported by
        # the runs that call them, not by every module that imports `train`
        from . import _fast, _fast_multiclass
        from ._core import hyper

        args = (batches, steps, float(lr), float(decay), hyper(rule))
        if multiclass:
            loss_code = _fast_multiclass.LOSS_CODES[loss]
            status, bad, max_dir = _fast_multiclass.run(H, labels, w_init, *args, loss_code, grid, W, D, L)
        else:
            status, bad, max_dir = _fast.run(X, w_init, *args, _fast.LOSS_CODES[loss], grid, W, D, L)
    if status != 0:
        raise FloatingPointError(
            f"{optimizer} run became non-finite (NaN or overflow) at or before step {bad}; "
            f"reduce lr (={lr}) or check beta1 <= beta2 (beta1={beta1}, beta2={beta2})"
        )
    settings = dict(
        optimizer=optimizer,
        steps=steps,
        lr=float(lr),
        decay=float(decay),
        beta1=float(beta1),
        beta2=float(beta2),
        eps=float(eps),
        eps_inside=bool(eps_inside),
        bias_correction=bool(bias_correction),
        batch_size=n if batch_size is None else int(batch_size),
        sampling=sampling,
        seed=int(seed),
        loss=loss,
        p=float(p),
    )
    if multiclass:
        settings["num_classes"] = k
    return Trajectory(steps=grid, w=W, log_loss=L, direction=D, max_direction=float(max_dir), settings=settings)
