"""Max-margin reference solutions and margin metrics (binary and multiclass).

The implicit-bias theorems reproduced by this package say that the direction of
an optimiser's iterates converges to a *max-margin* classifier for some norm:

* binary, label-absorbed data x_i <- y_i x_i (baek2025 §1, §4 "Reference
  solutions"):  gamma_p = max_{||w||_p <= 1} min_i <w, x_i>;
* multiclass data (h_i, y_i) with a linear classifier W in R^{k x d}
  (fan2025 §1, eq. 2):  gamma_p = max_{||W||_p <= 1} min_{i, c != y_i}
  (e_{y_i} - e_c)^T W h_i, with ||.||_p the ENTRY-WISE norm.

Both are computed through the equivalent minimum-norm problem

    v* = argmin ||v||  subject to  A v >= 1,      gamma = 1 / ||v*||,
    direction w = v* / ||v*||,

where A is the label-absorbed data matrix X (binary) or the pair matrix of
:func:`pair_matrix` (multiclass; fan2025 §1 "Computing V_inf").  The two
problems are equivalent because the margin is positively homogeneous in w.

Solver choices follow engineering.md §3: the LPs (norm inf and 1) are solved
with HiGHS on a *vector* variable (``cp.norm(M, "inf")`` of a matrix would be
the induced norm, a known pitfall), and the QP/SOCP (norm 2 and general p) with
Clarabel at tight tolerances.  Only ``cp.OPTIMAL`` is accepted.

cvxpy (about 1 s to import) is imported by the functions that solve, not by this module: a job that only measures
margins or cosines (metrics, checks, the workflow's DAG) does not load it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from functools import cache
from numbers import Real
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from .data import as_design_matrix

if TYPE_CHECKING:
    import cvxpy as cp
    import scipy.sparse as sp

__all__ = [
    "CLARABEL_OPTIONS",
    "MaxMarginSolution",
    "as_labels",
    "check_status",
    "cosine",
    "max_margin",
    "max_norm_margin_sparse",
    "normalized_margin",
    "pair_matrix",
    "sparse_pair_matrix",
]

#: Clarabel tolerances used for every reference solve.  The defaults (1e-8)
#: leave margins correct to ~1e-8 only; the tests compare against independent
#: formulations at 1e-6..1e-9, so we tighten by two orders of magnitude.
CLARABEL_OPTIONS = {"tol_gap_abs": 1e-10, "tol_gap_rel": 1e-10, "tol_feas": 1e-10}

#: After a solve reported OPTIMAL we still re-check feasibility of A v >= 1 in
#: numpy: a silently infeasible "optimum" would overstate gamma.
_FEASIBILITY_SLACK = 1e-6


@dataclass(frozen=True)
class MaxMarginSolution:
    """Result of :func:`max_margin`.

    Attributes
    ----------
    w : ndarray
        Max-margin direction, unit length in ``norm`` (entry-wise norm for a
        multiclass (k, d) matrix).
    gamma : float
        Max normalised margin, ``1 / ||v*||`` for ``v* = argmin ||v|| s.t. A v >= 1``.
    norm : int | float | str
        Normalised norm specifier: ``2``, ``"inf"`` or a float ``p``.
    solver : str
        cvxpy solver name used (e.g. ``"HIGHS"``, ``"CLARABEL"``).
    status : str
        cvxpy problem status (always ``"optimal"`` on return).
    """

    w: np.ndarray
    gamma: float
    norm: int | float | str
    solver: str
    status: str


# ---------------------------------------------------------------------------
# validation helpers (shared with fixed_point.py)
# ---------------------------------------------------------------------------


def as_labels(y: ArrayLike, n: int, num_classes: int | None) -> tuple[np.ndarray, int]:
    """Validate integer labels in [0, k) of length n, every class with at least one sample (spec §1); return
    (labels, k). k is `num_classes` if given, else the largest label + 1."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        raise ValueError(f"y must be 1-D, got shape {arr.shape}")
    if arr.shape[0] != n:
        raise ValueError(f"y has {arr.shape[0]} labels but H has {n} rows")
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ValueError(f"y must contain integer class labels, got dtype {arr.dtype}")
    if not np.all(np.isfinite(arr)):
        raise ValueError("y contains NaN or infinite (inf) labels")
    # Accept integer-valued floats (e.g. labels loaded from CSV) but nothing that would be silently truncated.
    if np.any(arr != np.round(arr)):
        raise ValueError("y must contain integer class labels")
    labels = arr.astype(np.int64)
    if np.any(labels < 0):
        raise ValueError(f"y contains negative class labels; labels must lie in [0, k){_BINARY_HINT}")
    k = int(labels.max()) + 1 if num_classes is None else num_classes
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise ValueError(f"num_classes must be an integer, got {num_classes!r}")
    k = int(k)
    if k < 2:
        # With one class there is no pair (i, c != y_i) and the margin is undefined.
        raise ValueError(f"need at least 2 classes, got num_classes={k}{_BINARY_HINT}")
    if labels.max() >= k:
        raise ValueError(f"y contains label {labels.max()} >= num_classes={k}")
    # spec §1: every class has a point (an empty class would only ever be a rival c != y_i, never a y_i)
    missing = np.setdiff1d(np.arange(k), labels)
    if missing.size:
        raise ValueError(
            f"classes {missing.tolist()} have no samples; every class needs at least one point{_BINARY_HINT}"
        )
    return labels, k


_BINARY_HINT = " (binary data: pass the label-absorbed rows x_i <- y_i*x_i as X, and no y)"


def _normalize_norm(norm) -> int | float | str:
    """Map a user norm spec to 2, "inf" or a float p >= 1 (ValueError otherwise)."""
    if isinstance(norm, str):
        key = norm.strip().lower()
        if key in ("inf", "max"):
            return "inf"
        raise ValueError(f"unknown norm {norm!r}; use 2, 'inf' (alias 'max', np.inf) or a float p >= 1")
    if isinstance(norm, bool) or not isinstance(norm, Real):
        raise ValueError(f"unknown norm {norm!r}; use 2, 'inf' (alias 'max', np.inf) or a float p >= 1")
    p = float(norm)
    if np.isnan(p) or p < 1:
        # p < 1 is not a norm (non-convex unit ball).
        raise ValueError(f"norm p must satisfy p >= 1, got {norm!r}")
    if np.isinf(p):
        return "inf"
    if p == 2:
        return 2
    return p


def _entrywise_norm(a: np.ndarray, norm, axes: tuple[int, ...] | None) -> np.ndarray:
    """Entry-wise p-norm over ``axes`` (None = all); ``norm`` already normalised."""
    absa = np.abs(a)
    if norm == "inf":
        return np.max(absa, axis=axes)
    if norm == 2:
        return np.sqrt(np.sum(absa * absa, axis=axes))
    if norm == 1:
        return np.sum(absa, axis=axes)
    p = float(norm)
    # Scale by the max entry before powering so large p does not overflow.
    scale = np.max(absa, axis=axes, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        ratio = np.where(scale > 0, absa / np.where(scale > 0, scale, 1.0), 0.0)
    out = np.squeeze(scale, axis=axes) * np.sum(ratio**p, axis=axes) ** (1.0 / p)
    return out


# ---------------------------------------------------------------------------
# public API
# ---------------------------------------------------------------------------


def _wrong_classes(labels: np.ndarray, k: int) -> np.ndarray:
    """Row-major (n, k-1) enumeration of the wrong classes c != y_i: the order of the pair matrix's rows."""
    n = labels.size
    all_c = np.broadcast_to(np.arange(k), (n, k))
    return all_c[all_c != labels[:, None]].reshape(n, k - 1)


def pair_matrix(H: ArrayLike, y: ArrayLike, *, num_classes: int | None = None) -> np.ndarray:
    """Multiclass margin constraint matrix A in R^{n(k-1) x kd} (fan2025 §1).

    One row per pair (i, c) with c != y_i, in the order i = 0..n-1 and, within
    each i, c increasing.  The row is vec((e_{y_i} - e_c) h_i^T), the row-major
    flatten of a k x d matrix, so that for V = v.reshape(k, d)

        (A v)_{(i,c)} = (e_{y_i} - e_c)^T V h_i = <V[y_i] - V[c], h_i>,

    i.e. the margin of sample i against class c (fan2025 eq. 2).

    Parameters
    ----------
    H : array (n, d)
        Features.
    y : array (n,)
        Integer labels in [0, k).
    num_classes : int, optional
        k; defaults to ``y.max() + 1``.
    """
    H = as_design_matrix(H, "H")
    n, d = H.shape
    labels, k = as_labels(y, n, num_classes)
    wrong = _wrong_classes(labels, k)

    blocks = np.zeros((n, k - 1, k, d))
    rows = np.arange(n)[:, None]
    pairs = np.arange(k - 1)[None, :]
    # +h_i in block row y_i, -h_i in block row c: vec((e_y - e_c) h^T).
    blocks[rows, pairs, labels[:, None], :] = H[:, None, :]
    blocks[rows, pairs, wrong, :] = -H[:, None, :]
    return blocks.reshape(n * (k - 1), k * d)


def _norm_objective(v: cp.Variable, norm):
    """cvxpy objective for min ||v||; v is always a VECTOR (see module docstring)."""
    import cvxpy as cp

    if norm == 2:
        # Squared form makes it a QP: same minimiser, and the conic form is
        # better conditioned than the SOC ||v||_2 for Clarabel.
        return cp.Minimize(0.5 * cp.sum_squares(v))
    if norm == "inf":
        return cp.Minimize(cp.norm(v, "inf"))
    if norm == 1:
        return cp.Minimize(cp.norm1(v))
    # General p: cvxpy represents pnorm with power/SOC cones; for non-integer p
    # it uses a rational approximation of p (max denominator 1024).
    return cp.Minimize(cp.pnorm(v, float(norm)))  # type: ignore[arg-type]  # cvxpy takes a float p, typed int


def _default_solver(norm) -> str:
    # LPs -> HiGHS (simplex, exact vertices); everything else -> Clarabel
    # (interior point).  engineering.md §3.  (cvxpy's solver names, as literals: no cvxpy import needed.)
    return "HIGHS" if norm in ("inf", 1) else "CLARABEL"


def _solve(prob: cp.Problem, solver: str) -> None:
    """Solve with the pinned solver; tight tolerances for Clarabel. Solver output stays off (cvxpy's verbose=False);
    HiGHS's banner, which no option reaches, is swallowed once per process (`_quiet_highs_banner`)."""
    opts = CLARABEL_OPTIONS if solver == "CLARABEL" else {}
    if solver == "HIGHS":
        _quiet_highs_banner()
    prob.solve(solver=solver, **opts)


@cache
def _quiet_highs_banner() -> None:
    """Construct this process's first HiGHS solver with file descriptor 1 pointed at /dev/null.

    HiGHS (the C++ library under highspy) prints a two-line "Running HiGHS ... Copyright" banner from the
    constructor of the first solver a process makes, before any option (output_flag, log_to_console) can be set;
    cvxpy's HiGHS interface makes one on every solve. It went to the console once per job that solves an LP
    (every data set and reference job). Later constructions print nothing, so one silenced construction is enough.
    """
    import highspy

    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def check_status(prob: cp.Problem, solver: str) -> None:
    """Accept only OPTIMAL; map infeasibility to the 'not separable' ValueError."""
    import cvxpy as cp

    status = prob.status
    if status == cp.OPTIMAL:
        return
    if status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
        # A v >= 1 infeasible <=> no classifier with positive margin on every
        # sample/pair, by homogeneity of the margin.
        raise ValueError(
            f"data are not linearly separable: the margin constraints are infeasible ({solver} status {status!r})"
        )
    if status == cp.OPTIMAL_INACCURATE:
        raise RuntimeError(f"solver {solver} returned status {status!r}; refusing an inaccurate reference solution")
    raise RuntimeError(f"solver {solver} failed with status {status!r}")


def max_margin(
    X: ArrayLike,
    y: ArrayLike | None = None,
    norm: int | float | str = 2,
    *,
    solver: str | None = None,
    num_classes: int | None = None,
) -> MaxMarginSolution:
    """Max-margin classifier for a (entry-wise) p-norm.

    Solves v* = argmin ||v|| s.t. A v >= 1 and returns the direction
    w = v*/||v*|| and the margin gamma = 1/||v*||
    (baek2025 §4 "Reference solutions"; fan2025 §1 "Computing V_inf, V_2").

    Parameters
    ----------
    X : array (n, d)
        Binary: label-absorbed samples x_i <- y_i x_i (constraints X w >= 1).
        Multiclass (``y`` given): features h_i.
    y : array (n,), optional
        Multiclass labels in [0, k).  If given, A = :func:`pair_matrix` and
        ``w`` is returned with shape (k, d), unit ENTRY-WISE norm.
    norm : 2, "inf" (aliases np.inf, "max"), 1 or float p >= 1
    solver : str, optional
        cvxpy solver name.  Default: HIGHS for norm inf/1 (LPs), CLARABEL
        otherwise.
    num_classes : int, optional
        Passed to :func:`pair_matrix`.

    Raises
    ------
    ValueError
        Bad shapes/labels, NaN/inf, empty data, unknown norm, or data that are
        not linearly separable (message contains "separable").
    RuntimeError
        Solver status other than OPTIMAL/infeasible (e.g. OPTIMAL_INACCURATE).
    """
    norm = _normalize_norm(norm)
    if y is None:
        if num_classes is not None:
            raise ValueError("num_classes is only meaningful for multiclass data (y given)")
        A = as_design_matrix(X, "X")
        out_shape: tuple[int, ...] = (A.shape[1],)
    else:
        H = as_design_matrix(X, "X")
        A = pair_matrix(H, y, num_classes=num_classes)
        k = A.shape[1] // H.shape[1]
        out_shape = (k, H.shape[1])

    solver = _default_solver(norm) if solver is None else str(solver).upper()

    # Solve on A / max|A|: the margin is homogeneous (gamma(sA) = s gamma(A),
    # same direction), and Clarabel's absolute gap/feasibility tolerances are
    # only meaningful for O(1) data.  Without this, data of magnitude ~500 gave
    # margins off by ~1e-5 relative even with tol 1e-10.
    scale = float(np.max(np.abs(A)))
    if scale == 0.0:
        raise ValueError("data are not linearly separable: every sample is zero")
    A_hat = A / scale

    import cvxpy as cp

    v = cp.Variable(A.shape[1])
    prob = cp.Problem(_norm_objective(v, norm), [A_hat @ v >= 1])
    _solve(prob, solver)
    check_status(prob, solver)

    v_star = np.asarray(v.value, dtype=np.float64)
    worst = float(np.min(A_hat @ v_star))
    if worst < 1 - _FEASIBILITY_SLACK:
        raise RuntimeError(f"solver {solver} reported optimal but A v >= 1 is violated by {1 - worst:.3g}")
    # Recompute ||v*|| from the primal in numpy instead of prob.value: the
    # objective is 0.5||v||^2 for norm 2, and this keeps gamma consistent with
    # the returned direction.
    vnorm = float(_entrywise_norm(v_star, norm, None))
    w = (v_star / vnorm).reshape(out_shape)
    gamma = scale / vnorm  # undo the data scaling: gamma(A) = max|A| * gamma(A_hat)
    return MaxMarginSolution(w=w, gamma=gamma, norm=norm, solver=solver, status=prob.status)


def normalized_margin(
    w: ArrayLike, X: ArrayLike, y: ArrayLike | None = None, norm: int | float | str = 2
) -> float | np.ndarray:
    """Normalised margin of a classifier (or a batch of iterates).

    Binary (baek2025 §6 check 10): min_i <w, x_i> / ||w||.
    Multiclass (fan2025 §1 "Margins", gamma-bar_p): min_{i, c != y_i}
    (e_{y_i} - e_c)^T W h_i / ||W||_p with the entry-wise norm.

    By definition this is <= gamma_p for every w, with equality at the
    max-margin direction.

    Parameters
    ----------
    w : array (d,) or (T, d) [binary]; (k, d) or (T, k, d) [multiclass]
        A single classifier or a stack of T iterates.
    X : array (n, d)
    y : array (n,), optional
        Multiclass labels; k is taken from ``w.shape[-2]``.
    norm : as in :func:`max_margin`.

    Returns
    -------
    float for a single classifier, ndarray (T,) for a batch.  A zero
    classifier gives nan (its direction is undefined), without warnings.
    """
    norm = _normalize_norm(norm)
    X = as_design_matrix(X, "X")
    w = np.asarray(w, dtype=np.float64)
    n, d = X.shape

    if y is None:
        if w.ndim not in (1, 2) or w.shape[-1] != d:
            raise ValueError(f"w must have shape ({d},) or (T, {d}) for binary data, got {w.shape}")
        single = w.ndim == 1
        W = w[None, :] if single else w  # (T, d)
        margins = np.min(W @ X.T, axis=1)  # (T,)
        norms = _entrywise_norm(W, norm, (1,))
    else:
        if w.ndim not in (2, 3) or w.shape[-1] != d:
            raise ValueError(f"w must have shape (k, {d}) or (T, k, {d}) for multiclass data, got {w.shape}")
        single = w.ndim == 2
        W = w[None] if single else w  # (T, k, d)
        k = W.shape[1]
        labels, _ = as_labels(y, n, k)
        logits = np.einsum("tkd,nd->tnk", W, X)  # (T, n, k)
        correct = np.take_along_axis(logits, labels[None, :, None], axis=2)[..., 0]
        # Exclude the true class from the max over competitors c != y_i.
        mask = np.zeros((n, k), dtype=bool)
        mask[np.arange(n), labels] = True
        rival = np.max(np.where(mask[None], -np.inf, logits), axis=2)
        margins = np.min(correct - rival, axis=1)
        norms = _entrywise_norm(W, norm, (1, 2))

    # Zero iterate (e.g. w_0 = 0) has no direction: nan, silently.
    safe = np.where(norms > 0, norms, 1.0)
    out = np.where(norms > 0, margins / safe, np.nan)
    return float(out[0]) if single else out


def cosine(a: ArrayLike, b: ArrayLike) -> float | np.ndarray:
    """Frobenius cosine <a, b> / (||a||_F ||b||_F).

    ``a`` may carry one extra leading axis (a stack of T iterates, shape
    (T, *b.shape)); the result is then an array of length T.  Zero vectors give
    nan without warnings.  This is the y-axis of baek2025 Figs. 1-4.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.shape == b.shape:
        single = True
        A = a[None]
    elif a.ndim == b.ndim + 1 and a.shape[1:] == b.shape:
        single = False
        A = a
    else:
        raise ValueError(f"cosine: shapes {a.shape} and {b.shape} are incompatible")
    T = A.shape[0]
    Af = A.reshape(T, -1)
    bf = b.reshape(-1)
    # Scale by max-abs before the dot products so that huge iterates
    # (||w_t|| grows like sqrt(t)) cannot overflow the squared norms.
    sa = np.max(np.abs(Af), axis=1, initial=0.0)
    sb = float(np.max(np.abs(bf), initial=0.0))
    ok = (sa > 0) & (sb > 0)
    An = Af / np.where(sa > 0, sa, 1.0)[:, None]
    bn = bf / (sb if sb > 0 else 1.0)
    num = An @ bn
    den = np.sqrt(np.sum(An * An, axis=1)) * np.sqrt(bn @ bn)
    out = np.where(ok, num / np.where(ok, den, 1.0), np.nan)
    return float(out[0]) if single else out


def sparse_pair_matrix(H: ArrayLike, y: ArrayLike, *, num_classes: int | None = None) -> sp.csr_matrix:
    """`pair_matrix` as a sparse matrix: row (i, c≠y_i) holds h_i in block y_i and −h_i in block c (2d non-zeros of
    kd), the same rows in the same order."""
    import scipy.sparse as sp

    H = as_design_matrix(H, "H")
    n, d = H.shape
    labels, k = as_labels(y, n, num_classes)
    wrong = _wrong_classes(labels, k)
    yy, cc = np.repeat(labels, k - 1), wrong.ravel()
    cols = np.concatenate([yy[:, None] * d + np.arange(d), cc[:, None] * d + np.arange(d)], axis=1).ravel()
    rows = np.repeat(np.arange(n * (k - 1)), 2 * d)
    hh = np.repeat(H, k - 1, axis=0)
    vals = np.concatenate([hh, -hh], axis=1).ravel()
    return sp.csr_matrix((vals, (rows, cols)), shape=(n * (k - 1), k * d))


def max_norm_margin_sparse(H: ArrayLike, y: ArrayLike) -> MaxMarginSolution:
    """The max-norm margin γ_∞ as the bound-constrained LP  max τ  s.t.  A v ≥ τ·1, −1 ≤ v ≤ 1  (spec §1's
    equivalent LP) on the sparse pair matrix, by HiGHS's interior-point method (scipy `linprog`, 'highs-ipm').

    For k = 50 at n = 500 (A: 24500 × 1250, 4 % non-zeros) this takes ~8 s, against > 3 min for the dense
    min ‖v‖_∞ LP through cvxpy and ~2 min for HiGHS's dual simplex on this form. The bounds replace the epigraph
    constraints of ‖v‖_∞, and every v is feasible at τ = min(Av), so the LP is never infeasible: the data are
    separable iff τ* > 0. γ_∞ is recomputed from the returned direction (min margin over its max-norm), a
    certified lower bound of the optimum. V_∞ can be non-unique, so this is used where only γ_∞ is needed (the
    class sweep's extra data sets); the references of the main data sets keep `max_margin`'s solution.
    """
    import scipy.sparse as sp
    from scipy.optimize import linprog

    A = sparse_pair_matrix(H, y)
    scale = float(abs(A).max())
    if scale == 0.0:
        raise ValueError("data are not linearly separable: every sample is zero")
    A = A / scale
    rows, cols = A.shape
    c = np.zeros(cols + 1)
    c[-1] = -1.0  # maximise τ
    A_ub = sp.hstack([-A, sp.csr_matrix(np.ones((rows, 1)))], format="csr")  # τ − (Av)_r ≤ 0
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(rows), bounds=[(-1.0, 1.0)] * cols + [(None, None)], method="highs-ipm")
    if res.status != 0:
        raise RuntimeError(f"HiGHS (ipm) status {res.status}: {res.message}")
    v = np.asarray(res.x[:-1], dtype=np.float64)
    vmax = float(np.max(np.abs(v)))
    if vmax == 0.0 or not res.x[-1] > 0:
        raise ValueError("data are not linearly separable (max-norm LP margin <= 0)")
    gamma = scale * float(np.min(A @ v)) / vmax
    if abs(gamma - scale * float(res.x[-1])) > 1e-6 * gamma:
        raise RuntimeError(f"HiGHS (ipm): margin of the returned v {gamma:.9g} != LP optimum {scale * res.x[-1]:.9g}")
    k = A.shape[1] // np.shape(H)[1]
    return MaxMarginSolution(
        w=(v / vmax).reshape(k, -1), gamma=gamma, norm="inf", solver="HIGHS-IPM (sparse)", status="optimal"
    )
