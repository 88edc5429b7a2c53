"""Fixed point of the AdamProxy's data-adaptive margin (baek2025 §3).

The AdamProxy limit direction is characterised (Lemma 4.5, Theorem 4.8) as the
solution w*(c*) of the parametric problem (Definition 4.6)

    P(c):  min_w  1/2 ||w||^2_{D(c)} = 1/2 sum_k D_k(c) w[k]^2
           subject to  <w, x_i> >= 1   for all i,

    D(c) = diag( sqrt( sum_i c_i^2 x_i^2 ) )      (entry-wise square/sqrt),

at a fixed point c* = F(c*) of F(c) = lambda*(c) / ||lambda*(c)||_1, where
lambda*(c) is the dual of P(c).  KKT of P(c): D(c) w = sum_i lambda_i x_i,
lambda >= 0, lambda_i (<w, x_i> - 1) = 0.

Algorithm 3 finds c* by plain iteration c^{k+1} = F(c^k) from c^0 = 1/N (`accelerate=True`, beyond the paper: a
safeguarded Anderson acceleration of it with working-set solves of P(c), for large multiclass problems, where the
plain iteration converges slowly and each full solve is slow).

Beyond the paper, the same construction for mini-batches and for multiclass data. The constraints are
rows a_r of A (binary: a_i = x_i; multiclass: a_(i,c) = vec((e_{y_i} - e_c) h_i^T), fan2025 eq 2, one row per
wrong class c), c weights them, and sample i's gradient direction is S_i = sum_{r of i} c_r a_r. Adam with beta2
near 1 averages the squared *batch* gradients over the batches it visits, so its preconditioner in the limit is

    D_b(c)^2 = mean over batches B of (sum_{i in B} S_i)^2              (entry-wise),

which is sum_i S_i^2 for b = 1 (the paper's D(c) in the binary case) and (sum_i S_i)^2 = the full gradient squared
for b = N (whose P(c) has sign-vector solutions: the l_inf max margin). For cyclic batches the mean runs over the
fixed partition; for a fresh random partition every epoch ("reshuffle") its expectation is
(1 - rho) sum_i S_i^2 + rho (sum_i S_i)^2 with rho = (b - 1)/(N - 1) (two samples share a batch with probability
rho); for b draws with replacement it is proportional to sum_i S_i^2 + ((b - 1)/N) (sum_i S_i)^2.
Following engineering.md §3 the cvxpy problem is built ONCE in DPP form with
a nonnegative parameter s = sqrt(D) and objective 1/2 sum_squares(s * w), so
each iteration only re-solves (no re-canonicalisation).  cvxpy is imported when a problem is built, not by this
module (see `implicit_bias.margins`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from .data import as_design_matrix
from .dual_qp import solve_dual_active_set
from .margins import CLARABEL_OPTIONS, check_status
from .optimizers import SAMPLINGS

__all__ = [
    "FixedPoint",
    "LexicographicFixedPoint",
    "constraint_system",
    "lexicographic_fixed_point",
    "mahalanobis_diag",
    "proxy_fixed_point",
    "proxy_kkt_residual",
    "solve_proxy_problem",
]

_SOLVER = "CLARABEL"  # cvxpy's name of the solver (cvxpy.CLARABEL)
_ACTIVE_SET = "ACTIVE_SET"  # `FixedPoint.solver` of a certified `dual_qp` solve
#: The solvers of P(c) `proxy_fixed_point` takes (its `solver` keyword): the certified dual active-set method of
#: `dual_qp` (Clarabel where a solve is not certified), or Clarabel itself (cvxpy, or the working set of
#: `accelerate=True`).
SOLVERS = ("active_set", "clarabel")
#: The solver of the pipeline's fixed-point references (baek2025, beyond), which the checks' measured values are
#: computed from. The two solvers agree to solver tolerance on each P(c), but Clarabel's interior-point duals are
#: ~1e-9 of the largest instead of 0 on inactive constraints, which moves thresholds at that level: the support of
#: c* (baek2025 lemma_4_5 counts a sample at 4e-9 as a support vector on one seed) and, near the multiclass
#: absorbing boundary (`boundary_tol`), which classes the iteration loses (two of the multiclass study's nine
#: fixed points get other later stages).
PIPELINE_SOLVER = "clarabel"


@dataclass(frozen=True)
class FixedPoint:
    """Result of :func:`proxy_fixed_point` (baek2025 Algorithm 3).

    Attributes
    ----------
    w : ndarray (d,)
        w*(c) / ||w*(c)||_2 for the returned ``c``.
    c : ndarray (N,)
        Final simplex weights c^{k+1} = F(c^k).
    lam : ndarray (N,)
        Dual lambda*(c) of P(c) at the returned ``c`` (so F(c) = lam/||lam||_1).
    iterations : int
        Number of updates c^k -> c^{k+1} performed (= len(residuals)).
    converged : bool
        Whether ||c^{k+1} - c^k||_1 < tol was reached within max_iter.
    residuals : ndarray
        ||c^{k+1} - c^k||_1 for every iteration.
    kkt_residual : float
        KKT residual of (w~, lam) for P(c), w~ the unnormalised solution:
        ||D(c) w~ - X^T lam||_inf + max_i |lam_i (<w~, x_i> - 1)|
        + max_i max(0, 1 - <w~, x_i>)  (primal feasibility, ~0).
    solver, status : str
        Solver and status of the last solve: "ACTIVE_SET" (`dual_qp`, certified) or "CLARABEL", and cvxpy's status
        name ("optimal").
    fallbacks : int
        With `solver="active_set"`: the solves of P(c) whose active-set solution failed its certificate or whose
        dual was not unique, solved by Clarabel instead (0 otherwise).
    absorbed : tuple of int
        Multiclass with `boundary_tol`: the classes whose margin pairs carried less than `boundary_tol` of the
        weight of c when the iteration stopped there (empty otherwise; `converged` is then False).
    """

    w: np.ndarray
    c: np.ndarray
    lam: np.ndarray
    iterations: int
    converged: bool
    residuals: np.ndarray
    kkt_residual: float
    solver: str
    status: str
    absorbed: tuple[int, ...] = ()
    fallbacks: int = 0


def _as_weights(c, n: int) -> np.ndarray:
    """Validate a weight vector c of length n (finite, nonnegative, not all zero)."""
    arr = np.asarray(c, dtype=np.float64)
    if arr.ndim != 1 or arr.shape[0] != n:
        raise ValueError(f"c must have shape ({n},), got {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("c contains NaN or inf entries")
    if np.any(arr < 0):
        raise ValueError("c must be nonnegative (simplex weights)")
    if not np.any(arr > 0):
        raise ValueError("c must have at least one positive entry")
    return arr


def mahalanobis_diag(
    X: ArrayLike,
    c: ArrayLike,
    *,
    y: ArrayLike | None = None,
    batch_size: int = 1,
    sampling: str = "cyclic",
    num_classes: int | None = None,
) -> np.ndarray:
    """Diagonal of D(c) = diag( sqrt(sum_i c_i^2 x_i^2) ) (baek2025 Lemma 4.5, Def 4.6).

    The weights enter SQUARED (they are normalised |l'_i| inside the second
    moment of the AdamProxy preconditioner).  D is 1-homogeneous in c, so c
    need not be normalised.

    With `batch_size` b > 1 (`sampling` "cyclic", "reshuffle" or "replacement") or multiclass labels `y`, the
    mini-batch / multiclass D_b(c) of the module docstring (beyond the paper); c then weights the margin constraints
    (multiclass: n(k-1) pairs in `margins.pair_matrix`'s order) and the result has one entry per parameter.

    Parameters
    ----------
    X : array (N, d), label-absorbed samples (multiclass: features H with labels y).
    c : array (N,) (multiclass: (n(k-1),)), nonnegative weights.

    Returns
    -------
    ndarray (d,) (multiclass: (k*d,), W row-major) with D_k(c) >= 0.
    """
    system = constraint_system(X, y, num_classes, batch_size, sampling)
    return system.diag(_as_weights(c, system.A.shape[0]))


class _Constraints:
    """The margin constraints A w >= 1 of P(c) and the preconditioner D_b(c) of a batching schedule."""

    def __init__(self, A: np.ndarray, per_sample: int, shape: tuple, batch_size: int, sampling: str) -> None:
        self.A, self.per_sample, self.shape = A, per_sample, shape
        self.n = A.shape[0] // per_sample  # samples
        if sampling not in SAMPLINGS:
            raise ValueError(f"unknown sampling {sampling!r}; expected one of {SAMPLINGS}")
        b = int(batch_size)
        if not 1 <= b <= self.n:
            raise ValueError(f"batch_size must lie in [1, {self.n}] (the number of samples); got {batch_size}")
        if sampling != "replacement" and self.n % b:
            raise ValueError(f"batch_size {b} must divide the number of samples {self.n} for {sampling!r} sampling")
        self.b, self.sampling = b, sampling
        # the entry-wise squares, for the paper's own formula (binary, b = 1) only
        self.A2 = A * A if per_sample == 1 and b == 1 else None

    def class_weights(self, c: np.ndarray) -> np.ndarray:
        """Multiclass: per class r, the weight sum_p c_p of the pairs p = (i, c') touching row r of W (y_i = r or
        c' = r); row r of D_b(c) is built from these pairs' weights only (their rows a_p vanish elsewhere)."""
        if len(self.shape) != 2:
            raise ValueError("class weights are defined for multiclass problems (labels y) only")
        touching = np.abs(self.A.reshape(self.A.shape[0], self.shape[0], -1)).sum(axis=2) > 0
        return c @ touching

    def diag(self, c: np.ndarray) -> np.ndarray:
        if self.A2 is not None:
            return np.sqrt((c * c) @ self.A2)  # baek2025 Def 4.6, as the paper writes it
        S = (c[:, None] * self.A).reshape(self.n, self.per_sample, -1).sum(axis=1)  # S_i, one row per sample
        if self.b == 1:
            return np.sqrt(np.sum(S * S, axis=0))
        total = S.sum(axis=0)
        if self.sampling == "cyclic":  # the fixed consecutive batches of `optimizers.batch_schedule`
            G = S.reshape(self.n // self.b, self.b, -1).sum(axis=1)
            return np.sqrt(np.sum(G * G, axis=0))
        own = np.sum(S * S, axis=0)
        if self.sampling == "reshuffle":
            rho = (self.b - 1) / (self.n - 1)
            return np.sqrt((1.0 - rho) * own + rho * total * total)
        return np.sqrt(own + (self.b - 1) / self.n * total * total)  # replacement


def constraint_system(
    X: ArrayLike, y: ArrayLike | None, num_classes: int | None, batch_size: int = 1, sampling: str = "cyclic"
) -> _Constraints:
    """The margin constraints of P(c) (rows of X, or the class-pair rows of multiclass data) and their batches."""
    if y is None:
        if num_classes is not None:
            raise ValueError("num_classes is only meaningful for multiclass data (y given)")
        X = as_design_matrix(X, "X")
        return _Constraints(X, 1, (X.shape[1],), batch_size, sampling)
    from .margins import pair_matrix
    from .multiclass import check_labels

    H, labels, k = check_labels(X, y, num_classes)
    return _Constraints(pair_matrix(H, labels, num_classes=k), k - 1, (k, H.shape[1]), batch_size, sampling)


def _checked_diag(system: _Constraints, c: np.ndarray) -> np.ndarray:
    """D(c), refusing zero entries."""
    D = system.diag(c)
    if np.any(D <= 0):
        # D_k = 0 leaves w[k] unpenalised: P(c) loses strict convexity and
        # its solution is not unique.  Assumption 2.2 (nonzero entries)
        # rules this out for every c in the simplex.
        bad = np.flatnonzero(D <= 0)
        raise ValueError(
            f"D(c) has zero diagonal entries at coordinates {bad.tolist()}: the data "
            f"violate Assumption 2.2 (nonzero entries) on the support of c"
        )
    return D


def _data_scale(A: np.ndarray) -> float:
    """max|A|, by which both solvers of P(c) rescale the data (see `_ProxyProblem`); refuses all-zero data."""
    scale = float(np.max(np.abs(A)))
    if scale == 0.0:
        raise ValueError("data are not linearly separable: every sample is zero")
    return scale


class _ProxyProblem:
    """P(c) for fixed data X, built once in DPP form (engineering.md §3).

    Internally the data are rescaled to X_hat = X / max|X| so that Clarabel's
    absolute tolerances act on O(1) numbers.  P(c) is equivariant under this
    scaling: with X = a X_hat, D = a D_hat, the solutions are w = w_hat / a and
    lambda = lambda_hat / a (from D w = X^T lambda), and c = lambda/||lambda||_1
    is unchanged.
    """

    def __init__(self, system: _Constraints):
        self.system = system
        X = system.A
        self.scale = _data_scale(X)
        X_hat = X / self.scale
        _n, d = X.shape
        import cvxpy as cp

        self.w = cp.Variable(d)
        # s = sqrt(D): sum_k D_k w_k^2 = sum_squares(s * w).  A PSD-parameter
        # quad_form is NOT DPP in cvxpy 1.9.3, this multiply form is.
        self.s = cp.Parameter(d, nonneg=True)
        self.constraint = X_hat @ self.w >= 1
        self.prob = cp.Problem(cp.Minimize(0.5 * cp.sum_squares(cp.multiply(self.s, self.w))), [self.constraint])
        assert self.prob.is_dpp(), "P(c) must be DPP so re-solves skip canonicalisation"

    @property
    def status(self) -> str:
        return self.prob.status

    def solve(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (w*(c), lambda*(c), D(c)) in the ORIGINAL data scale."""
        D = _checked_diag(self.system, c)
        D_hat = D / self.scale
        self.s.value = np.sqrt(D_hat)
        self.prob.solve(solver=_SOLVER, **CLARABEL_OPTIONS)
        check_status(self.prob, _SOLVER)
        w = np.asarray(self.w.value, dtype=np.float64) / self.scale
        lam_hat = np.asarray(self.constraint.dual_value, dtype=np.float64).reshape(-1)
        # Interior-point duals can come out as -1e-13 on inactive constraints;
        # the true dual is >= 0, so clip (keeps c on the simplex).
        lam = np.maximum(lam_hat, 0.0) / self.scale
        return w, lam, D


class _WorkingSetProblem:
    """P(c) solved on a working set of its constraints (beyond the paper; `proxy_fixed_point(accelerate=True)`).

    The dual lambda*(c) of a large P(c) is sparse (fan2025-size multiclass data: ~70 of 4500 margin pairs active), so
    P(c) is solved with Clarabel (called directly, same tolerances and data scaling as `_ProxyProblem`) on a subset
    W of the rows: the significant support of c plus the rows of smallest margin under the previous solution. Rows
    the restricted solution violates are added and it is solved again. When no row is violated the restricted KKT
    point, with lambda = 0 off W, satisfies the KKT conditions of the full P(c), so it is P(c)'s solution (unique:
    the objective is strictly convex). W only grows, so this ends (at worst with every row, the full problem).
    A 100-row solve takes ~5 ms against ~0.25 s for the full 4500-row problem.
    """

    def __init__(self, system: _Constraints):
        import scipy.sparse as sp

        self.system = system
        self.scale = _data_scale(system.A)
        self.A_hat = sp.csr_matrix(system.A / self.scale)  # multiclass pair rows hold 2d non-zeros of kd
        self.margins: np.ndarray | None = None  # A_hat w_hat of the previous solution
        self.status = ""

    def _rows(self, c: np.ndarray) -> np.ndarray:
        m, p = self.A_hat.shape
        support = c > _SUPPORT_RTOL * c.max()
        if self.margins is None or support.sum() > m // 2:
            return np.flatnonzero(support)
        extra = min(m, int(support.sum()) + p // 5)
        support[np.argpartition(self.margins, extra - 1)[:extra]] = True
        return np.flatnonzero(support)

    def solve(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (w*(c), lambda*(c), D(c)) in the ORIGINAL data scale, as `_ProxyProblem.solve`."""
        D = _checked_diag(self.system, c)
        rows = self._rows(c)
        while True:
            w_hat, z = _clarabel_qp(D / self.scale, self.A_hat[rows])
            self.margins = self.A_hat @ w_hat
            violated = np.flatnonzero(self.margins < 1.0 - _FEASIBILITY_TOL)
            if violated.size == 0:
                break
            rows = np.union1d(rows, violated)
        lam = np.zeros(self.A_hat.shape[0])
        lam[rows] = np.maximum(z, 0.0) / self.scale  # clipped as in `_ProxyProblem.solve`
        self.status = "optimal"  # cvxpy's name, as `FixedPoint.status` reports for `_ProxyProblem`
        return w_hat / self.scale, lam, D


#: Rows with c_r below this fraction of max(c) are left out of the initial working set (interior-point duals of
#: inactive constraints are ~1e-12 instead of 0); they come back in if the solution violates them.
_SUPPORT_RTOL = 1e-9
#: A row is violated when its margin is below 1 - this; Clarabel's own feasibility tolerance is 1e-10.
_FEASIBILITY_TOL = 1e-9


class _ActiveSetProblem:
    """P(c) solved on its dual by the certified active-set method of `dual_qp` (beyond the paper), with the data
    scaling of `_ProxyProblem` and each solve warm-started from the previous one's dual (its support is a valid
    passive set for every c). A solve whose certificate fails (`dual_qp.certify_dual`: KKT residual and duality gap
    at Clarabel's tolerances), or whose dual is not unique (`dual_qp`: duplicate or dependent support vectors, where
    lambda*(c) and so F(c) depend on the solver), is solved again by `fallback` (the Clarabel solver of the same
    iteration, built on first use) and counted in `fallbacks`. The Clarabel solve is accepted on Clarabel's own
    status, as on the plain path; it is not re-certified."""

    def __init__(self, system: _Constraints, fallback: type[_ProxyProblem] | type[_WorkingSetProblem]):
        self.system = system
        self.scale = _data_scale(system.A)
        self.A_hat = system.A / self.scale
        self.lam_hat: np.ndarray | None = None
        self.fallback_type = fallback
        self.fallback: _ProxyProblem | _WorkingSetProblem | None = None
        self.fallbacks = 0
        self.solver, self.status, self.reason = _ACTIVE_SET, "", ""

    def solve(self, c: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return (w*(c), lambda*(c), D(c)) in the ORIGINAL data scale, as `_ProxyProblem.solve`."""
        D = _checked_diag(self.system, c)
        solution = solve_dual_active_set(self.A_hat, D / self.scale, lam0=self.lam_hat, c=c)
        if solution.certified:
            self.lam_hat, self.solver, self.status = solution.lam, _ACTIVE_SET, "optimal"
            return solution.w / self.scale, solution.lam / self.scale, D
        self.fallbacks += 1
        self.reason = solution.reason
        if self.fallback is None:
            self.fallback = self.fallback_type(self.system)
        w, lam, D = self.fallback.solve(c)
        # an interior-point dual has no exact zeros: the next solve starts cold rather than from all rows
        self.lam_hat, self.solver, self.status = None, _SOLVER, self.fallback.status
        return w, lam, D


def _clarabel_qp(D_hat: np.ndarray, A_rows) -> tuple[np.ndarray, np.ndarray]:
    """min 1/2 sum_k D_k w_k^2 s.t. A_rows w >= 1 by Clarabel (-A w + s = -1, s >= 0); returns (w, dual z >= 0)."""
    import clarabel
    import scipy.sparse as sp

    settings = clarabel.DefaultSettings()
    settings.verbose = False
    for key, value in CLARABEL_OPTIONS.items():
        setattr(settings, key, value)
    m = A_rows.shape[0]
    solver = clarabel.DefaultSolver(
        sp.diags(D_hat).tocsc(),
        np.zeros(D_hat.size),
        sp.csc_matrix(-A_rows),
        -np.ones(m),
        [clarabel.NonnegativeConeT(m)],
        settings,
    )
    solution = solver.solve()
    status = str(solution.status)
    if status == "PrimalInfeasible":
        raise ValueError("data are not linearly separable: the margin constraints are infeasible (Clarabel)")
    if status != "Solved":
        raise RuntimeError(f"Clarabel returned status {status!r} on P(c)")
    return np.asarray(solution.x, dtype=np.float64), np.asarray(solution.z, dtype=np.float64)


def _kkt_residual(X: np.ndarray, D: np.ndarray, w: np.ndarray, lam: np.ndarray) -> float:
    """Stationarity + complementary slackness + primal feasibility of P(c)."""
    margins = X @ w
    # Dual feasibility is not a term: lam is clipped to >= 0 by construction.
    stationarity = np.max(np.abs(D * w - X.T @ lam))
    complementarity = np.max(np.abs(lam * (margins - 1.0)))
    infeasibility = max(0.0, float(np.max(1.0 - margins)))
    return float(stationarity + complementarity + infeasibility)


def proxy_kkt_residual(
    X: ArrayLike,
    c: ArrayLike,
    w: ArrayLike,
    lam: ArrayLike,
    *,
    y: ArrayLike | None = None,
    batch_size: int = 1,
    sampling: str = "cyclic",
    num_classes: int | None = None,
) -> float:
    """KKT residual of a candidate (w, lambda) for P(c) (baek2025 Def 4.6).

    ||D(c) w - X^T lam||_inf + max_i |lam_i (<w, x_i> - 1)|
    + max(0, max_i (1 - <w, x_i>)) + max(0, max_i (-lam_i)),

    i.e. stationarity + complementary slackness + primal and dual
    feasibility.  ``w`` is the UNNORMALISED solution (constraints X w >= 1).
    `y`, `batch_size`, `sampling`: the multiclass / mini-batch P(c) (`mahalanobis_diag`).
    """
    system = constraint_system(X, y, num_classes, batch_size, sampling)
    m, p = system.A.shape
    c = _as_weights(c, m)
    w = np.asarray(w, dtype=np.float64)
    lam = np.asarray(lam, dtype=np.float64)
    if w.shape != system.shape or lam.shape != (m,):
        raise ValueError(f"w must have shape {system.shape} and lam shape ({m},), got {w.shape}, {lam.shape}")
    dual_infeasibility = max(0.0, float(np.max(-lam)))
    return _kkt_residual(system.A, system.diag(c), w.reshape(p), lam) + dual_infeasibility


def solve_proxy_problem(
    X: ArrayLike,
    c: ArrayLike,
    *,
    y: ArrayLike | None = None,
    batch_size: int = 1,
    sampling: str = "cyclic",
    num_classes: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Solve P(c) (baek2025 Def 4.6) and return (w*(c), lambda*(c)).

    P(c): min 1/2 sum_k D_k(c) w[k]^2  s.t.  X w >= 1, solved with Clarabel at
    tight tolerances.  lambda is the constraint dual: lambda >= 0 and
    D(c) w = X^T lambda (KKT), so with the 1/2 scaling of the objective
    lambda*(c) is exactly the multiplier of baek2025 Example 4.11.
    `y`, `batch_size`, `sampling`: the multiclass / mini-batch P(c) (`mahalanobis_diag`); w then has the
    parameters' shape ((k, d) for multiclass).

    Raises
    ------
    ValueError
        Bad X or c, D(c) with zero entries (Assumption 2.2), or data that are
        not linearly separable.
    RuntimeError
        Solver status other than OPTIMAL / infeasible.
    """
    system = constraint_system(X, y, num_classes, batch_size, sampling)
    c = _as_weights(c, system.A.shape[0])
    w, lam, _ = _ProxyProblem(system).solve(c)
    return w.reshape(system.shape), lam


#: Anderson memory m (type II): the extrapolation combines the last m + 1 iterates. On fan2025-size multiclass data
#: (b = 1, tol 1e-6, full solves) m = 5 / 8 / 10 took 104 / 81 / 78 solves, the plain iteration 202.
_ANDERSON_MEMORY = 8
#: After this many extrapolations in a row are rejected, the accelerated iteration goes on with plain steps: where F
#: is locally non-smooth or degenerate (multiclass P_b(c) with whole classes out of the dual's support) every
#: extrapolation is rejected, and each rejection costs a full solve (a third of them, wasted).
_ANDERSON_GIVE_UP = 3


def _normalised_dual(problem: _ProxyProblem | _WorkingSetProblem | _ActiveSetProblem, c: np.ndarray) -> np.ndarray:
    """F(c) = lambda*(c) / ||lambda*(c)||_1 (baek2025 Algorithm 3)."""
    _, lam, _ = problem.solve(c)
    total = lam.sum()
    if not total > 0:
        # Cannot happen for a feasible P(c) (w = 0 is infeasible, so some constraint is active with a positive
        # multiplier), but guard the division rather than propagate nan.
        raise RuntimeError("dual of P(c) is identically zero; cannot normalise to the simplex")
    return lam / total


def _anderson_step(history: list[tuple[np.ndarray, np.ndarray, float]]) -> tuple[np.ndarray, bool]:
    """Next iterate by type-II Anderson acceleration of c <- F(c), and whether it is an extrapolation.

    With residuals g_j = F(c^j) - c^j of the iterates in `history` (newest last), gamma minimises
    ||g_k - sum_j gamma_j (g_{j+1} - g_j)||_2 and the candidate is F(c^k) - sum_j gamma_j (F(c^{j+1}) - F(c^j)), an
    affine combination of the F(c^j) (weights summing to 1, so it sums to 1 like them). When it leaves the simplex
    (a negative weight; P(c) needs c >= 0) or is not finite, the plain step F(c^k) is returned instead.
    """
    plain = history[-1][1]
    if len(history) < 2:
        return plain, False
    F = np.array([f for _, f, _ in history])
    G = F - np.array([c for c, _, _ in history])
    gamma = np.linalg.lstsq(np.diff(G, axis=0).T, G[-1], rcond=None)[0]
    candidate = plain - np.diff(F, axis=0).T @ gamma
    if not np.all(np.isfinite(candidate)) or np.any(candidate < 0):
        return plain, False
    return candidate / candidate.sum(), True


def _resolve_solver(solver: str | None, accelerate: bool) -> str:
    """The `solver` keyword of `proxy_fixed_point`, validated (one place): None is "active_set" with `accelerate`,
    else "clarabel" (Algorithm 3 as the pipeline's references compute it)."""
    if solver is None:
        return "active_set" if accelerate else "clarabel"
    if solver not in SOLVERS:
        raise ValueError(f"unknown solver {solver!r}; expected one of {SOLVERS}")
    return solver


def proxy_fixed_point(
    X: ArrayLike,
    tol: float = 1e-6,
    max_iter: int = 50,
    *,
    c0: ArrayLike | None = None,
    y: ArrayLike | None = None,
    batch_size: int = 1,
    sampling: str = "cyclic",
    num_classes: int | None = None,
    accelerate: bool = False,
    boundary_tol: float | None = None,
    solver: str | None = None,
) -> FixedPoint:
    """Fixed-point iteration for the AdamProxy limit (baek2025 Algorithm 3).

    c^0 = 1/N (or ``c0``); repeat: solve P(c^k), c^{k+1} = lambda*/||lambda*||_1,
    stop when ||c^{k+1} - c^k||_1 < tol.  The paper reports convergence within
    20 iterations; no convergence proof is known, hence ``max_iter`` and the
    ``converged`` flag instead of an exception.

    The returned w, lam and kkt_residual are those of P(c) at the returned
    c = c^{k+1} (one extra solve), i.e. the output is w*(c^{k+1}) as in the
    paper, and F(c) = lam / ||lam||_1 can be compared to c directly.

    Parameters
    ----------
    X : array (N, d), label-absorbed samples (Assumptions 2.1, 2.2).
    tol : float, L1 stopping tolerance on c (spec default 1e-6).
    max_iter : int, cap on the number of updates.
    c0 : array (N,), optional starting weights (normalised to the simplex).
    y, batch_size, sampling, num_classes : beyond the paper, the fixed point of the multiclass (labels `y`, c over
        the n(k-1) margin pairs, w of shape (k, d)) and/or mini-batch P_b(c) (`mahalanobis_diag`); the defaults are
        the paper's per-sample binary problem.
    accelerate : bool (beyond the paper, opt-in), for large problems: (1) safeguarded type-II Anderson acceleration
        of c <- F(c) (memory `_ANDERSON_MEMORY`): the next c is the affine combination of the last F(c^j) that
        minimises the combined residual; it falls back to the plain step F(c^k) when that combination leaves the
        simplex, and drops it (and the memory) when its residual ||F(c) - c||_1 exceeds the last accepted one
        (after `_ANDERSON_GIVE_UP` such rejections in a row it goes on with plain steps);
        (2) P(c) solved on a working set of its rows (`_WorkingSetProblem`), exact up to solver tolerance, with
        lambda exactly 0 off the set. Every solve of P(c), rejected ones included, counts as an iteration and has
        its residual in `residuals`. On fan2025-size multiclass data (4500 pairs, 250 parameters, tol 1e-6) this
        took 134 / 111 solves in ~4 s for b = 1 / 50 cyclic, against 202 / 196 solves in ~70 s plainly. Off by
        default: the default is Algorithm 3 exactly; and where F has several fixed points (e.g. full batch,
        b = N, whose fixed points need not all be the l_inf max margin) the accelerated iteration can stop at
        another one than the plain iteration.
    boundary_tol : float, optional (multiclass only, beyond the paper): stop, not converged, as soon as the pairs
        touching some class carry less than this fraction of the weight of c (`FixedPoint.absorbed` names the
        classes). Such a class's row of D_b(c) is ~0, w*(c) is not determined on it, and c -> F(c) has an
        absorbing boundary there: its weight decays geometrically. Without the stop the iteration either runs on
        to `max_iter` or converges on the boundary, where that row of D is ~1e-9 of the largest (the weight stuck
        at the solver's floor) and that row of w is set by solver noise; neither is Adam's limit there. Set it at
        `tol` (the resolution of c).
    solver : "active_set" or "clarabel" (beyond the paper; default: "active_set" with `accelerate`, else "clarabel").
        The solver of each P(c): "clarabel" is cvxpy/Clarabel (`_ProxyProblem`, or with `accelerate` Clarabel on a
        working set); "active_set" solves P(c)'s dual by a Lawson-Hanson active-set method warm-started from the
        previous solve (`implicit_bias.dual_qp`), and returns a solve only with its certificate (KKT residual and
        duality gap within Clarabel's tolerances, `margins.CLARABEL_OPTIONS`); a solve that fails it is solved by
        the Clarabel path instead and counted in `FixedPoint.fallbacks`; so is one whose dual is not unique
        (duplicate or dependent support vectors: there F(c) depends on which optimal dual a solver returns, and the
        interior point's, the reference path's, is kept). Where the dual is unique both give the same fixed point to
        solver tolerance; "active_set" is ~25-100x faster at N = 100-1000 (the benchmark's scaling table,
        `bench_fixed_point`).
    """
    solver = _resolve_solver(solver, accelerate)
    if np.ndim(tol) != 0:  # most likely labels, as `proxy_fixed_point(X, y)`
        raise ValueError(
            f"tol must be a positive finite number, got an array of shape {np.shape(tol)}; binary data go in as "
            "label-absorbed rows x_i <- y_i*x_i, multiclass labels as the keyword y="
        )
    if not (np.isfinite(tol) and tol > 0):
        raise ValueError(f"tol must be a positive finite number, got {tol!r}")
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")

    system = constraint_system(X, y, num_classes, batch_size, sampling)
    if boundary_tol is not None:
        if y is None:
            raise ValueError("boundary_tol is defined for multiclass problems (labels y) only")
        if not (np.isfinite(boundary_tol) and 0 < boundary_tol < 1):
            raise ValueError(f"boundary_tol must be a number in (0, 1), got {boundary_tol!r}")
    n = system.A.shape[0]
    c = np.full(n, 1.0 / n) if c0 is None else _as_weights(c0, n)
    c = c / c.sum()
    absorbed: tuple[int, ...] = ()

    clarabel = _WorkingSetProblem if accelerate else _ProxyProblem
    problem = _ActiveSetProblem(system, clarabel) if solver == "active_set" else clarabel(system)
    memory = _ANDERSON_MEMORY if accelerate else 0
    residuals: list[float] = []
    converged = False
    # (c^j, F(c^j), residual) of the accepted iterates, newest last
    history: list[tuple[np.ndarray, np.ndarray, float]] = []
    extrapolated = False  # c is an Anderson extrapolation, accepted only if it lowers the residual
    rejected = 0  # extrapolations rejected in a row
    while len(residuals) < max_iter:
        c_next = _normalised_dual(problem, c)
        residuals.append(float(np.sum(np.abs(c_next - c))))
        if extrapolated and residuals[-1] > history[-1][2]:
            # Safeguard: the extrapolation made the residual grow. Drop it and the memory, and take the plain step
            # from the last accepted iterate (its F is known; the wasted solve counts as an iteration); after
            # _ANDERSON_GIVE_UP of these in a row, stop extrapolating.
            c, extrapolated = history[-1][1], False
            history.clear()
            rejected += 1
            if rejected >= _ANDERSON_GIVE_UP:
                memory = 0
            continue
        rejected = 0 if extrapolated else rejected
        if residuals[-1] < tol:
            c = c_next
            converged = True
            break
        if boundary_tol is not None:
            absorbed = tuple(int(r) for r in np.flatnonzero(system.class_weights(c_next) < boundary_tol))
            if absorbed:
                c = c_next
                break
        if memory:
            history = [*history, (c, c_next, residuals[-1])][-(memory + 1) :]
            c, extrapolated = _anderson_step(history)
        else:
            c = c_next  # Algorithm 3

    # Report w*(c), lambda*(c) for the returned c = c^{k+1} (Algorithm 3 output).
    w_tilde, lam, D = problem.solve(c)
    kkt = _kkt_residual(system.A, D, w_tilde, lam)
    return FixedPoint(
        w=(w_tilde / np.linalg.norm(w_tilde)).reshape(system.shape),
        c=c,
        lam=lam,
        iterations=len(residuals),
        converged=converged,
        residuals=np.asarray(residuals, dtype=np.float64),
        kkt_residual=kkt,
        solver=problem.solver if isinstance(problem, _ActiveSetProblem) else _SOLVER,
        status=problem.status,
        absorbed=absorbed,
        fallbacks=problem.fallbacks if isinstance(problem, _ActiveSetProblem) else 0,
    )


@dataclass(frozen=True)
class LexicographicFixedPoint:
    """Result of :func:`lexicographic_fixed_point` (beyond the papers).

    Attributes
    ----------
    w : ndarray (k, d), the direction, ||w||_2 = 1.
    stage : ndarray (k,) of int, the stage that set each class's row (1 = the plain fixed point of P_b(c)).
    levels : ndarray, the margin level t_s of the pairs of each stage (t_1 = 1); the lexicographic order needs them
        nondecreasing (`consistent`).
    residuals : ndarray, the final c residual ||F(c) - c||_1 of each stage.
    direction_changes : ndarray, per stage, 1 - cos of the whole w after one more step of that stage's map.
    contraction : ndarray, per stage, the observed contraction rate of its last residuals (`_contraction`; 1 where
        they do not fall): with it, residual / (1 - rate) and direction_change / (1 - rate)^2 estimate the motion
        left to the fixed point (a geometric tail), which one step's residual or turn alone does not bound.
    iterations : ndarray, per stage, the solves spent (stage 1: the accelerated and plain ones of its last attempt).
    converged : bool, every stage's residual below `tol`.
    consistent : bool, levels nondecreasing (up to `tol`).
    primary : FixedPoint, the plain iteration on all classes (`absorbed` names the classes it loses).
    """

    w: np.ndarray
    stage: np.ndarray
    levels: np.ndarray
    residuals: np.ndarray
    direction_changes: np.ndarray
    contraction: np.ndarray
    iterations: np.ndarray
    converged: bool
    consistent: bool
    primary: FixedPoint


def _stage_solve(D_free: np.ndarray, A_free, offset: np.ndarray) -> tuple[np.ndarray, float, np.ndarray]:
    """min 1/2 sum_k D_k w_k^2 - t  s.t.  A_free w + offset >= t (one row per pair); returns (w, t, dual mu >= 0).

    KKT: D w = A_free^T mu and sum(mu) = 1, so w = (A^T c) / D with c = mu: Adam's update direction (the AdamProxy
    one, u(c) = (A^T c)/D(c)) at the scale 1 of the stage-1 duals (`lexicographic_fixed_point` rescales those)."""
    import clarabel
    import scipy.sparse as sp

    settings = clarabel.DefaultSettings()
    settings.verbose = False
    for key, value in CLARABEL_OPTIONS.items():
        setattr(settings, key, value)
    m, p = A_free.shape
    constraint = sp.hstack([sp.csr_matrix(-A_free), sp.csr_matrix(np.ones((m, 1)))]).tocsc()
    solver = clarabel.DefaultSolver(
        sp.diags(np.append(D_free, 0.0)).tocsc(),
        np.append(np.zeros(p), -1.0),
        constraint,
        offset,
        [clarabel.NonnegativeConeT(m)],
        settings,
    )
    solution = solver.solve()
    if str(solution.status) != "Solved":
        raise RuntimeError(f"Clarabel returned status {solution.status!s} on a lexicographic stage")
    x = np.asarray(solution.x, dtype=np.float64)
    return x[:-1], float(x[-1]), np.maximum(np.asarray(solution.z, dtype=np.float64), 0.0)


def _contraction(residuals) -> float:
    """The contraction rate per solve of the last (up to 6) residuals, (r_last / r_first)^(1 / steps), in [0, 1]:
    1 where they do not fall, 0 where a single solve met the tolerance (no tail left to estimate)."""
    r = np.asarray(residuals, dtype=np.float64)[-6:]
    if r.size < 2:
        return 0.0
    if not (r[0] > 0 and np.all(np.isfinite(r))):
        return 1.0
    return float(min(1.0, (max(r[-1], 0.0) / r[0]) ** (1.0 / (r.size - 1))))


def _later_stage(
    system: _Constraints,
    pairs: np.ndarray,
    touching: np.ndarray,
    W: np.ndarray,
    free: list,
    tol: float,
    max_iter: int,
    c0: np.ndarray,
):
    """One later stage of `lexicographic_fixed_point`: the rows `free` against the rows already set in W, on the
    margin pairs `pairs` (indices), from weights `c0` on them. Returns (w on the free rows, level t, residual,
    solves, direction change after one more step, the free classes whose pairs lost all weight, the contraction
    rate of its last residuals)."""
    k, d = system.shape
    cols = np.zeros((k, d), dtype=bool)
    cols[free] = True
    cols = cols.ravel()
    A = system.A[pairs]
    A_free, offset = A[:, cols], A[:, ~cols] @ W.ravel()[~cols]
    weights_of = touching[pairs][:, free]
    full = np.zeros(system.A.shape[0])

    def step(c: np.ndarray):
        full[pairs] = c
        w, t, mu = _stage_solve(system.diag(full)[cols], A_free, offset)
        return w, t, mu / mu.sum()

    c = c0 / c0.sum()
    history: list = []
    extrapolated, iterations, residual, accepted = False, 0, np.inf, []
    while iterations < max_iter:
        _, _, c_next = step(c)
        iterations += 1
        r = float(np.sum(np.abs(c_next - c)))
        if extrapolated and r > history[-1][2]:
            c, extrapolated = history[-1][1], False  # the safeguard of `proxy_fixed_point`
            history.clear()
            continue
        residual = r
        accepted.append(r)
        if residual < tol or np.any(c_next @ weights_of < tol):
            c = c_next
            break
        history = [*history, (c, c_next, r)][-(_ANDERSON_MEMORY + 1) :]
        c, extrapolated = _anderson_step(history)
    w, t, c_next = step(c)
    w_next, _, _ = step(c_next)
    absorbed = [free[j] for j in np.flatnonzero(c @ weights_of < tol)]
    return w, t, residual, iterations, _turn(W, cols, w, w_next), absorbed, _contraction(accepted)


def _linked_groups(pending: list, touching: np.ndarray, primary, m: int, tol: float) -> list[list]:
    """The pending classes split into groups that need their own later stage: the connected components under the
    pairs carrying weight (more than `tol` of the plain iteration's weight on the pairs touching the pending
    classes). Classes linked only by pairs of negligible weight have decoupled rows (D_k and (A^T c)_k of one do not
    see the other's pairs), so each needs its own level t; a common stage would force one t on both and its weights
    would drift between them without converging. Without the plain iteration's weights: one group."""
    c = primary.c
    near = touching[:, pending].any(axis=1)
    if len(pending) == 1 or c.size != m or not c[near].sum() > 0:
        return [list(pending)]
    T = touching[:, pending].astype(float)
    linked = (T.T * (c / c[near].sum())) @ T > tol
    groups, seen = [], set()
    for start in range(len(pending)):
        if start in seen:
            continue
        group, frontier = {start}, [start]
        while frontier:
            j = frontier.pop()
            for i in np.flatnonzero(linked[j]):
                if int(i) not in group:
                    group.add(int(i))
                    frontier.append(int(i))
        seen |= group
        groups.append([pending[j] for j in sorted(group)])
    return groups


def _turn(W: np.ndarray, cols: np.ndarray, w: np.ndarray, w_next: np.ndarray) -> float:
    a, b = W.ravel().copy(), W.ravel().copy()
    a[cols], b[cols] = w, w_next
    return float(1.0 - a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


def lexicographic_fixed_point(
    H: ArrayLike,
    y: ArrayLike,
    *,
    batch_size: int = 1,
    sampling: str = "cyclic",
    tol: float = 1e-6,
    max_iter: int = 200,
    plain_iter: int = 0,
    num_classes: int | None = None,
    solver: str | None = None,
) -> LexicographicFixedPoint:
    """The multiclass fixed point of P_b(c) completed on the classes it loses (beyond the papers).

    Where the plain iteration (`proxy_fixed_point(boundary_tol=tol)`) finds that the pairs touching a class lose
    all weight, that class's row of D_b(c) goes to 0 and w*(c) is not determined on it. Adam is: its update
    m/sqrt(v) on that row is O(1) however small the row's gradients, because numerator and denominator are built from
    the same (exponentially small) loss derivatives, those of the pairs touching the class. The limit is then
    lexicographic. Write c = c1 + e c2 + ..., c1 on the pairs of the classes that keep weight, c2 on those that
    touch the lost classes, e -> 0. Adam's limit direction is w = kappa u(c) with the AdamProxy direction
    u_k(c) = (A^T c)_k / D_k(c), 0-homogeneous in the weights of the pairs touching row k, and one common kappa
    (every coordinate moves by ~eta_t per step):

    1. stage 1: the plain fixed point on the classes that keep weight (their pairs among themselves; a class lost
       there is moved to a later stage and stage 1 is solved again without it), kappa = ||lambda||_1 of its dual;
    2. stage s > 1: the rows of the lost classes, the other rows fixed; its pairs are those touching the lost rows.
       Their weights concentrate on the smallest margins among them, so the stage solves
           min 1/2 sum_k D_k(c) w_k^2 - kappa t   s.t.  a_p . w >= t  for its pairs p
       (KKT: D_k w_k = (A^T mu)_k with sum(mu) = kappa, i.e. w = kappa u(c) at c = mu/kappa) at its fixed point
       c = F_s(c) (Anderson-accelerated as `proxy_fixed_point`). Classes lost again go to a further stage.
       Lost classes not linked by pairs carrying weight (`_linked_groups`) have decoupled rows and are solved
       apart, each group with its own t; the group with the lowest t is the stage (its pairs have the smallest
       margins), the others are solved again in later stages against it.

    The stages' margin levels t_s must not decrease (t_1 = 1): a later stage's pairs must not have smaller margins
    than the earlier ones, or their loss derivatives would not be the smaller ones (`consistent`).

    Stage 1 runs on the data of its classes only, so the batches must not mix classes that are set in different
    stages (cyclic batches within one class each, or b = 1); refused otherwise. `solver`: stage 1's solver of P(c)
    (`proxy_fixed_point`); the later stages are Clarabel solves.
    """
    from .multiclass import check_labels

    H, labels, k = check_labels(H, y, num_classes)
    system = constraint_system(H, labels, k, batch_size, sampling)
    touching = np.abs(system.A.reshape(system.A.shape[0], k, -1)).sum(axis=2) > 0
    common: dict[str, Any] = dict(tol=tol, batch_size=batch_size, sampling=sampling, solver=solver)
    primary = None
    deferred: list[int]
    kept, deferred = list(range(k)), []
    while True:  # stage 1, on the classes that keep weight
        mask = np.isin(labels, kept)
        if deferred and batch_size > 1:
            batches = labels.reshape(-1, batch_size) if sampling == "cyclic" else None
            if batches is None or np.any(batches != batches[:, :1]):
                raise ValueError(
                    f"lexicographic_fixed_point: classes {deferred} are lost, and batches of {batch_size} "
                    f"({sampling}) mix classes, so stage 1 cannot be solved on the other classes' data alone"
                )
        Hs, ys = H[mask], np.searchsorted(kept, labels[mask])
        fp = proxy_fixed_point(Hs, y=ys, accelerate=True, max_iter=max_iter, boundary_tol=tol, **common)
        iterations = fp.iterations
        if not fp.converged and not fp.absorbed and plain_iter > 0:
            fp = proxy_fixed_point(Hs, y=ys, c0=fp.c, max_iter=plain_iter, boundary_tol=tol, **common)
            iterations += fp.iterations
        primary = fp if primary is None else primary
        if not fp.absorbed:
            break
        deferred += [kept[r] for r in fp.absorbed]
        kept = [r for r in kept if r not in deferred]
    step = fp.lam / fp.lam.sum()
    w1, lam = solve_proxy_problem(Hs, fp.c, y=ys, batch_size=batch_size, sampling=sampling)
    w1_next, _ = solve_proxy_problem(Hs, step, y=ys, batch_size=batch_size, sampling=sampling)
    W = np.zeros((k, H.shape[1]))
    W[kept] = w1 / lam.sum()  # kappa = 1: every later stage's duals sum to 1
    stage = np.zeros(k, dtype=np.int64)
    stage[kept] = 1
    levels = [1.0 / lam.sum()]
    residuals = [float(np.sum(np.abs(step - fp.c)))]
    cos1 = float(np.sum(w1 * w1_next) / (np.linalg.norm(w1) * np.linalg.norm(w1_next)))
    turns, counts, rates = [1.0 - cos1], [iterations], [_contraction(fp.residuals)]
    pending = sorted(deferred)
    while pending:  # later stages: the lost rows against the rows already set
        # each group of pending classes linked by weighted pairs is solved on its own (pairs touching the other
        # pending classes left out); the group with the lowest level t is the next stage (its pairs have the
        # smallest margins, so the largest loss derivatives), the others are solved again against it
        best = None
        for group in _linked_groups(pending, touching, primary, system.A.shape[0], tol):
            free = list(group)
            while True:
                later = [r for r in pending if r not in free]  # lost again in this stage, or another group's
                pairs = np.flatnonzero(touching[:, free].any(axis=1) & ~touching[:, later].any(axis=1))
                # from the plain iteration's weights on these pairs when it saw them (tiny, but their profile is
                # the within-class order of the margins), else uniform
                c0 = primary.c[pairs] if primary.c.size == system.A.shape[0] and primary.c[pairs].sum() > 0 else None
                c0 = np.ones(pairs.size) if c0 is None else c0
                result = _later_stage(system, pairs, touching, W, free, tol, max_iter, c0)
                absorbed = result[5]
                if not absorbed or len(absorbed) == len(free):
                    break
                free = [r for r in free if r not in absorbed]
            if best is None or result[1] < best[1][1]:
                best = (free, result)
        free, (w, t, residual, its, turn, _, rate) = best  # type: ignore[misc]  # the loop runs at least once
        cols = np.zeros(W.shape, dtype=bool)
        cols[free] = True
        W[cols] = w
        stage[free] = len(levels) + 1
        levels.append(t)
        residuals.append(residual)
        turns.append(turn)
        counts.append(its)
        rates.append(rate)
        pending = [r for r in pending if r not in free]
    levels = np.asarray(levels) / levels[0]  # t_1 = 1 (the margin scale of stage 1)
    return LexicographicFixedPoint(
        w=W / np.linalg.norm(W),
        stage=stage,
        levels=levels,
        residuals=np.asarray(residuals),
        direction_changes=np.asarray(turns),
        contraction=np.asarray(rates),
        iterations=np.asarray(counts, dtype=np.int64),
        converged=bool(np.all(np.asarray(residuals) < tol)),
        consistent=bool(np.all(np.diff(levels) >= -tol)),
        primary=primary,
    )
