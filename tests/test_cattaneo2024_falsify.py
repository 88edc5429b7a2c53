"""Every cattaneo2024 claim check (except the matched-loss mechanism checks, tested in test_cattaneo2024_sweep.py)
fails on artifacts where its claim is false, and passes where it holds.

Order checks (Thm 3.1 / Fig. 3 / RMSProp): real runs of the pipeline's `order_of_accuracy` on the toy problem pass;
the same runs with the second-order correction removed or its sign flipped (a first-order-only flow standing in for
the second-order one: local slopes 1 where 2 is claimed) fail, as do synthetic errors with a pre-asymptotic pair, a
second-order flow worse than the first, or a horizon shorter than 10 memories; the long-horizon check fails as
"not testable at this h grid" where h times the first-order field's Lipschitz constant is not small. Figure 2:
synthetic D grids that move the wrong way in ρ, β or h, that stay flat (steps inside the runs' own tail motion), or
runs that have not settled, fail. Large ε: the momentum-limit claims fail on first-order-only flows, non-training
horizons and shifts that are not O(η); the 1/ε distance (a consistency check) on a plateau or a slower rate.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from implicit_bias import backward_error
from implicit_bias.checks import verdict_of
from implicit_bias.papers.cattaneo2024.checks import CHECKS
from implicit_bias.papers.cattaneo2024.experiments import order_of_accuracy

# the Figs. 4-5 and mechanism checks have their own falsification tests (test_cattaneo2024_sweep.py, _mechanism.py)
TESTED_ELSEWHERE = {"fig4_hill", "fig5_hill", "matched_loss_rho", "matched_loss_beta", "anti_penalty_flow"}


class Fake:
    """The part of `Artifacts` the cattaneo2024 checks read, held in memory."""

    def __init__(self, **runs):
        self.arrays = runs
        self.meta = {}

    def runs(self, name):
        return self.arrays[name]

    def experiment(self, name):
        return self.meta.get(name, {})


def passed(name: str, art) -> bool:
    return verdict_of(CHECKS[name], art, "cattaneo2024", name)["passed"]


def failing(name: str, art) -> set[str]:
    """The measured keys whose criteria fail."""
    return {c["key"] for c in verdict_of(CHECKS[name], art, "cattaneo2024", name)["criteria"] if not c["passed"]}


def test_every_claim_check_has_a_falsification_test():
    """This module names every claim check of cattaneo2024 but the mechanism ones: a new claim check needs one."""
    source = (Path(__file__).parent / "test_cattaneo2024_falsify.py").read_text()
    claims = [name for name, check in CHECKS.items() if check.kind == "claim" and name not in TESTED_ELSEWHERE]
    assert claims and all(f'"{name}"' in source for name in claims), [n for n in claims if f'"{n}"' not in source]


# ------------------------------------------------------------------------------------------- order of accuracy
TOY = dict(problem="toy", T=1.0, sub=2, h=[0.01, 0.005, 0.0025])


def _toy_order(settings):
    return order_of_accuracy({**TOY, "settings": settings}, log=lambda s: None)


@pytest.fixture(scope="module")
def toy_runs():
    """Real toy runs (Adam, both flows): one Adam setting and one RMSProp setting (0.3 s)."""
    return {"adam": _toy_order([[0.5, 0.7, 1e-4]]), "rmsprop": _toy_order([[0.0, 0.7, 1e-4]])}


@pytest.fixture(scope="module")
def corrupted_runs():
    """The same runs with the second-order correction zeroed or sign-flipped: the 'second-order' flow is then only
    first order."""
    out = {}
    original = backward_error.bias_bracket
    for label, factor in (("none", 0.0), ("flipped", -1.0)):
        backward_error.bias_bracket = lambda g, factor=factor, **kw: factor * original(g, **kw)
        try:
            out[label] = {"adam": _toy_order([[0.5, 0.7, 1e-4]]), "rmsprop": _toy_order([[0.0, 0.7, 1e-4]])}
        finally:
            backward_error.bias_bracket = original
    return out


@pytest.mark.parametrize(("name", "run"), [("c1_order_toy", "adam"), ("c5_rmsprop", "rmsprop")])
def test_order_checks_pass_on_real_runs_and_fail_on_a_first_order_only_flow(name, run, toy_runs, corrupted_runs):
    artifact = {"c1_order_toy": "order_toy", "c5_rmsprop": "order_rmsprop"}[name]
    assert passed(name, Fake(**{artifact: toy_runs[run]}))
    for label in ("none", "flipped"):
        bad = corrupted_runs[label][run]
        slopes2 = np.log(bad["err2"][0][:-1] / bad["err2"][0][1:]) / np.log(2.0)
        assert np.all(slopes2 < 1.3), (label, slopes2)  # the doctored flow really is first order
        assert not passed(name, Fake(**{artifact: bad})), label


def test_rmsprop_check_fails_on_an_adam_run(toy_runs):
    """C5 is about β = 0: an Adam run (β = 0.5) with perfect slopes does not pass it."""
    assert not passed("c5_rmsprop", Fake(order_rmsprop=toy_runs["adam"]))


def _synthetic_order(*, pair_slope2=2.0, worse_at_largest_h=False, T=0.003125, slope1=1.0):
    """Errors of the Fig. 3 setting (β = 0.9, ρ = 0.95, ε = 1e-6) on the pipeline's h grid: err1 = 40 h^slope1,
    err2 = 5e3 h² (err2 ≪ err1), with the first pair's second-order slope `pair_slope2`."""
    h = np.array([6.25e-6, 3.125e-6, 1.5625e-6, 7.8125e-7])
    err1 = 40.0 * h**slope1
    err2 = 5e3 * h**2
    err2[0] = err2[1] * 2.0**pair_slope2
    if worse_at_largest_h:
        err2[0] = 2.0 * err1[0]
    return dict(
        h=h,
        settings=np.array([[0.9, 0.95, 1e-6]]),
        err1=err1[None],
        err2=err2[None],
        T=np.float64(T),
        loss0=np.full((1, 4), 2.3),
        lossT=np.full((1, 4), 2.2),
    )


def test_mlp_order_check_passes_on_orders_one_and_two_only():
    assert passed("c1_order_mlp", Fake(order_mlp=_synthetic_order()))
    for bad in (
        dict(pair_slope2=1.0),  # one pair of the 'second-order' flow at slope 1
        dict(pair_slope2=1.5),  # a pre-asymptotic pair
        dict(pair_slope2=2.6),  # an overshooting pair
        dict(slope1=2.0),  # the 'first-order' flow at slope 2: not the claimed O(h) of signGD perturbed by eps
        dict(worse_at_largest_h=True),  # the second-order flow farther than the first at one h
        dict(T=0.003125 / 4),  # N = T/h = 125 steps at the largest h: 6 memories of rho = 0.95, not >> 1
    ):
        assert not passed("c1_order_mlp", Fake(order_mlp=_synthetic_order(**bad))), bad


# ------------------------------------------------------------------------------------------------- Figure 2
def _toy_fig2(*, grid=None, pair=None, loss=1e-6, motion=5e-4):
    """A Figure-2 artifact: D over (β rows, ρ cols) rising in ρ and falling in β; right panel as predicted; every
    run's tail average moving by `motion` (the resolution of D)."""
    betas, rhos = np.array([0.5, 0.9, 0.95]), np.array([0.5, 0.9, 0.99, 0.999])
    D = 1.8 + 0.05 * np.arange(4)[None, :] - 0.2 * np.arange(3)[:, None] if grid is None else np.asarray(grid)
    pairs, hs = np.array([[0.95, 0.5], [0.5, 0.999]]), np.array([0.001, 0.01, 0.03])
    # (0.95, 0.5): D falls with h (beta > rho); (0.5, 0.999): D rises with h
    P = np.array([[1.86, 1.74, 1.76], [2.02, 2.04, 2.05]]) if pair is None else np.asarray(pair)
    return dict(
        grid_beta=betas,
        grid_rho=rhos,
        grid_D=D,
        grid_loss=np.full(D.shape, loss),
        grid_motion=np.full(D.shape, motion),
        pairs=pairs,
        h_grid=hs,
        pair_D=P,
        pair_loss=np.full(P.shape, loss),
        pair_motion=np.full(P.shape, motion),
    )


RHO_KEY = "violations of 'D rises in rho by more than its resolution'"
BETA_KEY = "violations of 'D falls in beta by more than its resolution'"
RIGHT_KEY = "right panel (h_mid vs h_min) as predicted beyond the resolution, per pair"


def test_fig2_check_passes_on_the_predicted_trends_and_fails_on_the_reverse():
    assert passed("fig2_toy", Fake(toy=_toy_fig2()))
    good = _toy_fig2()["grid_D"]
    # D falling in rho on two rows (two violations: beyond the one allowed at the edge of stability)
    bad_rho = good.copy()
    bad_rho[0, 1], bad_rho[1, 2] = bad_rho[0, 0] - 0.01, bad_rho[1, 1] - 0.01
    assert RHO_KEY in failing("fig2_toy", Fake(toy=_toy_fig2(grid=bad_rho)))
    # D rising in beta in two columns
    bad_beta = good.copy()
    bad_beta[1, 0], bad_beta[2, 3] = bad_beta[0, 0] + 0.01, bad_beta[1, 3] + 0.01
    assert BETA_KEY in failing("fig2_toy", Fake(toy=_toy_fig2(grid=bad_beta)))
    # every trend reversed
    assert {RHO_KEY, BETA_KEY} <= failing("fig2_toy", Fake(toy=_toy_fig2(grid=good[::-1, ::-1])))
    # right panel: the beta > rho pair's D rising with h, or the rho > beta pair's falling (amplification reversed)
    for pair in ([[1.74, 1.86, 1.76], [2.02, 2.04, 2.05]], [[1.86, 1.74, 1.76], [2.04, 2.02, 2.05]]):
        assert failing("fig2_toy", Fake(toy=_toy_fig2(pair=pair))) == {RIGHT_KEY}
    # runs that have not settled on the minimiser set
    assert failing("fig2_toy", Fake(toy=_toy_fig2(loss=0.01))) == {"final loss, max over the runs asserted on"}


def test_fig2_check_fails_on_a_null_effect():
    """No effect of beta, rho or h (a flat D, or steps inside the runs' own tail motion) is not the Figure-2 trend."""
    flat = np.full((3, 4), 1.9)
    assert {RHO_KEY, BETA_KEY} <= failing("fig2_toy", Fake(toy=_toy_fig2(grid=flat)))
    assert RIGHT_KEY in failing("fig2_toy", Fake(toy=_toy_fig2(pair=np.full((2, 3), 1.9))))
    # the predicted trends, but every step smaller than the resolution of D
    assert {RHO_KEY, BETA_KEY, RIGHT_KEY} <= failing("fig2_toy", Fake(toy=_toy_fig2(motion=0.3)))


def test_fig2_check_tolerates_one_step_inside_the_resolution():
    """One flat step per family is allowed (spec §4 soft check, edge of stability); a second is a violation."""
    grid = _toy_fig2()["grid_D"].copy()
    grid[0, 1] = grid[0, 0] + 2e-4
    assert passed("fig2_toy", Fake(toy=_toy_fig2(grid=grid)))
    grid[1, 2] = grid[1, 1] + 2e-4
    assert failing("fig2_toy", Fake(toy=_toy_fig2(grid=grid))) == {RHO_KEY}


# ------------------------------------------------------------------------------- C2, C4: the code's correction
def _with_bracket(monkeypatch, wrong):
    """Replace the code's bracket (used by `modified_field`) by `wrong(g, beta, rho, eps, n, right)`."""
    right = backward_error.bias_bracket
    monkeypatch.setattr(
        backward_error,
        "bias_bracket",
        lambda g, *, beta, rho, eps, n=None: wrong(np.asarray(g), beta, rho, eps, n, right),
    )


def _no_artifacts():
    return Fake()


def test_c2_and_c4_pass_with_the_codes_correction():
    """The pass case of the two tests below (test_cattaneo2024_sweep.py checks their kind)."""
    assert passed("c2_regimes", _no_artifacts()) and passed("c4_momentum_limit", _no_artifacts())


WRONG_BRACKETS = {
    "sign flipped": lambda g, b, r, e, n, right: -right(g, beta=b, rho=r, eps=e, n=n),
    # the small-eps form everywhere: ½{(1+β)/(1−β) − (1+ρ)/(1−ρ)}, no ε/(g²+ε) term
    "eps term dropped": lambda g, b, r, e, n, right: right(g, beta=b, rho=r, eps=0.0, n=n),
    # the large-n form on every piece: the bias-corrected mean delays d(n) ignored
    "large-n form on early pieces": lambda g, b, r, e, n, right: right(g, beta=b, rho=r, eps=e, n=None),
}


@pytest.mark.parametrize("wrong", list(WRONG_BRACKETS))
def test_c2_regimes_fails_when_the_codes_correction_is_not_adams(wrong, monkeypatch):
    _with_bracket(monkeypatch, WRONG_BRACKETS[wrong])
    assert not passed("c2_regimes", _no_artifacts())


@pytest.mark.parametrize("wrong", ["sign flipped", "eps term dropped"])
def test_c4_momentum_limit_fails_when_the_large_eps_field_is_not_heavy_balls(wrong, monkeypatch):
    _with_bracket(monkeypatch, WRONG_BRACKETS[wrong])
    assert not passed("c4_momentum_limit", _no_artifacts())


# ----------------------------------------------------------------------- Sec. 2.4(b) / Example 2.1, dynamics
def _momentum(
    *,
    eps_rate=1.0,
    slope1=1.0,
    slope2=2.0,
    fall=1e-9,
    eps_min=1e6,
    eps=1e12,
    shift=-60.0,
    shift_power=1.0,
    flow_shift=None,
):
    """A momentum-limit artifact: distance to the momentum iterates ∝ ε^(−eps_rate); errors of the flows ∝ η^slope;
    end points: the gradient flow's, Adam's scaled by 1 + shift·η^shift_power (D moves by that fraction), the
    momentum flow's by 1 + flow_shift(η) (default: Adam's shift up to a relative 250·η)."""
    eta = np.array([5e-4, 2.5e-4, 1.25e-4, 6.25e-5])
    eps_grid = eps_min * np.array([1.0, 10.0, 100.0, 1000.0])
    end1 = np.tile([0.352, 2.129], (4, 1))
    adam = shift * eta**shift_power
    flow = adam * (1 - 250 * eta) if flow_shift is None else flow_shift(eta)
    return dict(
        end_flow1=end1,
        end_adam=end1 * (1 + adam)[:, None],
        end_flow2=end1 * (1 + flow)[:, None],
        eta=eta,
        err1=66.0 * eta**slope1,
        err2=2e4 * eta**slope2,
        loss0=np.full(4, 164.0),
        loss_final=np.full(4, 164.0 * fall),
        eps_grid=eps_grid,
        eps_dist=3.7e3 * eps_grid**-eps_rate,
        max_grad_sq=np.float64(1.6e4),
        eps=np.float64(eps),
        beta=np.float64(0.5),
        tau=np.float64(0.5),
    )


def test_momentum_dynamics_check_passes_on_the_limit_and_fails_without_it():
    name = "ex21_momentum_dynamics"
    assert passed(name, Fake(momentum=_momentum()))
    for bad in (
        dict(slope2=1.0),  # the momentum flow only first order: the squared two-norm penalty is not Adam's O(eta) term
        dict(slope2=1.0, slope1=2.0),  # and the gradient flow second order
        dict(fall=0.5),  # the loss falls by a factor 2: no training horizon
        dict(eps=1e5),  # the runs' eps below 10 max g^2: not regime (b)
    ):
        assert not passed(name, Fake(momentum=_momentum(**bad))), bad
    # the distance to the momentum iterates is the consistency check's, not this claim's
    assert passed(name, Fake(momentum=_momentum(eps_rate=0.0)))


def test_momentum_eps_distance_check_needs_the_one_over_eps_rate():
    name = "momentum_eps_distance"
    assert passed(name, Fake(momentum=_momentum()))
    for bad in (
        dict(eps_rate=0.0),  # Adam does not approach the momentum method as eps grows (a plateau)
        dict(eps_rate=0.5),  # too slowly: not the O(1/eps) of sqrt(v_hat + eps)
        dict(eps_min=1e4),  # eps below 10 max g^2 on the grid: v_hat << eps fails
    ):
        assert not passed(name, Fake(momentum=_momentum(**bad))), bad


# ------------------------------------------------------------------------------- Thm 3.1 over a training horizon
def _long(T, h=(0.01, 0.005, 0.0025)):
    return order_of_accuracy(
        dict(problem="toy", T=T, sub=1, h=list(h), settings=[[0.5, 0.7, 1e-4]]), log=lambda s: None
    )


def test_long_horizon_order_check_needs_training_and_second_order_closeness():
    name = "c1_order_long"
    good = _long(2.0)
    assert passed(name, Fake(order_long=good))
    # a horizon over which the loss falls less than 100-fold is not a training horizon
    assert failing(name, Fake(order_long=_long(1.0))) == {"final loss / initial loss, per (setting, h)"}
    # a first-order-only 'second-order' flow
    assert not passed(name, Fake(order_long={**good, "err2": good["err1"] * 0.9}))
    # past the point where |g| reaches sqrt(eps) this grid is not asymptotic (h * Lip(f1) ~ 2-8): the verdict is
    # 'not testable at this h grid', and the per-pair slopes break too
    late = failing(name, Fake(order_long=_long(2.6)))
    assert any("not testable at this h grid" in key for key in late)
    assert any("local slopes2" in key for key in late)
    # a field far stiffer than the grid resolves, with slopes that happen to look right: still not testable
    stiff = {**good, "field_lip": good["field_lip"] + 1e3}
    assert all("not testable at this h grid" in key for key in failing(name, Fake(order_long=stiff)))


def test_regime_b_bias_check_passes_on_the_predicted_shift_and_fails_otherwise():
    name = "regime_b_bias"
    assert passed(name, Fake(momentum=_momentum()))
    for bad in (
        dict(shift=60.0),  # Adam ends farther from the diagonal than the gradient flow (anti-penalised)
        dict(shift=-0.02, shift_power=0.0),  # a shift that does not vanish with eta: not the O(eta) correction
        dict(shift=-3e3, shift_power=1.5),  # a shift of order eta^1.5
        dict(fall=1e-3),  # runs that end at loss 0.16: not on the minimiser set
    ):
        assert not passed(name, Fake(momentum=_momentum(**bad))), bad
    # the momentum flow's prediction of the shift is reported here (ex21's O(eta^2) closeness implies it)
    assert passed(name, Fake(momentum=_momentum(flow_shift=lambda eta: -30.0 * eta)))
