"""cattaneo2024: the batched sweep runner (fast path) against adam_iterates on one seed (reference); checks; config."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

import implicit_bias as ib
from implicit_bias.backward_error import perturbed_one_norm
from implicit_bias.checks import Artifacts, verdict_of
from implicit_bias.nets import MLPBuffers, TanhMLP, digits_data
from implicit_bias.optimizers import UpdateRule, init_state, step_direction
from implicit_bias.papers.cattaneo2024.checks import CHECKS, fitted_slope, local_slopes, reached_mean
from implicit_bias.papers.cattaneo2024.experiments import check_config, run_sweep


def test_batched_sweep_matches_single_seed_reference():
    Xtr, ytr, Xte, yte = digits_data(100)
    mlp = TanhMLP(Xtr, ytr, hidden=6)
    theta0 = np.stack([mlp.init(s) for s in (0, 1)])
    kw = dict(h=1e-2, beta=0.9, rho=0.99, eps=1e-8)
    res = run_sweep(mlp, Xte, yte, theta0, steps=40, eval_every=10, **kw)
    for s in range(2):
        ref = ib.adam_iterates(mlp.grad, theta0[s], steps=40, **kw)
        norms = perturbed_one_norm(mlp.grad(ref[:-1]), kw["eps"])
        np.testing.assert_allclose(res["norm"][:, s], norms, rtol=1e-9)
        np.testing.assert_allclose(res["param_norm"][s], np.linalg.norm(ref[-1]), rtol=1e-10)
        np.testing.assert_allclose(res["test_acc"][-1, s], mlp.accuracy(ref[-1], Xte, yte))


@pytest.mark.parametrize("name", ["c2_regimes", "c4_momentum_limit"])
def test_algebraic_checks_pass(name):
    """These two read no artifact: their verdict is computed from their criteria."""
    verdict = verdict_of(CHECKS[name], Artifacts({}, {}, {}, {}), "cattaneo2024", name)
    assert verdict["kind"] == "consistency" and verdict["passed"] is True


def test_fitted_slope():
    h = np.array([0.1, 0.05, 0.025])
    assert fitted_slope(h, 3 * h**2) == pytest.approx(2.0)
    np.testing.assert_allclose(local_slopes(h, 3 * h**2), [2.0, 2.0])


def test_order_check_asserts_every_local_slope(tmp_path):
    """A fitted slope of ~2 is not enough: one pre-asymptotic pair (local slope 1.4) fails the check."""
    from implicit_bias.artifacts import save_npz

    h = np.array([4e-4, 2e-4, 1e-4, 5e-5])
    good2 = 0.3 * h**2
    bad2 = good2.copy()
    bad2[0] = bad2[1] * 2**1.4  # first pair 1.4, the others 2 (and the fit stays above 1.7)
    assert fitted_slope(h, bad2) > 1.7
    for err2, passes in ((good2, True), (bad2, False)):
        arrays = dict(h=h, settings=np.array([[0.9, 0.95, 1e-6]]), err1=[2 * h], err2=[err2], T=np.float64(0.2))
        arrays.update(loss0=np.ones((1, 4)), lossT=np.full((1, 4), 0.9))
        save_npz(tmp_path / "order_mlp.npz", arrays, {"experiment": {}})
        art = Artifacts({"order_mlp": tmp_path / "order_mlp.npz"}, {}, {}, {})
        assert verdict_of(CHECKS["c1_order_mlp"], art, "cattaneo2024", "c1_order_mlp")["passed"] is passes


def _cfg():
    from pathlib import Path

    import yaml

    return yaml.safe_load((Path(__file__).resolve().parents[1] / "config.yaml").read_text())["cattaneo2024"]


def test_config_cross_references_name_the_key(monkeypatch):
    cfg = _cfg()
    check_config(cfg)
    bad = _cfg()
    bad["sweeps"]["grids"]["rho"]["values"] = [0.999, 0.99, 0.995]
    with pytest.raises(ValueError, match=r"cattaneo2024\.sweeps\.grids\.rho\.values"):
        check_config(bad)
    bad = _cfg()
    bad["sweeps"]["matched_losses"] = [0.01, 0.1]
    with pytest.raises(ValueError, match=r"cattaneo2024\.sweeps\.matched_losses"):
        check_config(bad)
    bad = _cfg()
    bad["order"]["rmsprop"]["settings"] = [[0.5, 0.7, 1e-4]]
    with pytest.raises(ValueError, match=r"cattaneo2024\.order\.rmsprop\.settings"):
        check_config(bad)
    bad = _cfg()
    bad["scale"] = "full"
    monkeypatch.setitem(__import__("sys").modules, "torch", None)  # as if PyTorch were not installed
    with pytest.raises(ValueError, match=r"cattaneo2024\.scale"):
        check_config(bad)


def _fake_sweep(tmp_path, vary, ratio, *, seeds=10, steps=5000, eps=1e-16, reached=True):
    """A sweep artifact whose one-norm at matched loss is ratio**v times that at the first value: 3 values, 2 levels"""
    from implicit_bias.artifacts import save_npz
    from implicit_bias.papers.cattaneo2024.experiments import sweep_summaries

    rng = np.random.default_rng(0)
    values = np.array([0.9, 0.95, 0.99])
    loss = np.geomspace(1.0, 1e-3, steps)[:, None] * np.ones(seeds)
    out = dict(values=values, seeds=np.arange(seeds))
    for v in range(len(values)):
        out[f"loss_{v}"] = loss if reached else loss + 0.05
        out[f"norm_{v}"] = loss * 10.0 * np.asarray(ratio) ** v * (1 + 0.01 * rng.random(seeds))
        out[f"test_acc_{v}"] = rng.random((5, seeds))
    out.update(sweep_summaries(out, {"matched_losses": [0.1, 0.01]}))
    out.update(num_params=np.int64(1000), n_test=np.int64(899))
    fixed = {"rho": {"beta": 0.9}, "beta": {"rho": 0.99}}[vary]
    meta = {"vary": vary, **fixed, "values": values.tolist(), "steps": steps, "eps": eps}
    save_npz(tmp_path / f"sweep_{vary}.npz", out, {"experiment": meta})
    return Artifacts({f"sweep_{vary}": tmp_path / f"sweep_{vary}.npz"}, {}, {}, {})


def test_matched_loss_checks_assert_the_predicted_sign_per_seed(tmp_path):
    name = {"rho": "matched_loss_rho", "beta": "matched_loss_beta"}
    # the norm rises with the swept value by 20% per grid step: the rho check passes, the beta check fails
    for vary, passes in (("rho", True), ("beta", False)):
        art = _fake_sweep(tmp_path, vary, np.full(10, 1.2))
        assert verdict_of(CHECKS[name[vary]], art, "cattaneo2024", name[vary])["passed"] is passes
    # one seed against the prediction fails the rho check (per seed, not a mean); the other nine hold
    ratio = np.full(10, 1.2)
    ratio[3] = 0.9
    verdict = verdict_of(CHECKS[name["rho"]], _fake_sweep(tmp_path, "rho", ratio), "cattaneo2024", "matched_loss_rho")
    assert verdict["passed"] is False
    # levels reached within the first memories (level 0.1 at step 333 = 3.3 memories of rho = 0.99), too few seeds,
    # eps floor too high, an unreached level: each fails on its own
    for kw in (dict(steps=999), dict(seeds=9), dict(eps=1e-8), dict(reached=False)):
        art = _fake_sweep(tmp_path, "rho", np.full(kw.get("seeds", 10), 1.2), **kw)
        assert verdict_of(CHECKS[name["rho"]], art, "cattaneo2024", "matched_loss_rho")["passed"] is False, kw


def _hill_sweep(tmp_path, vary, peaks, *, hill=True, eps=1e-8, fixed=None, seeds=3, steps=3000):
    """A sweep artifact at the paper's Fig. 4/5 setting whose one-norm falls, then (hill=True) rises after the
    initial period (1000 steps at most) to peaks[v] × (1 + 1e-3·seed) at step 2000 and falls again; hill=False:
    monotone fall."""
    from implicit_bias.artifacts import save_npz

    values = np.array([0.9, 0.95, 0.99]) if vary == "beta" else np.array([0.99, 0.995, 0.998])
    n = np.arange(steps, dtype=float)
    out = dict(values=values, seeds=np.arange(seeds))
    for v in range(len(values)):
        base = 50.0 * np.exp(-n / 20.0) + 1e-3
        bump = peaks[v] * np.exp(-(((n - 2000.0) / 300.0) ** 2)) if hill else 0.0
        out[f"norm_{v}"] = (base + bump)[:, None] * (1.0 + 1e-3 * np.arange(seeds))
    out["max_test_acc"] = np.full((len(values), seeds), 0.9)
    fixed = fixed if fixed is not None else {"rho": {"beta": 0.99}, "beta": {"rho": 0.999}}[vary]
    meta = {"vary": vary, **fixed, "values": values.tolist(), "steps": steps, "eps": eps}
    save_npz(tmp_path / f"sweep_{vary}.npz", out, {"experiment": meta})
    return Artifacts({f"sweep_{vary}": tmp_path / f"sweep_{vary}.npz"}, {}, {}, {})


def test_hill_checks_test_the_papers_figure_4_5_claims(tmp_path):
    """Figs. 4-5 as stated: the seed-mean hill peak after the initial period rises with rho / falls with beta, at the
    paper's eps and fixed momentum. Passes where it holds; fails where the peaks go the other way, where there is no
    hill (not testable), and off the paper's setting."""
    for vary, name, good, bad in (
        ("rho", "fig4_hill", [1.0, 2.0, 3.0], [3.0, 2.0, 1.0]),
        ("beta", "fig5_hill", [3.0, 2.0, 1.0], [1.0, 2.0, 3.0]),
    ):
        assert verdict_of(CHECKS[name], _hill_sweep(tmp_path, vary, good), "cattaneo2024", name)["passed"] is True
        for art in (
            _hill_sweep(tmp_path, vary, bad),
            _hill_sweep(tmp_path, vary, [1.0, 3.0, 2.0] if vary == "rho" else [2.0, 3.0, 1.0]),
            _hill_sweep(tmp_path, vary, good, hill=False),
            _hill_sweep(tmp_path, vary, good, eps=1e-16),
            _hill_sweep(tmp_path, vary, good, fixed={"rho": {"beta": 0.9}, "beta": {"rho": 0.998}}[vary]),
        ):
            assert verdict_of(CHECKS[name], art, "cattaneo2024", name)["passed"] is False
    verdict = verdict_of(CHECKS["fig4_hill"], _hill_sweep(tmp_path, "rho", [1, 2, 3], hill=False), "cattaneo2024", "x")
    assert verdict["criteria"][0]["passed"] is False  # no hill is the first reason given


def test_post_initial_hill_ignores_a_one_step_wiggle():
    """A monotone fall with one oscillation after the cut is not a hill: the rise must exceed the largest step."""
    from implicit_bias.papers.cattaneo2024.checks import post_initial_hill

    n = np.arange(200, dtype=float)
    fall = np.exp(-n / 40.0)
    wiggle = fall.copy()
    wiggle[120] = wiggle[100] * 1.01  # one step 1 % above the value at the cut
    hill = fall + 0.5 * np.exp(-(((n - 150.0) / 10.0) ** 2))
    found, _, _ = post_initial_hill(np.stack([fall, wiggle, hill], axis=1), cut=100)
    assert found.tolist() == [False, False, True]


def test_seed_by_seed_sweep_is_bit_identical_to_the_stacked_one():
    """run_sweep runs one seed after the other through the same buffers: no seed sees another's leftovers."""
    Xtr, ytr, Xte, yte = digits_data(100)
    mlp = TanhMLP(Xtr, ytr, hidden=6)
    theta0 = np.stack([mlp.init(s) for s in (0, 1, 2)])
    kw = dict(h=1e-2, beta=0.9, rho=0.99, eps=1e-16, steps=60, eval_every=20)
    stacked = run_sweep(mlp, Xte, yte, theta0, **kw)
    for s in range(3):
        one = run_sweep(mlp, Xte, yte, theta0[s : s + 1], **kw)
        for key in ("loss", "norm", "test_acc", "train_acc"):
            np.testing.assert_array_equal(one[key][:, 0], stacked[key][:, s], err_msg=key)


def test_buffered_loss_and_grad_is_bit_identical_to_the_reference():
    """MLPBuffers (no allocation per call) against TanhMLP.loss_and_grad, also with a saturated softmax (θ × 40:
    label probabilities of exactly 1 and 0, log-probabilities of exactly 0)."""
    Xtr, ytr, _, _ = digits_data(100)
    mlp = TanhMLP(Xtr, ytr, hidden=6)
    buffers = MLPBuffers(mlp)
    for seed, scale in ((0, 1.0), (1, 3.0), (2, 40.0)):
        theta = scale * mlp.init(seed)
        theta[mlp.d * mlp.h : mlp.d * mlp.h + mlp.h] = 0.1 * seed  # non-zero biases
        ref_loss, ref_grad = mlp.loss_and_grad(theta[None])
        loss, grad = buffers.loss_and_grad(theta)
        assert np.array_equal(loss, ref_loss[0]) and np.array_equal(grad, ref_grad[0]), (seed, scale)
    assert np.any(np.isclose(mlp._forward(theta, mlp.X)[2], 1.0, rtol=0, atol=0))  # the saturated case is hit


def _plain_sweep(mlp, Xte, yte, theta0, *, h, beta, rho, eps, steps, eval_every):
    """The sweep with an allocation per step: TanhMLP.loss_and_grad on the stacked (S, p) seeds, theta − h·d."""
    theta = np.array(theta0)
    rule = UpdateRule(name="adam", beta1=beta, beta2=rho, eps=eps, eps_inside=True, bias_correction=True)
    state = init_state(rule, theta.shape)
    loss, norm, test_acc, train_acc = [], [], [], []
    for n in range(steps + 1):
        if n % eval_every == 0:
            test_acc.append(mlp.accuracy(theta, Xte, yte))
            train_acc.append(mlp.accuracy(theta))
        if n == steps:
            break
        L, g = mlp.loss_and_grad(theta)
        loss.append(L)
        norm.append(perturbed_one_norm(g, eps))
        d, state = step_direction(rule, state, n, 0.0, g)
        theta = theta - h * d
    return dict(loss=loss, norm=norm, test_acc=test_acc, train_acc=train_acc, param_norm=np.linalg.norm(theta, axis=-1))


def test_buffered_sweep_is_bit_identical_to_the_plain_formulation():
    Xtr, ytr, Xte, yte = digits_data(100)
    mlp = TanhMLP(Xtr, ytr, hidden=6)
    theta0 = np.stack([mlp.init(s) for s in (0, 1)])
    kw = dict(h=1e-2, beta=0.9, rho=0.99, eps=1e-16, steps=60, eval_every=20)
    fast, plain = run_sweep(mlp, Xte, yte, theta0, **kw), _plain_sweep(mlp, Xte, yte, theta0, **kw)
    for key, value in plain.items():
        np.testing.assert_array_equal(fast[key], np.asarray(value), err_msg=key)


@pytest.mark.parametrize(
    "grid", [dict(vary="rho", beta=0.9, values=[0.95, 0.99]), dict(vary="beta", rho=0.99, values=[0.5, 0.9])]
)
def test_sweep_joined_from_its_points_is_bit_identical_to_the_whole_sweep(grid):
    """The pipeline runs a sweep one (beta, rho) point per job and joins them (rule cat_sweep): the joined artifact
    is the whole sweep's, array for array, whichever parameter the sweep varies."""
    from implicit_bias.papers.cattaneo2024.experiments import adam_sweep, combine_sweep, sweep_points

    cfg = dict(n_train=100, split_seed=0, hidden=6, seeds=[0, 1], h=1e-2, eps=1e-16, steps=40, eval_every=10)
    cfg["matched_losses"] = [1.0, 0.5]
    quiet = dict(log=lambda *a: None)
    whole = adam_sweep(cfg, grid, **quiet)
    points = [adam_sweep(cfg, dict(vary="rho", beta=b, values=[r]), **quiet) for b, r in sweep_points(grid)]
    joined = combine_sweep(points, grid, cfg)
    assert sorted(joined) == sorted(whole)
    for key, value in whole.items():
        np.testing.assert_array_equal(joined[key], value, err_msg=key)
        assert joined[key].dtype == np.asarray(value).dtype, key
    with pytest.raises(ValueError, match="points for"):
        combine_sweep(points[:1], grid, cfg)


def test_sweep_logs_one_progress_line_per_seed_and_logging_changes_nothing():
    """The per-seed progress lines (the job log of a sweep point) and the arrays are those of a silent run."""
    Xtr, ytr, Xte, yte = digits_data(100)
    mlp = TanhMLP(Xtr, ytr, hidden=6)
    theta0 = np.stack([mlp.init(s) for s in (0, 1, 2)])
    kw = dict(h=1e-2, beta=0.9, rho=0.99, eps=1e-16, steps=30, eval_every=10)
    lines = []
    logged, silent = run_sweep(mlp, Xte, yte, theta0, **kw, log=lines.append), run_sweep(mlp, Xte, yte, theta0, **kw)
    assert [line.split(":")[0].strip() for line in lines] == [f"beta=0.9 rho=0.99 seed {s}/3" for s in (1, 2, 3)]
    for key in ("loss", "norm", "test_acc", "train_acc", "param_norm"):
        np.testing.assert_array_equal(logged[key], silent[key], err_msg=key)


def test_reached_mean_is_nanmean_without_the_empty_slice_warning():
    """Seed means over the seeds that reached a level: np.nanmean's bits, NaN (and no warning) where none did."""
    rng = np.random.default_rng(0)
    M = rng.lognormal(size=(3, 4, 10))
    M[rng.random(M.shape) < 0.3] = np.nan
    M[1, 2] = np.nan  # a level no seed reached at this value
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        got = reached_mean(M, axis=2)
    assert np.isnan(got[1, 2]) and np.isfinite(np.delete(got.ravel(), 1 * 4 + 2)).all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        np.testing.assert_array_equal(got, np.nanmean(M, axis=2))
