"""baek2025's closed-form objects (`implicit_bias.theory`) against trajectories: Lemma D.1, Prop. 2.4, Prop. 2.5,
Prop. 4.1's β2 → 1 limit, and the SignSGD limit direction."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from implicit_bias import gaussian, learning_rate, theory, train
from implicit_bias.losses import scaled_gradient
from implicit_bias.optimizers import UpdateRule, init_state, step_direction


def _cos(a, b):
    return float(a @ b / (np.linalg.norm(a) * np.linalg.norm(b)))


# --------------------------------------------------------------------------------------------------------------
# 7. Lemma D.1: |m_t/√v_t| ≤ α = (1−β1)/sqrt((1−β2)(1−β1²/β2)) for β1 ≤ β2
# --------------------------------------------------------------------------------------------------------------
@st.composite
def _betas_in_theory_range(draw):
    beta1 = draw(st.floats(0.0, 0.99))
    u = draw(st.floats(0.0, 0.99))
    beta2 = beta1 + (1.0 - beta1) * u  # β1 ≤ β2 < 1, hence β1² < β2 unless β1 = β2 = 0
    assume(beta2 > 0.0)
    return beta1, beta2


@settings(deadline=None, max_examples=40)
@given(
    betas=_betas_in_theory_range(),
    batch_size=st.sampled_from([None, 1, 2]),
    sampling=st.sampled_from(["cyclic", "replacement"]),
    eps=st.sampled_from([0.0, 1e-8]),
    seed=st.integers(0, 10_000),
)
def test_lemma_d1_bounds_every_adam_step(betas, batch_size, sampling, eps, seed):
    beta1, beta2 = betas
    alpha = theory.adam_update_bound(beta1, beta2)
    X = gaussian(10, 50, seed)
    tr = train(
        X,
        optimizer="adam",
        beta1=beta1,
        beta2=beta2,
        eps=eps,
        steps=3000,
        batch_size=batch_size,
        sampling=sampling,
        seed=seed,
        num_log=10,
    )
    assert tr.max_direction <= alpha * (1.0 + 1e-12), (tr.max_direction, alpha)
    if beta1 == 0.0 and eps == 0.0:
        # the first step m_0/√v_0 = (1−β1)/√(1−β2)·sign(g_0) attains the bound when β1 = 0
        assert tr.max_direction == pytest.approx(alpha, rel=1e-12)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("beta1, beta2", [(0.9, 0.95), (0.9, 0.9), (0.5, 0.999), (0.0, 0.95)])
def test_lemma_d1_det_and_inc_adam_both_backends(beta1, beta2, backend, X):
    alpha = theory.adam_update_bound(beta1, beta2)
    for batch_size in (None, 1):
        tr = train(X, optimizer="adam", beta1=beta1, beta2=beta2, steps=3000, batch_size=batch_size, backend=backend)
        assert tr.max_direction <= alpha * (1.0 + 1e-12)
        assert tr.max_direction >= (1.0 - beta1) / np.sqrt(1.0 - beta2) * (1 - 1e-12)  # ≥ the first step


@settings(deadline=None, max_examples=60)
@given(betas=_betas_in_theory_range())
def test_lemma_d1_constant_is_at_least_one(betas):
    """α ≥ 1 on β1 ≤ β2, with equality iff β1 = β2: α² ≥ 1 ⇔ (1−β1)² ≥ (1−β2)(β2−β1²)/β2, and the right-hand side
    is decreasing in β2 on [β1, 1) (derivative −1 + β1²/β2² ≤ 0) with value (1−β1)² at β2 = β1."""
    beta1, beta2 = betas
    alpha = theory.adam_update_bound(beta1, beta2)
    assert alpha >= 1.0 - 1e-12
    if beta1 == beta2:
        assert alpha == pytest.approx(1.0, rel=1e-12)
    if beta1 == 0.0:
        assert alpha == pytest.approx(1.0 / np.sqrt(1.0 - beta2), rel=1e-12)


@settings(deadline=None, max_examples=40)
@given(betas=_betas_in_theory_range())
def test_lemma_d1_is_sharp_for_geometrically_growing_gradients(betas):
    """Cauchy–Schwarz is tight for g_τ ∝ (β2/β1)^τ: then m_t/√v_t = (1−β1)/√(1−β2)·sqrt((1−q^{t+1})/(1−q)) with
    q = β1²/β2, which increases to α. Fed through the log-scale Adam rule (|g| reaches e^{600·log(β2/β1)})."""
    beta1, beta2 = betas
    assume(beta1 > 1e-3 and beta1 < beta2)
    alpha = theory.adam_update_bound(beta1, beta2)
    rule = UpdateRule("adam", beta1=beta1, beta2=beta2)
    state = init_state(rule, 1)
    q = beta1**2 / beta2
    for t in range(600):
        direc, state = step_direction(rule, state, t, t * np.log(beta2 / beta1), np.array([-1.0]))
        expected = (1.0 - beta1) / np.sqrt(1.0 - beta2) * np.sqrt((1.0 - q ** (t + 1)) / (1.0 - q))
        assert -direc[0] == pytest.approx(expected, rel=1e-10)
        assert -direc[0] <= alpha * (1.0 + 1e-12)
    if q**600 < 1e-12:
        assert -direc[0] == pytest.approx(alpha, rel=1e-10)  # the bound is attained in the limit


def test_lemma_d1_rejects_out_of_range_betas():
    for b1, b2 in [(0.9, 0.81), (0.9, 0.5), (0.0, 0.0), (0.5, 1.0), (-0.1, 0.5)]:
        with pytest.raises(ValueError, match=r"Lemma D\.1"):
            theory.adam_update_bound(b1, b2)


# --------------------------------------------------------------------------------------------------------------
# Prop. 2.4: Det-Adam ≈ SignGD on the coordinates where η_t^{1/2} L/|∇L[k]| → 0
# --------------------------------------------------------------------------------------------------------------
def test_prop_2_4_det_adam_steps_approach_sign_gd(X):
    errors = []
    for T in (10_000, 100_000):
        tr = train(X, optimizer="adam", steps=T, log_steps=[T - 1], num_log=2)
        j = list(tr.steps).index(T - 1)
        w, d = tr.w[j], tr.direction[j]
        _, ghat, _ = scaled_gradient(X, w)
        cond = theory.signgd_condition(X, w, learning_rate(T - 1))
        sel = cond < -2.0  # log of the ratio; ≥ 16 of 50 coordinates here
        assert sel.sum() >= 10
        errors.append(np.max(np.abs(d[sel] - np.sign(ghat[sel]))))
    # spec §6.3: below 0.05 late in training (observed 0.113 at 1e4, 0.033 at 1e5, 0.0099 at 1e6)
    assert errors[1] < 0.05 and errors[1] < 0.5 * errors[0], errors


# --------------------------------------------------------------------------------------------------------------
# 8. Prop. 2.5: the Inc-Adam epoch map
# --------------------------------------------------------------------------------------------------------------
def _epoch_errors(X, beta1, beta2, batch_size, epochs):
    N = X.shape[0]
    M = N // batch_size  # steps per epoch
    log_steps = sorted({r * M for r in epochs} | {(r + 1) * M for r in epochs})
    tr = train(
        X,
        optimizer="adam",
        beta1=beta1,
        beta2=beta2,
        batch_size=batch_size,
        steps=max(log_steps),
        log_steps=log_steps,
        num_log=0,
    )
    W = dict(zip(tr.steps.tolist(), tr.w))
    errors, det_errors = [], []
    for r in epochs:
        actual = W[(r + 1) * M] - W[r * M]
        eta = learning_rate(r * M)
        predicted = -eta * theory.inc_adam_epoch_direction(X, W[r * M], beta1, beta2, batch_size=batch_size)
        errors.append(np.linalg.norm(actual - predicted) / np.linalg.norm(actual))
        # negative control: the full-batch (Det-Adam ≈ SignGD) prediction −η·M·sign(∇L) does not fit
        _, ghat, _ = scaled_gradient(X, W[r * M])
        det = -eta * M * np.sign(ghat)
        det_errors.append(np.linalg.norm(actual - det) / np.linalg.norm(actual))
    return np.array(errors), np.array(det_errors)


@pytest.mark.parametrize(
    "beta1, beta2, batch_size, bounds",
    [
        # spec §3/§6.2: observed 0.16, 0.040, 0.012 at r = 1e2, 1e3, 1e4; pass below 0.05 at 1e3 and 0.02 at 1e4
        (0.9, 0.95, 1, (0.25, 0.05, 0.02)),
        (0.5, 0.9, 1, (0.25, 0.05, 0.02)),  # observed 0.118, 0.036, 0.011
        (0.9, 0.95, 2, (0.6, 0.15, 0.04)),  # M = 5 batches per epoch; observed 0.41, 0.086, 0.024
    ],
)
def test_prop_2_5_inc_adam_epoch_update(beta1, beta2, batch_size, bounds, X):
    errors, det_errors = _epoch_errors(X, beta1, beta2, batch_size, (100, 1000, 10_000))
    assert np.all(errors < np.array(bounds)), errors
    # ‖ε_r‖ = O(η_{rN}): each decade of epochs divides η by √10 ≈ 3.2 (observed ratios 3.4–4.9)
    assert errors[1] < errors[0] / 2.5 and errors[2] < errors[1] / 2.5, errors
    assert np.all(det_errors > 0.3), det_errors


# --------------------------------------------------------------------------------------------------------------
# Prop. 4.1: β2 → 1, the epoch map becomes N × the AdamProxy direction, whatever β1
# --------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("beta1", [0.0, 0.5, 0.9, 0.99])
def test_prop_4_1_beta2_to_one_gives_adam_proxy(beta1, X):
    w = train(X, optimizer="adam", batch_size=1, steps=2000).w_final  # margins of different sizes
    z = X @ w
    G = -np.exp(-(z - z.min()))[:, None] * X  # per-sample gradients up to the common factor e^{−z_min}
    proxy = G.sum(axis=0) / np.sqrt((G * G).sum(axis=0))  # Σ_i ∇L_i / sqrt(Σ_i ∇L_i²)
    N = X.shape[0]
    np.testing.assert_allclose(
        theory.inc_adam_constant(beta1, 1 - 1e-9, N), np.sqrt(N) * (1 - beta1) / (1 - beta1**N), rtol=1e-6
    )
    limit = theory.inc_adam_epoch_direction(X, w, beta1, 1.0 - 1e-7)
    np.testing.assert_allclose(limit, np.sqrt(N) * proxy, rtol=1e-5, atol=1e-5 * np.abs(proxy).max())
    # ... and AdamProxy's own per-step direction is (1/√N) Σ_i∇L_i/sqrt(Σ_i∇L_i²): one epoch of N proxy steps
    tr = train(X, optimizer="adam_proxy", steps=1, w0=w)
    np.testing.assert_allclose(N * tr.direction[0], np.sqrt(N) * proxy, rtol=1e-10, atol=1e-12)
    # for β2 well below 1 the epoch map is something else
    far = theory.inc_adam_epoch_direction(X, w, beta1, 0.5)
    assert np.max(np.abs(far - np.sqrt(N) * proxy)) > 1e-2 * np.abs(proxy).max()


def test_inc_adam_constant_special_cases():
    assert theory.inc_adam_constant(0.9, 0.95, 1) == pytest.approx(1.0, rel=1e-14)  # one batch: Det-Adam scale
    assert theory.inc_adam_constant(0.0, 0.0, 10) == pytest.approx(1.0, rel=1e-14)
    b1, b2, n = 0.9, 0.95, 10
    expected = (1 - b1) / (1 - b1**n) * np.sqrt((1 - b2**n) / (1 - b2))
    assert theory.inc_adam_constant(b1, b2, n) == pytest.approx(expected, rel=1e-14)


# --------------------------------------------------------------------------------------------------------------
# 11. SignSGD (Signum with β = 0, batch size 1) → Σ_i sign(x_i)
# --------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "optimizer, kwargs",
    [
        ("signum", dict(beta1=0.0, sampling="cyclic")),
        ("signum", dict(beta1=0.0, sampling="reshuffle")),
        ("signum", dict(beta1=0.0, sampling="replacement")),
        ("signgd", dict(sampling="cyclic")),
    ],
)
@pytest.mark.parametrize("seed", [0, 1])
def test_signsgd_converges_to_sign_sum_direction(optimizer, kwargs, seed):
    X = gaussian(10, 50, seed)
    target = theory.sign_sum_direction(X)
    tr = train(X, optimizer=optimizer, batch_size=1, steps=100_000, seed=seed, num_log=20, **kwargs)
    cosines = [_cos(w, target) for w in tr.w[1:]]
    assert cosines[-1] > 0.999, cosines[-1]
    # it is a genuinely different limit from full-batch SignGD / Det-Adam (the ℓ∞ max-margin direction)
    det = train(X, optimizer="signgd", steps=100_000, num_log=2)
    assert _cos(det.w_final, target) < 0.95


def test_sign_sum_direction_value():
    X = np.array([[1.0, -2.0, 0.5], [-3.0, -1.0, 2.0], [0.1, 4.0, -1.0]])
    np.testing.assert_array_equal(theory.sign_sum_direction(X), [1.0, -1.0, 1.0])
