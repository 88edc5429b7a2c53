"""Tests for implicit_bias.fixed_point (baek2025 Def 4.6, Algorithm 3, Examples 4.9-4.11).

P(c) is checked against an independent exact solver: with u = sqrt(D) * w it
becomes min 1/2 ||u||^2 s.t. (X / sqrt(D)) u >= 1, a least-distance problem
solved by Lawson-Hanson LDP through scipy ``nnls`` (no cvxpy involved).
"""

from __future__ import annotations

import dataclasses
import itertools

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.optimize import nnls

from implicit_bias.fixed_point import (
    FixedPoint,
    mahalanobis_diag,
    proxy_fixed_point,
    proxy_kkt_residual,
    solve_proxy_problem,
)
from implicit_bias.margins import cosine, max_margin

GR = np.array([[1, 1, 1, 1], [2, 2, 2, -2], [3, 3, -3, -3], [4, -4, 4, -4]], dtype=np.float64)
DELTA = 0.1


def shifted_diagonal(delta=DELTA, a=(1.0, 2.0, 4.0, 8.0)):
    """baek2025 Example 4.11: x_i = delta*1 + (a_i - delta) e_i."""
    a = np.asarray(a, dtype=np.float64)
    return delta * np.ones((a.size, a.size)) + np.diag(a - delta)


def gaussian(seed, n=10, d=50):
    """baek2025 §4 Gaussian data set (N = 10, d = 50)."""
    return np.random.default_rng(seed).standard_normal((n, d))


def ldp_proxy(X, c):
    """Reference P(c) solution (w, lam) via Lawson-Hanson LDP on u = sqrt(D) w."""
    D = np.sqrt((c**2) @ (X**2))
    s = np.sqrt(D)
    G = X / s[None, :]
    m, n = G.shape
    E = np.vstack([G.T, np.ones((1, m))])
    f = np.zeros(n + 1)
    f[-1] = 1.0
    u, _ = nnls(E, f, maxiter=50 * (n + m))
    r = E @ u - f
    u_star = -r[:-1] / r[-1]
    lam = -u / r[-1]  # multipliers of min 1/2||u||^2 = 1/2 sum D w^2
    return u_star / s, lam


# --------------------------------------------------------------------------
# mahalanobis_diag
# --------------------------------------------------------------------------


def test_mahalanobis_diag_formula():
    X = gaussian(0, n=4, d=3)
    c = np.array([0.1, 0.2, 0.3, 0.4])
    expected = [np.sqrt(sum(c[i] ** 2 * X[i, k] ** 2 for i in range(4))) for k in range(3)]
    np.testing.assert_allclose(mahalanobis_diag(X, c), expected, rtol=1e-14)
    # 1-homogeneous in c (weights enter squared under a square root)
    np.testing.assert_allclose(mahalanobis_diag(X, 5 * c), 5 * np.array(expected), rtol=1e-14)


def test_mahalanobis_diag_gr_is_isotropic():
    # Example 4.9: |x_i[k]| = a_i, so D(c) = sqrt(sum c_i^2 a_i^2) I.
    c = np.array([0.4, 0.3, 0.2, 0.1])
    D = mahalanobis_diag(GR, c)
    np.testing.assert_allclose(D, np.full(4, np.sqrt(np.sum(c**2 * [1, 4, 9, 16]))), rtol=1e-14)


@pytest.mark.parametrize(
    "c, match",
    [
        (np.ones(3), "shape"),
        (np.array([0.5, -0.1, 0.3, 0.3]), "nonnegative"),
        (np.array([0.5, np.nan, 0.3, 0.2]), "NaN"),
        (np.zeros(4), "positive"),
    ],
)
def test_mahalanobis_diag_validation(c, match):
    with pytest.raises(ValueError, match=match):
        mahalanobis_diag(GR, c)


# --------------------------------------------------------------------------
# solve_proxy_problem (Definition 4.6)
# --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_proxy_problem_kkt_and_matches_ldp(seed):
    X = gaussian(seed, n=6, d=9)
    c = np.random.default_rng(seed + 10).dirichlet(np.ones(6))
    w, lam = solve_proxy_problem(X, c)
    D = mahalanobis_diag(X, c)
    margins = X @ w
    # KKT of P(c): D w = X^T lam, lam >= 0, complementary slackness, feasibility.
    assert np.all(lam >= 0)
    np.testing.assert_allclose(D * w, X.T @ lam, atol=1e-8)
    assert np.max(np.abs(lam * (margins - 1))) < 1e-8
    assert margins.min() >= 1 - 1e-8
    # Independent exact solve.
    w_ref, lam_ref = ldp_proxy(X, c)
    np.testing.assert_allclose(w, w_ref, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(lam, lam_ref, rtol=1e-6, atol=1e-8)


def test_proxy_problem_gr_is_svm_for_every_c():
    # Example 4.9: D(c) is a multiple of I, so w*(c) is the l2 max-margin.
    w_l2 = max_margin(GR, norm=2).w
    for seed in range(3):
        c = np.random.default_rng(seed).dirichlet(np.ones(4))
        w, _ = solve_proxy_problem(GR, c)
        assert cosine(w, w_l2) > 1 - 1e-10


def test_proxy_problem_example_4_11_dual():
    # Example 4.11: D(e_0) = diag(x_0), w*(e_0) = 1/(1 + 3 delta) * 1 and, with
    # the 1/2 objective scaling, lambda*(e_0) = e_0 / (1 + 3 delta).
    X = shifted_diagonal()
    e0 = np.eye(4)[0]
    w, lam = solve_proxy_problem(X, e0)
    kappa = 1.0 / (1.0 + 3 * DELTA)
    np.testing.assert_allclose(w, np.full(4, kappa), atol=1e-9)
    np.testing.assert_allclose(lam, kappa * e0, atol=1e-9)


def test_proxy_kkt_residual_detects_violations():
    X = np.vstack([shifted_diagonal(), 5.0 * shifted_diagonal()[1]])  # x_4 inactive
    c = np.array([0.3, 0.3, 0.2, 0.1, 0.1])
    w, lam = ldp_proxy(X, c)
    assert proxy_kkt_residual(X, c, w, lam) < 1e-9
    # Perturb one multiplier: stationarity breaks by eps*||x_j||_inf and, if j
    # is inactive, complementarity by eps*(<w, x_j> - 1).
    j = int(np.argmax(X @ w))
    assert X[j] @ w > 1 + 1e-3  # inactive
    eps = 1e-3
    lam2 = lam.copy()
    lam2[j] += eps
    expected = eps * np.max(np.abs(X[j])) + eps * (X[j] @ w - 1)
    assert proxy_kkt_residual(X, c, w, lam2) == pytest.approx(expected, rel=1e-6)
    # Primal infeasibility (shrunk w) and a negative multiplier are counted too.
    assert proxy_kkt_residual(X, c, 0.9 * w, lam) >= 0.1 - 1e-9
    lam3 = lam.copy()
    lam3[j] = -eps  # lam_j was 0: same stationarity/complementarity as +eps, plus dual infeasibility
    assert proxy_kkt_residual(X, c, w, lam3) == pytest.approx(expected + eps, rel=1e-6)
    with pytest.raises(ValueError, match="shape"):
        proxy_kkt_residual(X, c, w[:2], lam)


def test_fixed_point_reports_kkt_residual_of_its_solution():
    X = gaussian(0)
    fp = proxy_fixed_point(X)
    w_tilde = fp.w / np.min(X @ fp.w)  # undo the l2 normalisation
    assert proxy_kkt_residual(X, fp.c, w_tilde, fp.lam) < 1e-6
    assert fp.kkt_residual > 0  # a real interior-point residual, not a placeholder


def test_proxy_problem_errors():
    with pytest.raises(ValueError, match="separable"):
        solve_proxy_problem(np.array([[1.0, 2.0], [-1.0, -2.0]]), [0.5, 0.5])
    # c concentrated on a sample with a zero entry -> D(c) singular.
    X = np.array([[1.0, 0.0], [1.0, 2.0]])
    with pytest.raises(ValueError, match="nonzero entries"):
        solve_proxy_problem(X, [1.0, 0.0])
    with pytest.raises(ValueError, match="shape"):
        solve_proxy_problem(GR, [1.0, 0.0])
    with pytest.raises(ValueError, match="2-D"):
        solve_proxy_problem(np.ones(4), [1.0])


# --------------------------------------------------------------------------
# proxy_fixed_point (Algorithm 3)
# --------------------------------------------------------------------------


def test_fixed_point_gr_is_l2_max_margin():
    # Example 4.9 / baek2025 §6 check 5: cos(w_fp, l2) > 0.9999 within 3 iterations.
    fp = proxy_fixed_point(GR)
    assert isinstance(fp, FixedPoint)
    assert fp.converged and fp.iterations <= 3
    assert cosine(fp.w, max_margin(GR, norm=2).w) > 0.9999


def test_fixed_point_shifted_diagonal_reaches_e0():
    # Example 4.11 / §6 check 6: from uniform c, c -> e_0 and w_fp is prop. to 1.
    X = shifted_diagonal()
    fp = proxy_fixed_point(X)
    assert fp.converged and fp.iterations <= 20
    e0 = np.eye(4)[0]
    assert np.sum(np.abs(fp.c - e0)) < 1e-6
    np.testing.assert_allclose(fp.w, np.full(4, 0.5), atol=1e-6)  # unit-l2 direction of 1
    assert cosine(fp.w, max_margin(X, norm="inf").w) > 1 - 1e-9
    _, lam = solve_proxy_problem(X, e0)
    np.testing.assert_allclose(lam, e0 / (1 + 3 * DELTA), atol=1e-9)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_fixed_point_gaussian(seed):
    # Theorem 4.8 / Fig. 3 / §6 check 8.
    X = gaussian(seed)
    fp = proxy_fixed_point(X, tol=1e-6)
    assert fp.converged and fp.iterations <= 20
    assert fp.solver == "CLARABEL" and fp.status == "optimal"
    assert fp.kkt_residual < 1e-6
    assert len(fp.residuals) == fp.iterations and fp.residuals[-1] < 1e-6
    assert np.linalg.norm(fp.w) == pytest.approx(1.0, abs=1e-12)
    assert np.all(fp.c >= 0) and fp.c.sum() == pytest.approx(1.0, abs=1e-12)

    # Fixed point: F(c) = lambda*(c)/||lambda*(c)||_1 = c, re-solved from scratch.
    w_tilde, lam = solve_proxy_problem(X, fp.c)
    assert np.sum(np.abs(lam / lam.sum() - fp.c)) < 1e-5
    np.testing.assert_allclose(fp.lam, lam, rtol=1e-6, atol=1e-10)
    assert cosine(fp.w, w_tilde) > 1 - 1e-12

    # Lemma 4.5 (eq. 5): w ∝ D(c)^{-1} sum_i c_i x_i at the fixed point.
    eq5 = (X.T @ fp.c) / mahalanobis_diag(X, fp.c)
    assert cosine(fp.w, eq5) > 1 - 1e-9

    # Example 4.10: differs from both the l2 and the l_inf max-margin.
    cos_l2 = cosine(fp.w, max_margin(X, norm=2).w)
    assert 0.9 < cos_l2 < 0.9999
    assert cosine(fp.w, max_margin(X, norm="inf").w) < 0.99


def test_fixed_point_max_iter_exhausted():
    fp = proxy_fixed_point(gaussian(0), max_iter=1)
    assert not fp.converged
    assert fp.iterations == 1 and fp.residuals.shape == (1,)
    assert fp.residuals[0] > 1e-6


def test_fixed_point_from_e0_stays():
    # c = e_0 is a fixed point of F on shifted-diagonal data (Example 4.11).
    fp = proxy_fixed_point(shifted_diagonal(), c0=np.eye(4)[0])
    assert fp.converged and fp.iterations == 1
    assert np.sum(np.abs(fp.c - np.eye(4)[0])) < 1e-9


def test_fixed_point_is_frozen():
    fp = proxy_fixed_point(GR)
    with pytest.raises(dataclasses.FrozenInstanceError):
        fp.iterations = 0


def test_fixed_point_errors():
    with pytest.raises(ValueError, match="separable"):
        proxy_fixed_point(np.array([[1.0, 2.0], [-1.0, -2.0], [0.5, 0.1]]))
    with pytest.raises(ValueError, match="nonzero entries"):
        proxy_fixed_point(np.array([[1.0, 0.0], [2.0, 0.0]]))  # zero column
    with pytest.raises(ValueError, match="NaN"):
        proxy_fixed_point(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="2-D"):
        proxy_fixed_point(np.ones(3))
    with pytest.raises(ValueError, match="tol"):
        proxy_fixed_point(GR, tol=0.0)
    with pytest.raises(ValueError, match="max_iter"):
        proxy_fixed_point(GR, max_iter=0)


# --------------------------------------------------------------------------
# property: equivariance of Algorithm 3
# --------------------------------------------------------------------------


@st.composite
def separable_nonzero(draw):
    n = draw(st.integers(2, 5))
    d = draw(st.integers(2, 6))
    G = draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-3, 3)))
    signs = draw(hnp.arrays(np.float64, (d,), elements=st.sampled_from([-1.0, 1.0])))
    # Separable by w = signs, and every entry nonzero (Assumption 2.2).
    X = signs[None, :] * (np.abs(G) + 0.1)
    perm = draw(st.permutations(range(n)))
    scale = draw(st.sampled_from([1e-2, 3.0, 1e2]))
    return X, np.asarray(perm), scale


@settings(max_examples=20, deadline=None)
@given(separable_nonzero())
def test_property_fixed_point_equivariance(data):
    # Permuting samples permutes c and leaves w unchanged; scaling X by a > 0
    # scales D by a and w* by 1/a, so c and the direction are unchanged.
    X, perm, scale = data
    base = proxy_fixed_point(X)
    assume(base.converged)
    permuted = proxy_fixed_point(X[perm])
    scaled = proxy_fixed_point(scale * X)
    assert permuted.converged and scaled.converged
    assert base.kkt_residual < 1e-6
    np.testing.assert_allclose(permuted.c, base.c[perm], atol=1e-5)
    np.testing.assert_allclose(scaled.c, base.c, atol=1e-5)
    assert cosine(permuted.w, base.w) > 1 - 1e-8
    assert cosine(scaled.w, base.w) > 1 - 1e-8


# --------------------------------------------------------------------------
# beyond the paper: mini-batch and multiclass P(c)
# --------------------------------------------------------------------------
def _partitions(items, b):
    """Every partition of `items` into blocks of size b (as lists of blocks)."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for others in itertools.combinations(rest, b - 1):
        remaining = [i for i in rest if i not in others]
        for tail in _partitions(remaining, b):
            yield [[first, *others], *tail]


def _batch_square(S, blocks):
    """sum over the batches B of (sum_{i in B} S_i)^2: Adam's second moment summed over one epoch."""
    return sum(np.sum(S[list(B)], axis=0) ** 2 for B in blocks)


def test_cyclic_batch_diag_is_the_epoch_sum_of_squared_batch_gradients():
    X, c = gaussian(0, n=6, d=4), np.random.default_rng(1).uniform(0.1, 1, 6)
    S = c[:, None] * X
    for b in (1, 2, 3, 6):
        blocks = np.arange(6).reshape(6 // b, b)  # optimizers.batch_schedule's cyclic batches
        expected = np.sqrt(_batch_square(S, blocks))
        np.testing.assert_allclose(mahalanobis_diag(X, c, batch_size=b), expected, rtol=1e-13)
    # b = N: the full gradient's magnitude
    np.testing.assert_allclose(mahalanobis_diag(X, c, batch_size=6), np.abs(c @ X), rtol=1e-13)


@pytest.mark.parametrize("n, b", [(4, 2), (6, 2), (6, 3)])
def test_reshuffle_batch_diag_is_the_average_over_every_partition(n, b):
    # the closed form (1 - rho) sum S_i^2 + rho (sum S_i)^2, rho = (b-1)/(n-1), against the exact average over all
    # partitions of the samples into batches of size b (what a fresh permutation per epoch samples uniformly)
    X, c = gaussian(2, n=n, d=3), np.random.default_rng(3).uniform(0.1, 1, n)
    S = c[:, None] * X
    parts = list(_partitions(list(range(n)), b))
    average = sum(_batch_square(S, blocks) for blocks in parts) / len(parts)
    got = mahalanobis_diag(X, c, batch_size=b, sampling="reshuffle")
    np.testing.assert_allclose(got, np.sqrt(average), rtol=1e-12)


def test_replacement_batch_diag_is_proportional_to_the_expected_square():
    n, b = 3, 2
    X, c = gaussian(4, n=n, d=3), np.random.default_rng(5).uniform(0.1, 1, n)
    S = c[:, None] * X
    # E over b iid uniform draws of (mean of the drawn S_i)^2, by enumerating all n^b draws
    expected = np.mean([np.mean(S[list(draw)], axis=0) ** 2 for draw in itertools.product(range(n), repeat=b)], 0)
    got = mahalanobis_diag(X, c, batch_size=b, sampling="replacement")
    ratio = got**2 / expected
    np.testing.assert_allclose(ratio, ratio[0], rtol=1e-12)  # D is 1-homogeneous: a common factor is irrelevant


def test_multiclass_diag_is_built_from_the_per_sample_gradients():
    # S_i = sum_{c != y_i} c_(i,c) (e_{y_i} - e_c) h_i^T, the direction of sample i's gradient in the limit
    rng = np.random.default_rng(6)
    H, y, k = rng.standard_normal((6, 4)), np.array([0, 1, 2, 0, 1, 2]), 3
    c = rng.uniform(0.1, 1, 6 * (k - 1))
    S, r = np.zeros((6, k, 4)), 0
    for i in range(6):
        for cls in range(k):
            if cls != y[i]:
                S[i, y[i]] += c[r] * H[i]
                S[i, cls] -= c[r] * H[i]
                r += 1
    S = S.reshape(6, -1)
    np.testing.assert_allclose(mahalanobis_diag(H, c, y=y), np.sqrt(np.sum(S**2, axis=0)), rtol=1e-13)
    np.testing.assert_allclose(
        mahalanobis_diag(H, c, y=y, batch_size=3), np.sqrt(_batch_square(S, [[0, 1, 2], [3, 4, 5]])), rtol=1e-13
    )


@pytest.mark.parametrize("seed", [0, 1])
def test_full_batch_fixed_point_is_the_linf_max_margin(seed):
    # D_N(c) = |sum_i c_i x_i| = |grad|: at a fixed point D w = s grad gives w_k = s sign(grad_k) wherever
    # grad_k != 0, the l_inf max-margin KKT conditions (full-batch Adam -> l_inf, baek2025 Thm 3.3)
    X = gaussian(seed)
    fp = proxy_fixed_point(X, batch_size=X.shape[0], max_iter=400, tol=1e-9)
    assert cosine(fp.w, max_margin(X, norm="inf").w) > 1 - 1e-6


def test_multiclass_fixed_point_kkt_and_full_batch_limit():
    from implicit_bias.multiclass import make_multiclass

    H, y, _, sol = make_multiclass(3, 10, 5, 0.1, 0)
    fp = proxy_fixed_point(H, y=y, tol=1e-8, max_iter=200)
    assert fp.converged and fp.w.shape == (3, 10) and fp.c.shape == (15 * 2,)
    assert fp.kkt_residual < 1e-6
    w, lam = solve_proxy_problem(H, fp.c, y=y)
    assert proxy_kkt_residual(H, fp.c, w, lam, y=y) < 1e-6
    full = proxy_fixed_point(H, y=y, batch_size=len(y), tol=1e-9, max_iter=400)
    assert cosine(full.w, sol.w) > 1 - 1e-6  # the max-norm margin V_inf (fan2025)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(batch_size=3), "must divide the number of samples 10"),
        (dict(batch_size=11), r"batch_size must lie in \[1, 10\]"),
        (dict(batch_size=2, sampling="sometimes"), "unknown sampling 'sometimes'"),
        (dict(num_classes=3), "only meaningful for multiclass"),
    ],
)
def test_batch_fixed_point_errors(kwargs, match):
    with pytest.raises(ValueError, match=match):
        proxy_fixed_point(gaussian(0), **kwargs)


# --------------------------------------------------------------------------
# Anderson acceleration (beyond the paper)
# --------------------------------------------------------------------------


def test_binary_default_is_algorithm_3_exactly():
    # The paper's binary per-sample problem is not accelerated by default: bit for bit the plain path, which is
    # Algorithm 3 as written out below with independent solves of P(c) (a fresh cvxpy problem per solve differs from
    # a re-solved one in the last bits, hence the tolerances there).
    X = gaussian(0)
    fp = proxy_fixed_point(X, tol=1e-6)
    plain = proxy_fixed_point(X, tol=1e-6, accelerate=False)
    for field in ("w", "c", "lam", "residuals"):
        np.testing.assert_array_equal(getattr(fp, field), getattr(plain, field))
    c, residuals = np.full(len(X), 1 / len(X)), []
    while not residuals or residuals[-1] >= 1e-6:
        _, lam = solve_proxy_problem(X, c)
        residuals.append(np.sum(np.abs(lam / lam.sum() - c)))
        c = lam / lam.sum()
    np.testing.assert_allclose(fp.residuals, residuals, rtol=1e-8)
    np.testing.assert_allclose(fp.c, c, rtol=0, atol=1e-13)
    w, lam = solve_proxy_problem(X, c)
    np.testing.assert_allclose(fp.w, w / np.linalg.norm(w), rtol=0, atol=1e-12)
    np.testing.assert_allclose(fp.lam, lam, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize(
    "data, kwargs",
    [
        ("binary", {}),
        ("binary", dict(batch_size=2)),
        ("binary", dict(batch_size=5, sampling="reshuffle")),
        ("multiclass", {}),
        ("multiclass", dict(batch_size=3)),
    ],
)
def test_accelerated_and_plain_iterations_reach_the_same_fixed_point(data, kwargs):
    from implicit_bias.multiclass import make_multiclass

    if data == "binary":
        X = gaussian(1)
    else:
        X, y, _, _ = make_multiclass(3, 10, 5, 0.1, 0)
        kwargs = dict(kwargs, y=y)
    plain = proxy_fixed_point(X, tol=1e-10, max_iter=400, accelerate=False, **kwargs)
    fast = proxy_fixed_point(X, tol=1e-10, max_iter=400, accelerate=True, **kwargs)
    assert plain.converged and fast.converged
    assert fast.iterations < plain.iterations
    assert cosine(fast.w, plain.w) > 1 - 1e-8
    assert np.sum(np.abs(fast.c - plain.c)) < 1e-7
    assert fast.kkt_residual < 1e-8


def test_anderson_step_falls_back_to_the_plain_step_off_the_simplex():
    from implicit_bias.fixed_point import _anderson_step

    # F(c)_0 = c_0 / 2 - 0.05 is affine with fixed point c_0 = -0.1, off the simplex, where Anderson extrapolates to.
    c = [np.array([0.5, 0.5]), np.array([0.2, 0.8])]
    f = [np.array([0.2, 0.8]), np.array([0.05, 0.95])]
    step, extrapolated = _anderson_step([(c[0], f[0], 0.6), (c[1], f[1], 0.3)])
    assert not extrapolated and step is f[1]
    # F(c)_0 = c_0 / 2 + 0.2: the extrapolation lands on its fixed point c_0 = 0.4 (exact for an affine map).
    g = [np.array([0.45, 0.55]), np.array([0.425, 0.575])]
    c2 = [np.array([0.5, 0.5]), g[0]]
    step, extrapolated = _anderson_step([(c2[0], g[0], 0.1), (c2[1], g[1], 0.05)])
    assert extrapolated and step.min() >= 0 and step.sum() == pytest.approx(1.0)
    np.testing.assert_allclose(step, [0.4, 0.6], rtol=1e-12)


def test_accelerated_iteration_rejects_an_extrapolation_that_raises_the_residual(monkeypatch):
    import implicit_bias.fixed_point as module

    X = gaussian(2)
    reference = proxy_fixed_point(X, tol=1e-10, max_iter=200, accelerate=False)
    calls = []

    def bad_step(history):  # a wild "extrapolation" onto one sample, every time
        calls.append(len(history))
        return np.eye(len(X))[len(calls) % len(X)], True

    monkeypatch.setattr(module, "_anderson_step", bad_step)
    fp = proxy_fixed_point(X, tol=1e-10, max_iter=400, accelerate=True)
    # Every extrapolation is rejected (its residual is far above the accepted one) and the plain step from the last
    # accepted iterate is taken instead; after _ANDERSON_GIVE_UP rejections in a row no more extrapolation is tried.
    # The result is Algorithm 3's fixed point, with exactly one wasted solve per rejection.
    give_up = module._ANDERSON_GIVE_UP
    assert fp.converged and len(calls) == give_up
    assert np.sum(np.abs(fp.c - reference.c)) < 1e-8
    assert fp.iterations == reference.iterations + give_up
    kept = np.delete(fp.residuals, [2 * j + 1 for j in range(give_up)])  # the rejected solves: 2nd, 4th, 6th
    np.testing.assert_allclose(kept, reference.residuals, rtol=1e-4)  # working-set solves: last bits


def test_working_set_solve_is_the_full_solve():
    # The accelerated iteration's P(c) solver: Clarabel on a working set of rows, grown by the violated ones, has the
    # solution of the full cvxpy problem. The first c weighs only sample 0's two pairs (which span all three classes, so
    # D(c) is well conditioned): the working set starts from those two rows, and rows have to be added.
    from implicit_bias.fixed_point import _ProxyProblem, _WorkingSetProblem, constraint_system
    from implicit_bias.multiclass import make_multiclass

    H, y, _, _ = make_multiclass(3, 10, 5, 0.1, 1)
    system = constraint_system(H, y, None, 3, "cyclic")
    full, ws = _ProxyProblem(system), _WorkingSetProblem(system)
    m = system.A.shape[0]
    sample_0 = np.where(np.arange(m) < 2, 0.5, 1e-12)
    for i, c in enumerate((sample_0, np.full(m, 1 / m), np.linspace(0, 1, m) ** 4)):
        w_ref, lam_ref, D_ref = full.solve(c / c.sum())
        w, lam, D = ws.solve(c / c.sum())
        np.testing.assert_array_equal(D, D_ref)
        np.testing.assert_allclose(w, w_ref, rtol=1e-7, atol=1e-9 * np.abs(w_ref).max())
        np.testing.assert_allclose(lam, lam_ref, rtol=0, atol=1e-7 * lam_ref.max())
        assert ws.status == "optimal"
        if i == 0:  # solved on the grown working set, exact zeros off it
            assert 2 < np.count_nonzero(lam) < m
