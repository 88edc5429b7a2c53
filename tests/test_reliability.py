"""Reliability of the library API: every bad input is refused with a ValueError naming the problem, runs
stay exact far past the underflow points, a run that overflows is an error naming its step and optimizer, and a
damaged artifact is refused with its path, never read as zeros.

The pipeline-level guarantees (config refusals, interruption, determinism, provenance) have their own test files.
"""

from __future__ import annotations

import numpy as np
import pytest

from implicit_bias import gaussian, max_margin, proxy_fixed_point, train
from implicit_bias.artifacts import CorruptArtifactError, load_json, load_npz, save_json, save_npz

X = gaussian(10, 20, 0)  # d > N: separable
NONSEP = np.vstack([X, -X])  # x and −x: no w has both margins positive
H = np.random.default_rng(0).standard_normal((12, 20))
Y = np.arange(12) % 3


def _nan(A):
    A = A.copy()
    A[1, 2] = np.nan
    return A


def _inf(A):
    A = A.copy()
    A[0, 0] = -np.inf
    return A


# (call, the words the message must contain)
REFUSALS = {
    # non-separable data: every reference solution refuses it
    "non-separable max_margin l2": (lambda: max_margin(NONSEP), "not linearly separable"),
    "non-separable max_margin linf": (lambda: max_margin(NONSEP, norm="inf"), "not linearly separable"),
    "non-separable fixed point": (lambda: proxy_fixed_point(NONSEP), "not linearly separable"),
    "non-separable multiclass": (lambda: max_margin(np.vstack([H, H]), np.r_[Y, (Y + 1) % 3]), "not linearly separ"),
    # NaN / Inf entries
    "NaN train": (lambda: train(_nan(X), optimizer="adam", steps=5), "NaN or infinite"),
    "Inf max_margin": (lambda: max_margin(_inf(X)), "NaN or infinite"),
    "NaN fixed point": (lambda: proxy_fixed_point(_nan(X)), "NaN or infinite"),
    "NaN multiclass train": (lambda: train(_nan(H), Y, optimizer="signgd", steps=5), "NaN or infinite"),
    "NaN w0": (lambda: train(X, optimizer="adam", steps=5, w0=np.full(20, np.nan)), "w0 contains NaN"),
    # shapes
    "1-D X": (lambda: train(X[0], optimizer="adam", steps=5), "2-D array"),
    "3-D X": (lambda: train(X[None], optimizer="adam", steps=5), "2-D array"),
    "empty X": (lambda: train(X[:0], optimizer="adam", steps=5), "non-empty"),
    "zero columns": (lambda: max_margin(X[:, :0]), "non-empty"),
    "w0 shape": (lambda: train(X, optimizer="adam", steps=5, w0=np.zeros(3)), "w0 must have shape"),
    "y length": (lambda: train(H, Y[:-1], optimizer="adam", steps=5), "11 labels but H has 12 rows"),
    "y 2-D": (lambda: train(H, Y[:, None], optimizer="adam", steps=5), "1-D"),
    # labels
    "labels above k": (lambda: train(H, Y + 1, optimizer="adam", steps=5), "have no samples"),
    "negative labels": (lambda: max_margin(H, -Y), "negative class labels"),
    "fractional labels": (lambda: max_margin(H, Y + 0.5), "integer class labels"),
    "empty class": (lambda: train(H, np.where(Y == 1, 0, Y), optimizer="adam", steps=5), "classes [1] have no"),
    # y given with label-absorbed (binary) data
    "y with binary train": (lambda: train(X, np.ones(10), optimizer="adam", steps=5), "label-absorbed"),
    "y with fixed point": (lambda: proxy_fixed_point(X, np.ones(10)), "label-absorbed"),
    # hyperparameters out of range
    "beta1 = 1": (lambda: train(X, optimizer="adam", steps=5, beta1=1.0), "beta1 must lie in [0, 1)"),
    "beta2 < 0": (lambda: train(X, optimizer="adam", steps=5, beta2=-0.1), "beta2 must lie in [0, 1)"),
    "eps < 0": (lambda: train(X, optimizer="adam", steps=5, eps=-1.0), "eps must be >= 0"),
    "lr = 0": (lambda: train(X, optimizer="adam", steps=5, lr=0.0), "lr must be > 0"),
    "lr NaN": (lambda: train(X, optimizer="adam", steps=5, lr=float("nan")), "lr must be > 0"),
    "decay < 0": (lambda: train(X, optimizer="adam", steps=5, decay=-1.0), "decay must be >= 0"),
    "steps < 0": (lambda: train(X, optimizer="adam", steps=-1), "steps must be >= 0"),
    "steps fractional": (lambda: train(X, optimizer="adam", steps=10.5), "steps must be a whole number"),
    "batch size 0": (lambda: train(X, optimizer="adam", steps=5, batch_size=0), "batch_size must lie in [1, 10]"),
    "batch size > N": (lambda: train(X, optimizer="adam", steps=5, batch_size=11), "batch_size must lie in [1, 10]"),
    "unknown sampling": (lambda: train(X, optimizer="adam", steps=5, batch_size=2, sampling="x"), "unknown sampling"),
    "unknown optimizer": (lambda: train(X, optimizer="sgdx", steps=5), "unknown optimizer 'sgdx'"),
    "unknown loss": (lambda: train(X, optimizer="adam", steps=5, loss="hinge"), "unknown loss 'hinge'"),
    "adam_proxy multiclass": (lambda: train(H, Y, optimizer="adam_proxy", steps=5), "binary data only"),
    "fixed point tol": (lambda: proxy_fixed_point(X, tol=-1.0), "tol must be a positive"),
    "fixed point max_iter": (lambda: proxy_fixed_point(X, max_iter=0), "max_iter must be a positive integer"),
    # data whose squared gradient entries overflow float64 (Adam's v): refused instead of a silently flat run
    "entries beyond 1e154": (lambda: train(X * 1e300, optimizer="adam", steps=5), "rescale the data"),
}


@pytest.mark.parametrize("case", list(REFUSALS))
def test_bad_input_is_refused_with_a_value_error_naming_the_problem(case):
    call, words = REFUSALS[case]
    with pytest.raises(ValueError) as info:
        call()
    assert words in str(info.value), str(info.value)


def test_refusal_table_is_large_enough():
    assert len(REFUSALS) >= 20


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # numpy reports the overflow on its way to the error
@pytest.mark.parametrize("backend", ["numba", "numpy"])
def test_a_run_that_overflows_names_its_optimizer_and_step(backend):
    # a step of 5e5 along x_1 drives <w, x_2> to -5e5, and e^{5e5} overflows
    conflict = np.array([[1.0, 0.0], [-1.0, 0.01]])
    with pytest.raises(FloatingPointError, match=r"gd run became non-finite .* at or before step \d+"):
        train(conflict, optimizer="gd", lr=1e6, decay=0.0, steps=5, backend=backend)


# ---------------------------------------------------------------------------------------------- numerics past 1e4
@pytest.mark.parametrize("margin", [1e4, 1e6])
@pytest.mark.parametrize("optimizer", ["adam", "signum", "adam_proxy", "ngd"])
def test_binary_runs_stay_exact_far_past_underflow(margin, optimizer):
    """Started where every e^{-z_i} underflows (z_min = 1e4 or 1e6; e^{-z} is 0 below z ≈ 745): the log-scale
    formulation still moves w, the two back ends agree, and log L is the exact log-sum-exp of the margins."""
    ref = max_margin(X, norm="inf")
    w0 = ref.w * (margin / ref.gamma)  # min_i <w0, x_i> = margin
    assert np.min(X @ w0) == pytest.approx(margin, rel=1e-6)
    kw = dict(optimizer=optimizer, steps=200, lr=0.1, w0=w0, num_log=5)
    fast, slow = train(X, **kw), train(X, **kw, backend="numpy")
    np.testing.assert_allclose(fast.w, slow.w, rtol=1e-10, atol=0)
    moved = np.max(np.abs(fast.w_final - w0))
    assert moved > 1e-3, moved  # a naive float64 gradient is exactly 0 here: w would not move at all
    z = X @ fast.w_final
    exact = np.logaddexp.reduce(-z) - np.log(len(z))
    assert fast.log_loss[-1] == pytest.approx(exact, rel=1e-12)
    assert fast.log_loss[-1] < -margin * 0.99  # the loss itself (e^{log L}) is 0 in float64


# ------------------------------------------------------------------------------------------- damaged artifacts
def _damage(path, how):
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif how == "bit flip":
        flipped = bytearray(data)
        flipped[len(data) // 3] ^= 0xFF
        path.write_bytes(bytes(flipped))
    elif how == "empty":
        path.write_bytes(b"")


@pytest.mark.parametrize("how", ["truncated", "bit flip", "empty"])
def test_a_damaged_npz_artifact_is_refused_with_its_path(tmp_path, how):
    path = tmp_path / "run.npz"
    save_npz(path, {"w": np.arange(50_000.0)}, {"settings": 1})
    arrays, _ = load_npz(path)
    assert arrays["w"].sum() == np.arange(50_000.0).sum()
    _damage(path, how)
    with pytest.raises(CorruptArtifactError, match="corrupted or truncated") as info:
        load_npz(path)
    assert str(path) in str(info.value)


@pytest.mark.parametrize("how", ["truncated", "empty"])
def test_a_damaged_json_artifact_is_refused_with_its_path(tmp_path, how):
    path = tmp_path / "check.json"
    save_json(path, {"claim": "x", "passed": True, "values": list(range(100))})
    assert load_json(path)["passed"] is True
    _damage(path, how)
    with pytest.raises(CorruptArtifactError) as info:
        load_json(path)
    assert str(path) in str(info.value)


def test_an_npz_holding_pickled_objects_is_refused_not_unpickled(tmp_path):
    # np.load(allow_pickle=True) would run the pickle's code; artifacts are read with allow_pickle=False
    path = tmp_path / "evil.npz"
    np.savez(path, w=np.array([{"a": 1}], dtype=object))
    with pytest.raises(CorruptArtifactError, match="allow_pickle"):
        load_npz(path)
