"""`implicit_bias.train_many`: a sweep as one batched kernel call returns, bit for bit, what `train` returns per run."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from implicit_bias import gaussian, train, train_many
from implicit_bias.multiclass import make_multiclass

COMMON = dict(optimizer="adam", batch_size=1, steps=2000, num_log=30)
# one data set, runs that differ in everything a sweep varies (and some share nothing but X)
RUNS = [
    dict(beta1=0.5, beta2=0.95),
    dict(beta1=0.9, beta2=0.99),
    dict(seed=3, sampling="reshuffle", batch_size=2),
    dict(seed=4, sampling="reshuffle", batch_size=2),
    dict(batch_size=5, sampling="replacement", eps=1e-8, bias_correction=True),
    dict(batch_size=None, eps=1e-6, eps_inside=True, lr=0.05, decay=0.3),
    dict(optimizer="signum", beta1=0.99, batch_size=2),
    dict(optimizer="adam_proxy", batch_size=None),
    dict(optimizer="nsd", p=3.0, loss="logistic"),
    dict(optimizer="gd", lr=0.01, w0=np.linspace(-0.1, 0.1, 50)),
    dict(steps=500, log_steps=[123]),  # another grid: its own batch
]


def _same(a, b):
    for name in ("steps", "w", "direction", "log_loss"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    assert a.max_direction == b.max_direction
    assert a.settings == b.settings


@pytest.fixture(scope="module")
def X():
    return gaussian(10, 50, 0)


@pytest.mark.parametrize("threads", [None, 1])
def test_batched_runs_equal_single_runs_bit_for_bit(X, threads):
    out = train_many(X, RUNS, threads=threads, **COMMON)
    assert len(out) == len(RUNS)
    for run, tr in zip(RUNS, out, strict=True):
        _same(tr, train(X, **{**COMMON, **run}))
    # different runs really differ (the comparison above is not between copies of one run)
    assert not np.array_equal(out[0].w, out[1].w)


def test_numpy_backend_and_multiclass_runs_equal_single_runs(X):
    runs = [dict(beta1=0.5), dict(beta1=0.9)]
    for tr, run in zip(train_many(X, runs, backend="numpy", **{**COMMON, "steps": 200}), runs, strict=True):
        _same(tr, train(X, backend="numpy", **{**COMMON, "steps": 200}, **run))
    H, y, _, _ = make_multiclass(k=3, d=4, per_class=5, sigma=0.1, seed=0)
    runs = [dict(optimizer="signgd"), dict(optimizer="adam", batch_size=1)]
    for tr, run in zip(train_many(H, runs, y, steps=300), runs, strict=True):
        _same(tr, train(H, y, steps=300, **run))


def test_non_finite_run_is_named(X):
    # per-sample GD with lr 0.1 overflows (tests/test_training.py); the runs around it are fine
    runs = [dict(optimizer="adam"), dict(optimizer="gd", lr=0.1), dict(optimizer="adam")]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(FloatingPointError, match=r"run 1 of train_many: gd run became non-finite"):
            train_many(X, runs, batch_size=1, steps=100)


def test_arguments_are_checked_before_anything_runs(X):
    with pytest.raises(ValueError, match="unknown optimizer"):
        train_many(X, [dict(optimizer="adam"), dict(optimizer="adamw")], steps=10)
    assert train_many(X, [], optimizer="adam", steps=10) == []
