"""numba fast path of the binary training loop; `optimizers.step_direction` + `training._run_reference` is the oracle.

Same maths as the reference (log-scale gradient and state, see `losses` and `optimizers`), written as scalar loops
without allocation so that an Inc-Adam step on N = 10, d = 50 costs well under a microsecond.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

# integer codes shared with training.py
OPT_CODES = {"gd": 0, "ngd": 1, "signgd": 2, "signum": 3, "adam": 4, "adam_proxy": 5}
LOSS_CODES = {"exp": 0, "logistic": 1}
_MAX_LOG = 700.0
_BIG_LOG = 100.0  # beyond e^{100}, adding v̂ = O(‖x‖²) to ε·e^{−2s} changes nothing in float64


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
    top = -np.inf
    for i in range(n):
        z = 0.0
        for k in range(d):
            z += X[i, k] * w[k]
        terms[i] = _log_loss_term(z, loss_code)
        if terms[i] > top:
            top = terms[i]
    acc = 0.0
    for i in range(n):
        acc += math.exp(terms[i] - top)
    return top + math.log(acc) - math.log(n)


@njit(cache=True)
def run(
    X,
    w0,
    batches,
    steps,
    lr,
    decay,
    opt_code,
    loss_code,
    beta1,
    beta2,
    eps,
    eps_inside,
    bias_correction,
    log_steps,
    W_out,
    D_out,
    L_out,
):
    """Run `steps` updates; fill W_out/D_out/L_out at `log_steps` (sorted). Returns (status, step, max|d|).

    status 0 = fine; 1 = a non-finite gradient scale or iterate appeared at or before `step`.
    """
    _n, d = X.shape
    n_batches, b = batches.shape
    w = w0.copy()
    m = np.zeros(d)
    v = np.zeros(d)
    ghat = np.zeros(d)
    g2hat = np.zeros(d)
    direc = np.zeros(d)
    u = np.zeros(b)
    s = -np.inf
    if opt_code == 3:
        rho = beta1
    elif opt_code == 4:
        rho = math.sqrt(beta2)
    else:
        rho = 0.0
    log_rho = math.log(rho) if rho > 0.0 else 0.0
    log_eps = math.log(eps) if eps > 0.0 else 0.0
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
        # ---- scaled batch gradient ∇L_B(w) = e^c ĝ
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
            if opt_code == 5:
                for k in range(d):
                    g2hat[k] += a * a * X[i, k] * X[i, k]
        # divide once, after summing, so that an exactly cancelling coordinate stays exactly 0 (sign(0) = 0)
        for k in range(d):
            ghat[k] /= b
            g2hat[k] /= b
        # ---- update rule
        if opt_code == 0:
            scale = math.exp(c)
            for k in range(d):
                direc[k] = scale * ghat[k]
        elif opt_code == 1:
            nrm = 0.0
            for k in range(d):
                nrm += ghat[k] * ghat[k]
            nrm = math.sqrt(nrm)
            for k in range(d):
                direc[k] = ghat[k] / nrm if nrm > 0.0 else 0.0
        elif opt_code == 2:
            for k in range(d):
                direc[k] = np.sign(ghat[k])
        elif opt_code == 5:
            for k in range(d):
                direc[k] = ghat[k] / math.sqrt(g2hat[k]) if g2hat[k] > 0.0 else 0.0
        else:
            if rho == 0.0 or s == -np.inf:
                s_new = c
            else:
                s_new = max(c, s + log_rho)
            dec = math.exp(s - s_new)
            fresh = math.exp(c - s_new)
            if opt_code == 3:
                for k in range(d):
                    m[k] = beta1 * dec * m[k] + (1.0 - beta1) * fresh * ghat[k]
                    direc[k] = np.sign(m[k])
            else:
                c1 = 1.0
                c2 = 1.0
                if bias_correction:
                    c1 = 1.0 / (1.0 - beta1 ** (t + 1))
                    c2 = 1.0 / (1.0 - beta2 ** (t + 1))
                e_add = 0.0
                e_log = 0.0
                if eps > 0.0:
                    if eps_inside:
                        e_log = log_eps - 2.0 * s_new
                        e_add = math.exp(min(e_log, _MAX_LOG))
                    else:
                        e_add = math.exp(min(log_eps - s_new, _MAX_LOG))
                for k in range(d):
                    g = fresh * ghat[k]
                    m[k] = beta1 * dec * m[k] + (1.0 - beta1) * g
                    v[k] = beta2 * dec * dec * v[k] + (1.0 - beta2) * g * g
                    if eps_inside and e_log > _BIG_LOG:
                        den = math.exp(min(0.5 * e_log, _MAX_LOG))  # ε·e^{−2s} ≫ v̂: sqrt(v̂ + ε e^{−2s}) = e^{L/2}
                    elif eps_inside:
                        den = math.sqrt(c2 * v[k] + e_add)
                    else:
                        den = math.sqrt(c2 * v[k]) + e_add
                    direc[k] = c1 * m[k] / den if den > 0.0 else 0.0
            s = s_new
        # ---- step
        eta = lr * (t + 2.0) ** (-decay)
        for k in range(d):
            a = abs(direc[k])
            if a > max_dir:
                max_dir = a
            w[k] -= eta * direc[k]
        if logging:
            for k in range(d):
                D_out[li, k] = direc[k]
        if logging:
            li += 1
    return 0, steps, max_dir
