"""The update-rule core shared by the numba kernels (`_fast` binary, `_fast_multiclass` multiclass).

One compiled step function, `update`, turns the scaled batch gradient ∇L_B = e^c ĝ (a flat view of the parameters)
into the direction d_t of w_{t+1} = w_t − η_t d_t and advances the log-scale moment state, for every optimizer of
`optimizers.OPTIMIZERS` (the one table of optimizer codes). The scalar formulas (η_t, the log-scale bookkeeping, the
EMAs, bias correction, ε and the preconditioner) are the numpy reference's own functions from `optimizers`,
compiled here, so they exist once; what this module adds is the per-coordinate loops the reference writes as array
expressions. `update` is inlined into each kernel's step loop, so the call costs nothing.
"""

from __future__ import annotations

import hashlib
import math
from pathlib import Path
from typing import NamedTuple

import numpy as np
from numba import njit
from numba.core import cgutils
from numba.extending import intrinsic

from . import optimizers as _opt
from .hyperparameters import POLARS
from .optimizers import OPTIMIZERS, UpdateRule

__all__ = [
    "CODES",
    "Hyper",
    "drop_stale_kernel_caches",
    "hyper",
    "log_mean_exp",
    "matrix_update",
    "step_size",
    "unowned",
    "update",
]

# numba's on-disk cache (cache=True) is keyed on the source file of each compiled function only: a kernel in _fast.py
# that inlines `update` would keep running the old rule after an edit here or in optimizers.py. So the kernels'
# caches are dropped whenever any of the files they are compiled from changes.
_KERNEL_SOURCES = ("_core.py", "optimizers.py", "_fast.py", "_fast_multiclass.py")


def drop_stale_kernel_caches(cache: Path | None = None) -> None:
    """Delete the kernels' numba cache files in `cache` (default: the package's __pycache__) unless they were
    compiled from the current sources (a digest of them is kept next to the cache)."""
    here = Path(__file__).parent
    digest = hashlib.sha256(b"".join((here / name).read_bytes() for name in _KERNEL_SOURCES)).hexdigest()
    cache = here / "__pycache__" if cache is None else Path(cache)
    stamp = cache / "kernels.sha256"
    try:
        if stamp.is_file() and stamp.read_text() == digest:
            return
        for name in _KERNEL_SOURCES:
            for path in cache.glob(f"{Path(name).stem}.*.nb[ic]"):
                path.unlink(missing_ok=True)
        cache.mkdir(exist_ok=True)
        stamp.write_text(digest)
    except OSError:  # a read-only install: numba then caches elsewhere or not at all
        pass


drop_stale_kernel_caches()

CODES = {name: i for i, name in enumerate(OPTIMIZERS)}
# looked up by name, so that reordering OPTIMIZERS cannot swap two rules
GD, NGD, SIGNGD, SIGNUM, ADAM, ADAM_PROXY, NSD, NMD, SPECTRAL, MUON = (
    CODES[name] for name in ("gd", "ngd", "signgd", "signum", "adam", "adam_proxy", "nsd", "nmd", "spectral", "muon")
)
POLAR_SVD, POLAR_NEWTON_SCHULZ, POLAR_CUBIC = (POLARS.index(name) for name in ("svd", "newton_schulz", "cubic"))
POLAR_RTOL = _opt.POLAR_RTOL
NS_A, NS_B, NS_C = _opt.NEWTON_SCHULZ_COEFFICIENTS
CUBIC_A, CUBIC_B, CUBIC_C = _opt.CUBIC_COEFFICIENTS

# the numpy reference's scalar parts, compiled (inlined where they are called)
step_size = njit(cache=True, inline="always")(_opt.step_size)
new_log_scale = njit(cache=True, inline="always")(_opt.new_log_scale)
moment_ema = njit(cache=True, inline="always")(_opt.moment_ema)
second_moment_ema = njit(cache=True, inline="always")(_opt.second_moment_ema)
bias_corrections = njit(cache=True, inline="always")(_opt.bias_corrections)
adam_eps = njit(cache=True, inline="always")(_opt.adam_eps)
adam_denominator = njit(cache=True, inline="always")(_opt.adam_denominator)


class Hyper(NamedTuple):
    """An `UpdateRule` as the kernels see it (numba passes a named tuple by value)."""

    code: int
    beta1: float
    beta2: float
    eps_inside: bool
    bias_correction: bool
    p: float  # the steepest-descent norm (2 for NGD, ∞ for SignGD)
    q: float  # its dual exponent p/(p−1) (0 unless 1 < p < ∞)
    log_rho: float  # log of the state decay (−∞ for stateless rules)
    log_eps: float  # log ε (−∞ for ε = 0)
    schatten: bool  # the direction is taken in a Schatten norm of the (k, d) matrix (multiclass kernel only)
    polar: int  # POLARS index: how the spectral direction is computed
    polar_steps: int  # iterations of the Newton-Schulz or cubic orthogonalisation


def hyper(rule: UpdateRule) -> Hyper:
    p = rule.norm_p
    q = p / (p - 1.0) if 1.0 < p < math.inf else 0.0
    return Hyper(
        code=rule.code,
        beta1=float(rule.beta1),
        beta2=float(rule.beta2),
        eps_inside=bool(rule.eps_inside),
        bias_correction=bool(rule.bias_correction),
        p=float(p),
        q=float(q),
        log_rho=float(rule.log_state_decay),
        log_eps=float(rule.log_eps),
        schatten=bool(rule.schatten),
        polar=POLARS.index(rule.polar),
        polar_steps=int(rule.polar_steps),
    )


@intrinsic
def unowned(typingctx, array):
    """The same array (data, shape, strides) without numba's reference count: only for arrays that something else
    keeps alive for as long as the view is used (an argument of the caller, a buffer its caller allocated).

    Why: numba counts references to an array with atomic increments and decrements, and every array passed to an
    inlined function (`update` takes five) gets a pair per call that its pruning pass does not always remove; in an
    Inc-Adam step they took about 40% of the time. On a view without a count they are skipped (a null test).
    """

    def codegen(context, builder, signature, args):
        # numba's ArrayModel: (meminfo, parent, nitems, itemsize, data, shape, strides); null the first two
        view = args[0]
        for field in (0, 1):
            view = builder.insert_value(view, cgutils.get_null_value(view.type.elements[field]), field)
        return view

    return array(array), codegen


@njit(cache=True, inline="always")
def log_mean_exp(terms):
    """log((1/n) Σ_i e^{terms_i}) by log-sum-exp: a mean loss from per-sample log-losses, at any margin."""
    n = terms.shape[0]
    top = -np.inf
    for i in range(n):
        if terms[i] > top:
            top = terms[i]
    acc = 0.0
    for i in range(n):
        acc += math.exp(terms[i] - top)
    return top + math.log(acc) - math.log(n)


@njit(cache=True, inline="always")
def _nsd(g, p, q, out):
    """`optimizers.nsd_direction` as loops: argmax_{‖Δ‖_p ≤ 1} ⟨g, Δ⟩ (sign for p = ∞, first argmax for p = 1)."""
    n = g.shape[0]
    if p == math.inf:
        for k in range(n):
            out[k] = np.sign(g[k])
        return
    top = 0.0
    arg = 0
    for k in range(n):
        a = abs(g[k])
        if a > top:
            top = a
            arg = k
    for k in range(n):
        out[k] = 0.0
    if top == 0.0:
        return
    if p == 1.0:
        out[arg] = np.sign(g[arg])
    elif p == 2.0:
        acc = 0.0
        for k in range(n):
            a = g[k] / top  # |a| ≤ 1: no overflow
            acc += a * a
        nrm = math.sqrt(acc)
        for k in range(n):
            out[k] = g[k] / top / nrm
    else:
        acc = 0.0
        for k in range(n):
            a = abs(g[k] / top)
            out[k] = a ** (q - 1.0)  # one power per entry: |a|^q = |a|^{q−1}·|a|
            acc += out[k] * a
        den = acc ** ((q - 1.0) / q)
        for k in range(n):
            out[k] = np.sign(g[k]) * out[k] / den


@njit(cache=True, inline="always")
def update(h, t, c, s, g, g2, m, v, out):
    """Fill `out` with d_t from ∇L_B = e^c g (flat; g2 = ĝ₂ for AdamProxy) and return the state's new log-scale.

    m, v: the scaled moments (flat, updated in place); s: their log-scale (−∞ before the first step).
    """
    n = g.shape[0]
    code = h.code
    if code == GD:
        scale = math.exp(c)
        for k in range(n):
            out[k] = scale * g[k]
        return s
    if code in (NGD, SIGNGD, NSD, SPECTRAL):
        _nsd(g, h.p, h.q, out)
        return s
    if code == ADAM_PROXY:
        # baek2025 Def. 4.2: P(w)^{-1}∇L with P = diag(sqrt((1/N)Σ_i ∇L_i²)); e^c cancels
        for k in range(n):
            out[k] = g[k] / math.sqrt(g2[k]) if g2[k] > 0.0 else 0.0
        return s
    s_new = new_log_scale(s, c, h.log_rho)
    decay = math.exp(s - s_new)  # 0 on the first step
    fresh = math.exp(c - s_new)
    if code == SIGNUM:
        for k in range(n):
            m[k] = moment_ema(m[k], fresh * g[k], h.beta1, decay)
            out[k] = np.sign(m[k])
        return s_new
    if code in (NMD, MUON):
        # fan2025 v4 eqs 4-5: the steepest direction of the EMA momentum (entry-wise here; see `matrix_update`)
        for k in range(n):
            m[k] = moment_ema(m[k], fresh * g[k], h.beta1, decay)
        _nsd(m, h.p, h.q, out)
        return s_new
    # Adam (baek2025 Alg. 1/2; fan2025 eqs 3a-3c), optionally bias-corrected and with ε
    c1, c2 = 1.0, 1.0
    if h.bias_correction:
        c1, c2 = bias_corrections(t, h.beta1, h.beta2)
    e_add, floor = adam_eps(h.log_eps, h.eps_inside, s_new)
    # the same loop three times, so that `adam_denominator`'s branches on (floor, eps_inside) are decided once per
    # step: a loop without branches vectorises (packed sqrt and division, correctly rounded like the scalar ones)
    if floor > 0.0:
        _adam_loop(g, m, v, out, fresh, decay, h.beta1, h.beta2, c1, c2, 0.0, floor, False)
    elif h.eps_inside:
        _adam_loop(g, m, v, out, fresh, decay, h.beta1, h.beta2, c1, c2, e_add, 0.0, True)
    else:
        _adam_loop(g, m, v, out, fresh, decay, h.beta1, h.beta2, c1, c2, e_add, 0.0, False)
    return s_new


@njit(cache=True, inline="always")
def _adam_loop(g, m, v, out, fresh, decay, beta1, beta2, c1, c2, e_add, floor, eps_inside):
    """Adam's per-coordinate step (baek2025 Alg. 1/2; fan2025 eqs 3a-3c) in the state's frame."""
    for k in range(g.shape[0]):
        gk = fresh * g[k]
        m[k] = moment_ema(m[k], gk, beta1, decay)
        v[k] = second_moment_ema(v[k], gk, beta2, decay)
        den = adam_denominator(c2 * v[k], e_add, floor, eps_inside)
        out[k] = c1 * m[k] / den if den > 0.0 else 0.0


@njit(cache=True)
def _schatten(G, p, q, polar, polar_steps, out):
    """`optimizers.matrix_direction` compiled: the Schatten-p steepest direction of the matrix G (k, d) into `out`,
    from G's truncated SVD, or for p = ∞ with `polar` ≠ svd by Newton-Schulz / cubic iterations."""
    k, d = G.shape
    if p == math.inf and polar != POLAR_SVD:
        a, b, c = (NS_A, NS_B, NS_C) if polar == POLAR_NEWTON_SCHULZ else (CUBIC_A, CUBIC_B, CUBIC_C)
        tall = k > d
        X = np.ascontiguousarray(G.T) if tall else G.copy()
        fro = math.sqrt(np.sum(X * X))
        if fro == 0.0:
            out[:] = 0.0
            return
        X /= fro
        for _ in range(polar_steps):
            A = X @ X.T
            X = a * X + (b * A + c * (A @ A)) @ X
        if tall:
            out[:] = X.T
        else:
            out[:] = X
        return
    U, sigma, Vt = np.linalg.svd(np.ascontiguousarray(G), full_matrices=False)
    out[:] = 0.0
    if sigma.shape[0] == 0 or not sigma[0] > 0.0:
        return
    r = 0
    for i in range(sigma.shape[0]):
        if sigma[i] > POLAR_RTOL * sigma[0]:
            r += 1
    if p == 1.0:
        r = 1
    weights = np.ones(r)
    if p != math.inf and p != 1.0:
        acc = 0.0
        for i in range(r):
            a_i = sigma[i] / sigma[0]
            weights[i] = a_i ** (q - 1.0)
            acc += weights[i] * a_i
        den = acc ** ((q - 1.0) / q)
        for i in range(r):
            weights[i] /= den
    for i in range(r):
        for c in range(k):
            uc = U[c, i] * weights[i]
            for j in range(d):
                out[c, j] += uc * Vt[i, j]


@njit(cache=True, inline="always")
def matrix_update(h, t, c, s, G, M, out):
    """`update` for a Schatten-norm rule on the matrix parameter: fill `out` (k, d) with Δ_t from ∇L_B = e^c G and
    return the state's new log-scale; NMD's momentum M (k, d) is updated in place (fan2025 v4 eqs 3-5)."""
    if h.code in (NMD, MUON):
        s_new = new_log_scale(s, c, h.log_rho)
        decay = math.exp(s - s_new)
        fresh = math.exp(c - s_new)
        k, d = G.shape
        for a in range(k):
            for j in range(d):
                M[a, j] = moment_ema(M[a, j], fresh * G[a, j], h.beta1, decay)
        _schatten(M, h.p, h.q, h.polar, h.polar_steps, out)
        return s_new
    _schatten(G, h.p, h.q, h.polar, h.polar_steps, out)
    return s
