"""Tests for implicit_bias.margins (max-margin references and margin metrics).

Independent references used here (none of them goes through cvxpy):
* l2: Lawson-Hanson least-distance programming (LDP) via scipy ``nnls``,
  an exact active-set method for min ||v|| s.t. A v >= 1;
* l_inf / l_1: scipy ``linprog`` on the epigraph form max tau s.t.
  A v >= tau, ||v|| <= 1 (a different LP from the min-norm one we solve).
"""

from __future__ import annotations

import dataclasses
import itertools
import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog, nnls

from implicit_bias.margins import (
    MaxMarginSolution,
    cosine,
    max_margin,
    normalized_margin,
    pair_matrix,
)

GR = np.array([[1, 1, 1, 1], [2, 2, 2, -2], [3, 3, -3, -3], [4, -4, 4, -4]], dtype=np.float64)


def shifted_diagonal(delta=0.1, a=(1.0, 2.0, 4.0, 8.0)):
    """baek2025 Example 4.11: x_i = delta*1 + (a_i - delta) e_i."""
    a = np.asarray(a, dtype=np.float64)
    return delta * np.ones((a.size, a.size)) + np.diag(a - delta)


def gaussian(seed, n=10, d=50):
    return np.random.default_rng(seed).standard_normal((n, d))


def multiclass_data(seed, k=3, d=4, per_class=4, sigma=0.1):
    """Well-separated Gaussian clusters (fan2025 §3 generator, scaled down)."""
    rng = np.random.default_rng(seed)
    centres = 3.0 * rng.standard_normal((k, d))
    y = np.repeat(np.arange(k), per_class)
    H = centres[y] + sigma * rng.standard_normal((k * per_class, d))
    return H, y


# --------------------------------------------------------------------------
# independent references
# --------------------------------------------------------------------------


def ldp_min_norm(A, h=None):
    """min ||v||_2 s.t. A v >= h by Lawson-Hanson LDP (Solving Least Squares
    Problems, ch. 23): u = NNLS([A^T; h^T], e_last), r = E u - f, v = -r[:-1]/r[-1].
    Returns (v, lam) with v = A^T lam, lam >= 0 the multipliers of
    min 1/2||v||^2."""
    A = np.asarray(A, dtype=np.float64)
    m, n = A.shape
    h = np.ones(m) if h is None else h
    E = np.vstack([A.T, h[None, :]])
    f = np.zeros(n + 1)
    f[-1] = 1.0
    u, _ = nnls(E, f, maxiter=50 * (n + m))
    r = E @ u - f
    assert abs(r[-1]) > 1e-12, "LDP reports infeasible constraints"
    v = -r[:-1] / r[-1]
    lam = -u / r[-1]
    return v, lam


def linprog_margin(A, norm):
    """max tau s.t. A v >= tau, ||v||_norm <= 1 (norm 'inf' or 1) with linprog."""
    m, n = A.shape
    if norm == "inf":
        # variables (v, tau); -A v + tau <= 0; -1 <= v <= 1.
        c = np.zeros(n + 1)
        c[-1] = -1.0
        A_ub = np.hstack([-A, np.ones((m, 1))])
        bounds = [(-1, 1)] * n + [(None, None)]
        res = linprog(c, A_ub=A_ub, b_ub=np.zeros(m), bounds=bounds, method="highs")
    else:
        # v = p - q, p, q >= 0, sum(p + q) <= 1.
        c = np.zeros(2 * n + 1)
        c[-1] = -1.0
        A_ub = np.vstack(
            [
                np.hstack([-A, A, np.ones((m, 1))]),
                np.hstack([np.ones((1, 2 * n)), np.zeros((1, 1))]),
            ]
        )
        b_ub = np.concatenate([np.zeros(m), [1.0]])
        bounds = [(0, None)] * (2 * n) + [(None, None)]
        res = linprog(c, A_ub=A_ub, b_ub=b_ub, bounds=bounds, method="highs")
    assert res.status == 0, res.message
    return -res.fun


# --------------------------------------------------------------------------
# pair_matrix
# --------------------------------------------------------------------------


def test_pair_matrix_explicit_rows():
    H = np.array([[1.0, 2.0], [3.0, 5.0], [7.0, 11.0]])
    A = pair_matrix(H, np.array([1, 0, 2]), num_classes=3)
    # rows vec((e_y - e_c) h^T) for each sample and c != y, c ascending (row-major flatten of 3 x 2)
    expected = np.array(
        [
            [-1, -2, 1, 2, 0, 0],  # sample 0 (y = 1), c = 0
            [0, 0, 1, 2, -1, -2],  # c = 2
            [3, 5, -3, -5, 0, 0],  # sample 1 (y = 0), c = 1
            [3, 5, 0, 0, -3, -5],  # c = 2
            [-7, -11, 0, 0, 7, 11],  # sample 2 (y = 2), c = 0
            [0, 0, -7, -11, 7, 11],  # c = 1
        ],
        dtype=float,
    )
    np.testing.assert_array_equal(A, expected)


def test_pair_matrix_is_pairwise_margin():
    H, y = multiclass_data(0, k=4, d=3, per_class=2)
    A = pair_matrix(H, y)
    assert A.shape == (8 * 3, 4 * 3)
    V = np.random.default_rng(1).standard_normal((4, 3))
    got = A @ V.ravel()
    expected = [(V[y[i]] - V[c]) @ H[i] for i in range(len(y)) for c in range(4) if c != y[i]]
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)


def test_an_empty_class_is_refused():
    """Spec §1: every class has a point. A class with none, whether `num_classes` counts it or a larger label implies
    it, is a ValueError naming it (padding it in silently would train on a class with no point)."""
    H, y = multiclass_data(0, k=2, d=3, per_class=2)
    with pytest.raises(ValueError, match=r"classes \[2, 3, 4\] have no samples"):
        pair_matrix(H, y, num_classes=5)
    with pytest.raises(ValueError, match=r"classes \[1\] have no samples"):
        max_margin(H, np.where(y == 1, 2, y), norm="inf")
    with pytest.raises(ValueError, match=r"classes \[2\] have no samples"):
        normalized_margin(np.ones((3, 3)), H, y)  # k = 3 rows of W
    assert pair_matrix(H, y, num_classes=2).shape == (4, 2 * 3)


@pytest.mark.parametrize(
    "H, y, match",
    [
        (np.ones(3), [0, 1, 0], "2-D"),
        (np.ones((3, 2)), [0, 1], "labels"),
        (np.ones((3, 2)), [0, -1, 1], "negative"),
        (np.ones((3, 2)), [0, 0.5, 1], "integer"),
        (np.ones((3, 2)), [0, 0, 0], "at least 2 classes"),
        (np.ones((3, 2)), np.ones((3, 1), dtype=int), "1-D"),
        (np.full((3, 2), np.nan), [0, 1, 0], "NaN"),
    ],
)
def test_pair_matrix_validation(H, y, match):
    with pytest.raises(ValueError, match=match):
        pair_matrix(H, y)


def test_pair_matrix_label_exceeds_num_classes():
    with pytest.raises(ValueError, match="num_classes"):
        pair_matrix(np.ones((3, 2)), [0, 1, 2], num_classes=2)


# --------------------------------------------------------------------------
# max_margin: l2
# --------------------------------------------------------------------------


@pytest.mark.parametrize("X", [GR, shifted_diagonal(), gaussian(0), gaussian(1)])
def test_l2_kkt_and_matches_ldp(X):
    sol = max_margin(X, norm=2)
    assert isinstance(sol, MaxMarginSolution)
    assert sol.solver == "CLARABEL" and sol.status == "optimal" and sol.norm == 2
    assert np.linalg.norm(sol.w) == pytest.approx(1.0, abs=1e-12)
    v = sol.w / sol.gamma  # unnormalised minimiser of ||v|| s.t. X v >= 1

    # KKT: v = sum_i lam_i x_i with lam >= 0 supported on the active set.
    m = X @ v
    assert m.min() >= 1 - 1e-8
    active = m < 1 + 1e-7
    lam_S, _ = nnls(X[active].T, v)
    np.testing.assert_allclose(X[active].T @ lam_S, v, atol=1e-7)

    # Independent exact formulation (Lawson-Hanson LDP).
    v_ref, lam_ref = ldp_min_norm(X)
    np.testing.assert_allclose(v, v_ref, rtol=1e-6, atol=1e-8)
    assert sol.gamma == pytest.approx(1 / np.linalg.norm(v_ref), rel=1e-7)
    # complementary slackness of the reference duals against our primal
    assert np.max(np.abs(lam_ref * (X @ v - 1))) < 1e-7


def test_l2_gr_direction_matches_spec():
    # baek2025 §4: GR l2 max-margin is proportional to (1, .684, .579, .263).
    w = max_margin(GR, norm=2).w
    np.testing.assert_allclose(w / w[0], [1, 0.684, 0.579, 0.263], atol=2e-3)


def test_l2_shifted_diagonal_direction_matches_spec():
    w = max_margin(shifted_diagonal(), norm=2).w
    np.testing.assert_allclose(w / w[0], [1, 0.474, 0.231, 0.119], atol=2e-3)


def test_l2_invariant_to_data_scale():
    base = max_margin(GR, norm=2)
    for s in (1e-3, 1e3):
        sol = max_margin(s * GR, norm=2)
        np.testing.assert_allclose(sol.w, base.w, atol=1e-8)
        assert sol.gamma == pytest.approx(s * base.gamma, rel=1e-8)


# --------------------------------------------------------------------------
# max_margin: l_inf, l_1, general p
# --------------------------------------------------------------------------


@pytest.mark.parametrize("X", [GR, shifted_diagonal(), gaussian(0), gaussian(2)])
def test_linf_matches_linprog(X):
    sol = max_margin(X, norm="inf")
    assert sol.solver == "HIGHS" and sol.status == "optimal" and sol.norm == "inf"
    assert np.max(np.abs(sol.w)) == pytest.approx(1.0, abs=1e-12)
    assert sol.gamma == pytest.approx(linprog_margin(X, "inf"), rel=1e-8)


def test_linf_interior_point_agrees_with_simplex():
    # engineering.md §3: cross-check HiGHS (vertex) against Clarabel (interior).
    X = gaussian(0)
    a = max_margin(X, norm="inf")
    b = max_margin(X, norm="inf", solver="clarabel")
    assert b.solver == "CLARABEL"
    assert a.gamma == pytest.approx(b.gamma, rel=1e-7)


def test_linf_gr_margin():
    # GR l_inf direction (1, 1, .875, .125) has margin 3 (baek2025 §4).
    sol = max_margin(GR, norm="inf")
    assert sol.gamma == pytest.approx(3.0, rel=1e-9)
    w_spec = np.array([1, 1, 0.875, 0.125])
    assert normalized_margin(w_spec, GR, norm="inf") == pytest.approx(sol.gamma, rel=1e-9)


def test_linf_shifted_diagonal_is_ones():
    # baek2025 Example 4.11: unique l_inf solution proportional to 1,
    # margin a_0 + (N-1) delta = 1.3.
    sol = max_margin(shifted_diagonal(0.1), norm="inf")
    np.testing.assert_allclose(sol.w, np.ones(4), atol=1e-9)
    assert sol.gamma == pytest.approx(1.3, rel=1e-10)


@pytest.mark.parametrize("alias", ["inf", "max", "INF", np.inf, float("inf")])
def test_inf_aliases(alias):
    sol = max_margin(GR, norm=alias)
    assert sol.norm == "inf"
    assert sol.gamma == pytest.approx(3.0, rel=1e-9)


@pytest.mark.parametrize("X", [GR, gaussian(0)])
def test_l1_matches_linprog(X):
    sol = max_margin(X, norm=1)
    assert sol.norm == 1.0 and sol.solver == "HIGHS"
    assert np.sum(np.abs(sol.w)) == pytest.approx(1.0, abs=1e-12)
    assert sol.gamma == pytest.approx(linprog_margin(X, 1), rel=1e-8)


@pytest.mark.parametrize("X", [GR, gaussian(1, n=6, d=8)])
def test_general_p_sandwich(X):
    # ||w||_inf <= ||w||_p <= ||w||_q for p >= q, so unit balls grow with p
    # and gamma_1 <= gamma_1.5 <= gamma_2 <= gamma_3 <= gamma_inf.
    ps = [1, 1.5, 2, 3, "inf"]
    sols = [max_margin(X, norm=p) for p in ps]
    gammas = [s.gamma for s in sols]
    assert all(g1 <= g2 * (1 + 1e-8) for g1, g2 in itertools.pairwise(gammas))
    for p, s in zip(ps, sols):
        assert s.status == "optimal"
        assert normalized_margin(s.w, X, norm=p) == pytest.approx(s.gamma, rel=1e-6)
    assert sols[3].solver == "CLARABEL" and sols[3].norm == 3.0


def test_p2_float_alias():
    assert max_margin(GR, norm=2.0).norm == 2


# --------------------------------------------------------------------------
# max_margin: errors
# --------------------------------------------------------------------------


@pytest.mark.parametrize("norm", [2, "inf", 1, 3])
def test_non_separable_raises(norm):
    X = np.vstack([gaussian(0, n=3, d=5), -gaussian(0, n=1, d=5)])  # x and -x
    with pytest.raises(ValueError, match="separable"):
        max_margin(X, norm=norm)


def test_zero_sample_not_separable():
    with pytest.raises(ValueError, match="separable"):
        max_margin(np.array([[1.0, 2.0], [0.0, 0.0]]))


@pytest.mark.parametrize("norm", [2, "inf"])
def test_multiclass_non_separable_raises(norm):
    H = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    with pytest.raises(ValueError, match="separable"):
        max_margin(H, np.array([0, 1, 1]), norm=norm)


@pytest.mark.parametrize(
    "X, match",
    [
        (np.ones(4), "2-D"),
        (np.ones((2, 2, 2)), "2-D"),
        (np.zeros((0, 3)), "non-empty"),
        (np.zeros((3, 0)), "non-empty"),
        (np.array([[1.0, np.nan]]), "NaN"),
        (np.array([[1.0, np.inf]]), "inf"),
        (np.array([[1.0 + 1j, 2.0]]), "complex"),
    ],
)
def test_bad_data_raises(X, match):
    with pytest.raises(ValueError, match=match):
        max_margin(X)


@pytest.mark.parametrize("norm", ["fro", "l2", 0.5, 0, -1, np.nan, None, True])
def test_unknown_norm_raises(norm):
    with pytest.raises(ValueError, match="norm"):
        max_margin(GR, norm=norm)


def test_multiclass_bad_labels_raise():
    H, y = multiclass_data(0)
    with pytest.raises(ValueError, match="labels"):
        max_margin(H, y[:-1])
    with pytest.raises(ValueError, match="num_classes"):
        max_margin(H, y, num_classes=2)
    with pytest.raises(ValueError, match="multiclass"):
        max_margin(H, num_classes=3)


def test_solution_is_frozen():
    sol = max_margin(GR)
    with pytest.raises(dataclasses.FrozenInstanceError):
        sol.gamma = 0.0


# --------------------------------------------------------------------------
# multiclass
# --------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_multiclass_linf_matches_linprog(seed):
    H, y = multiclass_data(seed)
    sol = max_margin(H, y, "inf")
    assert sol.w.shape == (3, 4)
    assert np.max(np.abs(sol.w)) == pytest.approx(1.0, abs=1e-12)
    A = pair_matrix(H, y)
    assert sol.gamma == pytest.approx(linprog_margin(A, "inf"), rel=1e-8)
    assert normalized_margin(sol.w, H, y, norm="inf") == pytest.approx(sol.gamma, rel=1e-8)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_multiclass_l2_matches_ldp(seed):
    H, y = multiclass_data(seed)
    sol = max_margin(H, y, 2)
    assert sol.w.shape == (3, 4)
    assert np.linalg.norm(sol.w) == pytest.approx(1.0, abs=1e-12)  # Frobenius
    assert normalized_margin(sol.w, H, y, norm=2) == pytest.approx(sol.gamma, rel=1e-7)
    v_ref, _ = ldp_min_norm(pair_matrix(H, y))
    np.testing.assert_allclose(sol.w / sol.gamma, v_ref.reshape(3, 4), rtol=1e-6, atol=1e-8)


def test_multiclass_margin_dominates_random_classifiers():
    H, y = multiclass_data(0)
    for norm in (2, "inf"):
        gamma = max_margin(H, y, norm).gamma
        Ws = np.random.default_rng(3).standard_normal((200, 3, 4))
        assert np.all(normalized_margin(Ws, H, y, norm=norm) <= gamma + 1e-9)


# --------------------------------------------------------------------------
# normalized_margin and cosine
# --------------------------------------------------------------------------


def test_normalized_margin_binary_values():
    X = np.array([[1.0, 0.0], [0.0, 2.0]])
    assert normalized_margin([3.0, 4.0], X) == pytest.approx(3.0 / 5.0)
    assert normalized_margin([3.0, 4.0], X, norm="inf") == pytest.approx(3.0 / 4.0)
    assert normalized_margin([3.0, 4.0], X, norm=1) == pytest.approx(3.0 / 7.0)
    assert normalized_margin([3.0, 4.0], X, norm=3) == pytest.approx(3.0 / (27 + 64) ** (1 / 3))


def test_normalized_margin_batch_and_zero_rows():
    X = gaussian(0, n=5, d=3)
    ws = np.random.default_rng(1).standard_normal((6, 3))
    ws[2] = 0.0
    for norm in (2, "inf", 1, 3):
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            batch = normalized_margin(ws, X, norm=norm)
        assert batch.shape == (6,)
        assert np.isnan(batch[2])
        single = [normalized_margin(w, X, norm=norm) for w in ws]
        np.testing.assert_allclose(batch, single, rtol=1e-14)
        # positive homogeneity: margin of 7w equals margin of w
        np.testing.assert_allclose(normalized_margin(7.0 * ws, X, norm=norm), batch, rtol=1e-12)


def test_normalized_margin_multiclass_matches_pair_matrix():
    H, y = multiclass_data(1, k=4, d=3)
    A = pair_matrix(H, y)
    Ws = np.random.default_rng(2).standard_normal((5, 4, 3))
    Ws[0] = 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = normalized_margin(Ws, H, y, norm="inf")
    expected = [np.min(A @ W.ravel()) / np.max(np.abs(W)) for W in Ws[1:]]
    assert np.isnan(got[0])
    np.testing.assert_allclose(got[1:], expected, rtol=1e-12)
    assert normalized_margin(Ws[1], H, y, norm="inf") == pytest.approx(expected[0], rel=1e-12)


def test_normalized_margin_shape_errors():
    with pytest.raises(ValueError, match="shape"):
        normalized_margin(np.ones(3), np.ones((2, 4)))
    with pytest.raises(ValueError, match="shape"):
        normalized_margin(np.ones(4), np.ones((2, 4)), y=[0, 1])


def test_cosine_values_and_batch():
    b = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert cosine(b, b) == pytest.approx(1.0)
    assert cosine(-b, b) == pytest.approx(-1.0)
    a = np.stack([b, np.array([[0.0, 1.0], [1.0, 0.0]]), np.zeros((2, 2)), 3 * b + np.eye(2)])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = cosine(a, b)
    assert got.shape == (4,)
    np.testing.assert_allclose(got[[0, 1, 3]], [1.0, 0.0, 1.0], atol=1e-15)
    assert np.isnan(got[2])
    x, z = np.array([1.0, 2.0, 2.0]), np.array([2.0, 0.0, 1.0])
    assert cosine(x, z) == pytest.approx(4.0 / (3.0 * np.sqrt(5.0)), rel=1e-14)


def test_cosine_no_overflow_and_shape_error():
    assert cosine(np.array([1e200, 0.0]), np.array([1e200, 1e200])) == pytest.approx(1 / np.sqrt(2), rel=1e-14)
    with pytest.raises(ValueError, match="shapes"):
        cosine(np.ones(3), np.ones(4))


# --------------------------------------------------------------------------
# property tests
# --------------------------------------------------------------------------


@st.composite
def separable_binary(draw):
    n = draw(st.integers(1, 6))
    d = draw(st.integers(1, 5))
    G = draw(hnp.arrays(np.float64, (n, d), elements=st.floats(-3, 3)))
    scale = draw(st.sampled_from([1e-2, 1.0, 1e2]))
    # |G| + 0.1 > 0 entry-wise, so w = 1 separates: always feasible.
    X = scale * (np.abs(G) + 0.1)
    W = draw(hnp.arrays(np.float64, (4, d), elements=st.floats(-1, 1, allow_subnormal=False)))
    return X, W


@settings(max_examples=30, deadline=None)
@given(separable_binary())
def test_property_max_margin_is_attained_and_maximal(data):
    X, W = data
    for norm in (2, "inf"):
        sol = max_margin(X, norm=norm)
        assert normalized_margin(sol.w, X, norm=norm) == pytest.approx(sol.gamma, rel=1e-6)
        others = normalized_margin(W, X, norm=norm)
        others = others[~np.isnan(others)]
        assert np.all(others <= sol.gamma + 1e-9 * max(1.0, sol.gamma))


@pytest.mark.parametrize(
    "status, exc, match",
    [
        ("optimal_inaccurate", RuntimeError, "CLARABEL"),
        ("infeasible_inaccurate", ValueError, "separable"),
        ("solver_error", RuntimeError, "CLARABEL"),
        ("unbounded", RuntimeError, "unbounded"),
    ],
)
def test_only_optimal_status_is_accepted(monkeypatch, status, exc, match):
    # Force the status the solver reports; OPTIMAL_INACCURATE must not slip through.
    import implicit_bias.margins as mm

    real_solve = mm._solve

    def fake_solve(prob, solver):
        real_solve(prob, solver)
        prob._status = status  # cvxpy stores the reported status here

    monkeypatch.setattr(mm, "_solve", fake_solve)
    with pytest.raises(exc, match=match):
        max_margin(GR, norm=2)


def test_an_lp_solve_prints_nothing(python_process):
    """A fresh process solving the ℓ∞ max-margin LP (cvxpy -> HiGHS) writes nothing to its stdout or stderr: HiGHS's
    banner, printed below Python by the first solver a process constructs, is swallowed (it flooded the console,
    once per data set and reference job)."""
    code = (
        "from implicit_bias import gaussian\n"
        "from implicit_bias.margins import max_margin\n"
        "assert max_margin(gaussian(10, 50, 0), norm='inf').gamma > 0\n"
    )
    proc = python_process(code)
    assert (proc.stdout, proc.stderr) == ("", "")
