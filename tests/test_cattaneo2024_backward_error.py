"""cattaneo2024: F(x), Adam iterates (vs an independent naive Adam), modified flows and their order of accuracy."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import implicit_bias as ib
from implicit_bias.backward_error import (
    adam_correction_1d_quad,
    bias_bracket,
    mean_delay,
    modified_field,
    perturbed_one_norm,
    sup_error,
)
from implicit_bias.nets import TanhMLP, ToyProblem, central_hvp, digits_data
from implicit_bias.papers.cattaneo2024.checks import fitted_slope


def naive_adam(grad, theta0, h, beta, rho, eps, steps):
    """Definition 1.1 written out directly (bias-corrected, ε inside the root): the oracle for adam_iterates."""
    theta = np.array(theta0, float)
    m = np.zeros_like(theta)
    v = np.zeros_like(theta)
    out = [theta.copy()]
    for n in range(steps):
        g = grad(theta)
        v = rho * v + (1 - rho) * g * g
        m = beta * m + (1 - beta) * g
        theta = theta - h * (m / (1 - beta ** (n + 1))) / np.sqrt(v / (1 - rho ** (n + 1)) + eps)
        out.append(theta.copy())
    return np.array(out)


class Quadratic:
    """E(θ) = ½θᵀAθ + bᵀθ + Σ cos(θ_i)/4 (a smooth non-quadratic problem other than the paper's toy)."""

    def __init__(self, p=5, seed=3):
        rng = np.random.default_rng(seed)
        M = rng.normal(size=(p, p))
        self.A = M @ M.T / p + np.eye(p)
        self.b = rng.normal(size=p)

    def grad(self, th):
        return self.A @ th + self.b - np.sin(th) / 4

    def hvp(self, th, v):
        return self.A @ v - np.cos(th) * v / 4


@settings(deadline=None, max_examples=30)
@given(
    x=st.floats(-5, 5, allow_nan=False),
    beta=st.floats(0.0, 0.99),
    rho=st.floats(0.0, 0.999),
    eps=st.floats(1e-6, 10.0),
)
def test_f_closed_form_matches_quadrature_and_is_even(x, beta, rho, eps):
    kw = dict(h=0.7, beta=beta, rho=rho, eps=eps)
    closed = ib.adam_correction_1d(x, **kw)
    quad = adam_correction_1d_quad(x, **kw)
    assert abs(closed - quad) <= 1e-9 * max(1.0, abs(quad))
    assert ib.adam_correction_1d(-x, **kw) == pytest.approx(closed, rel=1e-12, abs=1e-300)


def test_f_is_vectorised_and_sign_matches_regime():
    x = np.linspace(-1, 1, 11)
    F = ib.adam_correction_1d(x, h=1.0, beta=0.95, rho=0.999, eps=1e-4)
    assert F.shape == x.shape and F[5] == 0.0
    assert F[-1] < 0 < ib.adam_correction_1d(1.0, h=1.0, beta=0.95, rho=0.9, eps=1e-4)


@settings(deadline=None, max_examples=15)
@given(beta=st.floats(0.0, 0.95), rho=st.floats(0.0, 0.999), eps=st.floats(1e-4, 1.0), seed=st.integers(0, 100))
def test_adam_iterates_match_naive_definition(beta, rho, eps, seed):
    q = Quadratic(seed=seed)
    theta0 = np.random.default_rng(seed).normal(size=5)
    got = ib.adam_iterates(q.grad, theta0, h=0.01, beta=beta, rho=rho, eps=eps, steps=50)
    ref = naive_adam(q.grad, theta0, 0.01, beta, rho, eps, 50)
    assert got.shape == (51, 5)
    np.testing.assert_allclose(got, ref, rtol=1e-7, atol=1e-8)  # rounding, amplified where g ≈ 0 and ε ≪ g²


def test_adam_iterates_raise_on_overflow():
    with pytest.raises(FloatingPointError):
        ib.adam_iterates(lambda th: np.exp(np.abs(th) * 1e3), np.ones(2), h=1e3, beta=0.5, rho=0.9, eps=1e-8, steps=5)


def test_mean_delay_limits():
    assert mean_delay(0.9, 0) == pytest.approx(0.0, abs=1e-15)
    assert mean_delay(0.9, 10_000) == pytest.approx(9.0)
    assert np.all(mean_delay(0.0, np.arange(5)) == 0.0)
    # small n: d(n) ≈ n/2 when β is near 1
    assert mean_delay(0.9999, 4) == pytest.approx(2.0, rel=1e-3)


def test_bracket_signs_by_regime():
    g = np.array([1.0, -2.0, 0.5])
    assert np.all(bias_bracket(g, beta=0.9, rho=0.999, eps=1e-12) < 0)
    assert np.all(bias_bracket(g, beta=0.999, rho=0.9, eps=1e-12) > 0)
    np.testing.assert_allclose(bias_bracket(g, beta=0.9, rho=0.999, eps=1e12), 9.5, rtol=1e-9)


def test_first_order_field_is_perturbed_signgd():
    q = Quadratic()
    th = np.ones(5)
    g = q.grad(th)
    np.testing.assert_allclose(
        modified_field(q.grad, None, th, h=0.1, beta=0.9, rho=0.99, eps=1e-3, order=1), -g / np.sqrt(g * g + 1e-3)
    )


def test_one_d_correction_is_gradient_of_f_of_eprime():
    """p = 1: at large n the correction term equals d/dθ F(E'(θ)) (Figure 1 caption)."""
    h, beta, rho, eps = 0.01, 0.6, 0.9, 0.3

    def grad(th):
        return np.array([np.sin(th[0]) + th[0] ** 3])

    def hvp(th, v):
        return np.array([(np.cos(th[0]) + 3 * th[0] ** 2) * v[0]])

    th = np.array([0.4])
    g = grad(th)
    s = np.sqrt(g * g + eps)
    corr = h * bias_bracket(g, beta=beta, rho=rho, eps=eps) * hvp(th, g / s)
    d = 1e-6
    fd = (
        ib.adam_correction_1d(grad(th + d)[0], h=h, beta=beta, rho=rho, eps=eps)
        - ib.adam_correction_1d(grad(th - d)[0], h=h, beta=beta, rho=rho, eps=eps)
    ) / (2 * d)
    assert corr[0] == pytest.approx(fd, rel=1e-6)


@pytest.mark.parametrize("beta,rho,eps", [(0.6, 0.8, 1.0), (0.0, 0.8, 1e-2), (0.8, 0.6, 10.0)])
def test_order_of_accuracy_on_a_non_toy_problem(beta, rho, eps):
    """Global error over T = 1: first-order flow O(h), second-order piecewise flow O(h²)."""
    q = Quadratic()
    theta0 = np.linspace(-1, 1, 5)
    hs = np.array([0.02, 0.01, 0.005, 0.0025])
    e1, e2 = [], []
    for h in hs:
        kw = dict(h=h, beta=beta, rho=rho, eps=eps, steps=round(1 / h))
        A = ib.adam_iterates(q.grad, theta0, **kw)
        e1.append(sup_error(A, ib.modified_flow(q.grad, q.hvp, theta0, order=1, sub=4, **kw)).max())
        e2.append(sup_error(A, ib.modified_flow(q.grad, q.hvp, theta0, order=2, sub=4, **kw)).max())
    assert 0.8 <= fitted_slope(hs, e1) <= 1.2
    assert 1.7 <= fitted_slope(hs, e2) <= 2.3
    assert np.all(np.array(e2) < np.array(e1))


def test_modified_flow_shape_and_validation():
    q = Quadratic()
    out = ib.modified_flow(q.grad, q.hvp, np.zeros(5), h=0.1, beta=0.5, rho=0.7, eps=1e-3, steps=7, order=2)
    assert out.shape == (8, 5) and np.all(out[0] == 0)
    with pytest.raises(ValueError):
        ib.modified_flow(q.grad, None, np.zeros(5), h=0.1, beta=0.5, rho=0.7, eps=1e-3, steps=3, order=2)
    with pytest.raises(ValueError):
        ib.modified_flow(q.grad, q.hvp, np.zeros(5), h=0.1, beta=0.5, rho=0.7, eps=1e-3, steps=3, order=3)


def test_perturbed_one_norm():
    assert perturbed_one_norm([3.0, -4.0], 0.0) == pytest.approx(7.0)
    assert perturbed_one_norm(np.zeros(4), 0.25) == pytest.approx(2.0)


def test_toy_derivatives():
    toy = ToyProblem()
    th = np.array([0.7, -1.3])
    d = 1e-6
    fd = [(toy.loss(th + d * e) - toy.loss(th - d * e)) / (2 * d) for e in np.eye(2)]
    np.testing.assert_allclose(toy.grad(th), fd, rtol=1e-7)
    v = np.array([0.3, 2.0])
    np.testing.assert_allclose(toy.hvp(th, v), central_hvp(toy.grad, th, v), rtol=1e-7)
    np.testing.assert_allclose(toy.one_norm_limit, np.sqrt(3) / 2)


def test_mlp_gradient_and_exact_hvp():
    Xtr, ytr, _, _ = digits_data(64)
    mlp = TanhMLP(Xtr, ytr, hidden=8)
    th = mlp.init(1)
    rng = np.random.default_rng(0)
    u = rng.normal(size=mlp.p)
    d = 1e-6
    fd = (mlp.loss(th + d * u) - mlp.loss(th - d * u)) / (2 * d)
    assert mlp.grad(th) @ u == pytest.approx(fd, rel=1e-6)
    v = rng.normal(size=mlp.p)
    np.testing.assert_allclose(mlp.hvp(th, v), central_hvp(mlp.grad, th, v), rtol=1e-5, atol=1e-8)
    # batched parameters (leading seed axis) give the per-seed results
    TH = np.stack([mlp.init(s) for s in range(3)])
    np.testing.assert_allclose(mlp.grad(TH)[2], mlp.grad(TH[2]), rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(mlp.hvp(TH, np.stack([v] * 3))[1], mlp.hvp(TH[1], v), rtol=1e-12, atol=1e-15)


def test_written_out_directions_match_the_package_update_rule():
    """adam_direction / momentum_direction (used to measure the correction) equal the package's Adam step."""
    from implicit_bias.backward_error_reference import adam_direction, momentum_direction
    from implicit_bias.optimizers import UpdateRule, init_state, step_direction

    grads = np.random.default_rng(0).normal(size=(7, 3))
    for beta, rho, eps in ((0.5, 0.9, 1e-3), (0.9, 0.999, 1e12)):
        rule = UpdateRule(name="adam", beta1=beta, beta2=rho, eps=eps, eps_inside=True, bias_correction=True)
        state = init_state(rule, (3,))
        for n, g in enumerate(grads):
            d, state = step_direction(rule, state, n, 0.0, g)
        np.testing.assert_allclose(adam_direction(grads, beta=beta, rho=rho, eps=eps), d, rtol=1e-12)
    # ε → ∞: Adam's direction times √ε is the momentum direction
    np.testing.assert_allclose(
        adam_direction(grads, beta=0.9, rho=0.999, eps=1e20) * 1e10, momentum_direction(grads, beta=0.9), rtol=1e-9
    )
