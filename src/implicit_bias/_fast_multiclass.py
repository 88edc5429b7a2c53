"""numba fast path of the multiclass (fan2025) training loop; `training.run_reference` is the oracle.

Same maths as `multiclass.scaled_gradient` + `optimizers.step_direction` (log-scale gradient e^C ĝ; the update rule
is `_core.update`, shared with the binary kernel, on flat views of W), full batch or mini-batches.

Where a CE step's time goes (n = 500, k = 10, d = 25; µs measured on the benchmark machine, min of interleaved
repeats) and what keeps it short (benchmarks/bench_fan2025.py compares the step with the numpy reference and JAX):
- the two products Z = W Hᵀ (≈ 4.8 µs) and ĝ = R H / n (≈ 4.4 µs), 125,000 multiply-adds each, are register-blocked
  loops (four classes by four features, two by four) whose sample loops vectorise; OpenBLAS is slower at these thin
  shapes (8.5 and 10.5 µs);
- the 5,000 exponentials (≈ 2.7 µs) go through `_exp`, a branch-free exp that vectorises: numba's `math.exp` is a
  scalar libm call (≈ 30 µs for 5,000), and numba's SVML path needs an SVML-patched LLVM, which the pip llvmlite
  wheels are not (`numba -s`), so installing Intel's runtime would not help; within 1 ulp of `np.exp`, exact at −∞
  (→ 0), gradual underflow, NaN in → NaN out;
- the per-sample CE factor needs no logarithm per sample (one per step): see `_ce_weights`; the correct-class weight
  reuses the exponential sums S_i instead of summing the weights again.
Everything is float64 and exact in log scale at any margin, as the reference: no textbook softmax (1 − p_iy is never
formed), no clipping; `fastmath` is limited to `contract` (fused multiply-adds) and, in `_accumulate`, `reassoc`
(summation order), so NaN/inf still propagate and are detected.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

from ._core import log_mean_exp, matrix_update, step_size, unowned, update

LOSS_CODES = {"ce": 0, "exp": 1, "pairlog": 2}

_LOG2E = 1.4426950408889634
# ln 2 split so that k·ln2_hi is exact for |k| < 2^11 (Cody-Waite reduction, as in fdlibm's exp)
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
# 1/m! for m = 13, …, 2: Taylor series of e^r; on |r| ≤ ln2/2 the first dropped term is < 4e-18
_INV_FACT = (
    1.0 / 6227020800.0,
    1.0 / 479001600.0,
    1.0 / 39916800.0,
    1.0 / 3628800.0,
    1.0 / 362880.0,
    1.0 / 40320.0,
    1.0 / 5040.0,
    1.0 / 720.0,
    1.0 / 120.0,
    1.0 / 24.0,
    1.0 / 6.0,
    0.5,
)


@intrinsic
def _float_from_bits(typingctx, bits):
    """The float64 whose IEEE bit pattern is the int64 `bits` (a register move, so loops using it vectorise)."""
    if isinstance(bits, types.Integer) and bits.bitwidth == 64:

        def codegen(context, builder, signature, args):
            return builder.bitcast(args[0], context.get_value_type(types.float64))

        return types.float64(bits), codegen
    return None


@njit(cache=True, inline="always")
def _exp(x):
    """e^x without branches or library calls, so that a loop of it vectorises: x = k ln2 + r, |r| ≤ ln2/2, e^r by its
    Taylor polynomial, 2^k as two exponent-field floats (so that results below 2^−1022 underflow gradually, as
    exp's do). Arguments whose result is 0 are computed at 0 and zeroed after: an underflowing multiply costs a
    microcode assist (3.5× slower measured), and at large margins most weights underflow."""
    zero = x < -745.2  # e^x < 2^−1075 rounds to 0; also x = −inf (NaN compares False and stays NaN)
    xc = min(0.0 if zero else x, 710.0)  # e^710 = inf after scaling; keeps k in range
    kf = np.floor(xc * _LOG2E + 0.5)
    r = (xc - kf * _LN2_HI) - kf * _LN2_LO
    p = _INV_FACT[0]
    for coef in _INV_FACT[1:]:
        p = p * r + coef
    p = (p * r + 1.0) * r + 1.0
    k = np.int64(kf)
    k1 = k >> 1
    e = p * _float_from_bits((k1 + 1023) << 52) * _float_from_bits((k - k1 + 1023) << 52)
    return 0.0 if zero else e


# the same exponential for the other kernels (`_fast_two_layer`'s sigmoid)
vector_exp = _exp


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


@njit(cache=True, fastmath={"contract"})
def logits(Ht, W, Z):
    """Z (k, n) = W Hᵀ with Ht = Hᵀ (d, n) contiguous: four classes by four features per pass over the samples
    (vectorised), so that each loaded sample row feeds 16 multiply-adds (fused: the order differs from the
    reference's BLAS anyway); the leftover classes and features take single passes."""
    d, n = Ht.shape
    k = W.shape[0]
    d4 = d - d % 4
    k4 = k - k % 4
    for c in range(k):
        z = Z[c]
        for i in range(n):
            z[i] = 0.0
    for c in range(0, k4, 4):
        za, zb, zc, zd = Z[c], Z[c + 1], Z[c + 2], Z[c + 3]
        for j in range(0, d4, 4):
            a0, a1, a2, a3 = W[c, j], W[c, j + 1], W[c, j + 2], W[c, j + 3]
            b0, b1, b2, b3 = W[c + 1, j], W[c + 1, j + 1], W[c + 1, j + 2], W[c + 1, j + 3]
            c0, c1, c2, c3 = W[c + 2, j], W[c + 2, j + 1], W[c + 2, j + 2], W[c + 2, j + 3]
            d0, d1, d2, d3 = W[c + 3, j], W[c + 3, j + 1], W[c + 3, j + 2], W[c + 3, j + 3]
            h0, h1, h2, h3 = Ht[j], Ht[j + 1], Ht[j + 2], Ht[j + 3]
            for i in range(n):
                x0, x1, x2, x3 = h0[i], h1[i], h2[i], h3[i]
                za[i] += (a0 * x0 + a1 * x1) + (a2 * x2 + a3 * x3)
                zb[i] += (b0 * x0 + b1 * x1) + (b2 * x2 + b3 * x3)
                zc[i] += (c0 * x0 + c1 * x1) + (c2 * x2 + c3 * x3)
                zd[i] += (d0 * x0 + d1 * x1) + (d2 * x2 + d3 * x3)
        for j in range(d4, d):
            a0, b0, c0, d0, h0 = W[c, j], W[c + 1, j], W[c + 2, j], W[c + 3, j], Ht[j]
            for i in range(n):
                x0 = h0[i]
                za[i] += a0 * x0
                zb[i] += b0 * x0
                zc[i] += c0 * x0
                zd[i] += d0 * x0
    for c in range(k4, k):
        za = Z[c]
        for j in range(d):
            a0, h0 = W[c, j], Ht[j]
            for i in range(n):
                za[i] += a0 * h0[i]


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
                    mx = max(mx, t)
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
    """G[c, j] = (1/n) Σ_i R[c, i] Ht[j, i]: eight dot products (two classes by four features) per pass over the
    samples, vectorised by allowing reassociation (the summation order differs from the numpy reference anyway;
    the tests compare with tolerances)."""
    k, n = R.shape
    d = Ht.shape[0]
    inv = 1.0 / n
    d4 = d - d % 4
    for c in range(0, k - 1, 2):
        ra = R[c]
        rb = R[c + 1]
        for j in range(0, d4, 4):
            h0, h1, h2, h3 = Ht[j], Ht[j + 1], Ht[j + 2], Ht[j + 3]
            a0 = a1 = a2 = a3 = b0 = b1 = b2 = b3 = 0.0
            for i in range(n):
                x = ra[i]
                z = rb[i]
                a0 += x * h0[i]
                a1 += x * h1[i]
                a2 += x * h2[i]
                a3 += x * h3[i]
                b0 += z * h0[i]
                b1 += z * h1[i]
                b2 += z * h2[i]
                b3 += z * h3[i]
            G[c, j], G[c, j + 1], G[c, j + 2], G[c, j + 3] = a0 * inv, a1 * inv, a2 * inv, a3 * inv
            G[c + 1, j], G[c + 1, j + 1], G[c + 1, j + 2], G[c + 1, j + 3] = b0 * inv, b1 * inv, b2 * inv, b3 * inv
        for j in range(d4, d):
            h0 = Ht[j]
            a0 = b0 = 0.0
            for i in range(n):
                a0 += ra[i] * h0[i]
                b0 += rb[i] * h0[i]
            G[c, j], G[c + 1, j] = a0 * inv, b0 * inv
    if k % 2:
        ra = R[k - 1]
        for j in range(d):
            h0 = Ht[j]
            a0 = 0.0
            for i in range(n):
                a0 += ra[i] * h0[i]
            G[k - 1, j] = a0 * inv


@njit(cache=True, inline="always")
def _max(x):
    """max_i x_i (−inf for an empty x)."""
    top = -np.inf
    for i in range(x.shape[0]):
        top = max(top, x[i])
    return top


# numpy's error model: no zero-division branch, so the loops vectorise; contract: `_exp`'s polynomial in fused
# multiply-adds (1.8x faster, rounding within `_exp`'s 1 ulp)
@njit(cache=True, error_model="numpy", fastmath={"contract"})
def _ce_weights(R, mx, S, f):
    """CE weights w_ic = s_ic (spec §1) in R (k, n), on entry δ_ic = z_ic − z_iy (−inf at c = y_i), with
    mx_i = max_{c≠y} δ_ic; returns C, the log of their maximum, and leaves Σ_{c≠y} w_ic in S.

    With S_i = Σ_{c≠y} e^{δ_ic − mx_i} ∈ [1, k−1] the CE log-weight u_ic = δ_ic − softplus(mx_i + log S_i) is
    (δ_ic − mx_i) + off_i with
        off_i = min(mx_i, 0) − log(e^{−max(mx_i, 0)} + S_i e^{min(mx_i, 0)})     (both branches of softplus, exact),
    so off_i lies within log k below C' = max_i min(mx_i, 0), and
        e^{off_i − C'} = e^{min(mx_i, 0) − C'} / (e^{−max(mx_i, 0)} + S_i e^{min(mx_i, 0)})
    needs exponentials only: one logarithm per step (not one per sample) rescales the weights to a maximum of 1,
    C = max_i off_i as in the reference (C = max u_ic). Exact at any margin: nothing is formed as 1 − s_iy.
    """
    k, n = R.shape
    for i in range(n):
        S[i] = 0.0
    for c in range(k):
        for i in range(n):
            e = _exp(R[c, i] - mx[i])  # e^{−inf} = 0 at the true class
            R[c, i] = e
            S[i] += e
    c_low = min(_max(mx), 0.0)
    for i in range(n):
        m = mx[i]
        u = _exp(-abs(m))
        f[i] = _exp(min(m, 0.0) - c_low) / (1.0 + S[i] * u if m <= 0.0 else u + S[i])
    top = _max(f)
    if not top > 0.0:  # NaN logits (else top ≥ 1/k: the sample with min(mx_i, 0) = C' has f_i ≥ 1/(1 + S_i))
        return math.nan
    inv = 1.0 / top
    for i in range(n):
        f[i] *= inv
        S[i] *= f[i]
    for c in range(k):
        for i in range(n):
            R[c, i] *= f[i]
    return c_low + math.log(top)


@njit(cache=True, fastmath={"contract"})  # `_exp` in fused multiply-adds, as in `_ce_weights`
def scaled_gradient(Ht, y, W, loss_code, Z, R, G, a, b, f):
    """Fill G (k, d) with ĝ of the samples Ht = Hᵀ (d, n) and return C (∇L = e^C ĝ); C is NaN if ĝ is not finite
    (as the reference's C is then: its max over NaN weights).

    Work arrays: Z, R (k, n), a, b, f (n,). Loops run class-outer / sample-inner over contiguous rows so that
    everything vectorises (the exponentials through `_exp`).
    """
    n = Ht.shape[1]
    k = W.shape[0]
    logits(Ht, W, Z)
    for i in range(n):
        b[i] = Z[y[i], i]  # z_{i,y_i}
        Z[y[i], i] = -np.inf  # no pair (i, y_i): δ = −inf below, weight 0
        a[i] = -np.inf
    # R[c, i] = δ_ic = z_ic − z_iy = −m_ic (−inf at c = y_i) and a_i = max_{c≠y} δ_ic, in one pass
    for c in range(k):
        for i in range(n):
            r = Z[c, i] - b[i]
            R[c, i] = r
            a[i] = max(a[i], r)
    if loss_code == 0:
        C = _ce_weights(R, a, b, f)  # leaves b_i = Σ_{c≠y} w_ic
    else:
        if loss_code == 2:  # PairLogLoss: u_ic = −softplus(m_ic) = −softplus(−δ_ic)
            for c in range(k):
                for i in range(n):
                    if c != y[i]:
                        R[c, i] = -_softplus(-R[c, i])
        C = -np.inf
        for c in range(k):
            for i in range(n):
                C = max(C, R[c, i])
        for i in range(n):
            b[i] = 0.0
        for c in range(k):
            for i in range(n):
                e = _exp(R[c, i] - C)  # 0 at the true class
                R[c, i] = e
                b[i] += e
    # correct-class weight −Σ_{c≠y} w_ic, formed from the small terms (spec §7 pitfall 1); R[y_i, i] is 0 here
    for i in range(n):
        R[y[i], i] = -b[i]
    _accumulate(R, Ht, G)
    total = 0.0
    for c in range(k):
        for j in range(G.shape[1]):
            total += G[c, j]
    return C if math.isfinite(total) else math.nan


@njit(cache=True)
def _gather(H, y, rows, Htb, yb):
    """The mini-batch `rows` of (H, y) into Htb = H_Bᵀ (d, b) and yb."""
    d = H.shape[1]
    for j in range(rows.shape[0]):
        i = rows[j]
        yb[j] = y[i]
        for f in range(d):
            Htb[f, j] = H[i, f]


@njit(cache=True, nogil=True)  # as `_fast.run`: no GIL held, so a watcher thread can report `progress`
def run(H, y, W0, batches, steps, lr, decay, h, loss_code, log_steps, W_out, D_out, L_out, progress):
    """Run `steps` updates of W (k, d) with rule `h` (`_core.Hyper`); fill W_out/D_out/L_out at `log_steps`.

    Step t uses the mini-batch `batches[t mod len(batches)]`; a single row holding every sample in order is the full
    batch and skips the gather. Returns (status, step, max|Δ|): status 0 = fine, 1 = non-finite gradient scale or
    iterate. `progress[0]` is set to t as step t starts (to `steps` at the end), as in `_fast.run`.
    """
    n, d = H.shape
    k = W0.shape[0]
    n_batches, b = batches.shape
    full = n_batches == 1 and b == n
    if full:
        for j in range(n):
            if batches[0, j] != j:
                full = False
    # parameters, gradient, direction and moments as flat vectors (the core sees flat arrays), owned here until
    # `_steps` returns: it works on unowned views
    work = np.zeros((5, k * d))
    work[0] = W0.copy().reshape(k * d)
    # Hᵀ, the logits of all samples (logged loss), the gathered mini-batch, `scaled_gradient`'s work arrays
    Ht, Z, Htb, yb = np.ascontiguousarray(H.T), np.empty((k, n)), np.empty((d, b)), np.empty(b, dtype=y.dtype)
    bufs = (Ht, Z, Htb, yb, np.empty((k, b)), np.empty((k, b)), np.empty(b), np.empty(b), np.empty(b), np.zeros(1))
    args = (H, y, batches, full, steps, lr, decay, h, loss_code, log_steps, W_out, D_out, L_out)
    return _steps(*args, work, bufs, progress)


@njit(cache=True)
def _steps(H, y, batches, full, steps, lr, decay, h, loss_code, log_steps, W_out, D_out, L_out, work, bufs, progress):
    """`run`'s loop; `work` holds W_0 (flat) and zeros for the gradient, direction and moments, `bufs` the buffers.

    The update core's arrays are unowned views (`_core.unowned`, no reference counting per step): the caller keeps
    them alive.
    """
    k, d = W_out.shape[1], W_out.shape[2]
    n_batches = batches.shape[0]
    Ht, Z, Htb, yb, Zb, R, wa, wb, wf, g2_unused = bufs
    w_flat, g_flat, d_flat = unowned(work[0]), unowned(work[1]), unowned(work[2])
    m, v, g2_unused = unowned(work[3]), unowned(work[4]), unowned(g2_unused)
    W = w_flat.reshape((k, d))
    G = g_flat.reshape((k, d))
    s = -np.inf
    max_dir = 0.0
    li = 0
    n_log = log_steps.shape[0]
    for t in range(steps + 1):
        progress[0] = t
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
            C = scaled_gradient(Ht, y, W, loss_code, Zb, R, G, wa, wb, wf)
        else:
            _gather(H, y, batches[t % n_batches], Htb, yb)
            C = scaled_gradient(Htb, yb, W, loss_code, Zb, R, G, wa, wb, wf)
        if not math.isfinite(C):
            return 1, t, max_dir
        if h.schatten:
            s = matrix_update(h, t, C, s, G, m.reshape((k, d)), d_flat.reshape((k, d)))
        else:
            s = update(h, t, C, s, g_flat, g2_unused, m, v, d_flat)
        eta = step_size(t, lr, decay)
        for j in range(k * d):
            a = abs(d_flat[j])
            max_dir = max(max_dir, a)
            w_flat[j] -= eta * d_flat[j]
        if logging:
            for c in range(k):
                for j in range(d):
                    D_out[li, c, j] = d_flat[c * d + j]
            li += 1
    return 0, steps, max_dir
