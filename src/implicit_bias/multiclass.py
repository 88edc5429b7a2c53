"""Multiclass linear classification (fan2025): data, losses in exact log-scale form, the proxy G and its split.

A classifier is W ∈ R^{k×d}; logits W h_i; pairwise margins m_ic = (e_{y_i} − e_c)ᵀ W h_i for c ≠ y_i.
Every loss of the paper (spec §1) has a gradient of the same form

    ∇L(W) = (1/n) Σ_i Σ_{c≠y_i} w_ic (e_c − e_{y_i}) h_iᵀ,

with a non-negative weight w_ic = e^{u_ic}:

    CE ("ce"):             u_ic = log s_ic = −m_ic − log(1 + Σ_{c'≠y_i} e^{−m_ic'})
    exponential ("exp"):   u_ic = −m_ic
    PairLogLoss ("pairlog"): u_ic = log σ(−m_ic) = −softplus(m_ic).

The weights underflow once margins pass ~745 (SignGD reaches that after ~5·10⁴ steps), so — as for the binary
losses of `losses.py` — a gradient is carried as ∇L = e^C ĝ with C = max u_ic: ĝ is O(‖h‖) at any margin and every
scale-free update (sign, NSD, Adam with ε = 0) only needs ĝ and differences of log-scales. For the CE loss the
correct-class weight 1 − s_{iy} is formed as Σ_{c≠y} s_ic (never 1 − s_y, spec §7 pitfall 1).

The proxy G (spec §1; G_exp = L_exp, G_pll = (1/n)ΣΣ σ(−m)) is (1/n) Σ_{i,c≠y_i} e^{u_ic} for all three losses, so
log G = logsumexp(u) − log n.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike
from scipy.special import logsumexp

from .data import as_design_matrix
from .margins import MaxMarginSolution, as_labels, max_margin

__all__ = [
    "MC_LOSSES",
    "check_labels",
    "class_proxies",
    "data_bound",
    "log_log1p_exp",
    "log_loss",
    "log_proxy",
    "log_weights",
    "make_multiclass",
    "min_margin",
    "pairwise_margins",
    "scaled_gradient",
    "trace_log_loss_and_proxy",
]

MC_LOSSES = ("ce", "exp", "pairlog")


def _check_loss(loss: str) -> None:
    if loss not in MC_LOSSES:
        raise ValueError(f"unknown multiclass loss {loss!r}; expected one of {MC_LOSSES}")


def check_labels(H: ArrayLike, y: ArrayLike, num_classes: int | None = None) -> tuple[np.ndarray, np.ndarray, int]:
    """Validated (H float64 (n, d), y int64 (n,), k); every class must have at least one point (spec §1)."""
    H = as_design_matrix(H, "H")
    labels, k = as_labels(y, H.shape[0], num_classes)
    return H, labels, k


def make_multiclass(
    k: int = 10,
    d: int = 25,
    per_class: int = 50,
    sigma: float = 0.1,
    seed: int = 0,
    max_tries: int = 100,
    solve: Callable[[np.ndarray, np.ndarray], MaxMarginSolution] | None = None,
) -> tuple[np.ndarray, np.ndarray, int, MaxMarginSolution]:
    """Spec §3: centres μ_c ~ N(0, I_d), h = μ_y + σ z; resampled until separable (LP margin γ_∞ > 0).

    Returns (H (n, d), y (n,), tries, sol) with `sol` the max-norm `MaxMarginSolution` of the accepted draw, found by
    `solve(H, y)` (default `max_margin(H, y, "inf")`; `margins.max_norm_margin_sparse` for many classes), which
    raises ValueError on inseparable data. Labels are sorted: per_class points of class 0, then class 1, …
    """
    if solve is None:

        def solve(H, y):
            return max_margin(H, y, "inf")

    rng = np.random.default_rng(np.random.SeedSequence([seed, k, d, per_class]))
    y = np.repeat(np.arange(k), per_class)
    for tries in range(1, max_tries + 1):
        mu = rng.standard_normal((k, d))
        H = mu[y] + sigma * rng.standard_normal((y.size, d))
        try:
            sol = solve(H, y)
        except ValueError:
            continue
        if sol.gamma > 0:
            return H, y, tries, sol
    raise ValueError(f"no separable draw in {max_tries} tries (k={k}, d={d}, per_class={per_class}, sigma={sigma})")


def pairwise_margins(W: ArrayLike, H: np.ndarray, y: np.ndarray) -> np.ndarray:
    """m_ic = z_{i,y_i} − z_ic for every (i, c), shape (n, k); the entries c = y_i are 0."""
    Z = H @ np.asarray(W, dtype=np.float64).T
    return Z[np.arange(H.shape[0]), y][:, None] - Z


def min_margin(W: ArrayLike, H: np.ndarray, y: np.ndarray) -> float:
    """min_{i, c≠y_i} m_ic (un-normalised)."""
    M = pairwise_margins(W, H, y)
    M[np.arange(H.shape[0]), y] = np.inf
    return float(M.min())


def _softplus(x):
    return np.logaddexp(0.0, x)


def _margins_and_negatives(W, H, y):
    """Pairwise margins M (n, k) and −M with −inf at the true class (the c = y_i term is not a pair)."""
    M = pairwise_margins(W, H, y)
    neg = -M
    neg[np.arange(H.shape[0]), y] = -np.inf
    return M, neg


def log_weights(W: ArrayLike, H: np.ndarray, y: np.ndarray, loss: str = "ce") -> np.ndarray:
    """u_ic = log w_ic (module docstring), shape (n, k), −inf at c = y_i."""
    _check_loss(loss)
    M, neg = _margins_and_negatives(W, H, y)
    rows = np.arange(H.shape[0])
    if loss == "exp":
        return neg
    if loss == "pairlog":
        U = -_softplus(M)
        U[rows, y] = -np.inf
        return U
    a = logsumexp(neg, axis=1)  # log Σ_{c≠y} e^{−m_ic}
    return neg - _softplus(a)[:, None]


def scaled_gradient(W: ArrayLike, H: np.ndarray, y: np.ndarray, loss: str = "ce") -> tuple[float, np.ndarray]:
    """(C, ĝ) with ∇L(W) = e^C ĝ, ĝ of shape (k, d) and max-entry weight 1 (C = max u_ic)."""
    U = log_weights(W, H, y, loss)
    C = float(U.max())
    R = np.exp(U - C)
    n = H.shape[0]
    R[np.arange(n), y] = -R.sum(axis=1)  # correct class: −Σ_{c≠y} w_ic, formed from the small terms
    ghat = (R.T @ H) / n
    return C, ghat


def gradient(W: ArrayLike, H: np.ndarray, y: np.ndarray, loss: str = "ce") -> np.ndarray:
    """∇L(W) in plain float64 (underflows to 0 at large margins; use `scaled_gradient` for anything iterative)."""
    C, ghat = scaled_gradient(W, H, y, loss)
    return np.exp(C) * ghat


def log_log1p_exp(a: ArrayLike) -> np.ndarray:
    """log(log(1 + e^a)) for any finite a (log softplus), stable at both ends."""
    a = np.asarray(a, dtype=np.float64)
    out = np.empty_like(a)
    small = a < -30.0
    big = a > 30.0
    mid = ~(small | big)
    out[mid] = np.log(np.log1p(np.exp(a[mid])))
    x = np.exp(a[small])
    out[small] = a[small] - 0.5 * x  # log(x − x²/2 + …) = log x − x/2 + O(x²)
    out[big] = np.log(a[big] + np.log1p(np.exp(-a[big])))
    return out


def log_loss_terms(W: ArrayLike, H: np.ndarray, y: np.ndarray, loss: str = "ce") -> np.ndarray:
    """log ℓ_i per sample (finite at every finite W)."""
    _check_loss(loss)
    _M, neg = _margins_and_negatives(W, H, y)
    rows = np.arange(H.shape[0])
    if loss == "exp":
        return logsumexp(neg, axis=1)
    if loss == "ce":
        return log_log1p_exp(logsumexp(neg, axis=1))
    T = log_log1p_exp(np.where(np.isfinite(neg), neg, 0.0))
    T[rows, y] = -np.inf
    return logsumexp(T, axis=1)


def log_loss(W: ArrayLike, H: np.ndarray, y: np.ndarray, loss: str = "ce") -> float:
    """log L(W) = log((1/n) Σ_i ℓ_i)."""
    return float(logsumexp(log_loss_terms(W, H, y, loss)) - np.log(H.shape[0]))


def log_proxy(W: ArrayLike, H: np.ndarray, y: np.ndarray, loss: str = "ce") -> float:
    """log G(W), G = (1/n) Σ_{i, c≠y_i} w_ic (= (1/n)Σ(1 − s_{iy}) for CE, spec eq 7)."""
    U = log_weights(W, H, y, loss)
    return float(logsumexp(U) - np.log(H.shape[0]))


def class_proxies(
    W: ArrayLike, H: np.ndarray, y: np.ndarray, loss: str = "ce", k: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(G_c, Q_c) per class, in plain float64 (spec §1).

    G_c = (1/n)Σ_{i:y_i=c} Σ_{c'≠c} w_ic', Q_c = (1/n)Σ_{i:y_i≠c} w_ic.
    """
    U = log_weights(W, H, y, loss)
    k = U.shape[1] if k is None else k
    Wt = np.exp(U)
    n = H.shape[0]
    G = np.bincount(y, weights=Wt.sum(axis=1), minlength=k) / n
    Q = Wt.sum(axis=0) / n
    return G, Q


def data_bound(H: ArrayLike) -> float:
    """B = max_i ‖h_i‖₁ (Assumption 3.5)."""
    return float(np.max(np.sum(np.abs(np.asarray(H, dtype=np.float64)), axis=1)))


def trace_log_loss_and_proxy(
    W_all: np.ndarray, H: np.ndarray, y: np.ndarray, loss: str = "ce", chunk: int = 256
) -> tuple[np.ndarray, np.ndarray]:
    """log L(W_t) and log G(W_t) for a stack of iterates (T, k, d), batched (for the descent check C2)."""
    _check_loss(loss)
    W_all = np.asarray(W_all, dtype=np.float64)
    n = H.shape[0]
    rows = np.arange(n)
    out_l = np.empty(W_all.shape[0])
    out_g = np.empty(W_all.shape[0])
    for start in range(0, W_all.shape[0], chunk):
        Z = np.matmul(W_all[start : start + chunk], H.T).transpose(0, 2, 1)  # (t, n, k), batched BLAS
        neg = Z - Z[:, rows, y][:, :, None]  # −m_ic
        neg[:, rows, y] = -np.inf
        if loss == "pairlog":
            fin = np.where(np.isfinite(neg), neg, 0.0)
            terms = log_log1p_exp(fin.ravel()).reshape(fin.shape)
            terms[:, rows, y] = -np.inf
            log_terms = logsumexp(terms, axis=2)
            U = -_softplus(-fin)
            U[:, rows, y] = -np.inf
        else:
            a = logsumexp(neg, axis=2)
            if loss == "exp":
                log_terms, U = a, neg
            else:
                log_terms = log_log1p_exp(a.ravel()).reshape(a.shape)
                U = neg - _softplus(a)[:, :, None]
        out_l[start : start + chunk] = logsumexp(log_terms, axis=1) - np.log(n)
        out_g[start : start + chunk] = logsumexp(U.reshape(U.shape[0], -1), axis=1) - np.log(n)
    return out_l, out_g
