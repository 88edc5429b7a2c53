"""Schatten norms and the spectral/nuclear max margins of implicit_bias.margins (fan2025 v4 §2-3, checks S1-S2).

Independent references: numpy's np.linalg.norm (2, 'nuc', 'fro') and a hand-written Schatten-p for the norms; for the
margins, the Fenchel dual gamma = min over the simplex r of |||sum_ic r_ic (e_y - e_c) h_i^T|||_* with the dual norm
(nuclear for the spectral margin and conversely), solved here as its own cvxpy problem on r, never on V.
"""

from __future__ import annotations

import numpy as np
import pytest

from implicit_bias import margins
from implicit_bias.margins import (
    certify_schatten,
    margin_solution_spread,
    matrix_norm,
    max_margin,
    normalized_margin,
    pair_matrix,
)
from implicit_bias.multiclass import data_bound, log_proxy, make_multiclass, min_margin, scaled_gradient

P_VALUES = (1, 1.5, 2, 3, np.inf)


def schatten_by_hand(M: np.ndarray, p: float) -> float:
    sigma = np.linalg.svd(M, compute_uv=False)
    return float(sigma.max()) if np.isinf(p) else float(np.sum(sigma**p) ** (1 / p))


def schatten_spec(p: float) -> str:
    return "schatten:inf" if np.isinf(p) else f"schatten:{p}"


@pytest.fixture(scope="module")
def small():
    """k = 3 classes, d = 4 features, n = 12 points: the SDPs and their duals solve in well under a second."""
    H, y, _, _ = make_multiclass(k=3, d=4, per_class=4, sigma=0.3, seed=2)
    return H, y


def dual_margin(H, y, norm: str) -> tuple[float, np.ndarray]:
    """gamma = min_{r in simplex} |||A^T r|||_* (fan2025 v4 §3's dual), as an independent cvxpy problem on r; (gamma,
    the minimising r)."""
    import cvxpy as cp

    A = pair_matrix(H, y)
    k = int(y.max()) + 1
    r = cp.Variable(A.shape[0], nonneg=True)
    M = cp.reshape(A.T @ r, (k, H.shape[1]), order="C")
    dual_norm = cp.normNuc(M) if norm == "spectral" else cp.sigma_max(M)
    prob = cp.Problem(cp.Minimize(dual_norm), [cp.sum(r) == 1])
    prob.solve(solver="SCS", eps_abs=1e-10, eps_rel=1e-10, max_iters=500_000)
    assert prob.status == cp.OPTIMAL
    return float(prob.value), np.asarray(r.value)


# ------------------------------------------------------------------------------------------------------ the norms
def test_matrix_norm_matches_numpy_and_a_hand_schatten_p():
    rng = np.random.default_rng(0)
    M = rng.standard_normal((4, 6))
    assert matrix_norm(M, "spectral") == pytest.approx(np.linalg.norm(M, 2), rel=1e-12)
    assert matrix_norm(M, "nuclear") == pytest.approx(np.linalg.norm(M, "nuc"), rel=1e-12)
    assert matrix_norm(M, "schatten:2") == pytest.approx(np.linalg.norm(M, "fro"), rel=1e-12)
    assert matrix_norm(M, 2) == pytest.approx(np.linalg.norm(M, "fro"), rel=1e-12)
    assert matrix_norm(M, "inf") == np.abs(M).max() and matrix_norm(M, 1) == pytest.approx(np.abs(M).sum())
    for p in P_VALUES:
        assert matrix_norm(M, schatten_spec(p)) == pytest.approx(schatten_by_hand(M, p), rel=1e-12), p
    # a stack (T, k, d) gives one norm per matrix; a zero matrix has norm 0, a NaN matrix nan
    stack = np.stack([M, 2 * M, np.zeros_like(M), np.full_like(M, np.nan)])
    got = matrix_norm(stack, "schatten:3")
    assert got[:3] == pytest.approx([schatten_by_hand(M, 3), 2 * schatten_by_hand(M, 3), 0.0], rel=1e-12)
    assert np.isnan(got[3])
    # huge entries do not overflow sigma**p
    assert matrix_norm(1e200 * M, "schatten:3") == pytest.approx(1e200 * schatten_by_hand(M, 3), rel=1e-12)


def test_schatten_specs_are_normalised_and_bad_ones_refused():
    assert margins._normalize_norm("schatten:inf") == "spectral"
    assert margins._normalize_norm(" Schatten:1 ") == "nuclear"
    assert margins._normalize_norm("schatten:2") == 2  # Frobenius = the entry-wise 2-norm
    assert margins._normalize_norm("schatten:3.0") == "schatten:3"
    assert margins._normalize_norm("schatten:1.5") == "schatten:1.5"
    for bad, message in [
        ("schatten:abc", "needs a number"),
        ("schatten:0.5", "p >= 1"),
        ("schatten:nan", "p >= 1"),
        ("frobenius", "unknown norm"),
        ("spectral-ish", "unknown norm"),
    ]:
        with pytest.raises(ValueError, match=message):
            margins._normalize_norm(bad)
    with pytest.raises(ValueError, match="matrix"):
        matrix_norm(np.ones(3), "spectral")


@pytest.mark.parametrize("spec", ["spectral", "nuclear", "schatten:3"])
def test_schatten_norms_are_refused_for_binary_vectors(spec):
    X = np.array([[1.0, 0.5], [0.5, 1.0]])
    with pytest.raises(ValueError, match="needs a multiclass"):
        max_margin(X, norm=spec)
    with pytest.raises(ValueError, match="needs a multiclass"):
        normalized_margin(np.ones(2), X, norm=spec)


def test_norm_ordering_eq7_for_both_families():
    """Spec S1: ||A||_max <= ||A|| <= ||A||_sum for every entry-wise and Schatten p-norm (fan2025 v4 eq. 7), on 1000
    random matrices of shapes (10, 25) and (25, 10); a Schatten norm of sigma^2, or of the wrong singular values,
    would break it."""
    rng = np.random.default_rng(7)
    scales = np.exp(rng.uniform(-5, 5, size=(250, 1, 1)))
    violations = 0
    for shape in [(10, 25), (25, 10)]:
        for draw in (rng.standard_normal, lambda s: rng.standard_t(1.5, size=s)):
            stack = scales * draw((250, *shape))
            low, high = matrix_norm(stack, "inf"), matrix_norm(stack, 1)
            for p in P_VALUES:
                for spec in (p if p != 1 else 1, schatten_spec(p)):
                    value = matrix_norm(stack, spec)
                    violations += int(np.sum(value < low * (1 - 1e-12)) + np.sum(value > high * (1 + 1e-12)))
    assert violations == 0
    # rank one: every Schatten norm equals sigma_1 = ||u|| ||v||, while the max-norm is smaller (ordering is strict)
    u, v = rng.standard_normal(10), rng.standard_normal(25)
    R = np.outer(u, v)
    assert matrix_norm(R, "nuclear") == pytest.approx(np.linalg.norm(u) * np.linalg.norm(v), rel=1e-12)
    assert matrix_norm(R, "inf") < matrix_norm(R, "spectral") < matrix_norm(R, 1)


# --------------------------------------------------------------------------------------------- the max margins
@pytest.mark.parametrize("norm", ["spectral", "nuclear"])
def test_schatten_max_margin_equals_the_independent_dual(small, norm):
    H, y = small
    sol = max_margin(H, y, norm)
    dual, _ = dual_margin(H, y, norm)
    assert sol.gamma == pytest.approx(dual, rel=1e-6, abs=0)
    assert sol.status == "optimal" and sol.solver == "SCS"
    assert 0 <= sol.certificate_gap <= margins.SCHATTEN_GAP_RTOL
    # the direction has unit norm, and its margin computed from the logits (not the pair matrix) is gamma
    assert matrix_norm(sol.w, norm) == pytest.approx(1, rel=1e-12)
    assert min_margin(sol.w, H, y) == pytest.approx(sol.gamma, rel=1e-9)
    assert normalized_margin(sol.w, H, y, norm) == pytest.approx(sol.gamma, rel=1e-9)
    # the canonical representative: 1^T V = 0
    assert np.abs(sol.w.sum(axis=0)).max() < 1e-6
    # the spectral and nuclear margins are not the entry-wise 2 one (nor each other)
    assert abs(sol.gamma - max_margin(H, y, 2).gamma) > 1e-3


def test_clarabel_solves_the_spectral_margin_to_the_same_certified_value(small):
    H, y = small
    scs, clarabel = max_margin(H, y, "spectral"), max_margin(H, y, "spectral", solver="clarabel")
    assert clarabel.solver == "CLARABEL" and clarabel.status in ("optimal", "optimal_inaccurate")
    assert clarabel.gamma == pytest.approx(scs.gamma, rel=1e-6)


def test_schatten_spectral_dual_separates_from_the_nuclear_one(small):
    """The two duals really differ: the nuclear-norm margin is below the spectral one (|||V|||_nuc >= sigma_max)."""
    H, y = small
    spectral, nuclear = max_margin(H, y, "spectral"), max_margin(H, y, "nuclear")
    assert nuclear.gamma < spectral.gamma * (1 - 1e-3)
    assert spectral.gamma <= dual_margin(H, y, "spectral")[0] * (1 + 1e-6)


def test_unsupported_schatten_p_and_solvers_are_refused(small):
    H, y = small
    with pytest.raises(ValueError, match=r"no cvxpy atom.*'spectral'.*'nuclear'"):
        max_margin(H, y, "schatten:3")
    with pytest.raises(ValueError, match="SDP: solver must be one of"):
        max_margin(H, y, "spectral", solver="HIGHS")
    # but Schatten-2 is the entry-wise 2 margin, and any Schatten-p is a metric
    assert max_margin(H, y, "schatten:2").gamma == pytest.approx(max_margin(H, y, 2).gamma, rel=1e-12)
    assert np.isfinite(normalized_margin(np.ones((3, 4)), H, y, "schatten:3"))


@pytest.mark.parametrize("solver", ["SCS", "CLARABEL"])
def test_inseparable_data_are_a_value_error_for_the_sdp_too(solver):
    H = np.array([[1.0, 0], [1, 0], [0, 1], [0, 1], [1, 1], [1, 1]])  # every point twice, with two labels
    with pytest.raises(ValueError, match="not linearly separable"):
        max_margin(H, np.array([0, 1, 1, 2, 2, 0]), "spectral", solver=solver)


def test_the_vec_is_row_major_a_column_major_reshape_fails_the_certificate(small, monkeypatch):
    """pair_matrix vectorises (k, d) row by row; cvxpy's reshape defaults to column-major. Solving with the wrong
    order pairs the constraints with transposed entries: the solver's optimum then is not the margin of the returned
    direction, and the certificate refuses it."""
    import cvxpy as cp

    H, y = small

    def column_major(shape):
        v = cp.Variable(int(np.prod(shape)))
        V = cp.reshape(v, shape, order="F")
        return v, V, [cp.sum(V, axis=0) == 0]

    monkeypatch.setattr(margins, "_schatten_variable", column_major)
    with pytest.raises(RuntimeError, match="certificate failed"):
        max_margin(H, y, "spectral")


def test_the_certificate_fires_on_a_wrong_solver_value(small, monkeypatch):
    import cvxpy as cp

    H, y = small
    real = cp.Problem.value
    monkeypatch.setattr(cp.Problem, "value", property(lambda self: 1.001 * real.fget(self)))
    with pytest.raises(RuntimeError, match="differs from the solver's optimum"):
        max_margin(H, y, "spectral")


def test_the_certificate_fires_on_a_weak_dual_and_on_a_poor_solution(small):
    H, y = small
    sol = max_margin(H, y, "spectral")
    A = pair_matrix(H, y)
    scale = np.abs(A).max()
    A_hat = A / scale
    v = sol.w.ravel() / (sol.gamma / scale)  # A_hat v >= 1 with equality on the support pairs
    gamma_hat = sol.gamma / scale
    shape = sol.w.shape
    # uniform multipliers: a valid but loose dual bound
    with pytest.raises(RuntimeError, match="dual bound"):
        certify_schatten(A_hat, v, np.ones(A.shape[0]), gamma_hat, "spectral", shape)
    with pytest.raises(RuntimeError, match="no positive multiplier"):
        certify_schatten(A_hat, v, -np.ones(A.shape[0]), gamma_hat, "spectral", shape)
    # a direction that is not optimal: its margin is not the claimed optimum
    rng = np.random.default_rng(0)
    with pytest.raises(RuntimeError, match="differs from the solver's optimum"):
        certify_schatten(
            A_hat, v + 0.05 * rng.standard_normal(v.size), np.ones(A.shape[0]), gamma_hat, "spectral", shape
        )


# ------------------------------------------------------------------------------------------- (non-)uniqueness
def test_spread_finds_the_flat_spectrum_non_unique_and_the_strictly_convex_unique(small):
    H, y = small
    spectral = margin_solution_spread(H, y, "spectral")
    assert not spectral.unique and spectral.cosine < 0.99
    # the other solution is a max-margin solution too: certified margin, unit norm
    assert spectral.gamma_farthest == pytest.approx(spectral.solution.gamma, rel=2e-6)
    assert min_margin(spectral.farthest, H, y) == pytest.approx(spectral.gamma_farthest, rel=1e-9)
    assert matrix_norm(spectral.farthest, "spectral") == pytest.approx(1, rel=1e-12)
    two = margin_solution_spread(H, y, 2)
    assert two.unique and two.cosine > 1 - 1e-6


def test_spread_of_the_linf_margin_on_binary_data_with_and_without_a_free_coordinate():
    """A feature that is zero on every sample leaves its weight free within the max-norm ball: V_inf is not unique.
    Without it the LP's vertex is unique on generic data."""
    rng = np.random.default_rng(3)
    X = np.abs(rng.standard_normal((12, 4))) + 0.1
    assert margin_solution_spread(X, norm="inf").unique
    free = np.hstack([X, np.zeros((12, 1))])
    spread = margin_solution_spread(free, norm="inf")
    assert not spread.unique and spread.gamma_farthest == pytest.approx(spread.solution.gamma, rel=2e-6)
    assert margin_solution_spread(free, norm=2).unique


def test_spread_reuses_a_given_solution_and_refuses_a_mismatched_one(small):
    H, y = small
    sol = max_margin(H, y, 2)
    assert margin_solution_spread(H, y, 2, solution=sol).solution is sol
    with pytest.raises(ValueError, match="not 'inf'"):
        margin_solution_spread(H, y, "inf", solution=sol)
    with pytest.raises(ValueError, match="slack"):
        margin_solution_spread(H, y, 2, solution=sol, slack=0.5)


# --------------------------------------------------------------------------------------------- Lemma 1, spectral
def lemma1_ratios(H, y, gamma: float, dual: str, Ws: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """log(|||grad L(W)|||_dual / (gamma G(W))) and log(2B G(W) / |||grad L(W)|||_dual), in logs (grad L = e^C g)
    so that large margins, a gradient of 1e-300, compare exactly."""
    B = data_bound(H)
    lower, upper = [], []
    for W in Ws:
        C, ghat = scaled_gradient(W, H, y)
        log_grad = C + np.log(matrix_norm(ghat, dual))
        log_G = log_proxy(W, H, y)
        lower.append(log_grad - np.log(gamma) - log_G)
        upper.append(np.log(2 * B) + log_G - log_grad)
    return np.array(lower), np.array(upper)


def lemma1_matrices(H, y, rng) -> list[np.ndarray]:
    """400 matrices W = s N(0, 1) and s (V_spec + 0.3 N), s log-uniform in [1e-3, 30] (spec S2), and 40 on which
    the lower bound is nearly tight: -grad L / G is the average of (e_y - e_c) h_i^T under the loss weights, whose
    nuclear norm is gamma_spec exactly at the dual optimum r* (fan2025 v4 §3). W = s V_spec + D, s large, with D
    solving (e_y - e_c)^T D h_i = -log r*_ic on the support pairs, puts the weights at r*."""
    k, d = int(y.max()) + 1, H.shape[1]
    V = max_margin(H, y, "spectral").w
    Ws = []
    for i in range(400):
        s = float(np.exp(rng.uniform(np.log(1e-3), np.log(30))))
        Ws.append(s * (rng.standard_normal((k, d)) if i % 2 else V + 0.3 * rng.standard_normal((k, d))))
    _, r = dual_margin(H, y, "spectral")
    support = r > 1e-6 * r.max()
    D = np.linalg.lstsq(pair_matrix(H, y)[support], -np.log(r[support]), rcond=None)[0].reshape(k, d)
    Ws += [s * V + D for s in np.geomspace(50, 5000, 40)]
    return Ws


def test_lemma1_and_lemma3i_for_the_spectral_norm_and_that_a_wrong_gamma_breaks_them():
    """Spec S2: gamma_spec G(W) <= |||grad L(W)|||_nuc <= 2B G(W) (fan2025 v4 Lemmas 1 and 3(i)). The lower bound is
    tight near the dual optimum, so a 1.5x gamma, or the Frobenius norm in place of the nuclear dual, violates it:
    the check can fail. (k = 4 classes: the dual optimum A^T r* has rank 3 here, so its Frobenius norm is well below
    its nuclear norm; at k = 3 it can be rank one, where the two agree.)"""
    H, y, _, _ = make_multiclass(k=4, d=6, per_class=5, sigma=0.3, seed=1)
    gamma = max_margin(H, y, "spectral").gamma
    Ws = lemma1_matrices(H, y, np.random.default_rng(0))
    lower, upper = lemma1_ratios(H, y, gamma, "nuclear", Ws)
    assert np.all(lower >= -1e-9) and np.all(upper >= -1e-9)
    assert np.exp(lower.min()) < 1.01  # tight: gamma_spec is the largest constant that works

    wrong_gamma, _ = lemma1_ratios(H, y, 1.5 * gamma, "nuclear", Ws)
    assert np.sum(wrong_gamma < 0) >= 20
    frobenius, _ = lemma1_ratios(H, y, gamma, 2, Ws)
    assert np.sum(frobenius < 0) >= 20


def test_the_spec_reference_values_on_its_own_data():
    """fan2025 v4 §3 "Reference values [N]" (the spec's standalone script's data, seed 0, not `make_multiclass`'s
    seeding): gamma_spec = 3.4938, gamma_nuc = 0.4783, gamma_2 = 1.3377."""
    rng = np.random.default_rng(0)
    mu = rng.standard_normal((10, 25))
    H = np.repeat(mu, 50, 0) + 0.1 * rng.standard_normal((500, 25))
    y = np.repeat(np.arange(10), 50)
    # Clarabel (optimal_inaccurate, certified) takes ~2 s here, SCS 5-15 s
    assert max_margin(H, y, "spectral", solver="CLARABEL").gamma == pytest.approx(3.4938, abs=5e-5)
    assert max_margin(H, y, "nuclear").gamma == pytest.approx(0.4783, abs=5e-5)
    assert max_margin(H, y, "schatten:2").gamma == pytest.approx(1.3377, abs=5e-5)
