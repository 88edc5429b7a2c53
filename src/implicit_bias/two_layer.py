"""The two-layer network f(h) = W σ(V h) of fan2025 v4 §5 (Fig. 3): model, exact log-scale CE loss, gradients,
per-layer steepest-descent training and the spectral-norm margins γ_a, γ_b (float64, numpy).

Shapes: data H (n, d), labels y (n,), first layer V (m, d), second layer W (k, m), hidden activations
A = σ(H Vᵀ) (n, m), logits Z = A Wᵀ (n, k); σ is the logistic sigmoid and there are no biases (spec §5 E4).

The loss is the CE loss of the logits, so `multiclass.log_weights` applied to (W, A) gives its weights in log form
u_ic = log s_ic (c ≠ y_i). As in `multiclass.scaled_gradient`, a gradient is carried as e^C·ĝ with C = max u_ic and
the residual R_ic = e^{u_ic − C} (c ≠ y_i), R_{i y_i} = −Σ_{c≠y_i} R_ic (never 1 − s_y), so that nothing underflows
at large margins:

    ∇_W L = e^C Rᵀ A / n,     ∇_V L = e^C ((R W) ⊙ σ'(H Vᵀ))ᵀ H / n,   σ' = σ(x)σ(−x).

Both layers share the scale C, and every update rule of `optimizers` is scale-free or keeps its state in log scale,
so a step needs only (C, ĝ_V, ĝ_W). The optimizers act **per layer** (as Muon does): each trained layer has its own
`UpdateRule` state and its own steepest direction (sign, Frobenius-normalised, or the polar factor of the layer's
matrix), both with the step η_t = η_0 (t+2)^{−1/2} of `optimizers.step_size`.

Margins (spec §5 E4): the numerator min_{i, c≠y_i} (e_{y_i} − e_c)ᵀ W σ(V h_i) divided by |||V|||_∞ (mode "a": V
trained, W fixed) or by max(|||V|||_∞, |||W|||_∞) (mode "b": both trained).

`train_reference` is the plain loop (one run, the direct composition of the parts: the test oracle);
`train_batch` trains several runs on the same data at once with stacked (batched) matrix products, preallocated
buffers and one batched SVD per step for the spectral rules, and is what the experiments call.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import expit

from .multiclass import check_labels, log_log1p_exp, log_loss, log_weights, min_margin
from .optimizers import POLAR_RTOL, UpdateRule, init_state, step_direction, step_size

__all__ = [
    "MODES",
    "TwoLayerRun",
    "TwoLayerTrace",
    "digits_pixels",
    "hidden",
    "init_layers",
    "log_grid",
    "loss",
    "margin_numerator",
    "normalized_margin",
    "scaled_gradients",
    "spectral_norm",
    "train_batch",
    "train_reference",
]

# "a": V trained, W fixed at W_0; "b": V and W trained jointly (spec §5 E4, Fig. 3 (a,b) and (c,d))
MODES = ("a", "b")


def _check_mode(mode: str) -> None:
    if mode not in MODES:
        raise ValueError(f"unknown training mode {mode!r}; expected one of {MODES} (a: V only, b: V and W)")


def digits_pixels(per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """`per_class` images of each of the ten digits of scikit-learn's bundled 8×8 digits (no download), drawn
    without replacement by `seed`, pixels scaled from {0, …, 16} to [0, 1] (the spec's "pixels in [0, 1]"; no
    standardisation). Returns (H (10·per_class, 64), y), sorted by class."""
    from sklearn.datasets import load_digits

    X, labels = load_digits(return_X_y=True)
    counts = np.bincount(labels)
    if not 1 <= per_class <= counts.min():
        raise ValueError(f"per_class must lie in [1, {counts.min()}] (the rarest digit's count); got {per_class}")
    rng = np.random.default_rng(np.random.SeedSequence([seed, per_class]))
    rows = np.concatenate(
        [np.sort(rng.choice(np.flatnonzero(labels == c), per_class, replace=False)) for c in range(10)]
    )
    return X[rows].astype(np.float64) / 16.0, labels[rows].astype(np.int64)


def init_layers(d: int, width: int, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(V_0, W_0) with V_0 ~ N(0, 1/d) entries (m×d) and W_0 ~ N(0, 1/m) (k×m), m = width (spec §5 E4,
    reconstructed: the paper gives no initialisation)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, d, width, k]))
    V = rng.standard_normal((width, d)) / math.sqrt(d)
    W = rng.standard_normal((k, width)) / math.sqrt(width)
    return V, W


def hidden(V: np.ndarray, H: np.ndarray) -> np.ndarray:
    """A = σ(H Vᵀ), (n, m)."""
    return expit(H @ V.T)


def spectral_norm(M: np.ndarray) -> float:
    """|||M|||_∞ = σ_1(M)."""
    return float(np.linalg.norm(M, 2))


def margin_numerator(V: np.ndarray, W: np.ndarray, H: np.ndarray, y: np.ndarray) -> float:
    """min_{i, c≠y_i} (e_{y_i} − e_c)ᵀ W σ(V h_i)."""
    return min_margin(W, hidden(V, H), y)


def normalized_margin(V: np.ndarray, W: np.ndarray, H: np.ndarray, y: np.ndarray, mode: str) -> float:
    """γ_a = numerator/|||V|||_∞ (mode "a") or γ_b = numerator/max(|||V|||_∞, |||W|||_∞) (mode "b")."""
    _check_mode(mode)
    scale = spectral_norm(V) if mode == "a" else max(spectral_norm(V), spectral_norm(W))
    return margin_numerator(V, W, H, y) / scale


def loss(V: np.ndarray, W: np.ndarray, H: np.ndarray, y: np.ndarray) -> float:
    """L(V, W) = (1/n) Σ_i CE(W σ(V h_i), y_i), exact at any margin (`multiclass.log_loss` on the hidden layer)."""
    return math.exp(log_loss(W, hidden(V, H), y, "ce"))


def _sigmoid_slope(X: np.ndarray) -> np.ndarray:
    """σ'(x) = σ(x)σ(−x), formed from both tails (1 − σ(x) would cancel for large x)."""
    return expit(X) * expit(-X)


def scaled_gradients(
    V: np.ndarray, W: np.ndarray, H: np.ndarray, y: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray]:
    """(C, ĝ_V, ĝ_W) with ∇_V L = e^C ĝ_V and ∇_W L = e^C ĝ_W (module docstring)."""
    X = H @ V.T
    A = expit(X)
    U = log_weights(W, A, y, "ce")
    C = float(U.max())
    R = np.exp(U - C)
    n = H.shape[0]
    R[np.arange(n), y] = -R.sum(axis=1)
    gW = (R.T @ A) / n
    gV = (((R @ W) * _sigmoid_slope(X)).T @ H) / n
    return C, gV, gW


def log_grid(steps: int, points: int) -> np.ndarray:
    """About `points` step counts 0, 1, … , steps, geometric above 1 (the iterates recorded for the log x-axis)."""
    if steps < 1 or points < 2:
        raise ValueError(f"need steps >= 1 and points >= 2; got steps={steps}, points={points}")
    grid = np.unique(np.round(np.geomspace(1, steps, points - 1)).astype(np.int64))
    return np.concatenate([[0], grid])


@dataclass(frozen=True)
class TwoLayerRun:
    """One training run: the update rule applied to each trained layer, its η_0, and the mode."""

    rule: UpdateRule
    lr: float
    mode: str
    decay: float = 0.5

    def __post_init__(self) -> None:
        _check_mode(self.mode)
        if not (self.lr > 0 and math.isfinite(self.lr)):
            raise ValueError(f"lr must be a positive finite number; got {self.lr}")


@dataclass(frozen=True)
class TwoLayerTrace:
    """Recorded quantities at the steps `t` (iterate after t steps): the margin numerator, |||V|||_∞, |||W|||_∞ and
    log L; `margin` is the mode's normalised margin (γ_a or γ_b)."""

    t: np.ndarray
    numerator: np.ndarray
    spec_v: np.ndarray
    spec_w: np.ndarray
    log_loss: np.ndarray
    mode: str

    @property
    def margin(self) -> np.ndarray:
        scale = self.spec_v if self.mode == "a" else np.maximum(self.spec_v, self.spec_w)
        return self.numerator / scale


def _check_finite(t: int, *arrays: np.ndarray) -> None:
    for a in arrays:
        if not np.all(np.isfinite(a)):
            raise FloatingPointError(f"non-finite parameters or gradient at step {t}")


def _check_record(record: ArrayLike, steps: int) -> np.ndarray:
    """The sorted distinct step counts to record, all in [0, steps]."""
    record = np.unique(np.asarray(record, dtype=np.int64))
    if record.size == 0 or record[0] < 0 or record[-1] > steps:
        raise ValueError(f"record must be non-empty step counts in [0, {steps}]; got {record}")
    return record


def _check_problem(
    H: ArrayLike, y: ArrayLike, V0: ArrayLike, W0: ArrayLike
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Validated float64 copies (H (n, d), y, V_0 (m, d), W_0 (k, m)): finite data, labels in [0, k), matching
    shapes, finite initial layers."""
    V0 = np.array(V0, dtype=np.float64)
    W0 = np.array(W0, dtype=np.float64)
    if V0.ndim != 2 or W0.ndim != 2 or W0.shape[1] != V0.shape[0]:
        raise ValueError(f"need V0 (width, d) and W0 (k, width); got shapes {V0.shape} and {W0.shape}")
    H, y, _k = check_labels(H, y, W0.shape[0])
    if H.shape[1] != V0.shape[1]:
        raise ValueError(f"H has {H.shape[1]} features but V0 has {V0.shape[1]} columns")
    if not (np.isfinite(V0).all() and np.isfinite(W0).all()):
        raise ValueError("V0 and W0 must be finite")
    return H, y, V0, W0


def train_reference(
    H: ArrayLike, y: ArrayLike, V0: np.ndarray, W0: np.ndarray, run: TwoLayerRun, steps: int, record: ArrayLike
) -> TwoLayerTrace:
    """The plain loop: `steps` full-batch steps from (V_0, W_0), one `optimizers.step_direction` per trained layer
    with its own state; the quantities of `TwoLayerTrace` at the step counts `record` (⊆ [0, steps])."""
    H, y, V, W = _check_problem(H, y, V0, W0)
    record = _check_record(record, steps)
    states = {"V": init_state(run.rule, V.shape), "W": init_state(run.rule, W.shape)}
    rows: list[tuple[float, float, float, float]] = []
    wanted = set(record.tolist())
    with np.errstate(over="raise", invalid="raise"):
        for t in range(steps + 1):
            if t in wanted:
                A = hidden(V, H)
                rows.append((min_margin(W, A, y), spectral_norm(V), spectral_norm(W), log_loss(W, A, y, "ce")))
            if t == steps:
                break
            c, gV, gW = scaled_gradients(V, W, H, y)
            _check_finite(t, gV, gW)
            eta = step_size(float(t), run.lr, run.decay)
            dV, states["V"] = step_direction(run.rule, states["V"], t, c, gV)
            V = V - eta * dV
            if run.mode == "b":
                dW, states["W"] = step_direction(run.rule, states["W"], t, c, gW)
                W = W - eta * dW
            _check_finite(t, V, W)
    out = np.array(rows).reshape(-1, 4)
    return TwoLayerTrace(record, out[:, 0], out[:, 1], out[:, 2], out[:, 3], run.mode)


# ------------------------------------------------------------------------------------------------------------------
# The fast path: R runs on the same data in stacked arrays.
# ------------------------------------------------------------------------------------------------------------------
def _direction_group(rule: UpdateRule) -> str:
    """The norm whose steepest direction the rule takes, for the rules of Fig. 3: 'sign' (SignGD, Signum),
    'frobenius' (NGD, NMD-GD) or 'spectral' (Spectral-GD, Muon, exact polar factor)."""
    if rule.name in ("signgd", "signum"):
        return "sign"
    if rule.name == "ngd" or (rule.name == "nmd" and rule.norm == "entrywise" and rule.norm_p == 2.0):
        return "frobenius"
    if rule.name in ("spectral", "muon") and rule.polar == "svd":
        return "spectral"
    raise ValueError(
        f"train_batch runs signgd, ngd, spectral, signum, nmd (entry-wise p = 2) and muon (polar='svd'); "
        f"got {rule.name!r} (norm {rule.norm!r}, p={rule.p}, polar {rule.polar!r}); use train_reference"
    )


def _groups(names: Sequence[str], mask: np.ndarray) -> dict[str, np.ndarray]:
    """Run indices per direction group, among the runs where mask holds (groups without such runs left out)."""
    labels = np.asarray(names)
    found = {g: np.flatnonzero((labels == g) & mask) for g in sorted(set(names))}
    return {g: idx for g, idx in found.items() if idx.size}


def _batched_direction(groups: dict[str, np.ndarray], G: np.ndarray, out: np.ndarray) -> None:
    """out[r] = the steepest direction of G[r] in its group's norm (`optimizers.nsd_direction` with p = ∞ or 2,
    `optimizers.polar_factor` with one batched SVD; zero gradients give zero directions)."""
    for group, idx in groups.items():
        g = G[idx]
        if group == "sign":
            out[idx] = np.sign(g)
        elif group == "frobenius":
            norms = np.sqrt(np.einsum("rij,rij->r", g, g))
            out[idx] = g / np.where(norms > 0, norms, 1.0)[:, None, None]
        else:
            U, sigma, Vt = np.linalg.svd(g, full_matrices=False)
            top = sigma[:, :1]
            keep = (sigma > POLAR_RTOL * top) & (top > 0)  # the truncation of optimizers.polar_factor
            out[idx] = np.matmul(U * keep[:, None, :], Vt)


def _logsumexp_last(a: np.ndarray) -> np.ndarray:
    """log Σ_j e^{a_j} over the last axis; every row holds a finite entry (a plain version of scipy's, which costs
    more than the sum itself at these sizes)."""
    top = a.max(axis=-1)
    return top + np.log(np.exp(a - top[..., None]).sum(axis=-1))


def train_batch(
    H: ArrayLike,
    y: ArrayLike,
    V0: np.ndarray,
    W0: np.ndarray,
    runs: Sequence[TwoLayerRun],
    steps: int,
    record: ArrayLike,
) -> list[TwoLayerTrace]:
    """`train_reference` for several runs at once, all from the same (V_0, W_0) on the same data.

    The layers are stored transposed (Vᵀ (R, d, m), Wᵀ (R, m, k)) so that every product of a step is one batched
    BLAS call on contiguous operands into a preallocated buffer (X = H Vᵀ, Z = A Wᵀ, ∇_Vᵀ = Hᵀ B, ∇_Wᵀ = Aᵀ R);
    the sign, Frobenius and polar directions and the spectral norm commute with transposition. The sigmoid and its
    slope are one numba pass (`_fast_two_layer`). Each run's momentum is kept in the log-scale frame of `optimizers`
    (m = e^s m̂ with s = max(C, s_old + log β_1), as `new_log_scale` and `moment_ema`), one s per run shared by its
    two layers (they share C); the directions are taken per norm with one batched SVD for the spectral rules.
    """
    from ._fast_two_layer import sigmoid_and_slope

    H, y, V0, W0 = _check_problem(H, y, V0, W0)
    HT = np.ascontiguousarray(H.T)
    record = _check_record(record, steps)
    R = len(runs)
    if R == 0:
        return []
    n, d = H.shape
    m, k = V0.shape[0], W0.shape[0]
    names = [_direction_group(run.rule) for run in runs]
    momentum = np.array([run.rule.momentum for run in runs])
    train_w = np.array([run.mode == "b" for run in runs])
    groups_v = _groups(names, np.ones(R, dtype=bool))
    groups_w = _groups(names, train_w)
    beta = np.where(momentum, [run.rule.beta1 for run in runs], 0.0)
    log_beta = np.array([run.rule.log_state_decay for run in runs])
    lr = np.array([run.lr for run in runs])
    decay = np.array([run.decay for run in runs])

    Vt = np.broadcast_to(np.asarray(V0, dtype=np.float64).T, (R, d, m)).copy()
    Wt = np.broadcast_to(np.asarray(W0, dtype=np.float64).T, (R, m, k)).copy()
    MV, MW = np.zeros_like(Vt), np.zeros_like(Wt)
    s = np.full(R, -np.inf)
    X, A, S, B = (np.empty((R, n, m)) for _ in range(4))
    Z = np.empty((R, n, k))
    gV, gW = np.empty_like(Vt), np.empty_like(Wt)
    dV, dW = np.zeros_like(Vt), np.zeros_like(Wt)
    rows = np.arange(n)
    out = np.empty((R, record.size, 4))
    j = 0
    with np.errstate(over="raise", invalid="raise"):
        for t in range(steps + 1):
            np.matmul(H, Vt, out=X)
            sigmoid_and_slope(X, A, S)
            np.matmul(A, Wt, out=Z)
            neg = Z - Z[:, rows, y][:, :, None]  # −m_ic
            neg[:, rows, y] = -np.inf
            a = _logsumexp_last(neg)  # log Σ_{c≠y} e^{−m_ic}
            if j < record.size and t == record[j]:
                out[:, j, 0] = (-neg).min(axis=(1, 2))
                out[:, j, 1] = np.linalg.norm(Vt, 2, axis=(1, 2))
                out[:, j, 2] = np.linalg.norm(Wt, 2, axis=(1, 2))
                out[:, j, 3] = _logsumexp_last(log_log1p_exp(a)) - math.log(n)  # log L (multiclass.log_loss)
                j += 1
            if t == steps:
                break
            # CE weights u_ic = log s_ic = −m_ic − log(1 + Σ e^{−m}) and the residual (multiclass.scaled_gradient)
            U = neg - np.logaddexp(0.0, a)[:, :, None]
            C = U.reshape(R, -1).max(axis=1)
            P = np.exp(U - C[:, None, None])
            P[:, rows, y] = -P.sum(axis=2)
            np.matmul(A.transpose(0, 2, 1), P, out=gW)
            gW /= n
            np.matmul(P, Wt.transpose(0, 2, 1), out=B)
            B *= S
            np.matmul(HT, B, out=gV)
            gV /= n
            if not (np.isfinite(gV).all() and np.isfinite(gW).all()):
                raise FloatingPointError(f"non-finite gradient at step {t}")
            # the state's frame: stateless rules keep only the newest ĝ (fade 0, weight 1)
            s_new = np.maximum(C, s + log_beta)
            # e^{s_old − s} ≤ 1/β_1 for momentum rules; stateless rules forget (their s − s_new may be any size)
            fade = (beta * np.exp(np.where(momentum, s - s_new, -np.inf)))[:, None, None]
            fresh = (np.where(momentum, 1.0 - beta, 1.0) * np.exp(C - s_new))[:, None, None]
            s = s_new
            MV *= fade
            MV += fresh * gV
            MW *= fade
            MW += fresh * gW
            eta = (lr * (t + 2.0) ** (-decay))[:, None, None]  # optimizers.step_size
            _batched_direction(groups_v, MV, dV)
            dV *= eta
            Vt -= dV
            if groups_w:
                _batched_direction(groups_w, MW, dW)  # rows of mode-a runs stay 0: W fixed
                dW *= eta
                Wt -= dW
            if not (np.isfinite(Vt).all() and np.isfinite(Wt).all()):
                raise FloatingPointError(f"non-finite parameters at step {t}")
    return [
        TwoLayerTrace(record, out[r, :, 0], out[r, :, 1], out[r, :, 2], out[r, :, 3], runs[r].mode) for r in range(R)
    ]
