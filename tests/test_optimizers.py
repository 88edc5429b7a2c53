"""Update rules and batching schedules (`implicit_bias.optimizers`), checked against independent oracles.

- the log-scale formulation vs a NAIVE float64 implementation (conftest.naive_train) while the latter is in range;
- the first ε = 0 Adam step and the β1 = β2 = 0 special case (Adam = SignGD);
- closed forms of the Adam recursion for geometric gradient sequences far outside float64 range;
- `batch_schedule` coverage and determinism.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.special import logsumexp

from implicit_bias import batch_schedule, gaussian, learning_rate, train
from implicit_bias.optimizers import UpdateRule, init_state, step_direction

BACKENDS = ("numba", "numpy")


# --------------------------------------------------------------------------------------------------------------
# 2. log-scale formulation == naive float64 implementation while the naive one is in range
# --------------------------------------------------------------------------------------------------------------
def _naive_cases():
    cases = []
    for opt, bs, loss, lr in itertools.product(
        ("gd", "ngd", "signgd", "signum", "adam", "adam_proxy"), (None, 1, 2), ("exp", "logistic"), (0.1, 0.5)
    ):
        if opt == "gd":
            lr = lr / 10  # per-sample GD with lr ≥ 0.1 genuinely diverges on ‖x_i‖² ≈ 50 (see test_training)
        cases.append(dict(optimizer=opt, batch_size=bs, loss=loss, lr=lr))
    all_bs = (None, 1, 2)
    adam_variants = [
        (dict(bias_correction=True), all_bs),
        (dict(eps=1e-8), all_bs),  # ε outside √v (PyTorch); comparable to |g| ≈ e^{-20} here, so it really acts
        (dict(eps=1e-16, eps_inside=True), all_bs),  # ε inside √(v + ε): √ε = 1e-8, same order
        (dict(eps=1e-8, bias_correction=True), all_bs),
        (dict(beta1=0.0, beta2=0.999), all_bs),
        # Full-batch ε = 0 Adam with small betas is chaotic almost at once (rounding-level differences grow
        # exponentially from step ~400 for (0.5, 0.9) and ~100 for (0.5, 0.5); see test_training), so only
        # mini-batches here, where the per-sample gradients have no cancellation.
        (dict(beta1=0.5, beta2=0.9), (1, 2)),
    ]
    for extra, sizes in adam_variants:
        for bs in sizes:
            cases.append(dict(optimizer="adam", batch_size=bs, loss="exp", lr=0.1, **extra))
    cases.append(dict(optimizer="signum", batch_size=1, beta1=0.99, loss="exp", lr=0.5))
    for sampling in ("replacement", "reshuffle"):
        for opt in ("adam", "signum", "adam_proxy"):
            cases.append(dict(optimizer=opt, batch_size=2, sampling=sampling, seed=3, loss="logistic", lr=0.5))
    return cases


def _case_id(case):
    return "-".join(f"{k}={v}" for k, v in case.items())


@pytest.mark.parametrize("case", _naive_cases(), ids=_case_id)
def test_log_scale_equals_naive_float64(case, X, naive, rel_err):
    steps = 600  # full-batch ε = 0 Adam is chaotic beyond ~1500 steps (see test_training); stay well before that
    W_naive = naive(X, steps=steps, **case)
    margins = X @ W_naive[-1]
    # precondition: the naive run is in range (g² ≥ e^{-600} ≫ smallest normal double), so it is an exact oracle
    assert margins.min() < 300, f"test set-up error: naive run left the representable range ({margins.min():.0f})"
    for backend in BACKENDS:
        tr = train(X, steps=steps, log_steps=range(0, steps + 1, 7), backend=backend, **case)
        err = rel_err(tr.w, W_naive[tr.steps])
        assert np.max(err) <= 1e-8, (
            f"{backend}: max relative deviation {np.max(err):.2e} at step {tr.steps[np.argmax(err)]}"
        )


def test_naive_oracle_is_not_trivially_equal(X, naive, rel_err):
    """Guard for the test above: the oracle really resolves differences (a 1% change of β2 moves w by ≫ 1e-8)."""
    W = naive(X, optimizer="adam", steps=200, batch_size=1)
    W2 = naive(X, optimizer="adam", steps=200, batch_size=1, beta2=0.95 * 1.01)
    assert np.max(rel_err(W2, W)) > 1e-4


# --------------------------------------------------------------------------------------------------------------
# 4. the first ε = 0 Adam step
# --------------------------------------------------------------------------------------------------------------
_betas = st.floats(0.0, 0.999, allow_nan=False)


@st.composite
def _integer_data(draw):
    # Integer entries make Σ_i x_i exact, so sign(g) is unambiguous, and zero coordinates (sign 0) do occur.
    # Any n: both back ends divide by |B| once, after summing, so an exact cancellation stays exactly 0.
    n = draw(st.integers(1, 8))
    d = draw(st.integers(1, 6))
    return draw(arrays(np.float64, (n, d), elements=st.integers(-3, 3).map(float)))


@settings(deadline=None, max_examples=60)
@given(
    Xd=_integer_data(),
    beta1=_betas,
    beta2=_betas,
    loss=st.sampled_from(["exp", "logistic"]),
    batch_size=st.sampled_from([None, 1]),
    backend=st.sampled_from(BACKENDS),
    lr=st.floats(1e-3, 10.0),
)
def test_first_adam_step_is_scaled_sign(Xd, beta1, beta2, loss, batch_size, backend, lr):
    # at w_0 = 0 every margin is 0, so g_0 = −|ℓ'(0)|·(1/|B|)Σ_{i∈B} x_i and sign(g_0) = −sign(Σ_{i∈B} x_i)
    used = Xd if batch_size is None else Xd[:1]
    sign_g = -np.sign(used.sum(axis=0))
    eta0 = learning_rate(0, lr, 0.5)
    kw = dict(optimizer="adam", steps=1, lr=lr, beta1=beta1, beta2=beta2, loss=loss, batch_size=batch_size)

    tr = train(Xd, backend=backend, **kw)
    expected = (1.0 - beta1) / np.sqrt(1.0 - beta2) * sign_g
    np.testing.assert_allclose(tr.direction[0], expected, rtol=1e-12, atol=0)
    np.testing.assert_allclose(tr.w[1], -eta0 * expected, rtol=1e-12, atol=0)
    assert tr.max_direction == pytest.approx(np.abs(expected).max(), rel=1e-12)

    trc = train(Xd, backend=backend, bias_correction=True, **kw)
    np.testing.assert_allclose(trc.direction[0], sign_g, rtol=1e-12, atol=0)
    np.testing.assert_allclose(trc.w[1], -eta0 * sign_g, rtol=1e-12, atol=0)


# --------------------------------------------------------------------------------------------------------------
# 5. Adam with β1 = β2 = 0 is SignGD; Signum with β = 0 is SignGD
# --------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize(
    "batch_size, sampling", [(None, "cyclic"), (1, "cyclic"), (2, "cyclic"), (2, "replacement"), (5, "reshuffle")]
)
@pytest.mark.parametrize("loss", ["exp", "logistic"])
def test_adam_with_zero_betas_is_signgd(batch_size, sampling, loss, backend, X, rel_err):
    kw = dict(steps=3000, batch_size=batch_size, sampling=sampling, loss=loss, seed=7, backend=backend, num_log=50)
    ref = train(X, optimizer="signgd", **kw)
    for opt, extra in [
        ("adam", dict(beta1=0.0, beta2=0.0)),
        ("adam", dict(beta1=0.0, beta2=0.0, bias_correction=True)),
        ("signum", dict(beta1=0.0)),
    ]:
        tr = train(X, optimizer=opt, **extra, **kw)
        assert np.max(rel_err(tr.w, ref.w)) <= 1e-12, (opt, extra)
        np.testing.assert_allclose(tr.log_loss, ref.log_loss, rtol=1e-12, atol=1e-12)
        assert tr.max_direction == pytest.approx(1.0, rel=1e-12)
    # ... and the test can fail: a tiny β2 already changes the iterates
    tr = train(X, optimizer="adam", beta1=0.0, beta2=0.1, **kw)
    assert np.max(rel_err(tr.w, ref.w)) > 1e-3


# --------------------------------------------------------------------------------------------------------------
# log-scale state: closed forms far outside float64 range (the naive recursion would overflow / underflow)
# --------------------------------------------------------------------------------------------------------------
def _run_rule(rule, log_scales, ghat):
    state = init_state(rule, ghat.size)
    out = []
    for t, c in enumerate(log_scales):
        direc, state = step_direction(rule, state, t, float(c), ghat)
        out.append(direc)
    return np.array(out)


def _log_ema(log_beta, log_g, t):
    """log Σ_{τ≤t} β^{t−τ} e^{log_g[τ]} (with β^0 = 1 also for β = 0)."""
    lag = t - np.arange(t + 1)
    with np.errstate(invalid="ignore"):  # 0·log 0 at lag 0 is replaced by β^0 = 1
        weights = np.where(lag == 0, 0.0, lag * log_beta)
    return logsumexp(weights + log_g[: t + 1])


@settings(deadline=None, max_examples=40)
@given(
    beta1=st.floats(0.0, 0.99), gap=st.floats(0.0, 0.5), kappa=st.floats(1.0, 20.0), sign=st.sampled_from([-1.0, 1.0])
)
def test_adam_state_exact_for_geometrically_vanishing_gradients(beta1, gap, kappa, sign):
    """g_τ = e^{−κτ}·ĝ: after 150 steps |g| = e^{−150κ} (≪ 1e-308 for κ > 5), yet m_t/√v_t has a closed form:
    m_t = (1−β1) Σ_τ β1^{t−τ} e^{−κτ} ĝ and v_t = (1−β2) Σ_τ β2^{t−τ} e^{−2κτ} ĝ², evaluated here by log-sum-exp.
    This drives the state's log-scale s down by log ρ per step, the code path the long runs live on."""
    beta2 = min(beta1 + gap, 0.999)
    rule = UpdateRule("adam", beta1=beta1, beta2=beta2)
    T = 150
    ghat = sign * np.array([1.0, -2.0, 0.5])
    log_g = -kappa * np.arange(T, dtype=float)
    D = _run_rule(rule, log_g, ghat)
    with np.errstate(divide="ignore"):
        lb1, lb2 = np.log(beta1), np.log(beta2)
    ratio = np.array([np.exp(_log_ema(lb1, log_g, t) - 0.5 * _log_ema(lb2, 2 * log_g, t)) for t in range(T)]) * (
        (1.0 - beta1) / np.sqrt(1.0 - beta2)
    )
    expected = ratio[:, None] * np.sign(ghat)[None, :]
    np.testing.assert_allclose(D, expected, rtol=1e-10, atol=1e-300)


@settings(deadline=None, max_examples=40)
@given(beta1=st.floats(0.01, 0.99), gap=st.floats(0.0, 0.5), kappa=st.floats(0.0, 20.0))
def test_adam_state_exact_for_geometrically_exploding_gradients(beta1, gap, kappa):
    """g_τ = e^{+κτ}·ĝ (overflowing float64 after 710/κ steps): same closed form, state rescaled upwards."""
    beta2 = min(beta1 + gap, 0.999)
    rule = UpdateRule("adam", beta1=beta1, beta2=beta2)
    T = 150
    ghat = np.array([1.0, -2.0, 0.5])
    log_g = kappa * np.arange(T, dtype=float)
    D = _run_rule(rule, log_g, ghat)
    ratio = np.array(
        [np.exp(_log_ema(np.log(beta1), log_g, t) - 0.5 * _log_ema(np.log(beta2), 2 * log_g, t)) for t in range(T)]
    ) * ((1.0 - beta1) / np.sqrt(1.0 - beta2))
    np.testing.assert_allclose(D, ratio[:, None] * np.sign(ghat)[None, :], rtol=1e-10, atol=0)


@settings(deadline=None, max_examples=40)
@given(beta=st.floats(0.0, 0.999), kappa=st.floats(1.0, 50.0))
def test_signum_state_exact_for_alternating_exploding_gradients(beta, kappa):
    """Signum sees g_τ = (−1)^τ e^{κτ} x (overflowing float64 after ~700/κ steps). In closed form
    m_t = (1−β)(−1)^t e^{κt} x · Σ_{k≤t} (−βe^{−κ})^k and the alternating sum lies in (0, 2), so
    sign(m_t) = sign(g_t)."""
    rule = UpdateRule("signum", beta1=beta)
    T = 200
    x = np.array([1.0, -3.0, 0.25])
    state = init_state(rule, 3)
    for t in range(T):
        sgn = (-1.0) ** t
        direc, state = step_direction(rule, state, t, kappa * t, sgn * x)
        np.testing.assert_array_equal(direc, sgn * np.sign(x))
        assert np.all(np.isfinite(state.m)) and np.isfinite(state.s)


# --------------------------------------------------------------------------------------------------------------
# 10. batch_schedule
# --------------------------------------------------------------------------------------------------------------
@st.composite
def _n_and_divisor(draw):
    n = draw(st.integers(1, 24))
    divisors = [b for b in range(1, n + 1) if n % b == 0]
    return n, draw(st.sampled_from(divisors))


@settings(deadline=None, max_examples=80)
@given(nb=_n_and_divisor(), steps=st.integers(0, 200), seed=st.integers(0, 2**32 - 1))
def test_cyclic_schedule_visits_each_sample_once_per_epoch_in_order(nb, steps, seed):
    n, b = nb
    B = batch_schedule(n, steps, b, "cyclic", seed)
    M = n // b
    assert B.shape == (M, b) and B.dtype == np.int64
    visited = np.concatenate([B[t % len(B)] for t in range(3 * M)])
    np.testing.assert_array_equal(visited, np.tile(np.arange(n), 3))  # epoch r: 0, 1, …, N−1 in order
    np.testing.assert_array_equal(B, batch_schedule(n, steps, b, "cyclic", seed + 1))  # seed-free


@settings(deadline=None, max_examples=80)
@given(nb=_n_and_divisor(), steps=st.integers(0, 200), seed=st.integers(0, 2**32 - 1))
def test_reshuffle_schedule_is_a_permutation_per_epoch(nb, steps, seed):
    n, b = nb
    B = batch_schedule(n, steps, b, "reshuffle", seed)
    M = n // b
    if b == n:  # full batch: one row (order is irrelevant for a full-batch mean)
        np.testing.assert_array_equal(B, np.arange(n)[None, :])
        return
    assert B.shape[1] == b and B.shape[0] >= max(steps, 1) and B.shape[0] % M == 0
    for r in range(B.shape[0] // M):
        np.testing.assert_array_equal(np.sort(B[r * M : (r + 1) * M].ravel()), np.arange(n))
    np.testing.assert_array_equal(B, batch_schedule(n, steps, b, "reshuffle", seed))  # deterministic


@settings(deadline=None, max_examples=80)
@given(n=st.integers(1, 24), b=st.integers(1, 24), steps=st.integers(0, 300), seed=st.integers(0, 2**32 - 1))
def test_replacement_schedule_draws_in_range(n, b, steps, seed):
    b = min(b, n)
    B = batch_schedule(n, steps, b, "replacement", seed)
    assert B.shape == (max(steps, 1), b) and B.dtype == np.int64
    assert B.min() >= 0 and B.max() < n
    np.testing.assert_array_equal(B, batch_schedule(n, steps, b, "replacement", seed))


@pytest.mark.parametrize("sampling", ["replacement", "reshuffle"])
def test_random_schedules_depend_on_seed_and_are_uniform(sampling):
    n, b, steps = 10, 2, 50_000
    B0 = batch_schedule(n, steps, b, sampling, 0)
    B1 = batch_schedule(n, steps, b, sampling, 1)
    assert not np.array_equal(B0[:100], B1[:100])
    counts = np.bincount(B0[:steps].ravel(), minlength=n) / (steps * b)
    np.testing.assert_allclose(counts, 1.0 / n, atol=0.005)  # binomial sd ≈ 0.001
    if sampling == "reshuffle":  # consecutive epochs use fresh permutations
        epochs = B0[: 100 * (n // b)].reshape(100, n)
        assert len({tuple(e) for e in epochs}) > 90


@pytest.mark.parametrize("sampling", ["cyclic", "reshuffle"])
def test_full_batch_schedule_is_one_row_of_all_samples(sampling):
    for bs in (None, 10):
        np.testing.assert_array_equal(batch_schedule(10, 100, bs, sampling, 0), np.arange(10)[None, :])


def test_learning_rate_schedule():
    t = np.arange(5)
    np.testing.assert_allclose(learning_rate(t, 0.1, 0.5), 0.1 / np.sqrt(t + 2.0), rtol=1e-15)
    np.testing.assert_allclose(learning_rate(t, 0.3, 0.0), 0.3, rtol=1e-15)
    tr = train(gaussian(3, 4, 0), optimizer="signgd", steps=5, lr=0.3, decay=0.7)
    np.testing.assert_allclose(tr.lr, 0.3 * (tr.steps + 2.0) ** -0.7, rtol=1e-15)
