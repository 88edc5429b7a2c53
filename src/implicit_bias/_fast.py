"""numba fast path of the binary training loop; `optimizers.step_direction` + `training.run_reference` is the oracle.

Same maths as the reference (log-scale gradient of `losses`; the update rule is `_core.update`, shared with the
multiclass kernel), written as loops without allocation so that an Inc-Adam step on N = 10, d = 50 costs well under a
microsecond. A mini-batch's margins are formed four samples per pass over w in vector registers (`_chains8x4`) and its
gradient four samples per pass over the coordinates, both in the order of the per-sample loops, so the results are
bit-identical to them (full batch at N = 100, d = 500: ≈ 2.2× faster than per-sample loops, on a par with JAX).
`run` is one run (`training.train`); `run_many` calls it for a batch of runs on one data set in parallel
(`training.train_many`).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir
from numba import njit, prange, types
from numba.core import cgutils
from numba.extending import intrinsic

from ._core import ADAM_PROXY, Hyper, log_mean_exp, step_size, unowned, update

LOSS_CODES = {"exp": 0, "logistic": 1}


@njit(cache=True, inline="always")
def _log_abs_derivative(z, loss_code):
    if loss_code == 0:
        return -z
    # −softplus(z), stable
    if z > 0.0:
        return -(z + math.log1p(math.exp(-z)))
    return -math.log1p(math.exp(z))


@njit(cache=True, inline="always")
def _log_loss_term(z, loss_code):
    if loss_code == 0:
        return -z
    if z > 30.0:  # log(log1p(x)) = log x − x/2 + O(x²), x = e^{−z}: log1p(e^{−z}) underflows
        return -z - 0.5 * math.exp(-z)
    if z < -30.0:  # softplus(−z) = −z + log1p(e^{z}): e^{−z} overflows
        return math.log(-z + math.log1p(math.exp(z)))
    return math.log(math.log1p(math.exp(-z)))


@njit(cache=True, inline="always")
def _dot(X, i, w):
    """⟨x_i, w⟩ as 8 interleaved partial sums (entry k goes to sum k mod 8) added pairwise at the end.

    Each step's margin feeds the next step, so the sum's latency is the loop's: 8 independent chains are ≈ 6× shorter
    than one. The order is fixed in the source (no reassociation by the compiler), so results do not depend on the
    machine; they differ from a sequential sum only by rounding (the reference, X @ w, uses BLAS's own order).
    """
    d = w.shape[0]
    a0 = a1 = a2 = a3 = a4 = a5 = a6 = a7 = 0.0
    for blk in range(d // 8):
        k = 8 * blk
        a0 += X[i, k] * w[k]
        a1 += X[i, k + 1] * w[k + 1]
        a2 += X[i, k + 2] * w[k + 2]
        a3 += X[i, k + 3] * w[k + 3]
        a4 += X[i, k + 4] * w[k + 4]
        a5 += X[i, k + 5] * w[k + 5]
        a6 += X[i, k + 6] * w[k + 6]
        a7 += X[i, k + 7] * w[k + 7]
    for k in range(d - d % 8, d):
        a0 += X[i, k] * w[k]
    return ((a0 + a4) + (a1 + a5)) + ((a2 + a6) + (a3 + a7))


@intrinsic
def _chains8x4(typingctx, x0, x1, x2, x3, w, out):
    """`_dot`'s eight partial sums over the first 8·(d // 8) entries for four rows x0..x3 at once, into out[0:32]
    (row r's sums at 8r, …, 8r+7).

    Written as LLVM vector code (one <8 x double> accumulator per row, separate multiply and add without fast-math
    flags) because numba's loops leave these loop-carried sums scalar: each lane is one of `_dot`'s sums, added in
    `_dot`'s order, so the results are bit-identical to it; every loaded w block feeds four rows.
    """
    arrays = (x0, x1, x2, x3, w, out)
    if not all(isinstance(a, types.Array) and a.ndim == 1 and a.dtype == types.float64 for a in arrays):
        return None
    if not all(a.layout == "C" for a in arrays):  # the vector loads read 8 adjacent doubles
        return None

    def codegen(context, builder, signature, args):
        arrays = [context.make_array(ty)(context, builder, v) for ty, v in zip(signature.args, args)]
        vec = ir.VectorType(ir.DoubleType(), 8)
        n_blocks = builder.sdiv(builder.extract_value(arrays[4].shape, 0), ir.Constant(arrays[4].shape.type.element, 8))

        def load(arr, k):
            return builder.load(builder.bitcast(builder.gep(arr.data, [k]), vec.as_pointer()), align=8)

        accs = [cgutils.alloca_once_value(builder, ir.Constant(vec, [0.0] * 8)) for _ in range(4)]
        with cgutils.for_range(builder, n_blocks) as loop:
            k = builder.mul(loop.index, ir.Constant(loop.index.type, 8))
            wv = load(arrays[4], k)
            for r in range(4):
                builder.store(builder.fadd(builder.load(accs[r]), builder.fmul(load(arrays[r], k), wv)), accs[r])
        for r in range(4):
            dst = builder.gep(arrays[5].data, [ir.Constant(ir.IntType(64), 8 * r)])
            builder.store(builder.load(accs[r]), builder.bitcast(dst, vec.as_pointer()), align=8)
        return context.get_dummy_value()

    return types.void(x0, x1, x2, x3, w, out), codegen


@njit(cache=True, inline="always")
def _finish8(acc, r, x, w):
    """`_dot`'s ending for row r of `_chains8x4`'s sums: the entries after the last multiple of 8 go to sum 0, then
    the sums are added pairwise."""
    d = w.shape[0]
    o = 8 * r
    a0 = acc[o]
    for k in range(d - d % 8, d):
        a0 += x[k] * w[k]
    return ((a0 + acc[o + 4]) + (acc[o + 1] + acc[o + 5])) + ((acc[o + 2] + acc[o + 6]) + (acc[o + 3] + acc[o + 7]))


@njit(cache=True, inline="always")
def _margins(X, rows, w, z, acc):
    """z_j = ⟨x_{rows_j}, w⟩ for every j, each bit-identical to `_dot`, four samples per pass over w
    (`_chains8x4`; `acc` is a buffer of 32)."""
    b = rows.shape[0]
    for j in range(0, b - b % 4, 4):
        x0, x1, x2, x3 = X[rows[j]], X[rows[j + 1]], X[rows[j + 2]], X[rows[j + 3]]
        _chains8x4(x0, x1, x2, x3, w, acc)
        z[j] = _finish8(acc, 0, x0, w)
        z[j + 1] = _finish8(acc, 1, x1, w)
        z[j + 2] = _finish8(acc, 2, x2, w)
        z[j + 3] = _finish8(acc, 3, x3, w)
    for j in range(b - b % 4, b):
        z[j] = _dot(X, rows[j], w)


@njit(cache=True, inline="always")
def _weighted_sums(X, rows, u, c, second_moment, ghat, g2hat):
    """ĝ = −Σ_j a_j x_{rows_j} (and ĝ₂ = Σ_j a_j² x_{rows_j}² if `second_moment`), a_j = e^{u_j − c}, summed over j
    in order.

    Four samples per pass over the coordinates (one load and store of ĝ_k per four samples); each coordinate's sum
    is still formed sample by sample from 0, the order of a loop over single samples, so the result is bit-identical
    to it.
    """
    b = rows.shape[0]
    d = ghat.shape[0]
    for k in range(d):
        ghat[k] = 0.0
        g2hat[k] = 0.0
    for j in range(0, b - b % 4, 4):
        a0, a1, a2, a3 = math.exp(u[j] - c), math.exp(u[j + 1] - c), math.exp(u[j + 2] - c), math.exp(u[j + 3] - c)
        x0, x1, x2, x3 = X[rows[j]], X[rows[j + 1]], X[rows[j + 2]], X[rows[j + 3]]
        for k in range(d):
            ghat[k] = (((ghat[k] - a0 * x0[k]) - a1 * x1[k]) - a2 * x2[k]) - a3 * x3[k]
        if second_moment:  # ĝ₂ only for AdamProxy
            q0, q1, q2, q3 = a0 * a0, a1 * a1, a2 * a2, a3 * a3
            for k in range(d):
                g = g2hat[k] + q0 * x0[k] * x0[k]
                g = (g + q1 * x1[k] * x1[k]) + q2 * x2[k] * x2[k]
                g2hat[k] = g + q3 * x3[k] * x3[k]
    for j in range(b - b % 4, b):
        aj = math.exp(u[j] - c)
        xj = X[rows[j]]
        for k in range(d):
            ghat[k] -= aj * xj[k]
        if second_moment:
            for k in range(d):
                g2hat[k] += aj * aj * xj[k] * xj[k]


@njit(cache=True, inline="always")
def _max_abs_bits(bits, top):
    """max(top, max_k |x_k|) on the int64 bit patterns `bits` of x (and `top` of the running maximum).

    For doubles ≥ 0 the order of the bit patterns is the order of the values, so this is the exact maximum; an
    integer maximum vectorises, a float one (with its NaN rules) does not. A NaN in x would make the result a NaN
    pattern; the run then fails anyway (the next iterate is NaN, which `run` reports), so this value is not used.
    """
    for k in range(bits.shape[0]):
        top = max(top, bits[k] & 0x7FFFFFFFFFFFFFFF)  # |x_k|: the sign bit cleared
    return top


@njit(cache=True, inline="always")
def _as_float(bits):
    """The double whose bit pattern is the int64 `bits`."""
    return np.full(1, bits).view(np.float64)[0]


@njit(cache=True)
def log_total_loss(X, w, loss_code):
    """log((1/N) Σ_i ℓ(⟨w, x_i⟩)) by log-sum-exp."""
    n, d = X.shape
    terms = np.empty(n)
    for i in range(n):
        z = 0.0
        for k in range(d):
            z += X[i, k] * w[k]
        terms[i] = _log_loss_term(z, loss_code)
    return log_mean_exp(terms)


# nogil: the loop holds no Python object, so it runs without the GIL and `training`'s watcher thread can report
# `progress` while it runs
@njit(cache=True, nogil=True)
def run(X, w0, batches, steps, lr, decay, h, loss_code, log_steps, W_out, D_out, L_out, progress):
    """Run `steps` updates of rule `h` (`_core.Hyper`); fill W_out/D_out/L_out at `log_steps` (sorted).

    Step t uses the mini-batch `batches[t mod len(batches)]`. Returns (status, step, max|d|): status 0 = fine;
    1 = a non-finite gradient scale or iterate appeared at or before `step`. `progress[0]` is set to t as step t
    starts (to `steps` at the end): the count of steps done, for a thread that reports it.
    """
    # the loop's vectors (w, m, v, ĝ, ĝ₂, d_t), owned here until `_steps` returns: it works on unowned views
    work = np.zeros((6, X.shape[1]))
    work[0] = w0
    X = np.ascontiguousarray(X)  # rows as contiguous vectors (`_chains8x4`)
    buf = np.zeros(batches.shape[1] + 32)
    return _steps(X, batches, steps, lr, decay, h, loss_code, log_steps, W_out, D_out, L_out, work, buf, progress)


@njit(cache=True)
def _steps(X, batches, steps, lr, decay, h, loss_code, log_steps, W_out, D_out, L_out, work, buf, progress):
    """`run`'s loop; `work` holds w_0 and zeros for m, v, ĝ, ĝ₂, d_t, and `buf` is a buffer of the batch size + 32
    (per-sample values, then `_margins`' partial sums).

    Every array is used through an unowned view (`_core.unowned`): the caller keeps them alive.
    """
    X, batches, log_steps = unowned(X), unowned(batches), unowned(log_steps)
    u, acc = unowned(buf[: batches.shape[1]]), unowned(buf[batches.shape[1] :])
    w, m, v, ghat, g2hat, direc = (
        unowned(work[0]),
        unowned(work[1]),
        unowned(work[2]),
        unowned(work[3]),
        unowned(work[4]),
        unowned(work[5]),
    )
    d = X.shape[1]
    n_batches, b = batches.shape
    s = -np.inf
    second_moment = h.code == ADAM_PROXY
    direc_bits = direc.view(np.int64)
    max_bits = np.int64(0)  # max_t ‖d_t‖_∞ as its bit pattern (`_max_abs_bits`)
    li = 0
    n_log = log_steps.shape[0]
    for t in range(steps + 1):
        progress[0] = t  # one store per step: no measurable cost (benchmarks/bench_steps.py --baseline)
        logging = li < n_log and log_steps[li] == t
        if logging:
            for k in range(d):
                W_out[li, k] = w[k]
                if not math.isfinite(w[k]):
                    return 1, t, _as_float(max_bits)
            L_out[li] = log_total_loss(X, w, loss_code)
        if t == steps:
            break
        # ---- scaled batch gradient ∇L_B(w) = e^c ĝ (losses.scaled_gradient)
        rows = batches[t % n_batches]
        _margins(X, rows, w, u, acc)
        c = -np.inf
        for j in range(b):
            u[j] = _log_abs_derivative(u[j], loss_code)
            if u[j] > c:
                c = u[j]
        if not math.isfinite(c):
            return 1, t, _as_float(max_bits)
        if b == 1:
            # e^{u−c} = 1 and the mean over one sample is the sample: ĝ = −x_i exactly, no exp, no division
            i = rows[0]
            for k in range(d):
                ghat[k] = 0.0 - X[i, k]  # not −x: the same signed zero as the general path
            if second_moment:
                for k in range(d):
                    g2hat[k] = X[i, k] * X[i, k]
        else:
            _weighted_sums(X, rows, u, c, second_moment, ghat, g2hat)
            # divide once, after summing, so that an exactly cancelling coordinate stays exactly 0 (sign(0) = 0)
            for k in range(d):
                ghat[k] /= b
            if second_moment:
                for k in range(d):
                    g2hat[k] /= b
        # ---- update rule (the shared core) and step
        s = update(h, t, c, s, ghat, g2hat, m, v, direc)
        eta = step_size(t, lr, decay)
        max_bits = _max_abs_bits(direc_bits, max_bits)
        for k in range(d):
            w[k] -= eta * direc[k]
        if logging:
            for k in range(d):
                D_out[li, k] = direc[k]
            li += 1
    return 0, steps, _as_float(max_bits)


@njit(cache=True, parallel=True)
def run_many(
    X, W0, batches, offsets, batch_sizes, steps, lr, decay, code, beta1, beta2, eps_inside, bias_correction, p, q,
    log_rho, log_eps, schatten, polar, polar_steps, loss_code, log_steps, W_out, D_out, L_out, status, bad, max_dir,
    progress,
):  # fmt: skip
    """`run` for R runs on one data set X, in parallel (one run per thread at a time); run r's arguments are entry r.

    Run r's mini-batches are batches[offsets[r]:offsets[r+1]] with batch size batch_sizes[r]; its rule is the
    `_core.Hyper` of entry r of (code, ..., log_eps); its outputs are W_out[r], D_out[r], L_out[r], and status[r],
    bad[r], max_dir[r] are `run`'s return values and progress[r] its count of steps done. Every run calls `run`
    itself, so it is bit-for-bit a single run.
    """
    for r in prange(W0.shape[0]):
        h = Hyper(
            code[r], beta1[r], beta2[r], eps_inside[r], bias_correction[r], p[r], q[r], log_rho[r], log_eps[r],
            schatten[r], polar[r], polar_steps[r],
        )  # fmt: skip
        rows = batches[offsets[r] : offsets[r + 1]].reshape((-1, batch_sizes[r]))
        outputs = (W_out[r], D_out[r], L_out[r], progress[r : r + 1])
        status[r], bad[r], max_dir[r] = run(
            X, W0[r], rows, steps, lr[r], decay[r], h, loss_code[r], log_steps, *outputs
        )
