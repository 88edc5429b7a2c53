"""The matrix update rules of fan2025 v4 (Spectral-GD, Muon, Schatten-p NSD/NMD): their direction oracles, the
truncation of the CE gradient's null direction, Newton-Schulz as Muon's code computes it, and the compiled kernel
against the numpy reference.

The oracle of a steepest direction Δ = argmax_{‖Δ‖ ≤ 1} ⟨G, Δ⟩ is written independently of the code: ‖Δ‖ = 1 and
⟨G, Δ⟩ = ‖G‖_* from singular values computed here, and no random unit-norm matrix does better.
"""

from __future__ import annotations

import numpy as np
import pytest

from implicit_bias import _core, train
from implicit_bias.multiclass import gradient, make_multiclass
from implicit_bias.optimizers import (
    CUBIC_COEFFICIENTS,
    NEWTON_SCHULZ_COEFFICIENTS,
    UpdateRule,
    matrix_direction,
    newton_schulz,
    polar_factor,
    schatten_direction,
)

P_VALUES = [1.0, 1.5, 2.0, 3.0, np.inf]


def schatten(A: np.ndarray, p: float) -> float:
    sigma = np.linalg.svd(A, compute_uv=False)
    return float(np.max(sigma)) if np.isinf(p) else float(np.sum(sigma**p) ** (1.0 / p))


def dual(p: float) -> float:
    return 1.0 if np.isinf(p) else np.inf if p == 1.0 else p / (p - 1.0)


@pytest.fixture(scope="module")
def matrices():
    """Random full-rank matrices of both orientations, and rank-deficient CE gradients (rank ≤ k − 1)."""
    rng = np.random.default_rng(3)
    out = [rng.standard_normal(shape) * scale for shape in [(10, 25), (25, 10), (4, 6)] for scale in (1e-8, 1.0, 1e6)]
    H, y, _, _ = make_multiclass(k=10, d=25, per_class=20, sigma=0.1, seed=2)
    for s in (0.0, 0.3, 3.0):
        out.append(gradient(s * rng.standard_normal((10, 25)), H, y))
    return out


@pytest.mark.parametrize("p", P_VALUES)
def test_schatten_direction_is_the_steepest_unit_direction(p, matrices):
    rng = np.random.default_rng(5)
    q = dual(p)
    for G in matrices:
        D = schatten_direction(G, p)
        assert schatten(D, p) == pytest.approx(1.0, rel=1e-10)
        assert np.sum(G * D) == pytest.approx(schatten(G, q), rel=1e-10)
        # no random direction of unit Schatten-p norm does better
        for _ in range(20):
            R = rng.standard_normal(G.shape)
            assert np.sum(G * R) / schatten(R, p) <= np.sum(G * D) * (1 + 1e-12)


def test_the_ce_gradients_null_direction_is_truncated(matrices):
    """1ᵀ∇L = 0, so rank ∇L ≤ k − 1: the thin SVD's last singular value is rounding (≈ 1e-17 σ_1) with u ∝ 1.
    The polar factor drops it (1ᵀΔ = 0); the untruncated U Vᵀ adds a unit-norm 1vᵀ (what the truncation is for)."""
    G = matrices[-1]
    U, sigma, Vt = np.linalg.svd(G, full_matrices=False)
    assert sigma[-1] < 1e-14 * sigma[0]
    D = polar_factor(G)
    assert np.max(np.abs(D.sum(axis=0))) < 1e-12
    assert np.linalg.matrix_rank(D) == G.shape[0] - 1
    assert np.max(np.abs((U @ Vt).sum(axis=0))) > 0.1  # the untruncated factor: a spurious 1vᵀ


def test_newton_schulz_maps_each_singular_value_through_its_polynomial():
    """Muon's quintic iteration keeps the singular vectors and sends σ/‖G‖_F through the scalar polynomial `steps`
    times (the oracle iterates the scalar map); the cubic iteration converges to UVᵀ, the quintic one does not."""
    rng = np.random.default_rng(7)
    for shape in [(10, 25), (25, 10)]:
        G = rng.standard_normal(shape) @ np.diag(np.geomspace(1.0, 1e-3, shape[1]))
        U, sigma, Vt = np.linalg.svd(G, full_matrices=False)
        x = sigma / np.linalg.norm(G)
        a, b, c = NEWTON_SCHULZ_COEFFICIENTS
        for _ in range(5):
            x = a * x + b * x**3 + c * x**5
        np.testing.assert_allclose(newton_schulz(G, 5, NEWTON_SCHULZ_COEFFICIENTS), (U * x) @ Vt, atol=1e-12)
        spectrum = np.linalg.svd(newton_schulz(G, 5, NEWTON_SCHULZ_COEFFICIENTS), compute_uv=False)
        assert np.max(np.abs(spectrum - 1.0)) > 0.1  # an approximate polar factor only
        np.testing.assert_allclose(newton_schulz(G, 100, CUBIC_COEFFICIENTS), U @ Vt, atol=1e-10)


@pytest.mark.parametrize("p, polar", [(p, "svd") for p in P_VALUES] + [(np.inf, "newton_schulz"), (np.inf, "cubic")])
def test_compiled_direction_equals_the_reference(p, polar, matrices):
    rule = UpdateRule("nsd", norm="schatten", p=p, polar=polar, polar_steps=7)
    h = _core.hyper(rule)
    for G in matrices:
        out = np.empty_like(G)
        _core._schatten(np.ascontiguousarray(G), h.p, h.q, h.polar, h.polar_steps, out)
        ref = matrix_direction(rule, G)
        if p == 1.0:  # the top pair's sign is either (u, v) or (−u, −v): the product is the same
            np.testing.assert_allclose(out, ref, atol=1e-9)
        else:
            np.testing.assert_allclose(out, ref, atol=1e-9 * max(1.0, np.max(np.abs(ref))))


def test_named_rules_are_their_norms():
    """Muon with β1 = 0 is Spectral-GD, NMD entry-wise ∞ is Signum, Schatten-2 NSD is NGD (Frobenius), and the
    paper's algorithms keep 1ᵀW = 0 (the truncation)."""
    H, y, _, _ = make_multiclass(k=5, d=8, per_class=10, sigma=0.1, seed=0)
    kw = dict(steps=300, num_log=10)
    spectral = train(H, y, optimizer="spectral", **kw)
    np.testing.assert_array_equal(train(H, y, optimizer="muon", beta1=0.0, **kw).w, spectral.w)
    np.testing.assert_array_equal(
        train(H, y, optimizer="nmd", p=np.inf, **kw).w, train(H, y, optimizer="signum", **kw).w
    )
    np.testing.assert_allclose(
        train(H, y, optimizer="nsd", norm="schatten", p=2.0, **kw).w, train(H, y, optimizer="ngd", **kw).w, atol=1e-12
    )
    assert np.max(np.abs(spectral.w_final.sum(axis=0))) < 1e-10
    assert np.max(np.abs(train(H, y, optimizer="muon", **kw).w_final.sum(axis=0))) < 1e-10
    # the steps have unit spectral norm, so |||W_T|||_∞ ≤ Σ η_t (spec S4), with equality only if all align
    steps = np.arange(300)
    assert schatten(spectral.w_final, np.inf) <= np.sum(0.1 * (steps + 2.0) ** -0.5) * (1 + 1e-12)


def test_matrix_rules_refuse_what_they_cannot_do():
    X = np.random.default_rng(0).standard_normal((10, 3))
    for kw in (dict(optimizer="spectral"), dict(optimizer="muon"), dict(optimizer="nsd", norm="schatten")):
        with pytest.raises(ValueError, match="multiclass"):
            train(X, steps=5, **kw)
    with pytest.raises(ValueError, match="polar"):
        UpdateRule("nsd", p=2.0, polar="newton_schulz")
    with pytest.raises(ValueError, match="polar"):
        UpdateRule("muon", polar="qr")
    with pytest.raises(ValueError, match="norm"):
        UpdateRule("nsd", norm="operator")
    with pytest.raises(ValueError, match="polar_steps"):
        UpdateRule("muon", polar="cubic", polar_steps=0)
