"""Reference for the checks of `backward_error`: the O(h) term of a modified flow measured from an optimizer's own
update, without the correction's formula (cattaneo2024, spec §2.2-2.4; C2 and C4).

Kept apart from `backward_error` (the module under test) so that an edit there cannot change both sides of a check.
`extracted_correction` feeds the update the gradients along the first-order flow's past (θ(t − kh), k = K..0) and
removes the first-order field and the Taylor term (h/2)·θ̈ from the step, Δ/h = f₁ + h·(C + ½J_{f₁}f₁) + O(h²). What
is left tends to the correction C of the second-order flow as h → 0, with an O(h) error. `adam_direction`
(Definition 1.1 written out) and `momentum_direction` (GD with bias-corrected EMA momentum, Adam's ε → ∞ limit) are
the updates; both are written out here, independent of `optimizers`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["adam_direction", "extracted_correction", "momentum_direction"]


def adam_direction(grads: ArrayLike, *, beta: float, rho: float, eps: float) -> np.ndarray:
    """Adam's direction m̂/sqrt(v̂ + ε) after the gradients g_0..g_n (rows, oldest first), moments started at zero and
    bias-corrected with exponent n + 1 (Definition 1.1, written out; independent of `optimizers`)."""
    grads = np.asarray(grads, dtype=np.float64)
    m = np.zeros(grads.shape[1:])
    v = np.zeros(grads.shape[1:])
    for g in grads:
        m = beta * m + (1.0 - beta) * g
        v = rho * v + (1.0 - rho) * g * g
    n1 = len(grads)
    return (m / (1.0 - beta**n1)) / np.sqrt(v / (1.0 - rho**n1) + eps)


def momentum_direction(grads: ArrayLike, *, beta: float) -> np.ndarray:
    """GD with EMA momentum: the bias-corrected m̂ after the gradients g_0..g_n (rows, oldest first)."""
    grads = np.asarray(grads, dtype=np.float64)
    m = np.zeros(grads.shape[1:])
    for g in grads:
        m = beta * m + (1.0 - beta) * g
    return m / (1.0 - beta ** len(grads))


def _rk4_back(field: Callable[[np.ndarray], np.ndarray], y: np.ndarray, dt: float, nsub: int) -> np.ndarray:
    """`nsub` classical RK4 steps of size dt for y' = −field(y) (the flow run backwards)."""
    for _ in range(nsub):
        k1 = -field(y)
        k2 = -field(y + 0.5 * dt * k1)
        k3 = -field(y + 0.5 * dt * k2)
        k4 = -field(y + dt * k3)
        y = y + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
    return y


def extracted_correction(
    grad: Callable[[np.ndarray], ArrayLike],
    field1: Callable[[np.ndarray], np.ndarray],
    direction: Callable[[np.ndarray], np.ndarray],
    theta: ArrayLike,
    *,
    h: float,
    history: int,
    sub: int = 4,
    delta: float = 1e-6,
) -> np.ndarray:
    """The O(h) coefficient C of the modified flow θ̇ = f₁ + h·C at θ, measured from the update θ ↦ θ − h·direction.

    The past θ(−kh), k = history..1, is the first-order flow θ̇ = f₁ run backwards from θ (RK4, `sub` substeps);
    `direction` gets the gradients there and at θ (oldest first), i.e. the update of step n = history.
    C(h) = (−direction − f₁ − (h/2)·J_{f₁}f₁)/h with J_{f₁}f₁ by central differences (step `delta`); C(h) → C as
    h → 0 with an O(h) error (the past of the true flow differs from f₁'s by O(h²) per step).
    """
    theta = np.array(theta, dtype=np.float64)
    path = [theta]
    y = theta
    for _ in range(history):
        y = _rk4_back(field1, y, h / sub, sub)
        path.append(y)
    grads = np.array([np.asarray(grad(x), dtype=np.float64) for x in path[::-1]])
    if not np.all(np.isfinite(grads)):
        raise FloatingPointError("the first-order flow's past left the region where the gradient is finite")
    f1 = field1(theta)
    jf = (field1(theta + delta * f1) - field1(theta - delta * f1)) / (2.0 * delta)
    return (-direction(grads) - f1 - 0.5 * h * jf) / h
