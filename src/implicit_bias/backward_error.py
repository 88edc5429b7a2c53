"""Backward error analysis of Adam (cattaneo2024): Figure-1 function F, Adam iterates and the modified flows.

Notation of the paper (spec §1-2): loss E(θ), gradient g = ∇E, Hessian H; step size h, first-moment momentum β,
second-moment momentum ρ, ε inside the square root, bias-corrected moments (Definition 1.1). RMSProp is β = 0.

* `adam_iterates` runs the package's one Adam update rule (`optimizers.UpdateRule(name="adam", eps_inside=True,
  bias_correction=True)`), with the gradient passed as e^0·g.
* `modified_flow(order=1)` integrates θ̇ = −g/sqrt(g²+ε) ("signGD perturbed by ε", error O(h)).
* `modified_flow(order=2)` integrates the piecewise ODE of spec §2.2 (error O(h²)): on [nh, (n+1)h]
      θ̇_j = −(g_j + bias_j^(n)) / s_j,  s_j = sqrt(g_j² + ε),
      bias_j^(n) = h·{d_β(n) − d_ρ(n) + (d_ρ(n) + ½)·ε/(g_j² + ε)}·(H·(g/s))_j,
  with the mean delays d_β(n) = β/(1−β) − (n+1)β^{n+1}/(1−β^{n+1}) of the bias-corrected EMA weights.
Both are integrated with fixed-step RK4 (`sub` substeps per Adam step, piece index n held fixed on its interval).

The reference the checks measure these flows against (the O(h) term extracted from the optimizer's own update)
lives apart, in `backward_error_reference`, so that one edit cannot change both sides.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import ArrayLike

from .optimizers import UpdateRule, init_state, step_direction

__all__ = [
    "adam_correction_1d",
    "adam_correction_1d_quad",
    "adam_iterates",
    "bias_bracket",
    "mean_delay",
    "modified_field",
    "modified_flow",
    "momentum_flow",
    "momentum_iterates",
    "perturbed_one_norm",
    "rk4",
    "sup_error",
]


def perturbed_one_norm(v: ArrayLike, eps: float, axis: int | tuple[int, ...] | None = -1) -> np.ndarray | float:
    """‖v‖_{1,ε} = Σ_i sqrt(v_i² + ε) along `axis`."""
    v = np.asarray(v, dtype=np.float64)
    return np.sum(np.sqrt(v * v + eps), axis=axis)


# ------------------------------------------------------------------------------------------------ Figure 1: F(x)
def _bracket_constants(beta: float, rho: float):
    a = (1.0 + beta) / (1.0 - beta) - (1.0 + rho) / (1.0 - rho)
    c = (1.0 + rho) / (1.0 - rho)
    return a, c


def adam_correction_1d(x: ArrayLike, *, h: float, beta: float, rho: float, eps: float) -> np.ndarray:
    """F(x) of Figure 1 (p = 1), closed form, vectorised over x (spec §2.5):

    F(x) = (h/2)∫_0^x {A + C·ε/(y²+ε)} d sqrt(ε+y²) = (h/2)[A(sqrt(ε+x²) − √ε) + C(√ε − ε/sqrt(ε+x²))],
    A = (1+β)/(1−β) − (1+ρ)/(1−ρ), C = (1+ρ)/(1−ρ).
    """
    x = np.asarray(x, dtype=np.float64)
    a, c = _bracket_constants(beta, rho)
    r = np.sqrt(eps + x * x)
    se = np.sqrt(eps)
    # √ε − ε/r = √ε(r − √ε)/r and r − √ε = x²/(r + √ε): no cancellation for |x| ≪ √ε
    dr = x * x / (r + se)
    return 0.5 * h * (a * dr + c * se * dr / r)


def adam_correction_1d_quad(x: float, *, h: float, beta: float, rho: float, eps: float) -> float:
    """F(x) by adaptive quadrature of the Figure-1 integral in the variable y (d sqrt(ε+y²) = y/sqrt(ε+y²) dy)."""
    from scipy.integrate import quad

    a, c = _bracket_constants(beta, rho)

    def integrand(y):
        return (a + c * eps / (y * y + eps)) * y / np.sqrt(eps + y * y)

    scale = np.sqrt(eps)
    points = [p for p in (scale, 10 * scale) if p < abs(x)] or None
    val, _ = quad(integrand, 0.0, float(x), epsabs=0.0, epsrel=1e-13, limit=500, points=points)
    return 0.5 * h * val


# ------------------------------------------------------------------------------------------------ Adam iterates
def adam_iterates(
    grad: Callable[[np.ndarray], ArrayLike],
    theta0: ArrayLike,
    *,
    h: float,
    beta: float,
    rho: float,
    eps: float,
    steps: int,
    bias_correction: bool = True,
    eps_inside: bool = True,
) -> np.ndarray:
    """Full-batch Adam (Definition 1.1) from θ^(0): iterates θ^(0..steps) as an array (steps+1, p).

    Built on `optimizers.step_direction` (the package's one Adam rule; β = 0 is RMSProp). Raises FloatingPointError
    if an iterate stops being finite.
    """
    theta = np.array(theta0, dtype=np.float64)
    rule = UpdateRule(
        name="adam", beta1=beta, beta2=rho, eps=eps, eps_inside=eps_inside, bias_correction=bias_correction
    )
    state = init_state(rule, theta.shape)
    out = np.empty((steps + 1, *theta.shape))
    out[0] = theta
    for n in range(steps):
        d, state = step_direction(rule, state, n, 0.0, np.asarray(grad(theta), dtype=np.float64))
        theta = theta - h * d
        if not np.all(np.isfinite(theta)):
            raise FloatingPointError(f"Adam iterate is not finite at step {n + 1}")
        out[n + 1] = theta
    return out


# ------------------------------------------------------------------------------------------------ modified flows
def mean_delay(beta: float, n: ArrayLike) -> np.ndarray:
    """d_β(n) = β/(1−β) − (n+1)β^{n+1}/(1−β^{n+1}): mean delay of the bias-corrected EMA weights (0 for β = 0)."""
    n = np.asarray(n, dtype=np.float64)
    if beta == 0.0:
        return np.zeros_like(n)
    bn = beta ** (n + 1.0)
    return beta / (1.0 - beta) - (n + 1.0) * bn / (1.0 - bn)


def bias_bracket(g: ArrayLike, *, beta: float, rho: float, eps: float, n: ArrayLike | None = None) -> np.ndarray:
    """The coordinate-wise bracket of the correction: bias_j = h·bracket_j·(H·g/s)_j.

    n = None gives the large-n form of spec §2.3: ½{(1+β)/(1−β) − (1+ρ)/(1−ρ) + (1+ρ)/(1−ρ)·ε/(g²+ε)};
    an integer n the piece-n form of §2.2: d_β(n) − d_ρ(n) + (d_ρ(n) + ½)·ε/(g²+ε).
    """
    g = np.asarray(g, dtype=np.float64)
    ratio = eps / (g * g + eps)
    if n is None:
        a, c = _bracket_constants(beta, rho)
        return 0.5 * (a + c * ratio)
    db, dr = mean_delay(beta, n), mean_delay(rho, n)
    return db - dr + (dr + 0.5) * ratio


def modified_field(
    grad: Callable[[np.ndarray], ArrayLike],
    hvp: Callable[[np.ndarray, np.ndarray], ArrayLike] | None,
    theta: np.ndarray,
    *,
    h: float,
    beta: float,
    rho: float,
    eps: float,
    order: int,
    n: int | None = None,
) -> np.ndarray:
    """Right-hand side θ̇ of the first- (order=1) or second-order (order=2) modified flow at θ.

    For order 2, `n` is the piece index (None: the large-n form of spec §2.3, as in Figure 1).
    """
    g = np.asarray(grad(theta), dtype=np.float64)
    s = np.sqrt(g * g + eps)
    if order == 1:
        return -g / s
    if order != 2:
        raise ValueError(f"order must be 1 or 2; got {order}")
    hg = np.asarray(hvp(theta, g / s), dtype=np.float64)  # type: ignore[misc]  # order 2 has hvp; (H·g/s)_j = ∂_j ‖∇E‖_{1,ε}
    bias = h * bias_bracket(g, beta=beta, rho=rho, eps=eps, n=n) * hg
    return -(g + bias) / s


def rk4(field: Callable[[float, np.ndarray], np.ndarray], y0: ArrayLike, t0: float, dt: float, nsub: int) -> np.ndarray:
    """`nsub` classical RK4 steps of size dt for y' = field(t, y) from (t0, y0)."""
    y = np.array(y0, dtype=np.float64)
    t = t0
    for _ in range(nsub):
        k1 = field(t, y)
        k2 = field(t + 0.5 * dt, y + 0.5 * dt * k1)
        k3 = field(t + 0.5 * dt, y + 0.5 * dt * k2)
        k4 = field(t + dt, y + dt * k3)
        y = y + (dt / 6.0) * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        t += dt
    return y


def modified_flow(
    grad: Callable[[np.ndarray], ArrayLike],
    hvp: Callable[[np.ndarray, np.ndarray], ArrayLike] | None,
    theta0: ArrayLike,
    *,
    h: float,
    beta: float,
    rho: float,
    eps: float,
    steps: int,
    order: int = 2,
    sub: int = 10,
) -> np.ndarray:
    """The modified flow θ̃ at t_n = n·h, n = 0..steps, as an array (steps+1, p) (fixed-step RK4, `sub` per step).

    order 1: θ̇ = −g/sqrt(g²+ε). order 2: the piecewise ODE of spec §2.2, piece n on [nh, (n+1)h];
    `hvp(theta, v)` returns H(θ)·v (unused for order 1).
    """
    _check_order(order, hvp)

    def piece(n):
        return lambda t, y: modified_field(grad, hvp, y, h=h, beta=beta, rho=rho, eps=eps, order=order, n=n)

    return _piecewise_flow(piece, theta0, h=h, steps=steps, sub=sub, what=f"modified flow (order {order}) at t")


def _check_order(order: int, hvp) -> None:
    if order not in (1, 2):
        raise ValueError(f"order must be 1 or 2; got {order}")
    if order == 2 and hvp is None:
        raise ValueError("the second-order flow needs hvp(theta, v) = H(theta) v")


def _piecewise_flow(piece: Callable[[int], Callable], theta0: ArrayLike, *, h: float, steps: int, sub: int, what: str):
    """A flow made of one ODE per step, θ̇ = piece(n)(t, θ) on [nh, (n+1)h], integrated by RK4 with `sub` substeps
    per piece: the states at t_n = n·h, n = 0..steps, as an array (steps+1, p)."""
    theta = np.array(theta0, dtype=np.float64)
    out = np.empty((steps + 1, *theta.shape))
    out[0] = theta
    for n in range(steps):
        theta = rk4(piece(n), theta, n * h, h / sub, sub)
        if not np.all(np.isfinite(theta)):
            raise FloatingPointError(f"{what} = {(n + 1) * h} is not finite")
        out[n + 1] = theta
    return out


def sup_error(iterates: ArrayLike, flow: ArrayLike) -> np.ndarray:
    """‖θ^(n) − θ̃(t_n)‖_∞ for each n (the paper's error metric, Figure 3)."""
    return np.max(np.abs(np.asarray(iterates) - np.asarray(flow)), axis=-1)


# ------------------------------------------------------------------- GD with momentum: Adam's large-ε limit
def momentum_iterates(
    grad: Callable[[np.ndarray], ArrayLike], theta0: ArrayLike, *, eta: float, beta: float, steps: int
) -> np.ndarray:
    """GD with bias-corrected EMA momentum, θ^(n+1) = θ^(n) − η·m̂^(n+1) (Adam with √(v̂ + ε) replaced by √ε and
    h = η√ε): iterates θ^(0..steps) as an array (steps+1, p)."""
    theta = np.array(theta0, dtype=np.float64)
    m = np.zeros_like(theta)
    out = np.empty((steps + 1, *theta.shape))
    out[0] = theta
    for n in range(steps):
        m = beta * m + (1.0 - beta) * np.asarray(grad(theta), dtype=np.float64)
        theta = theta - eta * m / (1.0 - beta ** (n + 1))
        if not np.all(np.isfinite(theta)):
            raise FloatingPointError(f"momentum iterate is not finite at step {n + 1}")
        out[n + 1] = theta
    return out


def momentum_flow(
    grad: Callable[[np.ndarray], ArrayLike],
    hvp: Callable[[np.ndarray, np.ndarray], ArrayLike] | None,
    theta0: ArrayLike,
    *,
    eta: float,
    beta: float,
    steps: int,
    order: int = 2,
    sub: int = 4,
) -> np.ndarray:
    """Modified flows of `momentum_iterates` at τ_n = nη (RK4, `sub` substeps per step), n = 0..steps.

    order 1: the gradient flow θ̇ = −∇E. order 2: on piece n, θ̇ = −(∇E + η(d_β(n) + ½)·H∇E), the ε → ∞ limit of the
    Adam bracket (spec §2.4(b)); at large n it is −∇[E + η(1+β)/(4(1−β))‖∇E‖²], the squared two-norm penalised.
    """
    _check_order(order, hvp)

    def piece(n):
        k = eta * (float(mean_delay(beta, n)) + 0.5) if order == 2 else 0.0

        def field(t, y):
            g = np.asarray(grad(y), dtype=np.float64)
            return -g if order == 1 else -(g + k * np.asarray(hvp(y, g), dtype=np.float64))

        return field

    return _piecewise_flow(piece, theta0, h=eta, steps=steps, sub=sub, what=f"momentum flow (order {order}) at tau")
