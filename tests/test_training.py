"""`implicit_bias.train`: numba fast path vs the numpy reference, numerics past underflow, order invariance,
input validation and divergence detection."""

from __future__ import annotations

import itertools
import math
import threading
import warnings

import numpy as np
import pytest

from implicit_bias import gaussian, learning_rate, log_grid, train, train_many, training
from implicit_bias.losses import scaled_gradient
from implicit_bias.theory import adam_update_bound

OPTIMIZERS = ("gd", "ngd", "signgd", "signum", "adam", "adam_proxy")
BATCH_SIZES = (None, 1, 2)
SAMPLINGS = ("cyclic", "replacement", "reshuffle")
ADAM_VARIANTS = (  # (eps, eps_inside, bias_correction)
    (0.0, False, False),
    (0.0, False, True),
    (1e-8, False, False),
    (1e-8, True, False),
    (1e-8, False, True),
)


# --------------------------------------------------------------------------------------------------------------
# 1. fast path == reference
# --------------------------------------------------------------------------------------------------------------
def _fast_vs_reference_cases():
    for opt, bs, sampling, loss in itertools.product(OPTIMIZERS, BATCH_SIZES, SAMPLINGS, ("exp", "logistic")):
        for eps, inside, bc in ADAM_VARIANTS if opt == "adam" else ADAM_VARIANTS[:1]:
            yield pytest.param(
                dict(
                    optimizer=opt,
                    batch_size=bs,
                    sampling=sampling,
                    loss=loss,
                    eps=eps,
                    eps_inside=inside,
                    bias_correction=bc,
                    # per-sample GD with lr 0.1 genuinely diverges here (L-smoothness ‖x_i‖² ≈ 50 > 2/η), see below
                    lr=0.01 if opt == "gd" else 0.1,
                ),
                id=f"{opt}-b{bs}-{sampling}-{loss}-eps{eps}{'-in' if inside else ''}{'-bc' if bc else ''}",
            )


def _is_full_batch_chaotic(case):
    """Full-batch Adam with ε = 0 (Det-Adam ≈ SignGD, Prop. 2.4) is sensitive to rounding.

    Late in training it chatters on coordinates where ∇L(w)[k] ≈ 0, and m/√v is scale-free, so a gradient
    coordinate that is a rounding-level residue of cancellation over the samples still produces an O(1) step.
    Rounding differences (the two back ends sum in different orders) therefore grow exponentially (≈ ×1.7 per step)
    from step ≈ 1500–2100 on gaussian(10, 50, s) for s = 0…9, and saturate at ‖Δw_t‖∞ ≈ 0.05–0.8 η_t (max over 20
    runs of 5000 steps: 0.79 η_t, vs the bound 2α η_t = 2.33 η_t asserted below). The same happens
    between the numpy reference and a naive implementation, and between two reference runs whose w_0 differ by
    1e-13, so it is a property of the dynamics, not of either back end. With ε > 0 or mini-batches (no
    cancellation) the runs agree to ~1e-14.
    """
    return (
        case["optimizer"] == "adam"
        and case["eps"] == 0.0
        and case["batch_size"] is None
        and case["sampling"] != "replacement"
    )


@pytest.mark.parametrize("case", _fast_vs_reference_cases())
def test_fast_path_equals_reference(case, X, rel_err):
    steps = 2000
    fast = train(X, steps=steps, backend="numba", num_log=40, **case)
    ref = train(X, steps=steps, backend="numpy", num_log=40, **case)
    np.testing.assert_array_equal(fast.steps, ref.steps)
    assert fast.settings == ref.settings
    np.testing.assert_allclose(fast.log_loss, ref.log_loss, rtol=1e-6, atol=1e-12)
    assert fast.max_direction == pytest.approx(ref.max_direction, rel=1e-6)
    err = rel_err(fast.w, ref.w)
    if not _is_full_batch_chaotic(case):
        assert np.max(err) <= 1e-6, f"max relative deviation {np.max(err):.2e} at step {ref.steps[np.argmax(err)]}"
        D_f, D_r = fast.direction[:-1], ref.direction[:-1]  # the last entry is NaN (no step taken)
        np.testing.assert_allclose(D_f, D_r, rtol=1e-6, atol=1e-6 * np.nanmax(np.abs(D_r)))
        return
    # (a) before the chaotic phase the runs agree tightly
    early = ref.steps <= 1000
    assert np.max(err[early]) <= 1e-6
    # (b) afterwards they shadow each other: at most one step of each (|d_t| ≤ α, Lemma D.1) apart
    alpha = adam_update_bound(0.9, 0.95)
    eta = learning_rate(ref.steps, 0.1, 0.5)
    dw = np.max(np.abs(fast.w - ref.w), axis=1)
    assert np.all(dw <= 2 * alpha * eta), f"max ‖Δw‖∞/η_t = {np.max(dw / eta):.3f} > 2α = {2 * alpha:.3f}"
    # (c) and the difference lives in directions along which ∇L ≈ 0: the loss agrees to rtol 1e-6 throughout
    #     (already asserted above; observed ≤ 5e-8).


@pytest.mark.parametrize(
    "case, steps",
    [
        (dict(optimizer="adam", batch_size=1, lr=2.0), 20_000),
        (
            dict(optimizer="adam", batch_size=2, sampling="reshuffle", lr=2.0, loss="logistic", bias_correction=True),
            20_000,
        ),
        (dict(optimizer="adam_proxy", lr=1.0), 10_000),
        (dict(optimizer="signum", batch_size=2, beta1=0.9, lr=1.0, sampling="replacement"), 10_000),
        (dict(optimizer="signgd", lr=1.0), 5_000),
    ],
    ids=["inc-adam", "adam-b2-reshuffle-logistic-bc", "adam-proxy", "signum-b2-replacement", "signgd"],
)
def test_fast_path_equals_reference_past_underflow(case, steps, X, rel_err):
    """Large lr: the min margin passes 372 (naive g² underflow) early in the run, so both back ends spend most of it
    deep in the log-scale regime (final min margins ≈ 450–2000)."""
    fast = train(X, steps=steps, backend="numba", num_log=30, **case)
    ref = train(X, steps=steps, backend="numpy", num_log=30, **case)
    assert (X @ ref.w_final).min() > 400
    assert np.max(rel_err(fast.w, ref.w)) <= 1e-6
    np.testing.assert_allclose(fast.log_loss, ref.log_loss, rtol=1e-6, atol=1e-12)
    assert fast.max_direction == pytest.approx(ref.max_direction, rel=1e-6)


@pytest.fixture(scope="module")
def margin_direction(X):
    """A direction with min_i⟨w, x_i⟩ = 1 (SignGD's, close to ℓ∞ max-margin), to place w_0 at a chosen margin."""
    w = train(X, optimizer="signgd", steps=20_000, num_log=2).w_final
    return w / (X @ w).min()


@pytest.mark.parametrize("eps_inside", [False, True])
@pytest.mark.parametrize("z_min", [60, 300, 400, 750])
def test_fast_path_equals_reference_with_eps_at_large_margins(z_min, eps_inside, X, margin_direction):
    """ε > 0 with w_0 far out: the ε-term e^{log ε − s} (or e^{log ε − 2s} inside the root) dwarfs the state and,
    from z ≈ 360 (inside) / 720 (outside), is capped at e^{700}. Steps are then tiny, so compare the directions."""
    kw = dict(optimizer="adam", eps=1e-8, eps_inside=eps_inside, steps=300, batch_size=2, w0=z_min * margin_direction)
    fast, ref = train(X, backend="numba", **kw), train(X, backend="numpy", **kw)
    np.testing.assert_allclose(fast.direction[:-1], ref.direction[:-1], rtol=1e-6, atol=0)
    np.testing.assert_allclose(fast.log_loss, ref.log_loss, rtol=1e-9)
    assert fast.max_direction == pytest.approx(ref.max_direction, rel=1e-6)


def _exact_first_eps_adam_step(X, w0, eps, eps_inside, beta1=0.9, beta2=0.95):
    """d_0 = (1−β1) g / (√((1−β2) g²) + ε) or (1−β1) g / √((1−β2) g² + ε), with g = e^c ĝ kept in log form."""
    c, ghat, _ = scaled_gradient(X, w0)
    with np.errstate(under="ignore"):
        if eps_inside:
            return (1 - beta1) * ghat * np.exp(c - 0.5 * np.log(eps + (1 - beta2) * np.exp(2 * c) * ghat**2))
        return (1 - beta1) * ghat / (np.sqrt(1 - beta2) * np.abs(ghat) + eps * np.exp(-c))


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize(
    "z_min, eps_inside",
    [
        (60, False),
        (300, False),
        (400, False),
        (60, True),
        (300, True),
        (400, True),
    ],
)
def test_eps_adam_first_step_is_exact_at_large_margins(z_min, eps_inside, backend, X, margin_direction):
    w0 = z_min * margin_direction
    tr = train(X, optimizer="adam", eps=1e-8, eps_inside=eps_inside, steps=1, w0=w0, backend=backend)
    expected = _exact_first_eps_adam_step(X, w0, 1e-8, eps_inside)
    assert np.all(expected != 0)  # representable: the log-scale formulation has no excuse to be off
    # per-coordinate rtol would be ill-posed on coordinates where the full-batch gradient nearly cancels
    np.testing.assert_allclose(tr.direction[0], expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max())


@pytest.mark.parametrize("optimizer", ["signgd", "signum", "adam"])
def test_fast_path_keeps_exactly_cancelling_gradient_coordinates_zero(optimizer):
    # Σ_i x_i[1] = 3 − 2 − 2 − 1 + 2 = 0, so ∇L(0)[1] = 0 exactly and the first step must not move w[1]
    X5 = np.array([[1.0, 3.0], [1.0, -2.0], [1.0, -2.0], [1.0, -1.0], [1.0, 2.0]])
    ref = train(X5, optimizer=optimizer, steps=1, backend="numpy")
    assert ref.direction[0][1] == 0.0
    fast = train(X5, optimizer=optimizer, steps=1, backend="numba")
    np.testing.assert_allclose(fast.direction[0], ref.direction[0], rtol=1e-12, atol=1e-12)


def test_fast_path_logistic_log_loss_for_very_negative_margins():
    X2 = np.array([[1.0, 0.5], [0.5, 1.0]])
    w0 = np.array([-800.0, 0.0])  # margins −800 and −400
    ref = train(X2, optimizer="signgd", steps=1, loss="logistic", w0=w0, backend="numpy")
    assert np.all(np.isfinite(ref.log_loss))
    assert ref.log_loss[0] == pytest.approx(np.log(np.mean([800.0, 400.0])), rel=1e-12)
    fast = train(X2, optimizer="signgd", steps=1, loss="logistic", w0=w0, backend="numba")
    np.testing.assert_allclose(fast.log_loss, ref.log_loss, rtol=1e-12)


# --------------------------------------------------------------------------------------------------------------
# 3. numerics past underflow (ε = 0, lr 0.1, gaussian(10, 50, 0))
# --------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "batch_size, steps",
    [
        (None, 400_000),  # Det-Adam: min margin 372 at t ≈ 5.5e4, 1000 at t ≈ 3.3e5
        (1, 2_500_000),  # Inc-Adam: min margin 372 at t ≈ 3.1e5, 1000 at t ≈ 2.1e6 (≈ 0.25 s with numba)
    ],
    ids=["det-adam", "inc-adam"],
)
def test_adam_keeps_learning_past_underflow(batch_size, steps, X):
    tr = train(X, optimizer="adam", batch_size=batch_size, steps=steps, num_log=300)
    assert np.all(np.isfinite(tr.w)) and np.all(np.isfinite(tr.log_loss))
    margins = tr.w @ X.T
    z_min = margins.min(axis=1)
    assert z_min[-1] > 1000, f"min margin only reached {z_min[-1]:.0f}"
    # exp loss: log L = log((1/N) Σ e^{−z_i}) ∈ [−z_min − log N, −z_min], far below where L itself underflows
    assert np.all(tr.log_loss[-1] <= -z_min[-1] + 1e-9) and tr.log_loss[-1] >= -z_min[-1] - np.log(X.shape[0]) - 1e-9
    assert tr.loss[-1] == 0.0  # … which is why log_loss exists
    # the run does not stall where naive g² underflows (min margin ≈ 372): ‖w‖∞ keeps growing and the
    # normalised ℓ∞ margin min_i⟨w, x_i⟩/‖w‖∞ is still larger at the end than at that point.
    # (Det-Adam converges to the ℓ∞ max-margin direction, so this must hold; for Inc-Adam the ℓ∞ margin is not the
    # implicit bias and the statement is specific to this data set: observed 5.4697 → 5.4791. Det: 9.680 → 9.740.)
    j = np.argmax(z_min > 372)
    assert 0 < j < len(z_min) - 1
    w_inf = np.max(np.abs(tr.w), axis=1)
    normalised = z_min / np.where(w_inf > 0, w_inf, np.inf)
    assert w_inf[-1] > 2 * w_inf[j]
    assert normalised[-1] > normalised[j] + 1e-3, (normalised[j], normalised[-1])
    assert tr.log_loss[-1] < tr.log_loss[j] - 500  # and the loss keeps falling by hundreds of e-folds


def test_naive_float64_adam_stalls_where_log_scale_keeps_going(X, naive):
    """The reason for the log-scale formulation (engineering notes §4): naive Det-Adam stalls near margin 372."""
    steps = 90_000
    W = naive(X, optimizer="adam", steps=steps)
    tr = train(X, optimizer="adam", steps=steps)
    z_naive, z_log = (X @ W[-1]).min(), (X @ tr.w_final).min()
    assert 360 < z_naive < 400, z_naive  # stuck just past the g² underflow
    assert z_log > 450, z_log  # observed ≈ 497 at t = 9e4
    assert z_log / np.abs(tr.w_final).max() > z_naive / np.abs(W[-1]).max()


# --------------------------------------------------------------------------------------------------------------
# 6. full-batch results do not depend on the sample order
# --------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("optimizer", ["gd", "ngd", "signgd", "signum", "adam", "adam_proxy"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_full_batch_is_invariant_to_sample_order(optimizer, seed, backend, rel_err):
    X = gaussian(10, 50, seed)
    perm = np.random.default_rng(seed).permutation(10)
    # 1000 steps: before full-batch ε = 0 Adam's rounding sensitivity sets in (see _is_full_batch_chaotic)
    kw = dict(optimizer=optimizer, steps=1000, backend=backend, num_log=40)
    a, b = train(X, **kw), train(X[perm], **kw)
    assert np.max(rel_err(b.w, a.w)) <= 1e-9
    np.testing.assert_allclose(b.log_loss, a.log_loss, rtol=1e-9, atol=1e-12)
    # ... while the order does matter for incremental (cyclic, batch size 1) methods
    if optimizer in ("adam", "signum"):
        c = train(X, **kw, batch_size=1)
        d = train(X[perm], **kw, batch_size=1)
        assert np.max(rel_err(d.w, c.w)) > 1e-3


# --------------------------------------------------------------------------------------------------------------
# 9. input validation and divergence detection
# --------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(optimizer="adamw"), r"unknown optimizer 'adamw'"),
        (dict(optimizer="adam", sampling="shuffle", batch_size=2), r"unknown sampling 'shuffle'"),
        (dict(optimizer="adam", loss="hinge"), r"unknown loss 'hinge'"),
        (dict(optimizer="adam", batch_size=3), r"batch_size 3 must divide the number of samples 10"),
        (dict(optimizer="adam", batch_size=4, sampling="reshuffle"), r"must divide"),
        (dict(optimizer="adam", batch_size=0), r"batch_size must lie in \[1, 10\]"),
        (dict(optimizer="adam", batch_size=11), r"batch_size must lie in \[1, 10\]"),
        (dict(optimizer="adam", beta1=1.0), r"beta1 must lie in \[0, 1\)"),
        (dict(optimizer="adam", beta1=-0.1), r"beta1 must lie in \[0, 1\)"),
        (dict(optimizer="adam", beta2=1.0), r"beta2 must lie in \[0, 1\)"),
        (dict(optimizer="signum", beta1=float("nan")), r"beta1 must lie in \[0, 1\)"),
        (dict(optimizer="adam", eps=-1e-8), r"eps must be >= 0"),
        (dict(optimizer="adam", steps=-1), r"steps must be >= 0"),
        (dict(optimizer="adam", lr=0.0), r"lr must be > 0"),
        (dict(optimizer="adam", lr=float("nan")), r"lr must be > 0"),
        (dict(optimizer="adam", decay=-0.5), r"decay must be >= 0"),
        (dict(optimizer="adam", backend="jax"), r"unknown backend 'jax'"),
        (dict(optimizer="adam", log_steps=[11]), r"log steps must lie in \[0, 10\]"),
    ],
)
def test_invalid_arguments_raise_value_error(kwargs, match, X):
    kwargs = dict(steps=10) | kwargs
    with pytest.raises(ValueError, match=match):
        train(X, **kwargs)


@pytest.mark.parametrize(
    "data, match",
    [
        (np.ones(5), r"must be a 2-D array"),
        (np.ones((2, 3, 4)), r"must be a 2-D array"),
        (np.zeros((0, 3)), r"at least one sample"),
        (np.array([[1.0, np.nan], [1.0, 2.0]]), r"NaN or infinite"),
        (np.array([[1.0, np.inf], [1.0, 2.0]]), r"NaN or infinite"),
    ],
    ids=["1d", "3d", "empty", "nan", "inf"],
)
def test_invalid_data_raise_value_error(data, match):
    with pytest.raises(ValueError, match=match):
        train(data, optimizer="adam", steps=10)


def test_binary_labels_are_not_accepted(X):
    # y given means integer multiclass labels (fan2025); ±1-style labels with a missing class point to label absorption
    with pytest.raises(ValueError, match="label-absorbed"):
        train(X, np.ones(10), optimizer="adam", steps=10)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize(
    "data, kwargs",
    [
        # per-sample GD, lr 0.1: the step on x_i changes z_i by ≈ η‖x_i‖² e^{−z_i} ≈ 3.5 e^{−z_i}, overshoots, a
        # margin goes very negative and e^{−z} overflows (at step 15)
        ("gaussian", dict(optimizer="gd", batch_size=1, steps=100)),
        # a step of 5e5 along x_1 drives ⟨w, x_2⟩ to −5e5, and e^{5e5} overflows
        ("conflict", dict(optimizer="gd", lr=1e6, decay=0.0, steps=5)),
    ],
    ids=["sgd-lr0.1", "gd-lr1e6"],
)
def test_diverging_run_raises_floating_point_error(data, kwargs, backend):
    X = gaussian(10, 50, 0) if data == "gaussian" else np.array([[1.0, 0.0], [-1.0, 0.01]])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's own overflow warning on the way
        with pytest.raises(FloatingPointError, match="non-finite"):
            train(X, backend=backend, **kwargs)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy reports the overflow on its way to the error
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_adam_outside_lemma_d1_range_raises(backend, X):
    with pytest.raises(FloatingPointError):
        train(X, optimizer="adam", beta1=0.99, beta2=0.5, steps=20_000, backend=backend)


# --------------------------------------------------------------------------------------------------------------
# logging, seeds, Trajectory
# --------------------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_trajectory_logging(backend, X):
    w0 = np.linspace(-0.1, 0.1, 50)
    tr = train(X, optimizer="adam", steps=1000, num_log=20, log_steps=[333, 777], w0=w0, backend=backend)
    np.testing.assert_array_equal(tr.steps, log_grid(1000, 20, [333, 777]))
    assert tr.steps[0] == 0 and tr.steps[-1] == 1000 and {333, 777} <= set(tr.steps.tolist())
    assert np.all(np.diff(tr.steps) > 0)
    assert tr.w.shape == (len(tr.steps), 50) == tr.direction.shape and tr.log_loss.shape == (len(tr.steps),)
    np.testing.assert_array_equal(tr.w[0], w0)
    np.testing.assert_array_equal(tr.w_final, tr.w[-1])
    assert np.all(np.isnan(tr.direction[-1])) and np.all(np.isfinite(tr.direction[:-1]))
    assert tr.log_loss[0] == pytest.approx(np.log(np.mean(np.exp(-X @ w0))), rel=1e-12)
    # one more step from a logged iterate reproduces the logged direction and the next iterate
    nxt = train(X, optimizer="adam", steps=1001, log_steps=[333, 334], backend=backend, w0=w0)
    i, j = list(nxt.steps).index(333), list(nxt.steps).index(334)
    np.testing.assert_allclose(nxt.w[j], nxt.w[i] - learning_rate(333) * nxt.direction[i], rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("backend", ["numba", "numpy"])
@pytest.mark.parametrize("sampling", ["replacement", "reshuffle"])
def test_stochastic_runs_are_reproducible_under_seed(sampling, backend, X):
    kw = dict(optimizer="adam", batch_size=2, sampling=sampling, steps=500, backend=backend)
    a, b, c = train(X, seed=5, **kw), train(X, seed=5, **kw), train(X, seed=6, **kw)
    np.testing.assert_array_equal(a.w, b.w)
    assert not np.allclose(a.w_final, c.w_final)
    assert a.settings["seed"] == 5 and a.settings["sampling"] == sampling


def test_zero_steps(X):
    for backend in ("numba", "numpy"):
        tr = train(X, optimizer="adam", steps=0, backend=backend)
        np.testing.assert_array_equal(tr.steps, [0])
        np.testing.assert_array_equal(tr.w, np.zeros((1, 50)))
        assert tr.max_direction == 0.0 and tr.log_loss[0] == 0.0


def _multiclass_data():
    from implicit_bias.multiclass import make_multiclass

    H, y, _, _ = make_multiclass(k=3, d=5, per_class=6, seed=0)
    return H, y


@pytest.mark.parametrize(
    "multiclass, backend, steps, settings",
    [
        # runs of about 0.2-0.8 s, dozens of polls: a machine shared with other jobs still lets the watcher in
        (False, "numba", 4_000_000, dict(optimizer="adam", batch_size=1)),
        (False, "numpy", 32_000, dict(optimizer="adam", batch_size=1)),
        (True, "numba", 500_000, dict(optimizer="adam")),
        (True, "numpy", 12_000, dict(optimizer="signgd", batch_size=2)),
    ],
)
def test_progress_is_heard_while_the_run_goes_and_changes_nothing(multiclass, backend, steps, settings, X, monkeypatch):
    """`progress` gets the count of steps done from a watcher thread while the loop runs (a numba kernel releases
    the GIL), rising to `steps`; the trajectory is bit-identical to a silent run's."""
    monkeypatch.setattr(training, "POLL_SECONDS", 0.005)  # many polls in a run of a fraction of a second
    data = _multiclass_data() if multiclass else (X,)
    kw = dict(**settings, steps=steps, backend=backend)
    train(*data, **{**kw, "steps": 2})  # compiled (or loaded) before the run that is heard
    calls = []
    heard = train(*data, **kw, progress=lambda done: calls.append((done, threading.current_thread().name)))
    counts = [done for done, _ in calls]
    assert counts[-1] == steps and counts == sorted(set(counts)), counts
    # heard during the run, not only at its end (usually dozens of times; the numpy loop holds the GIL, and a busy
    # process can leave the watcher thread only a poll or two)
    assert sum(0 < done < steps for done in counts) >= 1, counts
    assert {name for _, name in calls} == {"implicit-bias-progress"}
    silent = train(*data, **kw)
    for name in ("steps", "w", "direction", "log_loss", "max_direction"):
        np.testing.assert_array_equal(getattr(heard, name), getattr(silent, name), err_msg=name)


def test_an_error_of_the_progress_callback_is_raised_by_train(X):
    def broken(done):
        raise RuntimeError(f"callback broke at step {done}")

    with pytest.raises(RuntimeError, match="callback broke at step"):
        train(X, optimizer="adam", steps=100, progress=broken)
    with pytest.raises(ValueError, match="progress"):
        train_many(X, [{}], optimizer="adam", steps=10, progress=print)


@pytest.fixture(scope="module")
def blocked_loops():
    """The kernel's blocked loops and its per-sample `_dot`, each behind one jitted entry point: compiled once for
    every (b, d) below (the arguments' types do not depend on b or d)."""
    from numba import njit

    from implicit_bias import _fast

    @njit
    def blocked(X, rows, w, u, c, z, acc, g, g2):
        _fast._margins(X, rows, w, z, acc)
        _fast._weighted_sums(X, rows, u, c, True, g, g2)

    @njit
    def dots(X, rows, w, z):
        for j in range(rows.shape[0]):
            z[j] = _fast._dot(X, rows[j], w)

    return blocked, dots


@pytest.mark.parametrize("d", [1, 7, 8, 13, 50])
@pytest.mark.parametrize("b", [1, 3, 4, 5, 9])
def test_blocked_batch_loops_are_bit_identical_to_per_sample_loops(b, d, blocked_loops):
    """The fast path's blocked loops (four samples per pass) keep the per-sample loops' order of additions: margins
    equal `_dot` sample by sample, and ĝ, ĝ₂ equal a sample-by-sample sum, exactly (not just within rounding)."""
    blocked, dots = blocked_loops
    rng = np.random.default_rng(b * 100 + d)
    X = rng.standard_normal((12, d)) * np.exp(rng.uniform(-5, 5, (12, 1)))
    rows = rng.permutation(12)[:b]
    w, u, c = rng.standard_normal(d), rng.uniform(-3, 0, b), 0.5
    z, z_ref, g, g2 = np.empty(b), np.empty(b), np.empty(d), np.empty(d)
    blocked(X, rows, w, u, c, z, np.empty(32), g, g2)
    dots(X, rows, w, z_ref)
    g_ref, g2_ref = np.zeros(d), np.zeros(d)
    a = [math.exp(uj - c) for uj in u]  # the weights e^{u − c}, by libm's exp as in the kernel (not np.exp)
    for j, i in enumerate(rows):
        g_ref -= a[j] * X[i]
        g2_ref += a[j] * a[j] * X[i] * X[i]
    assert np.array_equal(z, z_ref)
    assert np.array_equal(g, g_ref) and np.array_equal(g2, g2_ref)
    assert np.allclose(z, X[rows] @ w, rtol=1e-12, atol=1e-12 * np.abs(X[rows]) @ np.abs(w))


def test_log_progress_writes_a_line_now_and_then_into_a_long_job_log(X, monkeypatch):
    """`log_progress` (what the pipeline's run jobs pass as `progress`): lines "<label>: step t of T (p%)" at most
    every `every` seconds while a run goes, none for a run shorter than that."""
    from implicit_bias.training import log_progress

    monkeypatch.setattr(training, "POLL_SECONDS", 0.005)
    train(X, optimizer="adam", steps=2)  # compiled before the runs below
    lines = []
    train(X, optimizer="adam", steps=3_000_000, progress=log_progress("b1 seed 0", 3_000_000, lines.append, 0.02))
    assert lines and all(line.startswith("b1 seed 0: step ") and line.endswith("%)") for line in lines), lines
    quiet = []
    train(X, optimizer="adam", steps=1000, progress=log_progress("short", 1000, quiet.append, 5.0))
    assert quiet == []
