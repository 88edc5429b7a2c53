"""The one update-rule core (`_core.update`), shared by the binary and the multiclass numba kernels.

- every optimizer and option runs on both fast paths and agrees with the numpy reference (`training.run_reference`);
- multiclass mini-batches (cyclic, replacement, reshuffle) on both backends, and against a naive float64 oracle;
- the kernels' numba caches are dropped when a source they are compiled from changes.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.special import softmax

from implicit_bias import OPTIMIZERS, _core, batch_schedule, learning_rate, train
from implicit_bias.multiclass import make_multiclass

# (optimizer, options): every rule and every option of the rule
RULES = [
    ("gd", {}),
    ("ngd", {}),
    ("signgd", {}),
    ("signum", dict(beta1=0.9)),
    ("adam", {}),
    ("adam", dict(bias_correction=True)),
    ("adam", dict(eps=1e-8)),
    ("adam", dict(eps=1e-16, eps_inside=True)),
    ("adam", dict(eps=1e-8, bias_correction=True, beta1=0.0, beta2=0.999)),
    ("adam_proxy", {}),
    ("nsd", dict(p=1.0)),
    ("nsd", dict(p=1.5)),
    ("nsd", dict(p=3.0)),
    ("nsd", dict(p=np.inf)),
    ("nmd", dict(p=2.0)),
    ("nmd", dict(p=3.0, beta1=0.5)),
    ("nmd", dict(p=np.inf)),
    ("nsd", dict(norm="schatten", p=1.0)),
    ("nsd", dict(norm="schatten", p=1.5)),
    ("nsd", dict(norm="schatten", p=3.0)),
    ("nmd", dict(norm="schatten", p=3.0)),
    ("spectral", {}),
    ("muon", {}),
    ("muon", dict(beta1=0.95, polar="newton_schulz")),
    ("muon", dict(polar="cubic", polar_steps=30)),
    ("spectral", dict(polar="newton_schulz", polar_steps=10)),
]
# rules that step along the singular vectors of the parameter matrix: multiclass data only
MATRIX_RULES = [r for r in RULES if r[0] in ("spectral", "muon") or r[1].get("norm") == "schatten"]
BATCHES = [(None, "cyclic"), (1, "cyclic"), (2, "reshuffle"), (5, "replacement")]


def test_rule_table_covers_every_optimizer():
    assert {name for name, _ in RULES} == set(OPTIMIZERS)
    assert {name: i for i, name in enumerate(OPTIMIZERS)} == _core.CODES


@pytest.fixture(scope="module")
def mc_data():
    """k = 4, d = 6, n = 40: small enough that a few hundred numpy-reference steps are quick."""
    H, y, _, _ = make_multiclass(k=4, d=6, per_class=10, sigma=0.1, seed=1)
    return H, y


def _agree(a, b, rtol):
    scale = np.max(np.abs(b.w), axis=tuple(range(1, b.w.ndim)), keepdims=True)
    err = np.max(np.abs(a.w - b.w) / np.where(scale > 0, scale, 1.0))
    assert err <= rtol, err
    np.testing.assert_allclose(a.log_loss, b.log_loss, rtol=1e-9, atol=1e-9)
    assert a.max_direction == pytest.approx(b.max_direction, rel=1e-9)


@pytest.mark.parametrize(
    "rule",
    [r for r in RULES if r not in MATRIX_RULES],
    ids=lambda r: r[0] + "".join(f"-{k}={v}" for k, v in r[1].items()),
)
@pytest.mark.parametrize("batch", BATCHES, ids=lambda b: f"b{b[0]}-{b[1]}")
def test_binary_fast_path_equals_reference_for_every_rule(rule, batch, X):
    name, opts = rule
    kw = dict(optimizer=name, steps=400, batch_size=batch[0], sampling=batch[1], seed=2, num_log=30, **opts)
    if name == "gd":
        kw["lr"] = 0.01
    _agree(train(X, **kw), train(X, backend="numpy", **kw), rtol=1e-10)


@pytest.mark.parametrize("rule", [r for r in RULES if r[0] != "adam_proxy"], ids=lambda r: r[0] + str(r[1]))
@pytest.mark.parametrize("batch", [(None, "cyclic"), (1, "cyclic"), (1, "reshuffle"), (8, "replacement")])
def test_multiclass_fast_path_equals_reference_for_every_rule(rule, batch, mc_data):
    H, y = mc_data
    name, opts = rule
    # nuclear-norm NSD steps along the top singular pair, which drives the top singular values of the gradient
    # into a tie (σ1 = σ2 to 1e-3 by step 67 here): from then on the two LAPACK builds' rounding picks either pair,
    # so the runs are compared before the tie forms
    steps = 50 if opts.get("norm") == "schatten" and opts.get("p") == 1.0 else 300
    kw = dict(optimizer=name, steps=steps, batch_size=batch[0], sampling=batch[1], seed=4, num_log=30, **opts)
    fast, ref = train(H, y, **kw), train(H, y, backend="numpy", **kw)
    _agree(fast, ref, rtol=1e-10)
    assert fast.settings == ref.settings
    assert fast.settings["batch_size"] == (batch[0] or H.shape[0])


def test_multiclass_per_sample_adam_agrees_between_backends(mc_data):
    """train(H, y, optimizer="adam", batch_size=1) agrees on both backends, past 10⁴ steps
    (per-sample Adam has no cancellation to amplify rounding, so the two stay within a few ulps times T)."""
    H, y = mc_data
    kw = dict(optimizer="adam", batch_size=1, steps=12_000, lr=0.5, num_log=40)
    _agree(train(H, y, **kw), train(H, y, backend="numpy", **kw), rtol=1e-9)


def _naive_multiclass(H, y, optimizer, steps, lr, decay, batch_size, sampling, seed, beta1=0.9, beta2=0.99):
    """Plain float64 CE training written from fan2025 eqs (3a-3c) with a direct softmax (no log-scale): an oracle
    independent of the package's gradient and update code while the probabilities are representable."""
    n, d = H.shape
    k = int(y.max()) + 1
    batches = batch_schedule(n, steps, batch_size, sampling, seed)
    W = np.zeros((k, d))
    m = np.zeros((k, d))
    v = np.zeros((k, d))
    out = [W.copy()]
    for t in range(steps):
        rows = batches[t % len(batches)]
        S = softmax(H[rows] @ W.T, axis=1)
        S[np.arange(rows.size), y[rows]] -= 1.0
        G = S.T @ H[rows] / rows.size  # ∇ of (1/b) Σ −log softmax_{y_i}
        if optimizer == "adam":
            m = beta1 * m + (1 - beta1) * G
            v = beta2 * v + (1 - beta2) * G * G
            D = np.where(v > 0, m / np.sqrt(np.where(v > 0, v, 1.0)), 0.0)
        else:  # signgd
            D = np.sign(G)
        W = W - learning_rate(t, lr, decay) * D
        out.append(W.copy())
    return np.array(out)


@pytest.mark.parametrize(
    "optimizer,batch_size,sampling",
    list(itertools.product(("adam", "signgd"), (1, 4), ("cyclic", "reshuffle", "replacement"))),
)
def test_multiclass_mini_batches_equal_naive_float64(optimizer, batch_size, sampling, mc_data):
    H, y = mc_data
    steps = 200
    naive = _naive_multiclass(H, y, optimizer, steps, 0.1, 0.5, batch_size, sampling, seed=7)
    for backend in ("numba", "numpy"):
        tr = train(
            H,
            y,
            optimizer=optimizer,
            steps=steps,
            lr=0.1,
            beta2=0.99,
            batch_size=batch_size,
            sampling=sampling,
            seed=7,
            log_steps=np.arange(steps + 1),
            backend=backend,
        )
        np.testing.assert_allclose(tr.w, naive, rtol=1e-9, atol=1e-12)


def test_multiclass_mini_batch_schedule_changes_the_run(mc_data):
    """Not trivially equal: per-sample, reshuffled and full-batch Adam take different paths."""
    H, y = mc_data
    runs = [
        train(H, y, optimizer="adam", steps=200, batch_size=b, sampling=s, seed=1).w_final
        for b, s in ((None, "cyclic"), (1, "cyclic"), (1, "reshuffle"))
    ]
    for a, b in itertools.combinations(runs, 2):
        assert np.max(np.abs(a - b)) > 1e-3


def test_binary_nsd_runs_on_the_fast_path(X):
    """NSD takes the numba kernel, not the numpy loop (which is orders of magnitude slower; they agree, see above)."""
    tr = train(X, optimizer="nsd", p=3.0, steps=100_000, num_log=10)  # seconds on numpy, milliseconds on numba
    assert np.isfinite(tr.log_loss[-1]) and tr.log_loss[-1] < tr.log_loss[0]


def test_stale_kernel_caches_are_dropped(tmp_path):
    """numba keys a cached kernel on its own file only; an edit to the core must not leave a stale kernel behind."""
    names = ("_fast.run-60.py311.nbi", "_fast.run-60.py311.1.nbc", "_fast_multiclass.run-1.py311.nbi")
    for name in names:
        (tmp_path / name).write_bytes(b"x")
    (tmp_path / "other.f-1.py311.nbi").write_bytes(b"x")
    _core.drop_stale_kernel_caches(tmp_path)
    assert not any((tmp_path / name).exists() for name in names)
    assert (tmp_path / "other.f-1.py311.nbi").exists()
    stamp = (tmp_path / "kernels.sha256").read_text()
    (tmp_path / names[0]).write_bytes(b"x")
    _core.drop_stale_kernel_caches(tmp_path)  # same sources: the (fresh) cache is kept
    assert (tmp_path / names[0]).exists()
    (tmp_path / "kernels.sha256").write_text("an older source")
    _core.drop_stale_kernel_caches(tmp_path)
    assert not (tmp_path / names[0]).exists()
    assert (tmp_path / "kernels.sha256").read_text() == stamp
