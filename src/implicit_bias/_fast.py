"""numba fast path of the binary training loop; `optimizers.step_direction` + `training.run_reference` is the oracle.

Same maths as the reference (log-scale gradient of `losses`; the update rule is `_core.update`, shared with the
multiclass kernel), written as scalar loops without allocation so that an Inc-Adam step on N = 10, d = 50 costs well
under a microsecond.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from ._core import ADAM_PROXY, log_mean_exp, step_size, update

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


@njit(cache=True)
def run(X, w0, batches, steps, lr, decay, h, loss_code, log_steps, W_out, D_out, L_out):
    """Run `steps` updates of rule `h` (`_core.Hyper`); fill W_out/D_out/L_out at `log_steps` (sorted).

    Step t uses the mini-batch `batches[t mod len(batches)]`. Returns (status, step, max|d|): status 0 = fine;
    1 = a non-finite gradient scale or iterate appeared at or before `step`.
    """
    d = X.shape[1]
    n_batches, b = batches.shape
    w = w0.copy()
    m = np.zeros(d)
    v = np.zeros(d)
    ghat = np.zeros(d)
    g2hat = np.zeros(d)
    direc = np.zeros(d)
    u = np.zeros(b)
    s = -np.inf
    second_moment = h.code == ADAM_PROXY
    max_dir = 0.0
    li = 0
    n_log = log_steps.shape[0]
    for t in range(steps + 1):
        logging = li < n_log and log_steps[li] == t
        if logging:
            for k in range(d):
                W_out[li, k] = w[k]
                if not math.isfinite(w[k]):
                    return 1, t, max_dir
            L_out[li] = log_total_loss(X, w, loss_code)
        if t == steps:
            break
        # ---- scaled batch gradient ∇L_B(w) = e^c ĝ (losses.scaled_gradient)
        row = t % n_batches
        c = -np.inf
        for j in range(b):
            i = batches[row, j]
            z = 0.0
            for k in range(d):
                z += X[i, k] * w[k]
            u[j] = _log_abs_derivative(z, loss_code)
            if u[j] > c:
                c = u[j]
        if not math.isfinite(c):
            return 1, t, max_dir
        for k in range(d):
            ghat[k] = 0.0
            g2hat[k] = 0.0
        for j in range(b):
            i = batches[row, j]
            a = math.exp(u[j] - c)
            for k in range(d):
                ghat[k] -= a * X[i, k]
            if second_moment:
                for k in range(d):
                    g2hat[k] += a * a * X[i, k] * X[i, k]
        # divide once, after summing, so that an exactly cancelling coordinate stays exactly 0 (sign(0) = 0)
        for k in range(d):
            ghat[k] /= b
            g2hat[k] /= b
        # ---- update rule (the shared core) and step
        s = update(h, t, c, s, ghat, g2hat, m, v, direc)
        eta = step_size(t, lr, decay)
        for k in range(d):
            a = abs(direc[k])
            if a > max_dir:
                max_dir = a
            w[k] -= eta * direc[k]
        if logging:
            for k in range(d):
                D_out[li, k] = direc[k]
            li += 1
    return 0, steps, max_dir
