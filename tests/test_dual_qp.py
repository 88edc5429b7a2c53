"""Tests for implicit_bias.dual_qp, the certified dual active-set solver of P(c), and `proxy_fixed_point`'s `solver`
keyword. The reference is the cvxpy/Clarabel path (`_ProxyProblem`, `solver="clarabel"`): every comparison is at
Clarabel's accuracy (its interior-point duals are good to ~1e-8 relative here; the active-set ones to ~1e-14)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import implicit_bias.fixed_point as fixed_point
from implicit_bias.dual_qp import certify_dual, solve_dual_active_set
from implicit_bias.fixed_point import (
    _ActiveSetProblem,
    _data_scale,
    _ProxyProblem,
    _WorkingSetProblem,
    constraint_system,
    proxy_fixed_point,
)
from implicit_bias.margins import cosine
from implicit_bias.multiclass import make_multiclass


def gaussian(seed, n=10, d=50):
    return np.random.default_rng(seed).standard_normal((n, d))


def teacher(seed, n=60, d=8):
    """N > d: Gaussian rows labelled (absorbed) by a random teacher, so separable with many more rows than columns."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    return X * np.sign(X @ rng.standard_normal(d))[:, None]


def _multiclass(seed=1):
    H, y, _, _ = make_multiclass(3, 10, 5, 0.1, seed)
    return H, y


CASES = {
    "binary N<d": (gaussian(0), {}),
    "binary N>d": (teacher(0), {}),
    "cyclic b=2": (gaussian(1), dict(batch_size=2)),
    "reshuffle b=5": (gaussian(2), dict(batch_size=5, sampling="reshuffle")),
    "replacement b=3": (gaussian(3), dict(batch_size=3, sampling="replacement")),
    "multiclass": (_multiclass()[0], dict(y=_multiclass()[1])),
    "multiclass cyclic b=3": (_multiclass()[0], dict(y=_multiclass()[1], batch_size=3)),
}


def _system(X, kwargs):
    return constraint_system(X, kwargs.get("y"), None, kwargs.get("batch_size", 1), kwargs.get("sampling", "cyclic"))


def _weights(m, seed):
    rng = np.random.default_rng(seed)
    return [np.full(m, 1.0 / m), rng.dirichlet(np.ones(m)), rng.dirichlet(np.full(m, 0.2))]


@pytest.mark.parametrize("case", list(CASES))
def test_active_set_solve_matches_clarabel(case):
    X, kwargs = CASES[case]
    system = _system(X, kwargs)
    reference, active = _ProxyProblem(system), _ActiveSetProblem(system, _ProxyProblem)
    for c in _weights(system.A.shape[0], 0):
        w_ref, lam_ref, D_ref = reference.solve(c)
        w, lam, D = active.solve(c)  # warm-started from the previous c's solution after the first
        np.testing.assert_array_equal(D, D_ref)
        # Clarabel stops at a KKT residual ~1e-11 (its tolerances, in the rescaled data) that leaves w good to ~1e-7
        # relative and its duals to ~1e-6 (inactive ones at ~1e-8 instead of 0); the active-set one
        # stops at ~1e-15-1e-12.
        A, scale = system.A / reference.scale, reference.scale
        assert certify_dual(A, D / scale, w * scale, lam * scale)[0] < 1e-11
        np.testing.assert_allclose(w, w_ref, rtol=0, atol=1e-6 * np.abs(w_ref).max())
        np.testing.assert_allclose(lam, lam_ref, rtol=0, atol=1e-5 * lam_ref.max())
        assert np.all(lam >= 0) and np.all(lam[lam_ref < 1e-9 * lam_ref.max()] == 0)  # exact zeros off the support
        assert active.solver == "ACTIVE_SET" and active.status == "optimal"
    assert active.fallbacks == 0


@pytest.mark.parametrize("case", list(CASES))
def test_fixed_point_with_the_active_set_solver_is_clarabels(case):
    X, kwargs = CASES[case]
    ref = proxy_fixed_point(X, tol=1e-9, max_iter=400, solver="clarabel", **kwargs)
    new = proxy_fixed_point(X, tol=1e-9, max_iter=400, solver="active_set", **kwargs)
    assert ref.converged and new.converged
    assert new.solver == "ACTIVE_SET" and new.fallbacks == 0 and ref.fallbacks == 0 and ref.solver == "CLARABEL"
    assert np.sum(np.abs(new.c - ref.c)) < 1e-6
    assert cosine(new.w.ravel(), ref.w.ravel()) > 1 - 1e-10
    np.testing.assert_allclose(new.lam, ref.lam, rtol=0, atol=1e-6 * ref.lam.max())
    assert abs(new.iterations - ref.iterations) <= 2
    assert new.kkt_residual < 1e-9


@pytest.mark.parametrize("kwargs", [dict(batch_size=2), dict(batch_size=5, sampling="reshuffle")])
def test_accelerated_fixed_point_defaults_to_the_active_set_solver(kwargs):
    X = gaussian(4)
    fast = proxy_fixed_point(X, tol=1e-10, max_iter=400, accelerate=True, **kwargs)
    clarabel = proxy_fixed_point(X, tol=1e-10, max_iter=400, accelerate=True, solver="clarabel", **kwargs)
    assert fast.solver == "ACTIVE_SET" and clarabel.solver == "CLARABEL"
    assert np.sum(np.abs(fast.c - clarabel.c)) < 1e-7


def test_plain_fixed_point_defaults_to_clarabel():
    X = gaussian(5)
    default, clarabel = proxy_fixed_point(X), proxy_fixed_point(X, solver="clarabel")
    for field in ("w", "c", "lam", "residuals"):
        np.testing.assert_array_equal(getattr(default, field), getattr(clarabel, field))


def _certified(X, c=None):
    scale = _data_scale(X)
    A = X / scale
    c = np.full(len(X), 1.0 / len(X)) if c is None else c
    D = np.sqrt((c * c) @ (A * A))
    sol = solve_dual_active_set(A, D, c=c)
    assert sol.certified, sol.reason
    return A, D, sol


def test_certificate_refuses_a_corrupted_solution():
    A, D, sol = _certified(gaussian(6))
    kkt, gap, reason = certify_dual(A, D, sol.w, sol.lam)
    assert not reason and kkt < 1e-12 and abs(gap) < 1e-12
    bump = 1e-6 * sol.lam.max() * (np.arange(sol.lam.size) == int(np.argmax(sol.lam)))
    corrupted = {
        "shrunk w (infeasible)": (sol.w * (1 - 1e-8), sol.lam, "primal infeasibility"),
        "perturbed lambda (not stationary)": (sol.w, sol.lam + bump, "stationarity"),
        "grown w": (sol.w * (1 + 1e-6), sol.lam, ""),
        "negative lambda": (sol.w, np.where(np.arange(sol.lam.size) == 0, -1e-3, sol.lam), "dual infeasible"),
        "nan": (sol.w * np.nan, sol.lam, "non-finite"),
    }
    for name, (w, lam, expected) in corrupted.items():
        reason = certify_dual(A, D, w, lam)[2]
        assert reason and expected in reason, name
    # a consistent (w = D^-1 A^T lam) but suboptimal pair: lambda moved off the support; only the gap/complementarity
    # can see it
    lam = sol.lam * 0.999
    assert certify_dual(A, D, (A.T @ lam) / D, lam)[2]


def test_an_uncertified_solve_is_solved_by_clarabel_instead(monkeypatch):
    X = gaussian(7)

    def refused(*args, **kwargs):
        sol = solve_dual_active_set(*args, **kwargs)
        return dataclasses.replace(sol, certified=False, reason="refused by the test")

    monkeypatch.setattr(fixed_point, "solve_dual_active_set", refused)
    fp = proxy_fixed_point(X, solver="active_set")
    reference = proxy_fixed_point(X, solver="clarabel")
    assert fp.solver == "CLARABEL" and fp.fallbacks == fp.iterations + 1
    for field in ("w", "c", "lam", "residuals"):  # the very same Clarabel solves
        np.testing.assert_array_equal(getattr(fp, field), getattr(reference, field))


def test_duplicate_rows():
    # Row 0 three times: its copies are dependent columns (Lawson-Hanson keeps at most one in the passive set), so the
    # dual is not unique across them. The active set's solution of P is right (w, and the copies' total multiplier),
    # but it is flagged: its dual is a vertex of the optimal face, where Clarabel's is the centre, and F(c) differs.
    X = np.vstack([gaussian(8)[:1], gaussian(8), gaussian(8)[:1]])
    system = _system(X, {})
    c = np.random.default_rng(0).dirichlet(np.ones(len(X)))
    w_ref, lam_ref, D = _ProxyProblem(system).solve(c)
    scale = _data_scale(X)
    sol = solve_dual_active_set(X / scale, D / scale)
    assert not sol.certified and sol.reason.startswith("dual not unique: 12 rows at margin 1 span 10 "), sol.reason
    np.testing.assert_allclose(sol.w / scale, w_ref, rtol=0, atol=1e-7 * np.abs(w_ref).max())
    copies = [0, 1, len(X) - 1]
    assert (sol.lam[copies] > 0).sum() == 1  # a vertex: all the copies' weight on one of them
    assert sol.lam[copies].sum() / scale == pytest.approx(lam_ref[copies].sum(), rel=1e-7)
    # the fixed-point step falls back to Clarabel's dual, the reference path's, exactly
    active = _ActiveSetProblem(system, _ProxyProblem)
    w, lam, _ = active.solve(c)
    assert active.fallbacks == 1 and "dual not unique" in active.reason
    np.testing.assert_array_equal(lam, lam_ref)
    np.testing.assert_array_equal(w, w_ref)


@pytest.mark.parametrize("accelerate", [False, True])
def test_duplicate_rows_fixed_point_is_the_reference_paths(accelerate):
    # Rows 0-2 duplicated: a vertex dual sends Algorithm 3 elsewhere (c 0.2 apart in L1); with the fallback the
    # active-set iteration ends at the reference path's fixed point.
    X0 = np.random.default_rng(3).standard_normal((12, 30))
    X = np.vstack([X0, X0[:3]])
    ref = proxy_fixed_point(X, accelerate=accelerate, solver="clarabel")
    fast = proxy_fixed_point(X, accelerate=accelerate, solver="active_set")
    assert ref.converged and fast.converged and fast.fallbacks > 0
    assert np.abs(fast.c - ref.c).sum() < 1e-6
    assert 1.0 - cosine(fast.w, ref.w) < 1e-10


def test_more_support_vectors_than_parameters():
    # d = 2, three rows active at once at w = (1, 1) for D = 1: Q = A A^T is singular on the support (rank 2), the
    # solution w is unique, lambda is not (any nonneg combination with A^T lambda = w).
    A = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5], [2.0, 1.0]])
    sol = solve_dual_active_set(A, np.ones(2))
    assert not sol.certified and sol.reason.startswith("dual not unique: 3 rows at margin 1 span 2"), sol.reason
    np.testing.assert_allclose(sol.w, [1.0, 1.0], rtol=1e-14)
    # a dual of P (any lambda >= 0 with A^T lambda = D w on the active rows 0-2: (1, 1, 0, 0), (0, 0, 2, 0), ...)
    # with a linearly independent support, exactly 0 on the inactive row 3
    np.testing.assert_allclose(A.T @ sol.lam, sol.w, rtol=1e-14)
    assert sol.lam[3] == 0.0 and np.linalg.matrix_rank(A[sol.lam > 0]) == np.count_nonzero(sol.lam)


def test_single_support_vector():
    # Row 1 = 3 * row 0 (margin 3 whenever row 0's is 1) and row 2 far out: only row 0 is active.
    x = np.array([1.0, -2.0, 0.5])
    A = np.vstack([x, 3 * x, x + 5 * x / np.linalg.norm(x) ** 2 * 10])
    D = np.array([1.0, 2.0, 0.5])
    sol = solve_dual_active_set(A, D)
    assert sol.certified and np.flatnonzero(sol.lam).tolist() == [0]
    # closed form: w = D^-1 x / (x^T D^-1 x), lambda_0 = 1 / (x^T D^-1 x)
    q = x @ (x / D)
    np.testing.assert_allclose(sol.w, (x / D) / q, rtol=1e-14)
    assert sol.lam[0] == pytest.approx(1 / q, rel=1e-14)


@pytest.mark.parametrize("case", ["binary N>d", "multiclass"])
def test_warm_start_gives_the_cold_start_answer(case):
    X, kwargs = CASES[case]
    system = _system(X, kwargs)
    A = system.A / _data_scale(system.A)
    c1, c2, _ = _weights(A.shape[0], 1)
    D1, D2 = system.diag(c1), system.diag(c2)
    first = solve_dual_active_set(A, D1, c=c1)
    warm = solve_dual_active_set(A, D2, lam0=first.lam, c=c2)
    cold = solve_dual_active_set(A, D2, c=c2)
    assert warm.certified and cold.certified
    np.testing.assert_allclose(warm.lam, cold.lam, rtol=0, atol=1e-12 * cold.lam.max())
    np.testing.assert_allclose(warm.w, cold.w, rtol=0, atol=1e-12 * np.abs(cold.w).max())


def test_infeasible_data_are_not_certified():
    A = np.array([[1.0, 2.0], [-1.0, -2.0], [0.5, 0.1]])
    sol = solve_dual_active_set(A, np.ones(2))
    assert not sol.certified and "infeasib" in sol.reason  # the dual unbounded, or the primal left infeasible


@pytest.mark.parametrize("solver", ["active_set", "clarabel"])
def test_bad_input_errors_are_the_same_for_both_solvers(solver):
    with pytest.raises(ValueError, match="not linearly separable"):
        proxy_fixed_point(np.array([[1.0, 2.0], [-1.0, -2.0], [0.5, 0.1]]), solver=solver)
    with pytest.raises(ValueError, match="nonzero entries"):
        proxy_fixed_point(np.array([[1.0, 0.0], [2.0, 0.0]]), solver=solver)
    with pytest.raises(ValueError, match="every sample is zero"):
        proxy_fixed_point(np.zeros((2, 2)), solver=solver)


@pytest.mark.parametrize("solver", ["cvxpy", "ACTIVE_SET", 1])
def test_unknown_solver_is_refused(solver):
    with pytest.raises(ValueError, match=r"unknown solver .*expected one of \('active_set', 'clarabel'\)"):
        proxy_fixed_point(gaussian(0), solver=solver)


def test_working_set_fallback_with_accelerate():
    # With accelerate=True the fallback is the working-set Clarabel solver of that path: a real fallback (a duplicated
    # row) builds it on first use and returns its solve exactly.
    X = np.vstack([gaussian(9), gaussian(9)[:1]])
    system = _system(X, {})
    c = np.full(len(X), 1.0 / len(X))
    problem = _ActiveSetProblem(system, _WorkingSetProblem)
    assert problem.fallback is None
    w, lam, _ = problem.solve(c)
    assert problem.fallbacks == 1 and isinstance(problem.fallback, _WorkingSetProblem)
    w_ref, lam_ref, _ = _WorkingSetProblem(system).solve(c)
    np.testing.assert_array_equal(w, w_ref)
    np.testing.assert_array_equal(lam, lam_ref)
