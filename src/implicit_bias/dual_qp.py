"""An active-set solver of the diagonal margin QP on its dual, with a certificate (beyond the papers).

The AdamProxy problem (baek2025 Def 4.6) and its mini-batch / multiclass analogues are

    P:  min_w 1/2 sum_k D_k w_k^2   s.t.  A w >= 1          (D > 0 diagonal, one row of A per margin constraint),

with dual  max_{lambda >= 0} 1^T lambda - 1/2 lambda^T Q lambda,  Q = A D^-1 A^T,  w = D^-1 A^T lambda.  The dual's
solution is sparse: only the support vectors (the rows with margin exactly 1) carry weight.  With b_i = D^-1/2 a_i, P
is a least-distance problem (min ||v|| s.t. B v >= 1, v = D^1/2 w), which Lawson and Hanson (Solving Least Squares
Problems, 1974, Ch. 23, Thm 23.4) reduce to the nonnegative least-squares problem

    min_{u >= 0} ||E u - f||^2,   E = [B^T; 1^T],  f = e_{p+1};   then  lambda = u / (1 - 1^T u).

Their active-set algorithm (Alg. NNLS, Ch. 23.3) keeps the columns (b_i, 1) of its passive set linearly independent
in exact arithmetic (a column that depends on them has zero gradient and never enters), so its normal matrix

    G_PP = Q_PP + 1 1^T

is positive definite even where Q_PP is singular (more support vectors than parameters, duplicate or dependent rows):
it is factored by Cholesky, grown one row at a time, refactored when rows leave.  G is formed only on a working set W
of rows (the previous support plus the rows of smallest margin); the margins of all rows are computed once per outer
pass and the most violated rows join W, until none is violated.  Warm starts (the previous support and lambda, e.g.
from the previous fixed-point iterate: the support is independent of D, so it stays a valid passive set) skip most of
the work.  The final lambda is refined on the support against margins recomputed from A (iterative refinement: the
normal equations square Q's condition number), and the solution is returned with its certificate
(`DualSolution.certified`): primal feasibility, stationarity, complementarity and the duality gap at the tolerances
Clarabel is run at (`margins.CLARABEL_OPTIONS`).  The caller decides what to do with an uncertified solution
(`fixed_point` falls back to Clarabel).  Dense numpy/LAPACK throughout; its reference is the Clarabel solve of P.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.linalg as sla

from .margins import CLARABEL_OPTIONS

__all__ = ["DualSolution", "certify_dual", "solve_dual_active_set"]

#: Certificate tolerances, those Clarabel is run at: feasibility (primal: min margin >= 1 - this; stationarity and
#: complementarity relative to the size of the terms) and the duality gap (relative to the objective).
FEAS_TOL = CLARABEL_OPTIONS["tol_feas"]
GAP_REL_TOL = CLARABEL_OPTIONS["tol_gap_rel"]
#: A row enters the passive set only if its margin is below 1 - this (a tenth of the certificate's feasibility
#: tolerance, so a returned solution has slack to spare; rows at margin 1 within rounding never enter).
_ENTER_TOL = 0.1 * FEAS_TOL
#: A row whose Cholesky pivot is below this fraction of its diagonal is numerically dependent on the passive set and
#: is not added (Lawson-Hanson's independence, guarded against rounding).
_PIVOT_RTOL = 1e-12
#: Rows joining the working set per outer pass: at least this many (or the passive set's size, whichever is larger).
_BATCH = 64
#: Rows entering between two evaluations of the full gradient on the working set (`_lawson_hanson`).
_REFRESH = 16
#: 1 - 1^T u below this: E u = f to rounding, the constraints are (numerically) infeasible.
_INFEASIBLE_TOL = 1e-12
#: 1 - 1^T u below this: the balance kappa of G = Q / kappa + 1 1^T is rescaled (at most `_REBALANCES` times).
_BALANCE_TOL = 1e-6
_REBALANCES = 3
#: Iterative-refinement steps of lambda on the support.
_REFINE_STEPS = 3


@dataclass(frozen=True)
class DualSolution:
    """Result of :func:`solve_dual_active_set`, in the scale of its inputs.

    w : (p,) the primal solution D^-1 A^T lambda.  lam : (m,) the dual, exactly 0 off the support.
    kkt_residual : stationarity + complementarity + primal infeasibility (`certify_dual`).  gap : primal minus dual
    objective.  certified : every certificate term within its tolerance (`certify_dual`).  reason : why not ("" if
    certified).  steps : Lawson-Hanson steps (a row entering or leaving).  passes : outer passes over all rows.
    """

    w: np.ndarray
    lam: np.ndarray
    kkt_residual: float
    gap: float
    certified: bool
    reason: str
    steps: int
    passes: int


#: A row is active (margin 1) when its margin is within this of 1: ten times the certificate's feasibility tolerance.
_ACTIVE_TOL = 10 * FEAS_TOL


def _dual_not_unique(A: np.ndarray, margins: np.ndarray, support: np.ndarray) -> str:
    """Why lambda* is not unique, or the empty string when it is. The duals of P are the lam >= 0 on the active rows
    (margin 1) with A_act^T lam = D w*; if the active rows are linearly independent there is one. Lawson-Hanson's
    support is independent by construction, so only when more rows are active than carry weight (duplicate or dependent
    support vectors) is there something to check. There the dual is a face, Lawson-Hanson returns one of its vertices
    (all the weight on one copy of a duplicated row) and an interior-point solver its centre (the weight split evenly):
    the solution of P is the same, but c -> lambda*(c) / ||lambda*(c)||_1 (baek2025 Algorithm 3) is not defined by it,
    and the two solvers' fixed-point iterations part ways. The caller decides (`fixed_point` uses Clarabel's centre, as
    the reference path does)."""
    active = np.abs(margins - 1.0) <= _ACTIVE_TOL
    n_active = int(active.sum())
    if n_active <= int(support.sum()):
        return ""
    rank = np.linalg.matrix_rank(A[active])
    if rank < n_active:
        return f"dual not unique: {n_active} rows at margin 1 span {rank} dimensions (duplicate or dependent rows)"
    return ""


def certify_dual(A: np.ndarray, D: np.ndarray, w: np.ndarray, lam: np.ndarray) -> tuple[float, float, str]:
    """The certificate of a candidate (w, lam) for P: (KKT residual, duality gap, "" or the first failed term).

    Terms and tolerances (Clarabel's, `CLARABEL_OPTIONS`), each invariant under a rescaling of D (lam and the
    objectives scale with D, the margins do not): lam >= 0 and finite; primal infeasibility max(0, 1 - min A w) <=
    tol_feas; stationarity ||D w - A^T lam||_inf <= tol_feas ||D w||_inf; complementarity max |lam_i (a_i.w - 1)| <=
    tol_feas ||lam||_inf; and the gap between the primal 1/2 w^T D w and the dual 1^T lam - 1/2 lam^T Q lam (both at
    this lam, Q lam = A D^-1 A^T lam) within tol_gap_rel max(|primal|, |dual|) (the primal is positive: w = 0 is
    infeasible)."""
    if not (np.all(np.isfinite(w)) and np.all(np.isfinite(lam))):
        return np.inf, np.inf, "non-finite solution"
    if np.any(lam < 0):
        return np.inf, np.inf, f"dual infeasible: min lambda = {lam.min():.3g}"
    margins = A @ w
    Dw, ATl = D * w, A.T @ lam
    stationarity = float(np.max(np.abs(Dw - ATl)))
    complementarity = float(np.max(np.abs(lam * (margins - 1.0))))
    infeasibility = max(0.0, float(np.max(1.0 - margins)))
    primal = 0.5 * float(w @ Dw)
    dual = float(lam.sum()) - 0.5 * float(ATl @ (ATl / D))
    gap = primal - dual
    kkt = stationarity + complementarity + infeasibility
    checks = (
        (infeasibility <= FEAS_TOL, f"primal infeasibility {infeasibility:.3g} > {FEAS_TOL:g}"),
        (
            stationarity <= FEAS_TOL * np.max(np.abs(Dw)),
            f"stationarity residual {stationarity:.3g}",
        ),
        (
            complementarity <= FEAS_TOL * np.max(lam),
            f"complementarity residual {complementarity:.3g}",
        ),
        (
            abs(gap) <= GAP_REL_TOL * max(abs(primal), abs(dual)),
            f"duality gap {gap:.3g} (primal {primal:.6g})",
        ),
    )
    failed = next((why for ok, why in checks if not ok), "")
    return kkt, gap, failed


class _Gram:
    """G = A_W D^-1 A_W^T / kappa + 1 1^T on a working set W of rows (grown by `add`); kappa balances its two terms
    (the mean of Q's diagonal on the first rows), so lambda' = kappa lambda solves the balanced problem."""

    def __init__(self, A: np.ndarray, Dinv: np.ndarray, rows: np.ndarray) -> None:
        self.A, self.Dinv = A, Dinv
        self.rows = np.asarray(rows, dtype=np.int64)
        Aw = A[self.rows]
        Q = (Aw * Dinv) @ Aw.T
        self.kappa = float(np.mean(np.diag(Q))) or 1.0  # zero rows: their constraints 0 >= 1 fail (infeasible)
        self.G = Q / self.kappa + 1.0

    def add(self, rows: np.ndarray) -> None:
        new = self.A[rows]
        cross = (new * self.Dinv) @ self.A[self.rows].T / self.kappa + 1.0
        block = (new * self.Dinv) @ new.T / self.kappa + 1.0
        self.G = np.block([[self.G, cross.T], [cross, block]])
        self.rows = np.concatenate([self.rows, rows])


def _cholesky_delete(L: np.ndarray, j: int) -> np.ndarray:
    """The Cholesky factor of G_PP without its j-th row and column, from that of G_PP (lower L): the trailing block
    takes the rank-one update L33 L33^T + l l^T, l = L[j+1:, j] (Givens-style, O(n^2) instead of a refactoring's
    O(n^3))."""
    n = L.shape[0]
    keep = np.r_[0:j, j + 1 : n]
    out = L[np.ix_(keep, keep)]
    x = L[j + 1 :, j].copy()
    R = out[j:, j:].T.copy()  # upper: the columns of the trailing block as contiguous rows
    for i in range(x.size):
        r = np.hypot(R[i, i], x[i])
        cos, sin = r / R[i, i], x[i] / R[i, i]
        R[i, i] = r
        R[i, i + 1 :] = (R[i, i + 1 :] + sin * x[i + 1 :]) / cos
        x[i + 1 :] = cos * x[i + 1 :] - sin * R[i, i + 1 :]
    out[j:, j:] = R.T
    return out


def _lawson_hanson(G: np.ndarray, u: np.ndarray, P: list[int], enter_tol: float) -> tuple[list[int], int]:
    """NNLS in normal-equation form, min 1/2 u^T G u - 1^T u over u >= 0 (Lawson-Hanson Alg. NNLS), from a feasible
    u (> 0 exactly on P, 0 elsewhere), in place.  A row enters when its gradient 1 - (G u)_j exceeds enter_tol (the
    caller scales it: (1 - 1^T u)(1 - margin_j)); returns (P, steps).  Raises np.linalg.LinAlgError when G_PP is not
    numerically positive definite.

    The full gradient (|W| |P| work) is refreshed every `_REFRESH` entries and before stopping; in between, rows
    are tried in the order of the last full gradient and each one's own gradient is recomputed exactly (|P| work)
    before it enters, so every entering row has a positive gradient, as Lawson-Hanson's finite termination needs."""
    steps = 0
    blocked: set[int] = set()  # rows that entered and left at once (Lawson-Hanson's guard): out until another enters
    entered = -1
    L = sla.cholesky(G[np.ix_(P, P)], lower=True, check_finite=False) if P else np.zeros((0, 0))
    stale = np.ones(0)
    since_refresh = _REFRESH
    while True:
        while True:  # the inner loop: the unconstrained minimiser on P, stepping back to the boundary while needed
            if not P:
                z = np.zeros(0)
                break
            z = sla.cho_solve((L.T, False), np.ones(len(P)), check_finite=False)  # L.T: Fortran order, no copy
            if np.all(z > 0):
                break
            uP = u[P]
            neg = np.flatnonzero(z <= 0)
            gap = uP[neg] - z[neg]
            ratios = np.where(gap > 0, uP[neg] / np.where(gap > 0, gap, 1.0), 0.0)
            uP = uP + float(np.min(ratios)) * (z - uP)
            uP[neg[np.argmin(ratios)]] = 0.0
            keep = uP > 0
            left = [j for j, k in zip(P, keep, strict=True) if not k]
            u[left] = 0.0
            if entered in left:
                blocked.add(entered)
            for position in sorted(np.flatnonzero(~keep), reverse=True):
                L = _cholesky_delete(L, int(position))
            P = [j for j, k in zip(P, keep, strict=True) if k]
            u[P] = uP[keep]
            steps += 1
        u[P] = z
        scale = 1.0 - float(u.sum())
        while True:  # the entering row: a positive gradient, a pivot that is not numerically zero
            if since_refresh >= _REFRESH:
                stale = 1.0 - G[:, P] @ z if P else np.ones(G.shape[0])
                stale[P] = -np.inf
                if blocked:
                    stale[list(blocked)] = -np.inf
                since_refresh = 0
            t = int(np.argmax(stale))
            if not stale[t] > enter_tol * scale:
                if since_refresh == 0:
                    return P, steps
                since_refresh = _REFRESH  # stale values only: confirm on the full gradient
                continue
            stale[t] = 1.0 - G[t, P] @ z if P else 1.0  # exact, at the current z
            if not stale[t] > enter_tol * scale:
                continue
            col = G[P, t]
            ell = sla.solve_triangular(L.T, col, trans="T", check_finite=False) if P else np.zeros(0)
            pivot2 = G[t, t] - ell @ ell
            if pivot2 > _PIVOT_RTOL * G[t, t]:
                break
            stale[t] = -np.inf  # dependent on the passive set (to rounding): it cannot enter
        n = len(P)
        L_new = np.zeros((n + 1, n + 1))
        L_new[:n, :n], L_new[n, :n], L_new[n, n] = L, ell, np.sqrt(pivot2)
        L = L_new
        blocked.clear()
        entered = t
        P = [*P, t]
        stale[t] = -np.inf
        since_refresh += 1
        steps += 1


def _refine(A: np.ndarray, Dinv: np.ndarray, gram: _Gram, P: list[int], lam_p: np.ndarray) -> np.ndarray:
    """Iterative refinement of lambda on the support P (positions in the working set): Q_PP lambda = 1, each
    correction solved with the factored G_PP = Q_PP / kappa + 1 1^T by Sherman-Morrison
    (Q_PP^-1 r = (G^-1 r + G^-1 1 (1^T G^-1 r) / (1 - 1^T G^-1 1)) / kappa), its residual r = 1 - A_P w taken from A
    itself.  Returns the iterate of smallest residual."""
    if not P:
        return lam_p
    AP = A[gram.rows[P]]
    try:
        factor = sla.cho_factor(gram.G[np.ix_(P, P)], lower=True)
    except np.linalg.LinAlgError:
        return lam_p
    g1 = sla.cho_solve(factor, np.ones(len(P)))
    denom = 1.0 - g1.sum()
    best, best_res, lam = lam_p, np.inf, lam_p
    for step in range(_REFINE_STEPS + 1):
        r = 1.0 - AP @ (Dinv * (AP.T @ lam))
        res = float(np.max(np.abs(r)))
        if res < best_res:
            best, best_res = lam, res
        if step == _REFINE_STEPS or res == 0.0 or not denom > 0:
            break
        gr = sla.cho_solve(factor, r)
        lam = lam + (gr + g1 * (gr.sum() / denom)) / gram.kappa
    return best


def solve_dual_active_set(
    A: np.ndarray,
    D: np.ndarray,
    *,
    lam0: np.ndarray | None = None,
    c: np.ndarray | None = None,
    max_passes: int = 200,
) -> DualSolution:
    """P (min 1/2 sum_k D_k w_k^2 s.t. A w >= 1) solved on its dual by Lawson-Hanson on a working set (module doc).

    A (m, p) dense, D (p,) > 0.  `lam0`: a warm start (a previous dual: its support seeds the passive set and its
    values the iterate); `c`: weights whose direction D^-1 A^T c seeds the working set on a cold start (the rows of
    smallest margin under it).  The returned solution carries its certificate; it is never silently wrong, but it may
    be uncertified (`DualSolution.certified`, `reason`), infeasible (non-separable) data included.

    Runs on one BLAS thread: its factorisations and solves are small and sequential, and a multi-threaded BLAS spends
    more on waking its threads than on them (60x slower on a loaded 2-core machine).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        return _solve(A, D, lam0, c, max_passes)


def _solve(
    A: np.ndarray, D: np.ndarray, lam0: np.ndarray | None, c: np.ndarray | None, max_passes: int
) -> DualSolution:
    m, p = A.shape
    Dinv = 1.0 / D
    batch = min(m, _BATCH)
    warm = np.zeros(m) if lam0 is None else lam0  # the warm start's values on its support (none on a cold start)
    if np.any(warm > 0):
        support = np.flatnonzero(warm > 0)
        guess = warm
    else:
        support = np.zeros(0, dtype=np.int64)
        guess = np.ones(m) / m if c is None else np.asarray(c, dtype=np.float64)
    margins = A @ (Dinv * (A.T @ guess))
    order = np.argsort(margins, kind="stable")
    extra = order[~np.isin(order, support)][:batch]
    gram = _Gram(A, Dinv, np.concatenate([support, extra]))
    if support.size:
        # balance from the warm start: 1^T lambda' = kappa 1^T lambda ~ |support| (see the rebalancing below)
        target = support.size / float(warm[support].sum())
        gram.G = (gram.G - 1.0) * (gram.kappa / target) + 1.0
        gram.kappa = target
    kappa = gram.kappa
    # u = lambda' / (1 + 1^T lambda'), lambda' = kappa lambda (Lawson-Hanson's change of variables)
    u = np.zeros(gram.rows.size)
    P = list(range(support.size))
    if P:
        lam_b = kappa * warm[support]
        u[P] = lam_b / (1.0 + lam_b.sum())
    steps = passes = 0
    lam = np.zeros(m)
    rebalanced = 0
    for passes in range(1, max_passes + 1):
        try:
            P, s = _lawson_hanson(gram.G, u, P, _ENTER_TOL)
        except np.linalg.LinAlgError:
            if not P:
                raise
            u[:] = 0.0  # the warm passive set lost definiteness to rounding: restart cold on this working set
            P, s = _lawson_hanson(gram.G, u, [], _ENTER_TOL)
        steps += s
        total = float(u.sum())
        if not total < 1.0 - _BALANCE_TOL and rebalanced < _REBALANCES:
            # 1^T lambda' = total / (1 - total) is huge: the 1 1^T term of G is lost to rounding. Rescale kappa so
            # that 1^T lambda' ~ |P| and solve again from u = 0 on this working set. Infeasible constraints keep
            # total ~ 1 at every scale (E u = f has a solution), feasible ones do not.
            estimate = total / max(1.0 - total, np.finfo(float).eps)
            factor = max(len(P), 1) / estimate
            gram.G = (gram.G - 1.0) / factor + 1.0
            gram.kappa *= factor
            kappa = gram.kappa
            u[:] = 0.0
            P = []
            rebalanced += 1
            continue
        if not total < 1.0 - _INFEASIBLE_TOL:
            # E u = f to rounding: the constraints are infeasible (Lawson-Hanson Thm 23.4), or nearly so
            return DualSolution(
                np.zeros(p), np.zeros(m), np.inf, np.inf, False, "infeasible (dual unbounded)", steps, passes
            )
        lam[:] = 0.0
        lam[gram.rows[P]] = u[P] / (1.0 - total) / kappa
        w = Dinv * (A.T @ lam)
        margins = A @ w
        in_w = np.zeros(m, dtype=bool)
        in_w[gram.rows] = True
        violated = np.flatnonzero((margins < 1.0 - _ENTER_TOL) & ~in_w)
        if violated.size == 0:
            break
        take = violated[np.argsort(margins[violated], kind="stable")[: max(batch, len(P))]]
        gram.add(take)
        u = np.concatenate([u, np.zeros(take.size)])
    refined = _refine(A, Dinv, gram, P, lam[gram.rows[P]])
    lam[:] = 0.0
    lam[gram.rows[P]] = np.maximum(refined, 0.0)
    w = Dinv * (A.T @ lam)
    kkt, gap, reason = certify_dual(A, D, w, lam)
    if not reason:
        reason = _dual_not_unique(A, margins=A @ w, support=lam > 0)
    return DualSolution(
        w=w, lam=lam, kkt_residual=kkt, gap=gap, certified=not reason, reason=reason, steps=steps, passes=passes
    )
