"""Margin losses in the exact log-scale formulation (engineering notes §4, baek2025 spec §7).

The exponential loss of a margin z underflows (e^{-z} = 0 for z > 745) long before training is over, and Adam's
g² underflows already at z ≈ 372. We therefore never form a gradient directly. A batch gradient is carried as

    ∇L_B(w) = e^{c} · ĝ,   c = max_{i∈B} log|ℓ'(z_i)|,   ĝ = −(1/|B|) Σ_{i∈B} e^{log|ℓ'(z_i)| − c} x_i,

which is exact up to rounding: ĝ is O(‖x‖) whatever the margins are, and every scale-free update (sign, Adam with
ε = 0, normalised steps) only ever needs ĝ and differences of log-scales.
"""

from __future__ import annotations

import numpy as np
from scipy.special import logsumexp

__all__ = ["LOSSES", "log_abs_derivative", "log_loss_terms", "log_total_loss", "scaled_gradient"]

LOSSES = ("exp", "logistic")


def _check_loss(loss: str) -> None:
    if loss not in LOSSES:
        raise ValueError(f"unknown loss {loss!r}; expected one of {LOSSES}")


def log_abs_derivative(z: np.ndarray, loss: str = "exp") -> np.ndarray:
    """log|ℓ'(z)|: −z for ℓ = e^{−z}; log σ(−z) = −softplus(z) for ℓ = log(1 + e^{−z})."""
    _check_loss(loss)
    z = np.asarray(z, dtype=np.float64)
    if loss == "exp":
        return -z
    return -np.logaddexp(0.0, z)


def log_loss_terms(z: np.ndarray, loss: str = "exp") -> np.ndarray:
    """log ℓ(z) per sample, finite for every finite margin."""
    _check_loss(loss)
    z = np.asarray(z, dtype=np.float64)
    if loss == "exp":
        return -z
    # log(log(1 + e^{-z})); for large z use log x − x/2 (+O(x²)) with x = e^{-z}, since log1p(e^{-z}) underflows.
    out = np.empty_like(z)
    big = z > 30.0
    out[~big] = np.log(np.logaddexp(0.0, -z[~big]))
    x = np.exp(-z[big])
    out[big] = -z[big] - 0.5 * x
    return out


def log_total_loss(z: np.ndarray, loss: str = "exp") -> float:
    """log L(w) = log((1/N) Σ_i ℓ(z_i)), by log-sum-exp."""
    z = np.asarray(z, dtype=np.float64)
    return float(logsumexp(log_loss_terms(z, loss)) - np.log(z.size))


def scaled_gradient(
    Xb: np.ndarray, w: np.ndarray, loss: str = "exp", second_moment: bool = False
) -> tuple[float, np.ndarray, np.ndarray | None]:
    """Return (c, ĝ, ĝ₂) with ∇L_B(w) = e^c ĝ and (1/|B|) Σ_i ∇L_i(w)² = e^{2c} ĝ₂ (entry-wise squares).

    ĝ₂ is what the AdamProxy preconditioner P(w) = diag(sqrt((1/N) Σ_i ∇L_i²)) needs (Def. 4.2); it is None unless
    `second_moment` is set.
    """
    u = log_abs_derivative(Xb @ w, loss)
    c = float(u.max())
    a = np.exp(u - c)
    b = Xb.shape[0]
    ghat = -(a @ Xb) / b
    g2hat = ((a * a) @ (Xb * Xb)) / b if second_moment else None
    return c, ghat, g2hat
