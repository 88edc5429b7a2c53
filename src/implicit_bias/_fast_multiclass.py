"""numba fast path of the multiclass (fan2025) training loop; `training.run_reference` is the oracle.

Same maths as `multiclass.scaled_gradient` + `optimizers.step_direction` (log-scale gradient e^C ĝ; the update rule
is `_core.update`, shared with the binary kernel, on flat views of W), full batch or mini-batches, written as
allocation-free loops whose inner loops vectorise (logits over samples, ĝ over features; BLAS calls cost more than
they save at this size) and that reuse the exponentials of the log-sum-exp for the CE weights, so that a CE step at
n = 500, k = 10, d = 25 stays under 50 µs.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._core import log_mean_exp, step_size, update

LOSS_CODES = {"ce": 0, "exp": 1, "pairlog": 2}


@njit(cache=True, inline="always")
def _softplus(x):
    if x > 0.0:
        return x + math.log1p(math.exp(-x))
    return math.log1p(math.exp(x))


@njit(cache=True, inline="always")
def _log_softplus(a):
    """log(log(1 + e^a))."""
    if a < -30.0:
        return a - 0.5 * math.exp(a)
    if a > 30.0:
        return math.log(a + math.log1p(math.exp(-a)))
    return math.log(math.log1p(math.exp(a)))


@njit(cache=True)
def logits(Ht, W, Z):
    """Z (k, n) = W Hᵀ with Ht = Hᵀ (d, n) contiguous: the inner loop runs over samples and vectorises."""
    d, n = Ht.shape
    k = W.shape[0]
    for c in range(k):
        for i in range(n):
            Z[c, i] = 0.0
        for j in range(d):
            wcj = W[c, j]
            for i in range(n):
                Z[c, i] += wcj * Ht[j, i]


@njit(cache=True)
def log_loss(Z, y, loss_code):
    """log L from the logits Z (k, n), by log-sum-exp over samples (and pairs)."""
    k, n = Z.shape
    terms = np.empty(n)
    for i in range(n):
        zy = Z[y[i], i]
        if loss_code == 2:
            mx = -np.inf
            for c in range(k):
                if c != y[i]:
                    t = _log_softplus(Z[c, i] - zy)
                    if t > mx:
                        mx = t
            acc = 0.0
            for c in range(k):
                if c != y[i]:
                    acc += math.exp(_log_softplus(Z[c, i] - zy) - mx)
            terms[i] = mx + math.log(acc)
        else:
            mx = -np.inf
            for c in range(k):
                if c != y[i] and Z[c, i] - zy > mx:
                    mx = Z[c, i] - zy
            acc = 0.0
            for c in range(k):
                if c != y[i]:
                    acc += math.exp(Z[c, i] - zy - mx)
            a = mx + math.log(acc)  # log Σ_{c≠y} e^{−m_ic}
            terms[i] = a if loss_code == 1 else _log_softplus(a)
    return log_mean_exp(terms)


@njit(cache=True, fastmath={"reassoc", "contract"})
def _accumulate(R, Ht, G):
    """G[c, j] = (1/n) Σ_i R[c, i] Ht[j, i]: contiguous dot products, vectorised by allowing reassociation (the
    summation order differs from the numpy reference anyway; the tests compare with tolerances)."""
    k, n = R.shape
    d = Ht.shape[0]
    inv = 1.0 / n
    for c in range(k):
        for j in range(d):
            acc = 0.0
            for i in range(n):
                acc += R[c, i] * Ht[j, i]
            G[c, j] = acc * inv


@njit(cache=True)
def scaled_gradient(Ht, y, W, loss_code, Z, R, G, a, b):
    """Fill G (k, d) with ĝ of the samples Ht = Hᵀ (d, n) and return C (∇L = e^C ĝ).

    Work arrays: Z, R (k, n) (Z holds the logits afterwards), a, b (n,). Loops run class-outer / sample-inner
    over contiguous rows so that everything but the exponentials vectorises.
    """
    n = Ht.shape[1]
    k = W.shape[0]
    logits(Ht, W, Z)
    for i in range(n):
        b[i] = Z[y[i], i]  # z_{i,y_i}
    # R[c, i] = δ_ic = z_ic − z_iy = −m_ic, with −inf at c = y_i
    for c in range(k):
        for i in range(n):
            R[c, i] = Z[c, i] - b[i]
    for i in range(n):
        R[y[i], i] = -np.inf
    C = -np.inf
    if loss_code == 0:
        # CE: w_ic = s_ic = e^{δ_ic − mx_i} · e^{mx_i − softplus(a_i)}, a_i = log Σ_{c≠y} e^{δ_ic}
        for i in range(n):
            a[i] = -np.inf
        for c in range(k):
            for i in range(n):
                if R[c, i] > a[i]:
                    a[i] = R[c, i]
        for c in range(k):
            for i in range(n):
                R[c, i] = math.exp(R[c, i] - a[i])
        for i in range(n):
            b[i] = 0.0
        for c in range(k):
            for i in range(n):
                b[i] += R[c, i]
        for i in range(n):
            off = a[i] - _softplus(a[i] + math.log(b[i]))
            a[i] = off
            if off > C:
                C = off
        for i in range(n):
            a[i] = math.exp(a[i] - C)
        for c in range(k):
            for i in range(n):
                R[c, i] *= a[i]
    else:
        if loss_code == 2:  # PairLogLoss: u_ic = −softplus(m_ic) = −softplus(−δ_ic)
            for c in range(k):
                for i in range(n):
                    if c != y[i]:
                        R[c, i] = -_softplus(-R[c, i])
        for c in range(k):
            for i in range(n):
                if R[c, i] > C:
                    C = R[c, i]
        for c in range(k):
            for i in range(n):
                R[c, i] = math.exp(R[c, i] - C)
    # correct-class weight −Σ_{c≠y} w_ic, formed from the small terms (spec §7 pitfall 1); R[y_i, i] is 0 here
    for i in range(n):
        b[i] = 0.0
    for c in range(k):
        for i in range(n):
            b[i] += R[c, i]
    for i in range(n):
        R[y[i], i] = -b[i]
    _accumulate(R, Ht, G)
    return C


@njit(cache=True)
def _gather(H, y, rows, Htb, yb):
    """The mini-batch `rows` of (H, y) into Htb = H_Bᵀ (d, b) and yb."""
    d = H.shape[1]
    for j in range(rows.shape[0]):
        i = rows[j]
        yb[j] = y[i]
        for f in range(d):
            Htb[f, j] = H[i, f]


@njit(cache=True)
def run(H, y, W0, batches, steps, lr, decay, h, loss_code, log_steps, W_out, D_out, L_out):
    """Run `steps` updates of W (k, d) with rule `h` (`_core.Hyper`); fill W_out/D_out/L_out at `log_steps`.

    Step t uses the mini-batch `batches[t mod len(batches)]`; a single row holding every sample in order is the full
    batch and skips the gather. Returns (status, step, max|Δ|): status 0 = fine, 1 = non-finite gradient scale or
    iterate.
    """
    n, d = H.shape
    k = W0.shape[0]
    n_batches, b = batches.shape
    full = n_batches == 1 and b == n
    if full:
        for j in range(n):
            if batches[0, j] != j:
                full = False
    # parameters, gradient, direction and moments as flat vectors with (k, d) views: the core sees flat arrays
    w_flat = W0.copy().reshape(k * d)
    W = w_flat.reshape((k, d))
    g_flat = np.zeros(k * d)
    G = g_flat.reshape((k, d))
    d_flat = np.zeros(k * d)
    m = np.zeros(k * d)
    v = np.zeros(k * d)
    g2_unused = np.zeros(1)
    Ht = np.ascontiguousarray(H.T)
    Z = np.empty((k, n))  # logits over all samples (the logged loss)
    Htb = np.empty((d, b))
    yb = np.empty(b, dtype=y.dtype)
    Zb = np.empty((k, b))
    R = np.empty((k, b))
    wa = np.empty(b)
    wb = np.empty(b)
    s = -np.inf
    max_dir = 0.0
    li = 0
    n_log = log_steps.shape[0]
    for t in range(steps + 1):
        logging = li < n_log and log_steps[li] == t
        if logging:
            for c in range(k):
                for j in range(d):
                    W_out[li, c, j] = W[c, j]
                    if not math.isfinite(W[c, j]):
                        return 1, t, max_dir
            logits(Ht, W, Z)
            L_out[li] = log_loss(Z, y, loss_code)
        if t == steps:
            break
        if full:
            C = scaled_gradient(Ht, y, W, loss_code, Zb, R, G, wa, wb)
        else:
            _gather(H, y, batches[t % n_batches], Htb, yb)
            C = scaled_gradient(Htb, yb, W, loss_code, Zb, R, G, wa, wb)
        if not math.isfinite(C):
            return 1, t, max_dir
        s = update(h, t, C, s, g_flat, g2_unused, m, v, d_flat)
        eta = step_size(t, lr, decay)
        for j in range(k * d):
            a = abs(d_flat[j])
            if a > max_dir:
                max_dir = a
            w_flat[j] -= eta * d_flat[j]
        if logging:
            for c in range(k):
                for j in range(d):
                    D_out[li, c, j] = d_flat[c * d + j]
            li += 1
    return 0, steps, max_dir
