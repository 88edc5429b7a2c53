"""cattaneo2024 matched-loss mechanism: the λ flows (a tiny run) and the falsification of their check."""

from __future__ import annotations

import numpy as np
import pytest

from implicit_bias.artifacts import save_npz
from implicit_bias.checks import Artifacts, verdict_of
from implicit_bias.nets import TanhMLP, digits_data
from implicit_bias.papers.cattaneo2024.checks import CHECKS
from implicit_bias.papers.cattaneo2024.experiments import lambda_flow, lambda_flows


def test_lambda_flow_zero_is_the_first_order_flow():
    """λ = 0 is θ̇ = −g/sqrt(g²+ε): one RK4 step of it from θ0 matches the package's first-order field."""
    from implicit_bias.backward_error import modified_flow

    Xtr, ytr, _, _ = digits_data(40)
    mlp = TanhMLP(Xtr, ytr, 4)
    theta0 = mlp.init(0)
    loss, _ = lambda_flow(mlp, theta0, lam=0.0, eps=1e-6, dt=1e-3, T=3e-3, stop_loss=0.0)
    ref = modified_flow(mlp.grad, None, theta0, h=1e-3, beta=0.9, rho=0.9, eps=1e-6, steps=3, order=1, sub=1)
    np.testing.assert_allclose(loss, mlp.loss(ref), rtol=1e-12)


def test_lambda_flows_artifact_shapes():
    cfg = dict(n_train=40, hidden=4, seeds=[0], eps=1e-8, delta=1e-3, dt=2e-3, T=0.02, levels=[3.0, 2.0])
    out = lambda_flows(cfg, log=lambda *a: None)
    assert out["matched_norm"].shape == (3, 2, 1) and out["loss"].shape == (3, 1, 11)
    assert out["lambdas"].tolist() == [-1e-3, 0.0, 1e-3]


def _fake_lambda(tmp_path, up, down, *, floor=0.01, reached=True):
    """A mech_lambda artifact whose one-norm at matched loss is N0·up at λ = −δ and N0·down at +δ (3 seeds)."""
    K, S = 3, 3
    N0 = np.array([5.0, 2.0, 0.7])[:, None] * np.ones(S)
    M = np.stack([N0 * np.asarray(up), N0, N0 * np.asarray(down)])
    if not reached:
        M[0, -1, 0] = np.nan
    out = dict(
        lambdas=np.array([-0.003, 0.0, 0.003]),
        levels=np.array([0.3, 0.1, 0.03]),
        matched_norm=M,
        matched_norm_half=N0 * (1 + floor),
        matched_time=np.ones((3, K, S)),
        num_params=np.int64(2410),
    )
    save_npz(tmp_path / "mech_lambda.npz", out, {"experiment": {"eps": 1e-10}})
    return Artifacts({"mech_lambda": tmp_path / "mech_lambda.npz"}, {}, {}, {})


@pytest.mark.parametrize(
    "up, down, kw, passes",
    [
        (1.3, 0.9, {}, True),  # the paper's reading: anti-penalised flow keeps a larger one-norm
        (0.8, 1.1, {}, False),  # the opposite sign
        (1.3, 1.1, {}, False),  # both raise it: the sign of lambda does not decide
        (1.005, 0.9, {}, False),  # a rise inside the reading floor (1 %) decides nothing
        (1.3, 0.9, {"reached": False}, False),  # a level not reached: not at matched loss
    ],
)
def test_anti_penalty_flow_check_fails_where_the_claim_is_false(tmp_path, up, down, kw, passes):
    art = _fake_lambda(tmp_path, up, down, **kw)
    assert verdict_of(CHECKS["anti_penalty_flow"], art, "cattaneo2024", "anti_penalty_flow")["passed"] is passes


def test_interpolated_at_loss_reads_the_crossing_between_grid_points():
    """log-linear between the bracketing points: a power law N = L^0.5 is read exactly at any level."""
    from implicit_bias.papers.cattaneo2024.experiments import interpolated_at_loss

    loss = np.geomspace(1.0, 1e-3, 7)
    norm, where = interpolated_at_loss(loss, np.sqrt(loss), 0.03)
    assert norm == pytest.approx(np.sqrt(0.03), rel=1e-12) and 2 < where < 4
    assert np.isnan(interpolated_at_loss(loss, loss, 1e-4)[0])


def test_flow_validity_tiny_run():
    """The validity artifact on a tiny net: the ρ gap is 0 at n = 0, and at moderate momenta (β = 0.5, ρ = 0.5, 0.7)
    with a large ε the second-order flow is closer to Adam than the first-order one (Theorem 3.1's regime)."""
    from implicit_bias.papers.cattaneo2024.experiments import flow_validity

    cfg = dict(n_train=40, hidden=4, eps=1e-4, h=1e-3, beta=0.5, rhos=[0.5, 0.7], T=0.02, sub=2, levels=[5.0])
    out = flow_validity({**cfg, "stop_error": 1.0, "seeds": [0]}, log=lambda *a: None)
    assert out["err1"].shape == (2, 1, 21) and out["gap_adam"][0, 0] == 0.0
    assert np.all(out["err2"][:, 0, 1:] < out["err1"][:, 0, 1:])


def test_h_scaling_tiny_run_and_lag():
    """Every h runs to the same ODE time; at ρ = β the same runs at two 'ρ' values coincide (ratio exactly 1), and
    the logged lag sqrt(v̂)/|g| is near 1 at the first logged time (step 1: v̂ averages the first two g²)."""
    from implicit_bias.papers.cattaneo2024.experiments import h_scaling

    cfg = dict(n_train=40, hidden=4, eps=1e-10, beta=0.9, hs=[2e-3, 1e-3], rhos=[0.9, 0.9], T=0.02, levels=[2.35])
    out = h_scaling({**cfg, "num_log": 20, "seeds": [0]}, log=lambda *a: None)
    M = out["matched"]
    assert M.shape == (2, 2, 1, 1) and np.all(np.isfinite(M))
    np.testing.assert_array_equal(M[:, 1], M[:, 0])
    assert out["lag"][1, 0, 0, 0] == pytest.approx(1.0, rel=1e-2)  # t = 1e-3 is step 1 at h = 1e-3
