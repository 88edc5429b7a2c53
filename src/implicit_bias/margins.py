"""Max-margin reference solutions and margin metrics (binary and multiclass).

The implicit-bias theorems reproduced by this package say that the direction of
an optimiser's iterates converges to a *max-margin* classifier for some norm:

* binary, label-absorbed data x_i <- y_i x_i (baek2025 §1, §4 "Reference
  solutions"):  gamma_p = max_{||w||_p <= 1} min_i <w, x_i>;
* multiclass data (h_i, y_i) with a linear classifier W in R^{k x d}
  (fan2025 §1, eq. 2):  gamma_p = max_{||W||_p <= 1} min_{i, c != y_i}
  (e_{y_i} - e_c)^T W h_i, with ||.||_p an ENTRY-WISE norm or (fan2025 v4
  §2-3) a SCHATTEN norm |||W|||_p = ||sigma(W)||_p of the singular values:
  "spectral" (p = inf, sigma_max), "nuclear" (p = 1), "schatten:<p>".

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

The Schatten margins are SDPs (``cp.sigma_max``, ``cp.normNuc`` of the row-major
reshape of the vector variable; fan2025 v4 §3 "cvxpy").  Clarabel reports them
``optimal_inaccurate`` at values correct to ~1e-9, so no status is trusted:
every Schatten solution is certified in numpy (:func:`max_margin`), and the
returned gamma is the margin of the returned direction, not the solver's value.
Their solutions are often not unique (V_spec has a flat spectrum, fan2025 v4
§3), so a cosine with "the" solution can depend on the solver:
:func:`margin_solution_spread` measures it.

cvxpy (about 1 s to import) is imported by the functions that solve, not by this module: a job that only measures
margins or cosines (metrics, checks, the workflow's DAG) does not load it.
"""

from __future__ import annotations

import os
import sys
import warnings
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
    "SCHATTEN_SOLVERS",
    "MaxMarginSolution",
    "SolutionSpread",
    "aligned_max_margin",
    "as_labels",
    "certify_schatten",
    "check_status",
    "cosine",
    "margin_solution_spread",
    "matrix_norm",
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

#: The conic solvers that handle the Schatten margins' semidefinite cones, with their options. SCS (first order)
#: at eps 1e-9 reaches status OPTIMAL on fan2025's default data in 0.5-4 s; Clarabel (interior point) is faster
#: but reports OPTIMAL_INACCURATE there, which is accepted only because the certificate below is checked anyway.
SCHATTEN_SOLVERS = {"SCS": {"eps_abs": 1e-9, "eps_rel": 1e-9, "max_iters": 200_000}, "CLARABEL": CLARABEL_OPTIONS}

#: Certificate of a Schatten solve (`max_margin`): the margin of the returned direction, min(A v)/|||V|||, computed
#: in numpy, must equal the solver's optimum 1/p.value to this relative tolerance (both solvers: ~1e-9) ...
SCHATTEN_VALUE_RTOL = 1e-6
#: ... and the dual bound from the constraint multipliers r >= 0, gamma <= |||A^T r|||_* / sum(r) (weak duality,
#: the dual norm being nuclear for spectral and conversely), must exceed it by at most this relative gap, which
#: bounds the error of the returned gamma (SCS: ~1e-9; Clarabel's multipliers: up to ~6e-6).
SCHATTEN_GAP_RTOL = 1e-5


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
        cvxpy problem status: ``"optimal"``, or for a Schatten norm also
        ``"optimal_inaccurate"`` (accepted after the certificate).
    certificate_gap : float or None
        Schatten norms: the relative duality gap (gamma_dual - gamma) / gamma
        of the certificate (the true max margin lies in [gamma, gamma(1 + gap)]).
        None for the entry-wise norms, whose OPTIMAL status is trusted.
    """

    w: np.ndarray
    gamma: float
    norm: int | float | str
    solver: str
    status: str
    certificate_gap: float | None = None


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


_NORM_HINT = (
    "use 2, 'inf' (alias 'max', np.inf) or a float p >= 1 (entry-wise), or for a multiclass matrix 'spectral', "
    "'nuclear' or 'schatten:<p>' (Schatten, p >= 1 or inf)"
)


def _normalize_norm(norm, *, matrix: bool = True) -> int | float | str:
    """Map a user norm spec to an entry-wise 2, "inf" or float p >= 1, or a Schatten "spectral", "nuclear" or
    "schatten:<p>" (1 < p < inf, p != 2: "schatten:2" is the Frobenius norm, returned as the entry-wise 2). A
    ValueError for anything else, and for a Schatten norm when `matrix` is False (a binary classifier is a vector)."""
    if isinstance(norm, str):
        key = norm.strip().lower()
        if key in ("inf", "max"):
            return "inf"
        if key in ("spectral", "nuclear"):
            out: int | float | str = key
        elif key.startswith("schatten:"):
            out = _schatten_spec(norm, key.removeprefix("schatten:"))
        else:
            raise ValueError(f"unknown norm {norm!r}; {_NORM_HINT}")
        if not matrix and _is_schatten(out):
            raise ValueError(
                f"the Schatten norm {norm!r} needs a multiclass (k, d) matrix W (give the labels y); a binary "
                "classifier is a vector: use an entry-wise norm (2, 'inf' or a float p >= 1)"
            )
        return out
    if isinstance(norm, bool) or not isinstance(norm, Real):
        raise ValueError(f"unknown norm {norm!r}; {_NORM_HINT}")
    p = float(norm)
    if np.isnan(p) or p < 1:
        # p < 1 is not a norm (non-convex unit ball).
        raise ValueError(f"norm p must satisfy p >= 1, got {norm!r}")
    if np.isinf(p):
        return "inf"
    if p == 2:
        return 2
    return p


def _schatten_spec(norm: str, text: str) -> int | str:
    """The canonical form of "schatten:<text>": "spectral" (p = inf), "nuclear" (p = 1), 2 (the Frobenius norm,
    equal to the entry-wise 2-norm) or "schatten:<p>"."""
    try:
        p = float(text)
    except ValueError:
        raise ValueError(f"unknown norm {norm!r}: 'schatten:<p>' needs a number p >= 1 or inf") from None
    if np.isnan(p) or p < 1:
        # Schatten p < 1 is not a norm (non-convex unit ball), as for the entry-wise family.
        raise ValueError(f"Schatten norm p must satisfy p >= 1, got {norm!r}")
    if np.isinf(p):
        return "spectral"
    if p == 1:
        return "nuclear"
    if p == 2:
        return 2
    return f"schatten:{int(p) if p.is_integer() else p!r}"


def _is_schatten(norm) -> bool:
    """Whether a normalised norm spec is a Schatten norm (other than Schatten-2 = the entry-wise 2)."""
    return isinstance(norm, str) and norm != "inf"


def _schatten_p(norm: str) -> int | float | str:
    """The entry-wise spec of the singular values' norm: |||W|||_p = ||sigma(W)||_p."""
    if norm == "spectral":
        return "inf"
    if norm == "nuclear":
        return 1
    return float(norm.removeprefix("schatten:"))


#: The dual of each Schatten norm solved by `max_margin` w.r.t. <A, B> = tr(A^T B) (fan2025 v4 §2: Schatten p <-> q).
_DUAL_SCHATTEN = {"spectral": "nuclear", "nuclear": "spectral"}


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


def _stack_norms(W: np.ndarray, norm) -> np.ndarray:
    """Norms (T,) of a stack W (T, k, d); ``norm`` already normalised. A Schatten norm of a matrix with a NaN or inf
    entry is nan (the SVD would not converge)."""
    if not _is_schatten(norm):
        return _entrywise_norm(W, norm, (1, 2))
    finite = np.all(np.isfinite(W), axis=(1, 2))
    sigma = np.full((W.shape[0], min(W.shape[1:])), np.nan)
    if finite.any():
        sigma[finite] = np.linalg.svd(W[finite], compute_uv=False)
    return _entrywise_norm(sigma, _schatten_p(norm), (1,))


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
    return cp.Minimize(_norm_expression(v, norm))


def _norm_expression(v: cp.Variable, norm) -> cp.Expression:
    """||v|| for an entry-wise norm of the VECTOR v."""
    import cvxpy as cp

    if norm == 2:
        return cp.norm(v, 2)
    if norm == "inf":
        return cp.norm(v, "inf")
    if norm == 1:
        return cp.norm1(v)
    # General p: cvxpy represents pnorm with power/SOC cones; for non-integer p
    # it uses a rational approximation of p (max denominator 1024).
    return cp.pnorm(v, float(norm))  # type: ignore[arg-type]  # cvxpy takes a float p, typed int


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


def _constraints(
    X: ArrayLike, y: ArrayLike | None, num_classes: int | None
) -> tuple[np.ndarray, float, tuple[int, ...]]:
    """(A / max|A|, max|A|, the classifier's shape) for the margin constraints A v >= 1: A = X (binary) or the pair
    matrix (multiclass, a (k, d) classifier).

    The solves use A / max|A|: the margin is homogeneous (gamma(sA) = s gamma(A), same direction), and Clarabel's
    absolute gap/feasibility tolerances are only meaningful for O(1) data.  Without this, data of magnitude ~500
    gave margins off by ~1e-5 relative even with tol 1e-10.
    """
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
    scale = float(np.max(np.abs(A)))
    if scale == 0.0:
        raise ValueError("data are not linearly separable: every sample is zero")
    return A / scale, scale, out_shape


def max_margin(
    X: ArrayLike,
    y: ArrayLike | None = None,
    norm: int | float | str = 2,
    *,
    solver: str | None = None,
    num_classes: int | None = None,
) -> MaxMarginSolution:
    """Max-margin classifier for an entry-wise p-norm or (multiclass) a Schatten norm.

    Solves v* = argmin ||v|| s.t. A v >= 1 and returns the direction
    w = v*/||v*|| and the margin gamma = 1/||v*||
    (baek2025 §4 "Reference solutions"; fan2025 §1 "Computing V_inf, V_2";
    fan2025 v4 §3 for the spectral and nuclear norms).

    The Schatten problems are SDPs on the row-major reshape V of v (the vec of
    :func:`pair_matrix`), restricted to 1^T V = 0: every row of A is
    vec((e_y - e_c) h^T) with 1^T (e_y - e_c) = 0, so the projection
    V -> (I - 11^T/k) V keeps every margin and, being orthogonal, raises no
    Schatten norm; the optimum is the same, and the solution is the
    representative the spectral-descent iterates share (fan2025 v4 §3).  No
    solver status is trusted there: the returned solution is certified
    (``SCHATTEN_VALUE_RTOL``, ``SCHATTEN_GAP_RTOL``), gamma is the margin of the
    returned direction computed in numpy, and ``certificate_gap`` the relative
    duality gap.  V_spec is often not unique (:func:`margin_solution_spread`).

    Parameters
    ----------
    X : array (n, d)
        Binary: label-absorbed samples x_i <- y_i x_i (constraints X w >= 1).
        Multiclass (``y`` given): features h_i.
    y : array (n,), optional
        Multiclass labels in [0, k).  If given, A = :func:`pair_matrix` and
        ``w`` is returned with shape (k, d), unit norm (entry-wise or Schatten).
    norm : 2, "inf" (aliases np.inf, "max"), 1 or float p >= 1 (entry-wise);
        multiclass only: "spectral" ("schatten:inf") or "nuclear" ("schatten:1").
        "schatten:2" is the entry-wise 2.  Other Schatten p are refused: cvxpy
        has no atom for them.
    solver : str, optional
        cvxpy solver name.  Default: HIGHS for norm inf/1 (LPs), SCS for the
        Schatten SDPs (or CLARABEL, see ``SCHATTEN_SOLVERS``), CLARABEL otherwise.
    num_classes : int, optional
        Passed to :func:`pair_matrix`.

    Raises
    ------
    ValueError
        Bad shapes/labels, NaN/inf, empty data, unknown or unsupported norm, or
        data that are not linearly separable (message contains "separable").
    RuntimeError
        Solver status other than OPTIMAL/infeasible (e.g. OPTIMAL_INACCURATE for
        an entry-wise norm), or a Schatten solution that fails its certificate.
    """
    norm = _normalize_norm(norm, matrix=y is not None)
    if _is_schatten(norm):
        _check_schatten_supported(str(norm), "max_margin")
        solver = "SCS" if solver is None else str(solver).upper()
        if solver not in SCHATTEN_SOLVERS:
            raise ValueError(f"the {norm} max margin is an SDP: solver must be one of {sorted(SCHATTEN_SOLVERS)}")
    else:
        solver = _default_solver(norm) if solver is None else str(solver).upper()
    A_hat, scale, out_shape = _constraints(X, y, num_classes)
    if _is_schatten(norm):
        return _schatten_max_margin(A_hat, scale, out_shape, str(norm), solver)

    import cvxpy as cp

    v = cp.Variable(A_hat.shape[1])
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


def _check_schatten_supported(norm: str, caller: str) -> None:
    if norm not in _DUAL_SCHATTEN:
        raise ValueError(
            f"{caller}: the {norm} norm has no cvxpy atom (Schatten p for 1 < p < inf, p != 2); supported Schatten "
            "norms: 'spectral' (schatten:inf), 'nuclear' (schatten:1) and 'schatten:2' (= the entry-wise 2)"
        )


def _schatten_expression(V: cp.Expression, norm: str) -> cp.Expression:
    """|||V||| as a cvxpy expression: sigma_max (an SDP: min t s.t. [[tI, V], [V^T, tI]] >= 0) or the nuclear norm."""
    import cvxpy as cp

    return cp.sigma_max(V) if norm == "spectral" else cp.normNuc(V)


def _schatten_variable(shape: tuple[int, ...]) -> tuple[cp.Variable, cp.Expression, list]:
    """(v, V, [1^T V = 0]): the vector variable, its ROW-MAJOR (k, d) reshape (the vec of `pair_matrix`; cvxpy's
    reshape defaults to column-major, which would pair the constraints with the transposed entries) and the
    subspace constraint of `max_margin`'s docstring."""
    import cvxpy as cp

    v = cp.Variable(int(np.prod(shape)))
    V = cp.reshape(v, shape, order="C")
    return v, V, [cp.sum(V, axis=0) == 0]


def _solve_for_certificate(prob: cp.Problem, solver: str, options: dict) -> None:
    """Solve a problem whose solution the caller certifies in numpy: OPTIMAL and OPTIMAL_INACCURATE go on to that
    certificate (so cvxpy's "Solution may be inaccurate" warning is not shown), infeasible is the 'not separable'
    ValueError, anything else a RuntimeError."""
    import cvxpy as cp

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Solution may be inaccurate", category=UserWarning)
        prob.solve(solver=solver, **options)
    if prob.status not in (cp.OPTIMAL, cp.OPTIMAL_INACCURATE):
        check_status(prob, solver)  # raises: the infeasibility ValueError or the RuntimeError naming the status


def _schatten_max_margin(
    A_hat: np.ndarray, scale: float, shape: tuple[int, ...], norm: str, solver: str
) -> MaxMarginSolution:
    """`max_margin` for the spectral or nuclear norm on the scaled constraints A_hat v >= 1."""
    import cvxpy as cp

    v, V, subspace = _schatten_variable(shape)
    margins = A_hat @ v >= 1
    prob = cp.Problem(cp.Minimize(_schatten_expression(V, norm)), [margins, *subspace])
    _solve_for_certificate(prob, solver, SCHATTEN_SOLVERS[solver])
    if v.value is None or margins.dual_value is None:
        raise RuntimeError(f"solver {solver} returned status {prob.status!r} without a primal-dual solution")
    v_star = np.asarray(v.value, dtype=np.float64)
    multipliers = np.asarray(margins.dual_value, dtype=np.float64)
    gamma_hat, gap = certify_schatten(A_hat, v_star, multipliers, 1.0 / float(prob.value), norm, shape, solver)
    w = v_star.reshape(shape) / float(_stack_norms(v_star.reshape((1, *shape)), norm)[0])
    return MaxMarginSolution(
        w=w, gamma=scale * gamma_hat, norm=norm, solver=solver, status=prob.status, certificate_gap=gap
    )


def certify_schatten(
    A_hat: np.ndarray,
    v: np.ndarray,
    multipliers: np.ndarray,
    optimum: float,
    norm: str,
    shape: tuple[int, ...],
    solver: str = "the solver",
) -> tuple[float, float]:
    """Certify a Schatten max-margin solve in numpy; return (gamma, relative duality gap) or raise RuntimeError.

    gamma = min(A v) / |||V||| is the margin of the returned direction, a lower bound on the max margin; it must
    equal the solver's `optimum` (1 / its objective) to ``SCHATTEN_VALUE_RTOL``.  Any multipliers r >= 0 of
    A v >= 1 give the upper bound |||A^T r|||_* / sum(r) (weak duality: for unit |||V|||, r^T A v = <A^T r, V>
    <= |||A^T r|||_*, the dual norm, so some pair has margin <= that average; fan2025 v4 §3's dual), which must
    exceed gamma by at most ``SCHATTEN_GAP_RTOL`` relative.  Then the true max margin lies in
    [gamma, gamma (1 + gap)].
    """
    V = v.reshape((1, *shape))
    vnorm = float(_stack_norms(V, norm)[0])
    worst = float(np.min(A_hat @ v))
    if not (vnorm > 0 and worst > 0):
        raise RuntimeError(f"{solver}: the returned {norm} solution has no positive margin (min A v = {worst:.3g})")
    gamma = worst / vnorm
    if not abs(gamma - optimum) <= SCHATTEN_VALUE_RTOL * gamma:
        raise RuntimeError(
            f"{solver}: the {norm} certificate failed: the margin of the returned direction, {gamma:.10g}, differs "
            f"from the solver's optimum {optimum:.10g} by more than {SCHATTEN_VALUE_RTOL:g} relative"
        )
    r = np.maximum(multipliers, 0.0)
    total = float(r.sum())
    if total <= 0:
        raise RuntimeError(f"{solver}: the {norm} certificate failed: no positive multiplier of the margin constraints")
    dual = float(_stack_norms((A_hat.T @ r).reshape((1, *shape)), _DUAL_SCHATTEN[norm])[0]) / total
    gap = (dual - gamma) / gamma
    if not gap <= SCHATTEN_GAP_RTOL:
        raise RuntimeError(
            f"{solver}: the {norm} certificate failed: the dual bound {dual:.10g} exceeds the margin {gamma:.10g} "
            f"of the returned direction by {gap:.3g} relative (tolerance {SCHATTEN_GAP_RTOL:g})"
        )
    return gamma, gap


def _classifier_norm(v: np.ndarray, norm, shape: tuple[int, ...]) -> float:
    """The norm of a flat classifier v: a vector (binary, entry-wise) or the row-major (k, d) matrix."""
    return float(_stack_norms(v.reshape((1, *shape)) if len(shape) == 2 else v.reshape(1, 1, -1), norm)[0])


@dataclass(frozen=True)
class SolutionSpread:
    """Result of :func:`margin_solution_spread`.

    Attributes
    ----------
    solution : MaxMarginSolution
        The reference max-margin solution (as :func:`max_margin` returns it).
    farthest : ndarray
        A max-margin direction (to the relative ``slack``), unit norm, with
        the smallest Frobenius cosine with ``solution.w``.
    gamma_farthest : float
        Its normalised margin, computed in numpy (>= gamma (1 - 2 slack), with
        gamma the margin of ``solution.w``).
    cosine : float
        cosine(solution.w, farthest): 1 when the solution is unique.
    unique : bool
        ``1 - cosine <= tol``: every max-margin solution is within that of the
        reference, so a cosine with it does not depend on the solver.
    slack, tol : float
        The settings used.
    """

    solution: MaxMarginSolution
    farthest: np.ndarray
    gamma_farthest: float
    cosine: float
    unique: bool
    slack: float
    tol: float


#: `margin_solution_spread`'s defaults: solutions within 1e-6 of the max margin; unique when they all have cosine
#: >= 1 - 1e-4 with the reference.  Unique solutions measured 1 - cosine <= 3e-6 (the near-optimal set of a unique
#: solution has size O(slack)); non-unique ones 0.05-0.6 (wine, fan2025-style data: V_spec and V_inf).
SPREAD_SLACK = 1e-6
SPREAD_TOL = 1e-4


def margin_solution_spread(
    X: ArrayLike,
    y: ArrayLike | None = None,
    norm: int | float | str = 2,
    *,
    solution: MaxMarginSolution | None = None,
    slack: float = SPREAD_SLACK,
    tol: float = SPREAD_TOL,
    num_classes: int | None = None,
) -> SolutionSpread:
    """Whether the max-margin solution of ``norm`` is unique, so that a cosine with it means something.

    One more convex solve: the max-margin direction farthest from the reference w (``solution``, else
    :func:`max_margin`'s), min <w, v> s.t. A v >= 1, ||v|| <= (1 + slack) / gamma (in the units of v* = w/gamma;
    for a Schatten norm also 1^T V = 0, as in :func:`max_margin`).  Two solvers agreeing would not prove
    uniqueness (interior-point methods all land near the centre of the optimal face); this measures the face's
    extent in the direction that lowers the cosine most.  The LPs use HiGHS; the rest Clarabel, whose status is
    accepted only once the returned direction's margin, computed in numpy, is within 2 slack of gamma
    (RuntimeError otherwise).  A strictly convex norm (entry-wise or Schatten 1 < p < inf) always gives a unique
    solution; the max-, sum-, spectral and nuclear norms may not (fan2025 v4 §3: V_spec has a flat spectrum;
    engineering.md §3: the LP face of V_inf).
    """
    if not (0 < slack < 1e-2 and 0 < tol < 1):
        raise ValueError(f"need 0 < slack < 0.01 and 0 < tol < 1, got slack={slack!r}, tol={tol!r}")
    norm = _normalize_norm(norm, matrix=y is not None)
    if _is_schatten(norm):
        _check_schatten_supported(str(norm), "margin_solution_spread")
    if solution is None:
        solution = max_margin(X, y, norm, num_classes=num_classes)
    elif solution.norm != norm:
        raise ValueError(f"solution is a {solution.norm!r}-norm max margin, not {norm!r}")
    A_hat, scale, shape = _constraints(X, y, num_classes)
    if solution.w.shape != shape:
        raise ValueError(f"solution.w has shape {solution.w.shape}, the data give classifiers of shape {shape}")
    far = _extreme_solution(A_hat, norm, shape, solution, solution.w, slack)
    far_norm = _classifier_norm(far, norm, shape)
    farthest = (far / far_norm).reshape(shape)
    gamma_far = scale * float(np.min(A_hat @ far)) / far_norm
    cos = float(cosine(farthest, solution.w))
    return SolutionSpread(
        solution=solution,
        farthest=farthest,
        gamma_farthest=gamma_far,
        cosine=cos,
        unique=bool(1 - cos <= tol),
        slack=slack,
        tol=tol,
    )


def aligned_max_margin(
    X: ArrayLike,
    y: ArrayLike | None,
    norm: int | float | str,
    W: ArrayLike,
    *,
    solution: MaxMarginSolution | None = None,
    slack: float = SPREAD_SLACK,
    num_classes: int | None = None,
) -> np.ndarray:
    """The max-margin direction (unit norm, within the relative ``slack`` of γ) that maximises ⟨W, V⟩: where the
    solution is not unique (V_spec, V_∞), the optimal separator nearest the classifier W.

    Its cosine with W is a lower bound of the largest cosine of W with any optimal separator (⟨W, V⟩ is maximised
    over the optimal set at fixed ``norm``, not the cosine, whose Frobenius denominator varies over the set), so a
    claim "W correlates best with V" that holds with it holds for some optimal V. Solved as
    :func:`margin_solution_spread`'s problem with the objective reversed, and certified the same way.
    """
    norm = _normalize_norm(norm, matrix=y is not None)
    if _is_schatten(norm):
        _check_schatten_supported(str(norm), "aligned_max_margin")
    if solution is None:
        solution = max_margin(X, y, norm, num_classes=num_classes)
    A_hat, _scale, shape = _constraints(X, y, num_classes)
    W = np.asarray(W, dtype=np.float64)
    if W.shape != shape:
        raise ValueError(f"W has shape {W.shape}, the data give classifiers of shape {shape}")
    near = _extreme_solution(A_hat, norm, shape, solution, -W, slack)
    return (near / _classifier_norm(near, norm, shape)).reshape(shape)


def _extreme_solution(
    A_hat: np.ndarray, norm, shape: tuple, solution: MaxMarginSolution, direction: ArrayLike, slack: float
) -> np.ndarray:
    """v minimising ⟨direction, v⟩ over the max-margin solutions: A_hat v ≥ 1, ‖v‖ ≤ (1 + slack)/γ(solution.w)
    (and 1ᵀV = 0 for a Schatten norm, as in `max_margin`); its margin is certified within 2 slack of γ in numpy."""
    import cvxpy as cp

    if _is_schatten(norm):
        v, V, subspace = _schatten_variable(shape)
        size = _schatten_expression(V, str(norm))
    else:
        v, subspace = cp.Variable(A_hat.shape[1]), []
        size = _norm_expression(v, norm)
    reference = np.asarray(solution.w, dtype=np.float64).ravel()
    # v = w / min(A_hat w) is feasible with norm ||w|| / min(A_hat w) = 1 / gamma(A_hat) of the reference direction
    # (its own margin, not the stored gamma, which an LP's 1e-6 feasibility slack could overstate): always feasible.
    ref_margin = float(np.min(A_hat @ reference)) / _classifier_norm(reference, norm, shape)
    if not ref_margin > 0:
        raise ValueError("solution.w has no positive margin on these data")
    radius = (1 + slack) / ref_margin
    objective = np.asarray(direction, dtype=np.float64).ravel()
    objective = objective / np.max(np.abs(objective))  # scale-free: the solver's tolerances are absolute
    prob = cp.Problem(cp.Minimize(objective @ v), [A_hat @ v >= 1, size <= radius, *subspace])
    solver = "HIGHS" if norm in ("inf", 1) else "CLARABEL"
    if solver == "HIGHS":
        _quiet_highs_banner()
    _solve_for_certificate(prob, solver, CLARABEL_OPTIONS if solver == "CLARABEL" else {})
    if v.value is None:
        raise RuntimeError(f"solver {solver} returned status {prob.status!r} without a solution")
    found = np.asarray(v.value, dtype=np.float64)
    margin = float(np.min(A_hat @ found)) / _classifier_norm(found, norm, shape)
    if not margin >= ref_margin * (1 - 2 * slack):
        raise RuntimeError(
            f"{solver}: the extreme {norm!r} solution has margin {margin:.10g}, not within {2 * slack:g} of the "
            f"max margin {ref_margin:.10g} (in the solver's data scaling)"
        )
    return found


def matrix_norm(W: ArrayLike, norm: int | float | str) -> float | np.ndarray:
    """Norm of a multiclass classifier W (k, d), or of each matrix of a stack (T, k, d).

    Entry-wise ||W||_p = (sum_ij |W_ij|^p)^(1/p) (``2``, ``"inf"``/``"max"``, a
    float p >= 1) or Schatten |||W|||_p = ||sigma(W)||_p over the singular values
    (``"spectral"`` = sigma_max, ``"nuclear"`` = sum of sigma, ``"schatten:<p>"``;
    ``"schatten:2"`` is the Frobenius norm = the entry-wise 2-norm), as in
    fan2025 v4 §2.  Both families lie between the max- and the sum-norm
    (fan2025 v4 eq. 7).

    Returns a float for one matrix, an ndarray (T,) for a stack.
    """
    norm = _normalize_norm(norm)
    a = np.asarray(W, dtype=np.float64)
    if a.ndim not in (2, 3):
        raise ValueError(f"matrix_norm: W must have shape (k, d) or (T, k, d), got {a.shape}")
    out = _stack_norms(a[None] if a.ndim == 2 else a, norm)
    return float(out[0]) if a.ndim == 2 else out


def normalized_margin(
    w: ArrayLike, X: ArrayLike, y: ArrayLike | None = None, norm: int | float | str = 2
) -> float | np.ndarray:
    """Normalised margin of a classifier (or a batch of iterates).

    Binary (baek2025 §6 check 10): min_i <w, x_i> / ||w||.
    Multiclass (fan2025 §1 "Margins", gamma-bar_p): min_{i, c != y_i}
    (e_{y_i} - e_c)^T W h_i / ||W|| with an entry-wise norm or a Schatten
    norm (fan2025 v4 §3, the iterate metric of Theorems 1-2).

    By definition this is <= gamma_p for every w, with equality at the
    max-margin direction.

    Parameters
    ----------
    w : array (d,) or (T, d) [binary]; (k, d) or (T, k, d) [multiclass]
        A single classifier or a stack of T iterates.
    X : array (n, d)
    y : array (n,), optional
        Multiclass labels; k is taken from ``w.shape[-2]``.
    norm : as in :func:`max_margin`, and any "schatten:<p>" (:func:`matrix_norm`)
        for multiclass data.

    Returns
    -------
    float for a single classifier, ndarray (T,) for a batch.  A zero
    classifier gives nan (its direction is undefined), without warnings.
    """
    norm = _normalize_norm(norm, matrix=y is not None)
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
        norms = _stack_norms(W, norm)

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
