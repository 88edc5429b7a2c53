"""Closed-form objects of baek2025's theory: Lemma D.1's bound, Prop. 2.4's SignGD limit, Prop. 2.5's epoch map.

All gradients are taken in the log-scale of `losses.scaled_gradient`; the quantities below are ratios in which the
common factor e^{c} cancels, so they stay exact however large the margins are.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from .losses import log_abs_derivative, log_total_loss, scaled_gradient
from .optimizers import batch_schedule

__all__ = [
    "adam_update_bound",
    "inc_adam_constant",
    "inc_adam_epoch_direction",
    "sign_sum_direction",
    "signgd_condition",
]


def adam_update_bound(beta1: float, beta2: float) -> float:
    """Lemma D.1 (Zou et al. 2023, Lemma A.2): |m_t[k]/√v_t[k]| ≤ α = (1−β1)/sqrt((1−β2)(1−β1²/β2)) for β1² < β2."""
    if not (0.0 <= beta1 < 1.0 and 0.0 < beta2 < 1.0 and beta1**2 < beta2):
        raise ValueError(f"Lemma D.1 needs 0 <= beta1, beta1**2 < beta2 < 1; got beta1={beta1}, beta2={beta2}")
    return (1.0 - beta1) / np.sqrt((1.0 - beta2) * (1.0 - beta1**2 / beta2))


def inc_adam_constant(beta1: float, beta2: float, n: int) -> float:
    """C_inc(β1, β2) = (1−β1)/(1−β1^N) · sqrt((1−β2^N)/(1−β2)) of Prop. 2.5 (N = number of batches per epoch)."""
    return (1.0 - beta1) / (1.0 - beta1**n) * np.sqrt((1.0 - beta2**n) / (1.0 - beta2))


def _batch_gradients(X, w, batch_size, loss):
    """Per-batch gradients of one cyclic epoch, g_j = e^{c_j − c} ĝ_j with c = max_j c_j (a common, dropped scale)."""
    batches = batch_schedule(X.shape[0], 1, batch_size, "cyclic")
    parts = [scaled_gradient(X[b], w, loss) for b in batches]
    c = max(p[0] for p in parts)
    return np.array([np.exp(cj - c) * gj for cj, gj, _ in parts])


def inc_adam_epoch_direction(
    X: ArrayLike, w: ArrayLike, beta1: float, beta2: float, batch_size: int = 1, loss: str = "exp"
) -> np.ndarray:
    """Prop. 2.5: the epoch update of Inc-Adam at w = w^r_0 is −η_{rN}(D(w) + ε_r) with

    D(w) = C_inc · Σ_i [Σ_j β1^{(i−j) mod M} ∇L_j(w)] / sqrt(Σ_j β2^{(i−j) mod M} ∇L_j(w)²),

    j running over the M = N/b cyclic batches. Returned up to the positive factor e^{c}-invariance (exact ratio).
    """
    G = _batch_gradients(np.asarray(X, dtype=np.float64), np.asarray(w, dtype=np.float64), batch_size, loss)
    M = G.shape[0]
    lag = (np.arange(M)[:, None] - np.arange(M)[None, :]) % M  # lag[i, j] = (i − j) mod M
    num = (beta1**lag) @ G
    den = np.sqrt((beta2**lag) @ (G * G))
    terms = np.divide(num, den, out=np.zeros_like(num), where=den > 0)
    return inc_adam_constant(beta1, beta2, M) * terms.sum(axis=0)


def signgd_condition(X: ArrayLike, w: np.ndarray, eta: float, loss: str = "exp") -> np.ndarray:
    """log of Prop. 2.4's ratio η_t^{1/2} L(w_t)/|∇L(w_t)[k]| per coordinate (the proposition needs it → −∞)."""
    X = np.asarray(X, dtype=np.float64)
    c, ghat, _ = scaled_gradient(X, w, loss)
    with np.errstate(divide="ignore"):
        return 0.5 * np.log(eta) + log_total_loss(X @ w, loss) - (c + np.log(np.abs(ghat)))


def sign_sum_direction(X: ArrayLike) -> np.ndarray:
    """Σ_i sign(x_i): the limit direction of SignSGD (β = 0, b = 1; baek2025 App. G)."""
    return np.sign(np.asarray(X, dtype=np.float64)).sum(axis=0)


def per_sample_log_weights(X: ArrayLike, w: np.ndarray, loss: str = "exp") -> np.ndarray:
    """log|ℓ'(⟨w, x_i⟩)|, the log of the (unnormalised) dual weights that Lemma 4.5's c is built from."""
    return log_abs_derivative(np.asarray(X, dtype=np.float64) @ w, loss)
