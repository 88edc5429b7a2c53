"""The two-layer network of fan2025 v4 Fig. 3 (`implicit_bias.two_layer`): data, gradients, margins, the reference
loop against independent formulas, and the batched fast path against the reference."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import expit, log_softmax

from implicit_bias.optimizers import UpdateRule, polar_factor
from implicit_bias.two_layer import (
    TwoLayerRun,
    digits_pixels,
    init_layers,
    log_grid,
    loss,
    margin_numerator,
    normalized_margin,
    scaled_gradients,
    train_batch,
    train_reference,
)

# the six rules of Fig. 3 with the paper's η_0 (0.05 for the spectral pair) and β_1 = 0.9 for the momentum rules
FIG3_RULES = {
    "signgd": (UpdateRule("signgd"), 0.1),
    "ngd": (UpdateRule("ngd"), 0.1),
    "spectral": (UpdateRule("spectral"), 0.05),
    "signum": (UpdateRule("signum", beta1=0.9), 0.1),
    "nmd": (UpdateRule("nmd", beta1=0.9, p=2.0), 0.1),
    "muon": (UpdateRule("muon", beta1=0.9), 0.05),
}


@pytest.fixture(scope="module")
def small():
    """A small problem (4 classes × 6 images, 64 pixels, width 7) for exact comparisons."""
    H, y = digits_pixels(100, seed=3)
    keep = np.concatenate([np.flatnonzero(y == c)[:6] for c in range(4)])
    H, y = H[keep], y[keep]
    V, W = init_layers(64, 7, 4, seed=1)
    return H, y, V, W


@pytest.fixture(scope="module")
def separated(small):
    """The small data with a hidden layer wider than the sample count and a W that puts every logit gap near 1e3
    (least squares onto 1000·one-hot targets): every CE weight e^{u} underflows in float64."""
    H, y, _, _ = small
    V, _ = init_layers(64, 30, 4, seed=2)
    A = expit(H @ V.T)
    W = np.linalg.lstsq(A, 1000.0 * np.eye(4)[y], rcond=None)[0].T
    return H, y, V, W


def naive_loss(V, W, H, y):
    """Textbook CE of W σ(V h) (fine at small logits)."""
    Z = expit(H @ V.T) @ W.T
    return float(-np.mean(log_softmax(Z, axis=1)[np.arange(len(y)), y]))


def test_digits_pixels_are_a_seeded_balanced_subset_in_unit_range():
    H, y = digits_pixels(100, seed=0)
    assert H.shape == (1000, 64) and H.dtype == np.float64
    assert H.min() == 0.0 and H.max() == 1.0  # raw pixel counts 0..16 divided by 16, not standardised
    assert np.array_equal(np.bincount(y), np.full(10, 100))
    H2, y2 = digits_pixels(100, seed=0)
    assert np.array_equal(H, H2) and np.array_equal(y, y2)
    H3, _ = digits_pixels(100, seed=1)
    assert not np.array_equal(H, H3)
    with pytest.raises(ValueError, match="per_class"):
        digits_pixels(500, seed=0)


def test_init_layers_scales():
    V, W = init_layers(64, 100, 10, seed=0)
    assert V.shape == (100, 64) and W.shape == (10, 100)
    assert abs(V.var() * 64 - 1) < 0.05 and abs(W.var() * 100 - 1) < 0.2


def test_loss_matches_textbook_and_is_exact_at_large_logits(small):
    H, y, V, W = small
    assert loss(V, W, H, y) == pytest.approx(naive_loss(V, W, H, y), rel=1e-12)
    # at logits of order 1e3 the textbook form gives 0 (or log(0)); the log form stays positive and finite
    big = loss(V, 2000.0 * W, H, y)
    assert math.isfinite(big) and big >= 0.0


def test_gradients_match_finite_differences(small):
    H, y, V, W = small
    C, gV, gW = scaled_gradients(V, W, H, y)
    rng = np.random.default_rng(0)
    h = 1e-6
    for _ in range(5):
        dV, dW = rng.standard_normal(V.shape), rng.standard_normal(W.shape)
        fd_v = (naive_loss(V + h * dV, W, H, y) - naive_loss(V - h * dV, W, H, y)) / (2 * h)
        fd_w = (naive_loss(V, W + h * dW, H, y) - naive_loss(V, W - h * dW, H, y)) / (2 * h)
        assert math.exp(C) * np.sum(gV * dV) == pytest.approx(fd_v, rel=1e-6, abs=1e-10)
        assert math.exp(C) * np.sum(gW * dW) == pytest.approx(fd_w, rel=1e-6, abs=1e-10)


def test_scaled_gradient_keeps_its_direction_where_the_plain_gradient_underflows(separated):
    """At logit gaps ~1e3 every e^{u} underflows, but ĝ is O(‖h‖) and finite, so the directions stay defined."""
    H, y, V, W = separated
    assert margin_numerator(V, W, H, y) > 800.0
    C, gV, gW = scaled_gradients(V, W, H, y)
    assert C < -745.0 and math.exp(C) == 0.0
    assert np.abs(gW).max() > 1e-3 and np.abs(gV).max() > 0 and np.all(np.isfinite(gV))
    # 1ᵀ∇_W L = 0 (each softmax row minus its one-hot sums to zero), kept exactly in the scaled form
    assert np.abs(gW.sum(axis=0)).max() < 1e-12 * np.abs(gW).max()


def test_margins(small):
    H, y, V, W = small
    Z = expit(H @ V.T) @ W.T
    pairs = Z[np.arange(len(y)), y][:, None] - Z
    pairs[np.arange(len(y)), y] = np.inf
    assert margin_numerator(V, W, H, y) == pytest.approx(pairs.min(), rel=1e-13)
    sv, sw = np.linalg.svd(V, compute_uv=False)[0], np.linalg.svd(W, compute_uv=False)[0]
    assert normalized_margin(V, W, H, y, "a") == pytest.approx(pairs.min() / sv, rel=1e-13)
    assert normalized_margin(V, W, H, y, "b") == pytest.approx(pairs.min() / max(sv, sw), rel=1e-13)
    with pytest.raises(ValueError, match="mode"):
        normalized_margin(V, W, H, y, "c")


def test_log_grid():
    g = log_grid(10_000, 40)
    assert g[0] == 0 and g[1] == 1 and g[-1] == 10_000
    assert np.all(np.diff(g) > 0) and 30 <= g.size <= 40
    with pytest.raises(ValueError):
        log_grid(0, 10)


def independent_steps(H, y, V, W, name, lr, mode, steps, beta=0.9):
    """The six rules written out from the spec's table (fan2025 v4 §2), with plain gradients and plain EMAs."""
    MV, MW = np.zeros_like(V), np.zeros_like(W)
    for t in range(steps):
        C, gV, gW = scaled_gradients(V, W, H, y)
        gV, gW = math.exp(C) * gV, math.exp(C) * gW
        if name in ("signum", "nmd", "muon"):
            MV, MW = beta * MV + (1 - beta) * gV, beta * MW + (1 - beta) * gW
            gV, gW = MV, MW
        if name in ("signgd", "signum"):
            dV, dW = np.sign(gV), np.sign(gW)
        elif name in ("ngd", "nmd"):
            dV, dW = gV / np.linalg.norm(gV), gW / np.linalg.norm(gW)
        else:
            dV, dW = polar_factor(gV), polar_factor(gW)
        eta = lr / math.sqrt(t + 2.0)
        V = V - eta * dV
        if mode == "b":
            W = W - eta * dW
    return V, W


@pytest.mark.parametrize("name", sorted(FIG3_RULES))
@pytest.mark.parametrize("mode", ["a", "b"])
def test_reference_loop_follows_the_written_out_rules(small, name, mode):
    H, y, V, W = small
    rule, lr = FIG3_RULES[name]
    steps = 12
    trace = train_reference(H, y, V, W, TwoLayerRun(rule, lr, mode), steps, [0, steps])
    V_end, W_end = independent_steps(H, y, V, W, name, lr, mode, steps)
    assert trace.numerator[-1] == pytest.approx(margin_numerator(V_end, W_end, H, y), rel=1e-9, abs=1e-12)
    assert trace.spec_v[-1] == pytest.approx(np.linalg.norm(V_end, 2), rel=1e-10)
    assert trace.spec_w[-1] == pytest.approx(np.linalg.norm(W_end, 2), rel=1e-10)
    if mode == "a":
        assert trace.spec_w[-1] == trace.spec_w[0]  # W fixed
    assert trace.margin[-1] == pytest.approx(normalized_margin(V_end, W_end, H, y, mode), rel=1e-9, abs=1e-12)


def test_fast_path_matches_the_reference_on_fig3_runs():
    """All twelve runs of Fig. 3 (six rules × two modes) on the full-size problem: 25 steps, margins and norms."""
    H, y = digits_pixels(100, seed=2)
    V, W = init_layers(64, 100, 10, seed=2)
    runs = [TwoLayerRun(rule, lr, mode) for mode in ("a", "b") for rule, lr in FIG3_RULES.values()]
    steps = 25
    record = log_grid(steps, 8)
    fast = train_batch(H, y, V, W, runs, steps, record)
    for run, got in zip(runs, fast):
        want = train_reference(H, y, V, W, run, steps, record)
        assert np.array_equal(got.t, want.t)
        np.testing.assert_allclose(got.numerator, want.numerator, rtol=1e-9, atol=1e-11, err_msg=run.rule.name)
        np.testing.assert_allclose(got.spec_v, want.spec_v, rtol=1e-11)
        np.testing.assert_allclose(got.spec_w, want.spec_w, rtol=1e-11)
        np.testing.assert_allclose(got.log_loss, want.log_loss, rtol=1e-9, atol=1e-11)


def test_fast_path_matches_at_large_margins(separated):
    """From logit gaps ~1e3 (every e^{u} underflows) the log-scale momentum and directions still match."""
    H, y, V, W = separated
    runs = [TwoLayerRun(rule, lr, "b") for rule, lr in FIG3_RULES.values()]
    fast = train_batch(H, y, V, W, runs, 10, [0, 10])
    for run, got in zip(runs, fast):
        assert got.numerator[-1] != got.numerator[0]  # the layers moved
        want = train_reference(H, y, V, W, run, 10, [0, 10])
        # sign(·) of gradient entries at rounding level may differ between the two summation orders: 1e-8, not 1e-11
        np.testing.assert_allclose(got.numerator, want.numerator, rtol=1e-8)
        np.testing.assert_allclose(got.spec_v, want.spec_v, rtol=1e-8)


def test_bad_input_is_refused(small):
    H, y, V, W = small
    run = TwoLayerRun(UpdateRule("signgd"), 0.1, "a")
    Hn = H.copy()
    Hn[0, 0] = np.nan
    for train in (train_reference, train_batch):
        args = (run,) if train is train_reference else ([run],)
        with pytest.raises(ValueError, match=r"finite|NaN|inf"):
            train(Hn, y, V, W, *args, 2, [0])
        with pytest.raises(ValueError, match="record"):
            train(H, y, V, W, *args, 2, [5])
        with pytest.raises(ValueError, match=r"shapes|features"):
            train(H, y, V.T, W, *args, 2, [0])
    with pytest.raises(ValueError, match="mode"):
        TwoLayerRun(UpdateRule("signgd"), 0.1, "c")
    with pytest.raises(ValueError, match="lr"):
        TwoLayerRun(UpdateRule("signgd"), float("nan"), "a")
    with pytest.raises(ValueError, match="train_reference"):
        train_batch(H, y, V, W, [TwoLayerRun(UpdateRule("adam"), 0.1, "a")], 2, [0])


def test_overflow_raises_instead_of_running_on(small):
    """A step size that sends the layers to inf stops with FloatingPointError in both paths."""
    H, y, V, W = small
    run = TwoLayerRun(UpdateRule("signgd"), 1e308, "b")
    with pytest.raises(FloatingPointError):
        train_reference(H, y, V, W, run, 5, [5])
    with pytest.raises(FloatingPointError):
        train_batch(H, y, V, W, [run], 5, [5])
