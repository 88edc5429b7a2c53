"""cattaneo2024 experiments as configured in `config.yaml` (section `cattaneo2024`): the functions the scripts call.

Each returns flat arrays (plus settings) for one artifact; they hold no file paths.

* `f_curves`        Figure 1: F(x) closed form on a grid, and by quadrature at check points (C3).
* `toy_trajectories` Figure 2: Adam iterates on the 2-D toy problem over (β, ρ) and over h.
* `order_of_accuracy` Figure 3 / C1 / C5: global error of the first- and second-order flows over an h grid.
* `momentum_limit`  spec §2.4(b) / Example 2.1: Adam at large ε against GD with momentum and its modified flows.
* `adam_sweep`      Figures 4-5: full-batch Adam on a small tanh MLP (digits), vectorised over seeds; the
                    pipeline runs it one (β, ρ) point at a time (`sweep_points`) and joins them (`combine_sweep`).
* `lambda_flows`    the matched-loss mechanism, interpretation: the preconditioned flow with ±λ·∇‖∇E‖_{1,ε}, no Adam.
* `flow_validity`   the matched-loss mechanism, validity: Adam against its first- and second-order modified flows.
* `h_scaling`       the matched-loss mechanism, h-scaling: Adam over h at fixed ODE time, and its second-moment lag.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from ...backward_error import (
    adam_correction_1d,
    adam_correction_1d_quad,
    adam_iterates,
    bias_bracket,
    mean_delay,
    modified_field,
    modified_flow,
    momentum_flow,
    momentum_iterates,
    perturbed_one_norm,
    rk4,
    sup_error,
)
from ...nets import MLPBuffers, TanhMLP, ToyProblem, digits_data
from ...optimizers import UpdateRule, init_state, step_direction

__all__ = [
    "MECHANISM",
    "MECHANISM_KEYS",
    "adam_sweep",
    "check_config",
    "combine_sweep",
    "cross_references",
    "f_curves",
    "field_lipschitz",
    "flow_validity",
    "h_scaling",
    "interpolated_at_loss",
    "lambda_flow",
    "lambda_flows",
    "matched_loss_norms",
    "mechanism_problem",
    "momentum_limit",
    "one_norm_distance",
    "order_of_accuracy",
    "run_sweep",
    "sweep_points",
    "sweep_summaries",
    "tail_motion",
    "toy_trajectories",
]


# ------------------------------------------------------------------------------------------------ Figure 1
def f_curves(cfg: dict) -> dict:
    """F(x) on `num` points of [−x_max, x_max] for every (ε, ρ), and F by quadrature at `quad_points` x values."""
    x = np.linspace(-cfg["x_max"], cfg["x_max"], cfg["num"])
    eps, rho = np.asarray(cfg["eps"], float), np.asarray(cfg["rho"], float)
    F = np.empty((len(eps), len(rho), len(x)))
    xq = np.asarray(cfg["quad_points"], float)
    Fq_closed = np.empty((len(eps), len(rho), len(xq)))
    Fq_quad = np.empty_like(Fq_closed)
    for i, e in enumerate(eps):
        for j, r in enumerate(rho):
            kw = dict(h=cfg["h"], beta=cfg["beta"], rho=float(r), eps=float(e))
            F[i, j] = adam_correction_1d(x, **kw)
            Fq_closed[i, j] = adam_correction_1d(xq, **kw)
            Fq_quad[i, j] = [adam_correction_1d_quad(float(v), **kw) for v in xq]
    return dict(x=x, eps=eps, rho=rho, F=F, xq=xq, Fq_closed=Fq_closed, Fq_quad=Fq_quad)


# ------------------------------------------------------------------------------------------------ Figure 2
def one_norm_distance(traj: np.ndarray, last: int) -> float:
    """D = mean of |θ1| + |θ2| over the last `last` iterates (≥ √3 on θ1θ2 = 3/4; smaller = nearer the diagonal)."""
    tail = np.asarray(traj)[-last:]
    return float(np.mean(np.abs(tail).sum(axis=-1)))


def tail_motion(traj: np.ndarray, last: int) -> float:
    """Residual motion of the tail average D: |D over the first half of the last `last` iterates − D over the second
    half|. A run still drifting or oscillating at the end moves its D by about this much with the averaging window."""
    d = np.abs(np.asarray(traj)[-last:]).sum(axis=-1)
    half = len(d) // 2
    return float(abs(d[:half].mean() - d[half:].mean()))


def toy_trajectories(cfg: dict, log: Callable[[str], object] = print) -> dict:
    """Adam on the toy problem: grid (β, ρ) at h = cfg['h'] (left panel), and (β, ρ) pairs over cfg['h_grid']."""
    toy = ToyProblem()
    out: dict[str, Any] = {}
    theta0 = np.asarray(cfg["theta0"], float)
    eps, T, last = cfg["eps"], cfg["T"], cfg["tail"]
    thin = cfg["num_plot"]

    def run(h, b, r):
        steps = round(T / h)
        traj = adam_iterates(toy.grad, theta0, h=h, beta=b, rho=r, eps=eps, steps=steps)
        idx = np.unique(np.linspace(0, steps, thin).astype(int))
        return traj[idx], one_norm_distance(traj, last), float(toy.loss(traj[-1])), tail_motion(traj, last)

    betas, rhos = cfg["betas"], cfg["rhos"]
    D = np.empty((len(betas), len(rhos)))
    loss, motion = np.empty_like(D), np.empty_like(D)
    paths = np.empty((len(betas), len(rhos), thin, 2))
    for i, b in enumerate(betas):
        for j, r in enumerate(rhos):
            p, D[i, j], loss[i, j], motion[i, j] = run(cfg["h"], b, r)
            paths[i, j, : len(p)] = p
            paths[i, j, len(p) :] = p[-1]
    out.update(
        grid_beta=np.asarray(betas, float),
        grid_rho=np.asarray(rhos, float),
        grid_D=D,
        grid_loss=loss,
        grid_motion=motion,
        grid_paths=paths,
    )
    pairs, hs = np.asarray(cfg["pairs"], float), np.asarray(cfg["h_grid"], float)
    D = np.empty((len(pairs), len(hs)))
    loss, motion = np.empty_like(D), np.empty_like(D)
    paths = np.empty((len(pairs), len(hs), thin, 2))
    for i, (b, r) in enumerate(pairs):
        for j, h in enumerate(hs):
            p, D[i, j], loss[i, j], motion[i, j] = run(float(h), float(b), float(r))
            paths[i, j, : len(p)] = p
            paths[i, j, len(p) :] = p[-1]
        log(f"pair beta={b}, rho={r}: D over h {hs.tolist()} = {D[i].round(4).tolist()}")
    out.update(
        pairs=pairs,
        h_grid=hs,
        pair_D=D,
        pair_loss=loss,
        pair_motion=motion,
        pair_paths=paths,
        limit_point=toy.one_norm_limit,
        theta0=theta0,
    )
    return out


# ------------------------------------------------------------------------------------------------ Figure 3, C1, C5
def _problem(cfg: dict):
    """loss, grad, hvp, θ^(0) and the Hessian (None for the MLP: its Lipschitz constant is not computed)."""
    if cfg["problem"] == "toy":
        toy = ToyProblem()
        return toy.loss, toy.grad, toy.hvp, np.asarray(cfg.get("theta0", [2.8, 3.5]), float), toy.hessian
    Xtr, ytr, _, _ = digits_data(cfg["n_train"], seed=0)
    mlp = TanhMLP(Xtr, ytr, cfg["hidden"])
    return mlp.loss, mlp.grad, mlp.hvp, mlp.init(cfg["seed"]), None


def field_lipschitz(grad: Callable, hessian: Callable, thetas: ArrayLike, eps: float) -> float:
    """max_n ‖J(θ^(n))‖₂ over the points `thetas` (rows) of the first-order field f₁ = −g/sqrt(g² + ε), whose
    Jacobian is J = −diag(ε/(g² + ε)^{3/2})·H: the field's local Lipschitz constant along a run. h·max_n ‖J‖ ≪ 1
    is what makes an h grid asymptotic for the modified flows; it grows to ‖H‖/√ε where a gradient coordinate
    reaches √ε."""
    thetas = np.asarray(thetas, dtype=np.float64)
    g = np.asarray(grad(thetas), dtype=np.float64)
    H = np.stack([hessian(t) for t in thetas])
    J = (eps / (g * g + eps) ** 1.5)[..., None] * H
    return float(np.linalg.norm(J, ord=2, axis=(-2, -1)).max())


def order_of_accuracy(cfg: dict, log: Callable[[str], object] = print) -> dict:
    """err_k(h) = max_n ‖θ^(n) − θ̃_k(t_n)‖_∞ over n ≤ T/h for k = 1, 2, for every setting and h of `cfg`.

    Arrays: h (H,), err1/err2 (S, H), the training loss of Adam at n = 0 and n = T/h, loss0/lossT (S, H), the
    smallest gradient coordinate along Adam's run, min_n min_j |∇_jE(θ^(n))|, min_abs_grad (S, H), and per-n error
    curves err1_n_<s>_<i>, err2_n_<s>_<i>. On the toy problem also field_lip (S, H): the first-order field's
    Lipschitz constant along Adam's run (`field_lipschitz`).
    """
    loss, grad, hvp, theta0, hessian = _problem(cfg)
    hs = np.asarray(cfg["h"], float)
    settings = np.asarray(cfg["settings"], float)  # rows (β, ρ, ε)
    err1 = np.empty((len(settings), len(hs)))
    err2 = np.empty_like(err1)
    loss0, lossT, min_abs_grad = np.empty_like(err1), np.empty_like(err1), np.empty_like(err1)
    field_lip = np.empty_like(err1)
    out: dict[str, Any] = {}
    for s, (b, r, e) in enumerate(settings):
        for i, h in enumerate(hs):
            started = time.perf_counter()
            steps = round(cfg["T"] / h)
            kw = dict(h=float(h), beta=float(b), rho=float(r), eps=float(e), steps=steps)
            adam = adam_iterates(grad, theta0, **kw)
            f1 = modified_flow(grad, hvp, theta0, order=1, sub=cfg["sub"], **kw)
            f2 = modified_flow(grad, hvp, theta0, order=2, sub=cfg["sub"], **kw)
            e1, e2 = sup_error(adam, f1), sup_error(adam, f2)
            err1[s, i], err2[s, i] = e1.max(), e2.max()
            loss0[s, i], lossT[s, i] = float(loss(adam[0])), float(loss(adam[-1]))
            # in chunks: the MLP's batched gradient holds (chunk, n_train, hidden) intermediates
            min_abs_grad[s, i] = min(float(np.abs(grad(adam[k : k + 256])).min()) for k in range(0, len(adam), 256))
            if hessian is not None:
                field_lip[s, i] = field_lipschitz(grad, hessian, adam, float(e))
            out[f"err1_n_{s}_{i}"], out[f"err2_n_{s}_{i}"] = e1, e2
            log(
                f"beta={b} rho={r} eps={e} h={h:g} (N={steps}): err1={e1.max():.3e} err2={e2.max():.3e} "
                f"[{time.perf_counter() - started:.1f} s]"
            )
    out.update(
        h=hs,
        settings=settings,
        err1=err1,
        err2=err2,
        loss0=loss0,
        lossT=lossT,
        min_abs_grad=min_abs_grad,
        T=np.float64(cfg["T"]),
    )
    if hessian is not None:
        out["field_lip"] = field_lip
    return out


# ------------------------------------------------------------------------------------------------ large eps
def momentum_limit(cfg: dict, log: Callable[[str], object] = print) -> dict:
    """Adam at large ε (h = η√ε) on the toy problem over the horizon τ = N·η, against GD with EMA momentum at step η.

    Arrays: eps_grid, eps_dist = max_n ‖θ_Adam(ε) − θ_momentum‖_∞ at the largest η (K,); eta (E,); err1, err2 =
    max_n ‖θ_Adam(eps) − θ̃_k(τ_n)‖_∞ with θ̃_1 the gradient flow and θ̃_2 the momentum modified flow (squared two-norm
    penalised), loss0 and loss_final of those Adam runs (E,), and their end points end_adam, end_flow1, end_flow2
    (E, 2); max_grad_sq = max_n max_j (∇_jE)² along the runs.
    """
    toy = ToyProblem()
    theta0 = np.asarray(cfg["theta0"], float)
    beta, rho, tau, sub = float(cfg["beta"]), float(cfg["rho"]), float(cfg["tau"]), int(cfg["sub"])
    etas, eps_grid, eps = np.asarray(cfg["eta"], float), np.asarray(cfg["eps_grid"], float), float(cfg["eps"])
    err1, err2 = np.empty(len(etas)), np.empty(len(etas))
    loss0, loss_final = np.empty(len(etas)), np.empty(len(etas))
    ends = {key: np.empty((len(etas), len(theta0))) for key in ("end_adam", "end_flow1", "end_flow2")}
    max_g2 = 0.0

    def adam(eta, e, steps):
        return adam_iterates(toy.grad, theta0, h=eta * np.sqrt(e), beta=beta, rho=rho, eps=e, steps=steps)

    for i, eta in enumerate(etas):
        started = time.perf_counter()
        steps = round(tau / eta)
        A = adam(eta, eps, steps)
        kw = dict(eta=float(eta), beta=beta, steps=steps, sub=sub)
        f1 = momentum_flow(toy.grad, toy.hvp, theta0, order=1, **kw)
        f2 = momentum_flow(toy.grad, toy.hvp, theta0, order=2, **kw)
        e1, e2 = sup_error(A, f1), sup_error(A, f2)
        err1[i], err2[i] = e1.max(), e2.max()
        ends["end_adam"][i], ends["end_flow1"][i], ends["end_flow2"][i] = A[-1], f1[-1], f2[-1]
        loss0[i], loss_final[i] = toy.loss(A[0]), toy.loss(A[-1])
        max_g2 = max(max_g2, float(np.max(toy.grad(A) ** 2)))
        log(
            f"eta={eta:g} (N={steps}): err1={err1[i]:.3e} err2={err2[i]:.3e} loss {loss0[i]:.3g} -> "
            f"{loss_final[i]:.3g} [{time.perf_counter() - started:.1f} s]"
        )
    eta = float(etas.max())
    steps = round(tau / eta)
    gd = momentum_iterates(toy.grad, theta0, eta=eta, beta=beta, steps=steps)
    eps_dist = np.array([sup_error(adam(eta, e, steps), gd).max() for e in eps_grid])
    max_g2 = max(max_g2, float(np.max(toy.grad(gd) ** 2)))
    log(f"eta={eta:g}: max_n |Adam(eps) - momentum|_inf over eps {eps_grid.tolist()} = {eps_dist.tolist()}")
    return dict(
        eta=etas,
        err1=err1,
        err2=err2,
        loss0=loss0,
        loss_final=loss_final,
        **ends,
        eps_grid=eps_grid,
        eps_dist=eps_dist,
        max_grad_sq=np.float64(max_g2),
        eps=np.float64(eps),
        beta=np.float64(beta),
        tau=np.float64(tau),
    )


# ------------------------------------------------------------------------------------------------ Figures 4-5
def run_sweep(
    mlp: TanhMLP,
    Xte: np.ndarray,
    yte: np.ndarray,
    theta0: np.ndarray,
    *,
    h: float,
    beta: float,
    rho: float,
    eps: float,
    steps: int,
    eval_every: int,
    log: Callable[[str], object] | None = None,
) -> dict:
    """Full-batch Adam on `mlp` from each initialisation theta0 (S, p), one seed after the other (the fast path).

    The update is `optimizers.step_direction` (the package's one Adam rule); the loss and gradient come from
    `MLPBuffers`, bit-identical to `TanhMLP.loss_and_grad` without allocating per step, and one network at a time
    keeps its (n, hidden) intermediates in cache (a stacked (S, n, hidden) batch is memory-bound). `adam_iterates`
    on one seed is the reference (tested). Returns per-step train loss and perturbed one-norm ‖∇E(θ^(n))‖_{1,ε}
    (gradient before the step, n = 0..steps−1), and test/train accuracy every `eval_every` steps, as (·, S) arrays.
    `log`, if given, gets one progress line per seed (a point of the default sweeps runs ~10 s per seed).
    """
    theta0 = np.asarray(theta0, dtype=np.float64)
    S = theta0.shape[0]
    rule = UpdateRule(name="adam", beta1=beta, beta2=rho, eps=eps, eps_inside=True, bias_correction=True)
    buffers = MLPBuffers(mlp)
    loss = np.empty((steps, S))
    norm = np.empty((steps, S))
    ev = np.arange(0, steps + 1, eval_every)
    test_acc = np.empty((len(ev), S))
    train_acc = np.empty((len(ev), S))
    param_norm = np.empty(S)
    for s in range(S):
        started = time.perf_counter()
        theta = theta0[s].copy()
        state = init_state(rule, theta.shape)
        k = 0
        for n in range(steps + 1):
            if k < len(ev) and ev[k] == n:
                test_acc[k, s] = mlp.accuracy(theta, Xte, yte)
                train_acc[k, s] = mlp.accuracy(theta)
                k += 1
            if n == steps:
                break
            loss[n, s], g = buffers.loss_and_grad(theta)
            norm[n, s] = perturbed_one_norm(g, eps)
            d, state = step_direction(rule, state, n, 0.0, g)
            theta -= np.multiply(d, h, out=d)  # θ − h·d, in place (d is step_direction's fresh array)
            if not np.all(np.isfinite(theta)):
                raise FloatingPointError(f"Adam (beta={beta}, rho={rho}) diverged at step {n + 1}")
        param_norm[s] = np.linalg.norm(theta, axis=-1)
        if log is not None:
            log(
                f"  beta={beta} rho={rho} seed {s + 1}/{S}: final loss {loss[-1, s]:.3g}, "
                f"max test acc {test_acc[:, s].max():.4f} [{time.perf_counter() - started:.1f} s]"
            )
    return dict(loss=loss, norm=norm, eval_steps=ev, test_acc=test_acc, train_acc=train_acc, param_norm=param_norm)


def matched_loss_norms(loss: np.ndarray, norm: np.ndarray, levels: ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    """‖∇E‖_{1,ε} at the first step whose training loss is below each level, per seed (the matched-loss reading).

    loss, norm: (steps, S) per-step arrays of one run; levels (K,). Returns (norm (K, S), step (K, S)); a level a
    seed never reaches gives NaN and step −1.
    """
    levels = np.asarray(levels, float)
    S = loss.shape[1]
    out = np.full((len(levels), S), np.nan)
    step = np.full((len(levels), S), -1, dtype=np.int64)
    for k, level in enumerate(levels):
        below = loss < level
        reached = below.any(axis=0)
        first = below.argmax(axis=0)
        step[k] = np.where(reached, first, -1)
        out[k] = np.where(reached, norm[first, np.arange(S)], np.nan)
    return out, step


def sweep_summaries(out: dict, cfg: dict) -> dict:
    """Per-(value, seed) summaries of a sweep from its per-step arrays `loss_<v>`, `norm_<v>`, `test_acc_<v>`.

    matched_norm / matched_step (V, K, S): the one-norm (and its step) at the first step with training loss below
    each of `cfg['matched_losses']`; max_test_acc, final_norm, final_loss (V, S).
    """
    V = len(out["values"])
    levels = np.asarray(cfg["matched_losses"], float)
    pairs = [matched_loss_norms(out[f"loss_{v}"], out[f"norm_{v}"], levels) for v in range(V)]
    return dict(
        matched_losses=levels,
        matched_norm=np.stack([m for m, _ in pairs]),
        matched_step=np.stack([s for _, s in pairs]),
        max_test_acc=np.stack([out[f"test_acc_{v}"].max(axis=0) for v in range(V)]),
        final_norm=np.stack([out[f"norm_{v}"][-1] for v in range(V)]),
        final_loss=np.stack([out[f"loss_{v}"][-1] for v in range(V)]),
    )


# the per-(value, seed) arrays of a sweep artifact, key `<name>_<value index>`
PER_VALUE = ("loss", "norm", "test_acc", "train_acc")


def sweep_points(sweep: dict) -> list[tuple[float, float]]:
    """The (β, ρ) of each value of a sweep grid ({vary: rho, beta, values} or {vary: beta, rho, values}), in order."""
    if sweep["vary"] == "beta":
        return [(float(val), float(sweep["rho"])) for val in sweep["values"]]
    return [(float(sweep["beta"]), float(val)) for val in sweep["values"]]


def combine_sweep(points: list[dict], sweep: dict, cfg: dict) -> dict:
    """The artifact of a whole sweep from its points, in the order of `sweep_points(sweep)`.

    A point is the artifact of a one-value sweep at that (β, ρ) (`adam_sweep` or `torch_sweep` on
    {vary: rho, beta: β, values: [ρ]}): its arrays are computed exactly as inside the whole sweep, so the result
    equals `adam_sweep(cfg, sweep)` bit for bit (tested). Two sweeps sharing a (β, ρ) then share its run.
    """
    if len(points) != len(sweep["values"]):
        raise ValueError(f"combine_sweep: {len(points)} points for {len(sweep['values'])} values of {sweep}")
    out = dict(values=np.asarray(sweep["values"], float), seeds=points[0]["seeds"])
    for v, point in enumerate(points):
        if not np.array_equal(point["seeds"], out["seeds"]):
            raise ValueError(f"combine_sweep: point {v} has seeds {point['seeds']}, not {out['seeds']}")
        for key in PER_VALUE:
            out[f"{key}_{v}"] = point[f"{key}_0"]
    out["eval_steps"] = points[0]["eval_steps"]
    out.update(sweep_summaries(out, cfg))
    out.update(num_params=points[0]["num_params"], n_test=points[0]["n_test"])
    return out


def adam_sweep(cfg: dict, sweep: dict, log: Callable[[str], object] = print) -> dict:
    """One sweep (over ρ at fixed β, or over β at fixed ρ) of full-batch Adam on the digits MLP, every seed.

    Arrays: values (V,), seeds (S,), and for every value index v: loss_<v>, norm_<v> (steps, S), test_acc_<v>,
    train_acc_<v> (E, S), eval_steps; the summaries of `sweep_summaries`; num_params p and n_test (the floor of the
    one-norm is p·sqrt(ε); one test image is 1/n_test of accuracy).
    """
    Xtr, ytr, Xte, yte = digits_data(cfg["n_train"], seed=cfg["split_seed"])
    mlp = TanhMLP(Xtr, ytr, cfg["hidden"])
    seeds = list(cfg["seeds"])
    theta0 = np.stack([mlp.init(s) for s in seeds])
    values = np.asarray(sweep["values"], float)
    out: dict[str, Any] = dict(values=values, seeds=np.asarray(seeds))
    fixed = {key: cfg[key] for key in ("h", "eps", "steps", "eval_every")}  # the settings every value shares
    for v, (beta, rho) in enumerate(sweep_points(sweep)):
        started = time.perf_counter()
        res = run_sweep(mlp, Xte, yte, theta0, beta=beta, rho=rho, **fixed, log=log)
        for key in PER_VALUE:
            out[f"{key}_{v}"] = res[key]
        out["eval_steps"] = res["eval_steps"]
        log(
            f"beta={beta} rho={rho}: final loss {res['loss'][-1].mean():.3g}, final norm {res['norm'][-1].mean():.3g}, "
            f"max test acc {res['test_acc'].max(axis=0).mean():.4f} [{time.perf_counter() - started:.1f} s]"
        )
    out.update(sweep_summaries(out, cfg))
    out.update(num_params=np.int64(mlp.p), n_test=np.int64(len(yte)))
    return out


# ------------------------------------------------------------------------------------------------ mechanism
def mechanism_problem(cfg: dict) -> TanhMLP:
    """The small digits MLP of the mechanism experiments (Figure 3's network: n_train samples, tanh hidden layer)."""
    Xtr, ytr, _, _ = digits_data(cfg["n_train"], seed=0)
    return TanhMLP(Xtr, ytr, cfg["hidden"])


def lambda_flow(
    mlp: TanhMLP, theta0: np.ndarray, *, lam: float, eps: float, dt: float, T: float, stop_loss: float
) -> tuple[np.ndarray, np.ndarray]:
    """θ̇ = −D⁻¹(∇E + λ∇N), D = diag(sqrt(g² + ε)), N = ‖∇E‖_{1,ε} (so ∇N = H·g/sqrt(g²+ε), spec §2.2), by RK4 with
    step dt from θ0 until the training loss is below `stop_loss` or t = T.

    λ < 0 is the anti-penalising sign of the correction for ρ > β (spec §2.4 (a)), λ = 0 the first-order flow.
    Returns (loss, N) at t = 0, dt, 2dt, … (NaN after the stop). Raises FloatingPointError if θ stops being finite.
    """
    steps = round(T / dt)
    loss, norm = np.full(steps + 1, np.nan), np.full(steps + 1, np.nan)

    def field(_t, y):
        g = mlp.grad(y)
        s = np.sqrt(g * g + eps)
        if lam == 0.0:
            return -g / s
        return -(g + lam * mlp.hvp(y, g / s)) / s

    theta = np.array(theta0, dtype=np.float64)
    for n in range(steps + 1):
        value, g = mlp.loss_and_grad(theta)
        loss[n], norm[n] = value, perturbed_one_norm(g, eps)
        if n == steps or value < stop_loss:
            break
        theta = rk4(field, theta, n * dt, dt, 1)
        if not np.all(np.isfinite(theta)):
            raise FloatingPointError(f"lambda flow (lambda = {lam}) is not finite at t = {(n + 1) * dt}")
    return loss, norm


def lambda_flows(cfg: dict, log: Callable[[str], object] = print) -> dict:
    """The λ flows of `lambda_flow` for λ ∈ {−δ, 0, +δ} on each seed, and λ = 0 again at dt/2 (the integration error
    of the matched-loss reading). Arrays: lambdas (3,), seeds (S,), levels (K,), loss/norm (3, S, steps+1),
    matched_norm (3, K, S) and matched_time (3, K, S) where the loss crosses each level (`interpolated_at_loss`; NaN
    where it does not), matched_norm_half (K, S) for λ = 0 at dt/2, num_params."""
    mlp = mechanism_problem(cfg)
    delta, eps, dt, T = cfg["delta"], cfg["eps"], cfg["dt"], cfg["T"]
    lambdas = np.array([-delta, 0.0, delta])
    levels = np.asarray(cfg["levels"], float)
    seeds = list(cfg["seeds"])
    steps = round(T / dt)
    loss = np.full((3, len(seeds), steps + 1), np.nan)
    norm = np.full_like(loss, np.nan)
    half = np.full((len(levels), len(seeds)), np.nan)
    stop = float(levels.min())
    for s, seed in enumerate(seeds):
        theta0 = mlp.init(seed)
        for i, lam in enumerate(lambdas):
            started = time.perf_counter()
            loss[i, s], norm[i, s] = lambda_flow(mlp, theta0, lam=lam, eps=eps, dt=dt, T=T, stop_loss=stop)
            log(
                f"seed {seed} lambda={lam:+g}: final loss {np.nanmin(loss[i, s]):.3g} "
                f"[{time.perf_counter() - started:.1f} s]"
            )
        L2, N2 = lambda_flow(mlp, theta0, lam=0.0, eps=eps, dt=dt / 2, T=T, stop_loss=stop)
        half[:, s] = [interpolated_at_loss(L2, N2, level)[0] for level in levels]
    matched = np.full((3, len(levels), len(seeds)), np.nan)
    when = np.full_like(matched, np.nan)
    for i in range(3):
        for s in range(len(seeds)):
            for k, level in enumerate(levels):
                matched[i, k, s], when[i, k, s] = interpolated_at_loss(loss[i, s], norm[i, s], level)
    return dict(
        lambdas=lambdas,
        seeds=np.asarray(seeds),
        levels=levels,
        loss=loss,
        norm=norm,
        matched_norm=matched,
        matched_time=when * dt,
        matched_norm_half=half,
        num_params=np.int64(mlp.p),
    )


def interpolated_at_loss(loss: np.ndarray, norm: np.ndarray, level: float) -> tuple[float, float]:
    """(N, index) where a flow's training loss first crosses `level`, log-linear between the two grid points that
    bracket the crossing (a flow is continuous in time; reading the first grid point below the level would add an
    error of one step's change of N). (NaN, NaN) if the loss never goes below the level."""
    below = np.flatnonzero(np.asarray(loss) < level)
    if below.size == 0:
        return float("nan"), float("nan")
    i = int(below[0])
    if i == 0:
        return float(norm[0]), 0.0
    a, b = np.log(loss[i - 1]), np.log(loss[i])
    w = (np.log(level) - a) / (b - a)
    return float(np.exp((1 - w) * np.log(norm[i - 1]) + w * np.log(norm[i]))), i - 1 + float(w)


def _second_order_flow_vs(mlp, theta0, adam, *, h, beta, rho, eps, sub, stop_error):
    """The second-order piecewise flow (spec §2.2) on the time grid of the Adam iterates `adam` (steps+1, p), stopped
    once it is `stop_error` (∞-norm) away from them or not finite. Returns (flow (steps+1, p), NaN after the stop)."""
    out = np.full_like(adam, np.nan)
    out[0] = theta = np.array(theta0, dtype=np.float64)
    for n in range(len(adam) - 1):

        def field(_t, y, n=n):
            return modified_field(mlp.grad, mlp.hvp, y, h=h, beta=beta, rho=rho, eps=eps, order=2, n=n)

        theta = rk4(field, theta, n * h, h / sub, sub)
        if not np.all(np.isfinite(theta)) or np.max(np.abs(theta - adam[n + 1])) > stop_error:
            break
        out[n + 1] = theta
    return out


def flow_validity(cfg: dict, log: Callable[[str], object] = print) -> dict:
    """Adam at step h for (β, ρ) in `rhos` against its first- and second-order modified flows, on each seed.

    Arrays (R = len(rhos), S seeds, n = 0..steps): err1, err2 (R, S, n+1) = ‖θ^(n) − θ̃_k(nh)‖_∞ (NaN after a
    second-order flow is stopped, `stop_error` away or not finite); gap_adam, gap_flow2 (S, n+1) = the same distance
    between the two ρ runs of Adam and of the second-order flow; correction (R, S, n+1) = ‖bias^(n)‖₂/‖∇E‖₂ along
    Adam (the size of the O(h) correction against the leading term); loss_adam, norm_adam, loss_flow2, norm_flow2
    (R, S, n+1); matched_adam, matched_flow2 (R, K, S) one-norm where the loss crosses each level.
    """
    mlp = mechanism_problem(cfg)
    h, beta, eps, sub = cfg["h"], cfg["beta"], cfg["eps"], cfg["sub"]
    rhos, seeds, levels = (
        list(cfg["rhos"]),
        list(cfg["seeds"]),
        np.asarray(cfg["levels"], float),
    )
    steps = round(cfg["T"] / h)
    R, S, K = len(rhos), len(seeds), len(levels)
    shape = (R, S, steps + 1)
    err1, err2, corr = (
        np.full(shape, np.nan),
        np.full(shape, np.nan),
        np.full(shape, np.nan),
    )
    loss_a, norm_a, loss_f, norm_f = (np.full(shape, np.nan) for _ in range(4))
    gap_adam, gap_flow = (
        np.full((S, steps + 1), np.nan),
        np.full((S, steps + 1), np.nan),
    )
    matched_a, matched_f = np.full((R, K, S), np.nan), np.full((R, K, S), np.nan)
    for s, seed in enumerate(seeds):
        theta0 = mlp.init(seed)
        kw = dict(h=h, beta=beta, eps=eps, steps=steps)
        flow1 = modified_flow(mlp.grad, None, theta0, order=1, sub=sub, rho=rhos[0], **kw)  # independent of ρ
        adams, flows = [], []
        for i, rho in enumerate(rhos):
            started = time.perf_counter()
            adam = adam_iterates(mlp.grad, theta0, rho=rho, **kw)
            flow2 = _second_order_flow_vs(
                mlp,
                theta0,
                adam,
                h=h,
                beta=beta,
                rho=rho,
                eps=eps,
                sub=sub,
                stop_error=cfg["stop_error"],
            )
            err1[i, s] = sup_error(adam, flow1)
            err2[i, s] = sup_error(adam, flow2)
            for n in range(steps + 1):
                loss_a[i, s, n], g = mlp.loss_and_grad(adam[n])
                norm_a[i, s, n] = perturbed_one_norm(g, eps)
                sg = np.sqrt(g * g + eps)
                bias = h * bias_bracket(g, beta=beta, rho=rho, eps=eps, n=n) * mlp.hvp(adam[n], g / sg)
                corr[i, s, n] = np.linalg.norm(bias) / np.linalg.norm(g)
                if np.all(np.isfinite(flow2[n])):
                    loss_f[i, s, n], gf = mlp.loss_and_grad(flow2[n])
                    norm_f[i, s, n] = perturbed_one_norm(gf, eps)
            for k, level in enumerate(levels):
                matched_a[i, k, s] = interpolated_at_loss(loss_a[i, s], norm_a[i, s], level)[0]
                flow_loss = np.nan_to_num(loss_f[i, s], nan=np.inf)
                matched_f[i, k, s] = interpolated_at_loss(flow_loss, norm_f[i, s], level)[0]
            adams.append(adam)
            flows.append(flow2)
            stopped = np.flatnonzero(~np.isfinite(err2[i, s]))
            log(
                f"seed {seed} rho={rho}: err1 {np.max(err1[i, s]):.3g}, err2 {np.nanmax(err2[i, s]):.3g}"
                + (f" (flow stopped at step {stopped[0]})" if stopped.size else "")
                + f" [{time.perf_counter() - started:.1f} s]"
            )
        gap_adam[s] = sup_error(adams[0], adams[-1])
        gap_flow[s] = sup_error(flows[0], flows[-1])
    return dict(
        rhos=np.asarray(rhos, float),
        seeds=np.asarray(seeds),
        levels=levels,
        err1=err1,
        err2=err2,
        gap_adam=gap_adam,
        gap_flow2=gap_flow,
        correction=corr,
        loss_adam=loss_a,
        norm_adam=norm_a,
        loss_flow2=loss_f,
        norm_flow2=norm_f,
        matched_adam=matched_a,
        matched_flow2=matched_f,
    )


def h_scaling(cfg: dict, log: Callable[[str], object] = print) -> dict:
    """Adam at each h of `hs` to the same ODE time T (T/h steps), for each ρ of `rhos`, on each seed.

    The leading-order flow does not depend on ρ, so by Theorem 3.1 the runs of two ρ differ by O(h) at fixed T: the
    one-norm ratio at matched loss minus 1 should shrink ∝ h. Arrays (H step sizes, R = len(rhos), K levels, S
    seeds): matched (H, R, K, S) one-norm where the loss crosses each level, matched_time (H, R, K, S) in ODE time;
    along each run on `num_log` times: time (num_log,), loss, norm, lag (H, R, S, num_log) with lag = the median over
    the coordinates with g ≠ 0 of sqrt(v̂)/|g| (1 when the bias-corrected second moment has caught up with g²) and
    drift (H, R, S, num_log) = d_ρ(n)·|Δ ln E per step| = h·d_ρ(n)·|d ln E/dt|, the second moment's lag in ln E.
    """
    mlp = mechanism_problem(cfg)
    buffers = MLPBuffers(mlp)
    beta, eps, T = cfg["beta"], cfg["eps"], cfg["T"]
    hs, rhos, seeds = list(cfg["hs"]), list(cfg["rhos"]), list(cfg["seeds"])
    levels = np.asarray(cfg["levels"], float)
    times = np.linspace(0.0, T, cfg["num_log"] + 1)[1:]
    H, R, K, S = len(hs), len(rhos), len(levels), len(seeds)
    matched, matched_time = np.full((H, R, K, S), np.nan), np.full((H, R, K, S), np.nan)
    loss_log, norm_log, lag_log, drift_log = (np.full((H, R, S, len(times)), np.nan) for _ in range(4))
    for s, seed in enumerate(seeds):
        theta0 = mlp.init(seed)
        for a, h in enumerate(hs):
            steps = round(T / h)
            at = np.minimum(np.round(times / h).astype(int), steps - 1)  # the logged steps
            for i, rho in enumerate(rhos):
                started = time.perf_counter()
                rule = UpdateRule(
                    name="adam",
                    beta1=beta,
                    beta2=rho,
                    eps=eps,
                    eps_inside=True,
                    bias_correction=True,
                )
                state = init_state(rule, theta0.shape)
                theta = theta0.copy()
                loss, norm = np.empty(steps), np.empty(steps)
                for n in range(steps):
                    loss[n], g = buffers.loss_and_grad(theta)
                    norm[n] = perturbed_one_norm(g, eps)
                    d, state = step_direction(rule, state, n, 0.0, g)
                    j = np.flatnonzero(at == n)
                    if j.size:
                        nz = g != 0.0
                        vhat = state.v / (1.0 - rho ** (n + 1))
                        lag_log[a, i, s, j] = np.median(np.sqrt(vhat[nz]) / np.abs(g[nz]))
                    theta -= h * d
                    if not np.all(np.isfinite(theta)):
                        raise FloatingPointError(f"Adam (h={h}, rho={rho}) diverged at step {n + 1}")
                step_change = np.abs(np.diff(np.log(loss), append=np.nan))
                drift_log[a, i, s] = mean_delay(rho, at) * step_change[at]
                loss_log[a, i, s], norm_log[a, i, s] = loss[at], norm[at]
                for k, level in enumerate(levels):
                    matched[a, i, k, s], where = interpolated_at_loss(loss, norm, level)
                    matched_time[a, i, k, s] = where * h
                log(f"seed {seed} h={h:g} rho={rho}: final loss {loss[-1]:.3g} [{time.perf_counter() - started:.1f} s]")
    return dict(
        hs=np.asarray(hs, float),
        rhos=np.asarray(rhos, float),
        seeds=np.asarray(seeds),
        levels=levels,
        time=times,
        matched=matched,
        matched_time=matched_time,
        loss=loss_log,
        norm=norm_log,
        lag=lag_log,
        drift=drift_log,
    )


# the mechanism experiments by artifact name (rule cat_mech); config key of each under cattaneo2024.mechanism
MECHANISM = {"mech_lambda": lambda_flows, "mech_validity": flow_validity, "mech_hscale": h_scaling}
MECHANISM_KEYS = tuple(name.removeprefix("mech_") for name in MECHANISM)


# ------------------------------------------------------------------------------------------------ config
def check_config(cfg: dict) -> None:
    """Cross-references of the `cattaneo2024` config section that the JSON schema cannot express (errors name keys)."""
    key = "cattaneo2024"
    if cfg["scale"] == "full":
        try:
            import torch  # noqa: F401
        except ImportError:
            raise ValueError(
                f"{key}.scale: 'full' needs PyTorch (pip install '.[full]'); use 'cpu' otherwise"
            ) from None
    for name, grid in cfg["sweeps"]["grids"].items():
        k = f"{key}.sweeps.grids.{name}"
        if grid["vary"] != name:
            raise ValueError(
                f"{k}.vary: must be {name!r} (the grid named {name!r} varies {name}); got {grid['vary']!r}"
            )
        fixed = "beta" if name == "rho" else "rho"
        if fixed not in grid:
            raise ValueError(f"{k}.{fixed}: the {name} sweep needs a fixed {fixed}")
        if name in grid:
            raise ValueError(f"{k}.{name}: {name} is the swept parameter; list it in values only")
        if list(grid["values"]) != sorted(set(grid["values"])):
            raise ValueError(f"{k}.values: must be strictly increasing; got {grid['values']}")
    levels = list(cfg["sweeps"]["matched_losses"])
    if levels != sorted(set(levels), reverse=True):
        raise ValueError(f"{key}.sweeps.matched_losses: must be strictly decreasing; got {levels}")
    for name, spec in cfg["order"].items():
        k = f"{key}.order.{name}"
        if list(spec["h"]) != sorted(set(spec["h"]), reverse=True):
            raise ValueError(f"{k}.h: must be strictly decreasing; got {spec['h']}")
        if spec["problem"] == "mlp":
            missing = [m for m in ("n_train", "hidden", "seed") if m not in spec]
            if missing:
                raise ValueError(f"{k}: the mlp problem needs {missing}")
        if name == "rmsprop" and any(s[0] != 0 for s in spec["settings"]):
            raise ValueError(f"{k}.settings: RMSProp is beta = 0; got {spec['settings']}")
    mom = cfg["momentum"]
    if list(mom["eta"]) != sorted(set(mom["eta"]), reverse=True):
        raise ValueError(f"{key}.momentum.eta: must be strictly decreasing; got {mom['eta']}")
    if list(mom["eps_grid"]) != sorted(set(mom["eps_grid"])):
        raise ValueError(f"{key}.momentum.eps_grid: must be strictly increasing; got {mom['eps_grid']}")
    for name in MECHANISM_KEYS:
        levels = list(cfg["mechanism"][name]["levels"])
        if levels != sorted(set(levels), reverse=True):
            raise ValueError(f"{key}.mechanism.{name}.levels: must be strictly decreasing; got {levels}")
    hs = list(cfg["mechanism"]["hscale"]["hs"])
    if hs != sorted(set(hs), reverse=True):
        raise ValueError(f"{key}.mechanism.hscale.hs: must be strictly decreasing; got {hs}")
    fig2 = cfg["fig2"]
    if fig2["tail"] > round(fig2["T"] / max(fig2["h_grid"] + [fig2["h"]])):
        raise ValueError(f"{key}.fig2.tail: {fig2['tail']} is more than the number of steps T/h of the largest h")


def cross_references(config: dict) -> None:
    check_config(config["cattaneo2024"])
