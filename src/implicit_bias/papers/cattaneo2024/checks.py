"""Theorem checks of cattaneo2024 (spec §3-4): C1-C5, Figures 2, 4, 5 and the matched-loss predictions (ours).

Artifacts are the run files of the pipeline, keyed by name: fcurve (Fig. 1), toy (Fig. 2), order_toy, order_rmsprop,
order_mlp, order_long (Fig. 3 / C1 / C5), momentum (large eps), sweep_rho, sweep_beta (Figs. 4-5 and the matched-loss
predictions), mech (the mechanism experiments). The settings a check depends on are read from the artifact itself.
C2 and C4 read no artifact: they measure the O(h) term of Adam's (C4: of GD with momentum's) own update at a point of a
fixed smooth loss (`backward_error_reference`, apart from the module under test) and compare the code's modified field
with it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from ...backward_error import adam_correction_1d, modified_field
from ...backward_error_reference import adam_direction, extracted_correction, momentum_direction
from ...checks import Artifacts, Check, Criterion, Source, Verdict

__all__ = ["CHECKS", "fitted_slope", "initial_period", "local_slopes", "post_initial_hill", "reached_mean"]

# Order bands of C1 / C5 / Fig. 3 (spec §3.2): the global error of the order-k flow is O(h^k) (backward error
# analysis), so on an h grid of ratio 2 every consecutive pair's local slope log(err(h)/err(h/2))/log 2 tends to k.
# Each local slope must lie within ±0.3 of k (the spec's C1 band), which asserts the asymptotic regime pair by pair
# instead of a least-squares fit that can average a pre-asymptotic pair with an overshooting one.
ORDER_BANDS = {1: (0.8, 1.2), 2: (1.7, 2.3)}
# Training horizon: the loss of every run asserted on falls by at least this factor over the horizon, so closeness is
# tested while the model trains, not over a transient of a few steps.
TRAINING_FALL = 100.0
# "a >> b" read as a >= 10 b (as the 10 memories of the order checks): regime (a) |g| >= 10 sqrt(eps), regime (b)
# eps >= 10 max g^2
MUCH_LARGER = 10.0


def reached_mean(a: ArrayLike, axis: int) -> np.ndarray:
    """Mean along `axis` (the seeds) over the entries that are not NaN, i.e. the seeds that reached a loss level
    (`matched_loss_norms` gives NaN for the others); NaN where no seed reached it. `np.nanmean` without its
    "Mean of empty slice" warning: a level no seed reaches within the run is an outcome (a short smoke run), not an
    error. Same sum and count as `np.nanmean`, so the same bits."""
    a = np.asarray(a, dtype=np.float64)
    reached = ~np.isnan(a)
    count = reached.sum(axis=axis)
    total = np.where(reached, a, 0.0).sum(axis=axis)
    return np.divide(total, count, out=np.full(count.shape, np.nan), where=count > 0)


def fitted_slope(h: ArrayLike, err: ArrayLike) -> float:
    """Least-squares slope of log err against log h."""
    return float(np.polyfit(np.log(h), np.log(err), 1)[0])


def local_slopes(h: ArrayLike, err: ArrayLike) -> np.ndarray:
    """log(err_i/err_{i+1}) / log(h_i/h_{i+1}) for consecutive grid points (largest h first)."""
    h, err = np.asarray(h, float), np.asarray(err, float)
    return np.log(err[:-1] / err[1:]) / np.log(h[:-1] / h[1:])


def _order_check(art, name):
    r = art.runs(name)
    h, settings, err1, err2 = r["h"], r["settings"], r["err1"], r["err2"]
    T = float(r["T"])
    measured, criteria = {}, []
    for s, (b, rho, e) in enumerate(settings):
        key = f"beta={b:g},rho={rho:g},eps={e:g}"
        for k, err in ((1, err1[s]), (2, err2[s])):
            low, high = ORDER_BANDS[k]
            measured[f"{key} fitted slope{k} (reported)"] = fitted_slope(h, err)
            local = f"{key} local slopes{k} (largest h pair .. smallest)"
            measured[local] = local_slopes(h, err).tolist()
            why = (
                f"{'first' if k == 1 else 'second'}-order flow: global error O(h^{k}) by backward error analysis, so "
                f"each consecutive pair's local slope is in [{low}, {high}] asymptotically (spec §3.2 C1 band)"
            )
            criteria += [Criterion(local, ">=", low, why, each=True), Criterion(local, "<=", high, why, each=True)]
        measured[f"{key} err1 (largest h .. smallest)"] = err1[s].tolist()
        measured[f"{key} err2 (largest h .. smallest)"] = err2[s].tolist()
        gain_key = f"{key} err1 - err2 (largest h .. smallest)"
        measured[gain_key] = (err1[s] - err2[s]).tolist()
        memories_key = f"{key} N_min*(1-max(beta,rho))"
        measured[memories_key] = (T / h.max()) * (1.0 - max(b, rho))
        criteria += [
            Criterion(
                gain_key,
                ">",
                0.0,
                "spec §3.2 C1 / §4 Figure 3: the second-order flow is closer than the first-order one, err2 < err1 at "
                "every h",
                each=True,
            ),
            Criterion(
                memories_key,
                ">=",
                10.0,
                "the asymptotics need N = T/h >> the memory 1/(1-max(beta,rho)) (spec §3.4 warning); 10 memories on "
                "the smallest N is an engineering reading of >>",
            ),
        ]
    return measured, criteria


def _loss_fall(art, name, measured):
    r = art.runs(name)
    measured["final loss / initial loss of Adam, per (setting, h) (reported)"] = (
        (r["lossT"] / r["loss0"]).ravel().tolist()
    )


def c1_order_toy(art: Artifacts) -> Verdict:
    """Spec §3.2 C1 on the toy problem: first-order flow O(h), second-order piecewise flow O(h²), over the
    pre-convergence horizon T = 1 from (2.8, 3.5) (the loss fall is reported; `c1_order_long` asks for training)."""
    measured, criteria = _order_check(art, "order_toy")
    _loss_fall(art, "order_toy", measured)
    return measured, criteria


def c5_rmsprop(art: Artifacts) -> Verdict:
    """Spec §3.2 C5: C1 for RMSProp (β = 0)."""
    measured, criteria = _order_check(art, "order_rmsprop")
    beta_key = "beta values"
    measured[beta_key] = art.runs("order_rmsprop")["settings"][:, 0].tolist()
    criteria.append(Criterion(beta_key, "==", 0.0, "RMSProp is Adam with beta = 0 (spec §3.2 C5)", each=True))
    return measured, criteria


def c1_order_mlp(art: Artifacts) -> Verdict:
    """Figure 3's comparison as a short-horizon check on the digits MLP (CPU substitute for truncated MNIST): err2 <
    err1, local slopes 1 and 2 per pair, over T = 0.003125 (500 steps at the largest h), not a training horizon:
    the loss fall over it is reported."""
    measured, criteria = _order_check(art, "order_mlp")
    _loss_fall(art, "order_mlp", measured)
    return measured, criteria


NOT_TESTABLE_GRID = "not testable at this h grid"


def c1_order_long(art: Artifacts) -> Verdict:
    """Thm 3.1 over a pre-convergence training horizon (toy): the C1 orders per h pair while Adam's loss falls at
    least 100-fold, on an h grid that is asymptotic for the run.

    Thm 3.1 holds for any fixed T as h → 0; a finite h grid shows its orders only once h is small against the time
    scale of the first-order field f₁ = −g/sqrt(g² + ε), whose Lipschitz constant along the run (`field_lipschitz`,
    ≈ ‖H‖·ε/(g² + ε)^{3/2} per coordinate) grows to ‖H‖/√ε where a gradient coordinate reaches √ε. The grid counts
    as asymptotic when h·max_n Lip(f₁) ≤ 0.1 at every h; where it is not, the verdict reads "not testable at this h
    grid", not "not reproduced". The configured T = 2 is the last horizon before |g| reaches √ε (a pre-convergence
    horizon): at convergence this grid is not asymptotic (docs/papers/cattaneo2024.md)."""
    measured, criteria = _order_check(art, "order_long")
    r = art.runs("order_long")
    key = "final loss / initial loss, per (setting, h)"
    measured[key] = (r["lossT"] / r["loss0"]).ravel().tolist()
    sqrt_eps = np.sqrt(r["settings"][:, 2])[:, None]
    g_key = "min_n min_j |grad_j E| / sqrt(eps) along Adam's run, per (setting, h) (reported)"
    measured[g_key] = (r["min_abs_grad"] / sqrt_eps).ravel().tolist()
    lip_key = f"h * max_n Lip(first-order field) along Adam's run, per (setting, h) (above 0.1: {NOT_TESTABLE_GRID})"
    measured[lip_key] = (r["h"][None, :] * r["field_lip"]).ravel().tolist()
    criteria.append(
        Criterion(
            lip_key,
            "<=",
            1.0 / MUCH_LARGER,
            "the orders of Thm 3.1 appear once h is small against the time scale of the first-order field: h times "
            "its Lipschitz constant along the run << 1 (0.1 is an engineering reading of <<); where this fails the "
            f"verdict is '{NOT_TESTABLE_GRID}', not 'not reproduced'",
            each=True,
        )
    )
    criteria.append(
        Criterion(
            key,
            "<=",
            1.0 / TRAINING_FALL,
            "Thm 3.1 bounds the error on a fixed horizon T; tested on one where the model trains: the loss falls at "
            "least 100-fold (two decades) on every run (our definition of a training horizon)",
            each=True,
        )
    )
    return measured, criteria


class _SmoothProblem:
    """E(θ) = ½θᵀAθ + bᵀθ + Σ_i cos(θ_i)/4 at a point θ* where ∇E(θ*) is `g_star` (b chosen so): a non-quadratic,
    non-separable loss (A = diag(1..2) + a small symmetric coupling) whose gradient magnitudes are set per regime."""

    def __init__(self, g_star: ArrayLike, seed: int = 0):
        g_star = np.asarray(g_star, dtype=np.float64)
        p = len(g_star)
        rng = np.random.default_rng(seed)
        M = 0.1 * rng.normal(size=(p, p))
        self.A = np.diag(np.linspace(1.0, 2.0, p)) + (M + M.T) / 2
        self.theta = rng.normal(size=p)
        self.b = g_star - self.A @ self.theta + np.sin(self.theta) / 4

    def grad(self, th):
        return self.A @ th + self.b - np.sin(th) / 4

    def hvp(self, th, v):
        return self.A @ v - np.cos(th) * v / 4


# h grid of the extraction (ratio 2): the extracted correction's error is O(h), so the distance to the code's
# correction halves with h when the code is right and stays put when it is wrong.
EXTRACT_H = (1e-3, 5e-4, 2.5e-4, 1.25e-4)
EXTRACT_SLOPE = 0.8  # the spec's C1 band for an O(h) error (1 ± 0.2), lower end
# gradient magnitudes: regime (a)/(b) at |g| of order 1 (sqrt(eps) << |g| for eps = 1e-10, >> for eps = 1e4);
# regime (c) spread across the bracket's zero crossing g*^2 = eps(C/(-A) - 1), a factor >= 2 from it on each side
G_ORDER_ONE = (3.0, -2.0, 1.5, -1.0, 0.7, -0.5)
G_SPREAD = (2.0, -1.0, 0.5, -0.1, 0.05, -0.02)
# (label, beta, rho, eps, piece n or None for the large-n form, gradients at θ*)
REGIMES = (
    ("(a) small eps, rho > beta", 0.5, 0.9, 1e-10, None, G_ORDER_ONE),
    ("(a) small eps, beta > rho", 0.9, 0.5, 1e-10, None, G_ORDER_ONE),
    ("(b) large eps", 0.5, 0.9, 1e4, None, G_ORDER_ONE),
    ("(c) intermediate eps, rho > beta", 0.5, 0.9, 16 / 3 * 0.04, None, G_SPREAD),
    ("piece n = 5 (bias correction)", 0.5, 0.9, 1e-2, 5, G_SPREAD),
)
LARGE_N_HISTORY = 400  # steps of past for the large-n form: 0.9^400 ~ 5e-19, the initial period is gone


def _regime_extraction(beta, rho, eps, n, g_star):
    """Relative distance between the correction extracted from Adam's update and the code's, per h; and the bracket
    read off the extracted correction at the smallest h (bracket_j = −C_j·s_j/(H·g/s)_j)."""
    prob = _SmoothProblem(g_star)
    th = prob.theta

    def field1(x):
        g = prob.grad(x)
        return -g / np.sqrt(g * g + eps)

    def direction(grads):
        return adam_direction(grads, beta=beta, rho=rho, eps=eps)

    history = LARGE_N_HISTORY if n is None else n
    dist, extracted = [], None
    for h in EXTRACT_H:
        C = extracted_correction(prob.grad, field1, direction, th, h=h, history=history, sub=1)
        code = modified_field(prob.grad, prob.hvp, th, h=h, beta=beta, rho=rho, eps=eps, order=2, n=n) - field1(th)
        code = code / h
        dist.append(float(np.max(np.abs(C - code)) / np.max(np.abs(code))))
        extracted = C
    g = prob.grad(th)
    s = np.sqrt(g * g + eps)
    bracket = -extracted * s / prob.hvp(th, g / s)
    return np.array(dist), bracket, g


def c2_regimes(art: Artifacts) -> Verdict:
    """Spec §2.2-2.4 / C2: the correction of the code's second-order flow is the O(h) term of Adam's own update, in
    each ε regime and on an early piece; the bracket read off Adam's update has the regime's sign."""
    measured, criteria = {}, []
    slope_why = (
        "the correction extracted from Adam's update (Definition 1.1 written out, fed the first-order flow's past) "
        "has an O(h) error, so its distance to the code's correction falls at order 1 per halving of h; the lower "
        "end of the spec's C1 band for order 1 (0.8). A wrong bracket leaves a plateau (slope ~0)"
    )
    brackets = {}
    for label, beta, rho, eps, n, g_star in REGIMES:
        dist, bracket, g = _regime_extraction(beta, rho, eps, n, g_star)
        brackets[label] = (bracket, g, beta, rho, eps)
        key = f"{label}: local slopes of |C_adam - C_code|/|C_code| over h"
        measured[f"{label}: |C_adam - C_code|/|C_code| (largest h .. smallest, reported)"] = dist.tolist()
        measured[key] = local_slopes(EXTRACT_H, dist).tolist()
        measured[f"{label}: bracket from Adam's update at h = {EXTRACT_H[-1]:g} (reported)"] = bracket.tolist()
        criteria.append(Criterion(key, ">=", EXTRACT_SLOPE, slope_why, each=True))
    # signs of the bracket read off Adam's update (spec §2.4)
    neg = brackets["(a) small eps, rho > beta"][0]
    pos = brackets["(a) small eps, beta > rho"][0]
    large = brackets["(b) large eps"][0]
    bc, gc, b, r, e = brackets["(c) intermediate eps, rho > beta"]
    a_const, c_const = (1 + b) / (1 - b) - (1 + r) / (1 - r), (1 + r) / (1 - r)
    crossing = e * (c_const / -a_const - 1.0)  # g*^2 where ½{A + C·ε/(g²+ε)} = 0
    predicted = np.where(gc * gc < crossing, 1.0, -1.0)
    anti_penalised_key = "(a) rho > beta: max bracket from Adam's update"
    penalised_key = "(a) beta > rho: min bracket from Adam's update"
    large_eps_key = "(b) large eps: min bracket from Adam's update"
    intermediate_key = "(c) coordinates whose bracket sign is sign(g*^2 - g_j^2)"
    measured.update(
        {
            anti_penalised_key: float(neg.max()),
            penalised_key: float(pos.min()),
            large_eps_key: float(large.min()),
            intermediate_key: (np.sign(bc) == predicted).tolist(),
        }
    )
    criteria += [
        Criterion(
            anti_penalised_key,
            "<",
            0.0,
            "spec §2.4(a): for sqrt(eps) << |g| and rho > beta the bracket is negative in every coordinate (the "
            "one-norm is anti-penalised)",
        ),
        Criterion(
            penalised_key,
            ">",
            0.0,
            "spec §2.4(a): for sqrt(eps) << |g| and beta > rho the bracket is positive in every coordinate",
        ),
        Criterion(
            large_eps_key,
            ">",
            0.0,
            "spec §2.4(b): for sqrt(eps) >> |g| the bracket tends to (1+beta)/(2(1-beta)) > 0 whatever rho (penalty)",
        ),
        Criterion(
            intermediate_key,
            "==",
            True,
            "spec §2.4(c): with rho > beta the bracket is positive where g_j^2 < g*^2 = eps(C/(-A) - 1) and negative "
            "above it (coordinates a factor >= 2 from the crossing)",
            each=True,
        ),
    ]
    return measured, criteria


def c3_figure1(art: Artifacts) -> Verdict:
    """Spec §2.5 / C3: closed-form F vs quadrature; F decreasing in |x| for x ≫ √ε iff ρ > β; quadratic near 0."""
    r = art.runs("fcurve")
    meta = art.experiment("fcurve")
    h, beta = meta["h"], meta["beta"]
    x, F, eps, rho = r["x"], r["F"], r["eps"], r["rho"]
    rel = np.abs(r["Fq_closed"] - r["Fq_quad"]) / np.maximum(np.abs(r["Fq_quad"]), 1e-300)
    quadrature_key = "max rel |closed - quad|"
    measured = {quadrature_key: float(rel.max())}
    not_dec, not_inc, n_dec = 0, 0, 0
    pos = x > 0
    for i, e in enumerate(eps):
        for j, rh in enumerate(rho):
            dF = np.diff(F[i, j][pos])
            xm = x[pos][1:]
            if rh > beta:
                far = xm >= 10 * np.sqrt(e)
                if far.any():
                    n_dec += 1
                    not_dec += int(np.sum(~(dF[far] < 0)))
            else:
                not_inc += int(np.sum(~(dF > 0)))
    dec_key = "violations of 'F decreasing for x >= 10 sqrt(eps)', rho > beta panels"
    n_key = "rho > beta panels tested for the decrease"
    inc_key = "violations of 'F increasing on x > 0', rho <= beta panels"
    measured[dec_key] = not_dec
    measured[n_key] = n_dec
    measured[inc_key] = not_inc
    # quadratic penalty near 0 (closed form at |x| = 1e-3 √ε)
    worst = 0.0
    for e in eps:
        for rh in rho:
            xs = 1e-3 * np.sqrt(e)
            approx = h * (1 + beta) * xs**2 / (4 * (1 - beta) * np.sqrt(e))
            worst = max(worst, abs(adam_correction_1d(xs, h=h, beta=beta, rho=float(rh), eps=float(e)) / approx - 1))
    near0_key = "max rel |F - h(1+b)x^2/(4(1-b)sqrt(eps))| at x = 1e-3 sqrt(eps)"
    measured[near0_key] = worst
    # sign of F(1) (spec §4, Figure 1)
    f_rho_0999_key = "F(1), rho=0.999, eps=1e-4"
    measured[f_rho_0999_key] = float(adam_correction_1d(1.0, h=h, beta=beta, rho=0.999, eps=1e-4))
    f_rho_09_key = "F(1), rho=0.9, eps=1e-4"
    measured[f_rho_09_key] = float(adam_correction_1d(1.0, h=h, beta=beta, rho=0.9, eps=1e-4))
    criteria = [
        Criterion(quadrature_key, "<=", 1e-10, "spec §3.2 C3: closed form = quadrature to 1e-10 relative"),
        Criterion(
            dec_key,
            "<=",
            0,
            "spec §3.2 C3: F' < 0 for x >> sqrt(eps) when rho > beta, at every grid point (10 sqrt(eps) is an "
            "engineering reading of >>)",
        ),
        Criterion(n_key, ">=", 1, "the decrease must be tested on at least one panel, or it is not tested"),
        Criterion(inc_key, "<=", 0, "spec §3.2 C3: F' > 0 for all x > 0 when rho <= beta, at every grid point"),
        Criterion(
            near0_key,
            "<",
            1e-4,
            "engineering tolerance above the next term of the expansion, relative O(x^2/eps) = 1e-6 at "
            "x = 1e-3 sqrt(eps)",
        ),
        Criterion(f_rho_0999_key, "<", 0.0, "spec §4 Figure 1: sign F(1) < 0 for rho = 0.999, eps = 1e-4"),
        Criterion(f_rho_09_key, ">", 0.0, "spec §4 Figure 1: sign F(1) > 0 for rho = 0.9"),
    ]
    return measured, criteria


def c4_momentum_limit(art: Artifacts) -> Verdict:
    """Spec §2.4(b) / C4: at ε ≫ g² with h = η√ε, the code's second-order Adam field (times √ε) is the modified flow
    of GD with EMA momentum at step η, whose correction −η(1+β)/(2(1−β))·Hg = −η(1+β)/(4(1−β))·∇‖∇E‖² penalises the
    squared two-norm; both measured against the correction extracted from the momentum update itself."""
    beta, rho, eps = 0.9, 0.999, 1e12
    prob = _SmoothProblem(G_ORDER_ONE, seed=1)
    th = prob.theta
    g = prob.grad(th)
    hg = prob.hvp(th, g)
    penalty = -(1 + beta) / (2 * (1 - beta)) * hg  # −∇ of (1+β)/(4(1−β))‖∇E‖², per unit η

    def direction(grads):
        return momentum_direction(grads, beta=beta)

    to_code, to_penalty = [], []
    for eta in EXTRACT_H:
        C = extracted_correction(
            prob.grad, lambda x: -prob.grad(x), direction, th, h=eta, history=LARGE_N_HISTORY, sub=1
        )
        adam = np.sqrt(eps) * modified_field(
            prob.grad, prob.hvp, th, h=eta * np.sqrt(eps), beta=beta, rho=rho, eps=eps, order=2
        )
        code = (adam + g) / eta  # the O(η) coefficient of the code's rescaled Adam field
        to_code.append(float(np.max(np.abs(C - code)) / np.max(np.abs(code))))
        to_penalty.append(float(np.max(np.abs(C - penalty)) / np.max(np.abs(penalty))))
    k_code = "local slopes of |C_momentum - C_adam(eps=1e12)|/|C_adam| over eta"
    k_pen = "local slopes of |C_momentum + (1+beta)/(2(1-beta)) Hg|/|...| over eta"
    measured = {
        "|C_momentum - C_adam|/|C_adam| (largest eta .. smallest, reported)": to_code,
        k_code: local_slopes(EXTRACT_H, to_code).tolist(),
        "|C_momentum - penalty|/|penalty| (largest eta .. smallest, reported)": to_penalty,
        k_pen: local_slopes(EXTRACT_H, to_penalty).tolist(),
    }
    why = (
        "the correction extracted from the momentum update (fed the gradient flow's past) has an O(eta) error, so "
        "its distance to the limit falls at order 1 per halving of eta; the lower end of the spec's C1 band for "
        "order 1 (0.8). A different limit leaves a plateau (slope ~0)"
    )
    criteria = [
        Criterion(k_code, ">=", EXTRACT_SLOPE, why, each=True),
        Criterion(k_pen, ">=", EXTRACT_SLOPE, why, each=True),
    ]
    return measured, criteria


def momentum_eps_distance(art: Artifacts) -> Verdict:
    """At h = η√ε Adam's iterates approach GD with EMA momentum at step η like 1/ε. A consistency fact, by algebra:
    sqrt(v̂ + ε) = √ε(1 + v̂/(2ε) + …), so each Adam step differs from the momentum step by O(1/ε); measured on the
    run of `ex21_momentum_dynamics` at its largest η."""
    r = art.runs("momentum")
    eps_grid, eps_dist = r["eps_grid"], r["eps_dist"]
    key = "local slopes of log distance vs log eps (per decade of eps)"
    large_eps_key = "smallest eps / max g_j^2 along the runs"
    measured = {
        "max_n |Adam(eps) - momentum|_inf over eps_grid (reported)": eps_dist.tolist(),
        key: local_slopes(eps_grid, eps_dist).tolist(),
        large_eps_key: float(min(eps_grid.min(), r["eps"]) / r["max_grad_sq"]),
    }
    rate = (
        "sqrt(v_hat + eps) = sqrt(eps)(1 + v_hat/(2 eps) + ...): at h = eta sqrt(eps) Adam's step differs from the "
        "momentum step by O(1/eps), so each decade of eps cuts the distance tenfold; slope -1 within the spec's C1 "
        "band width (±0.2)"
    )
    criteria = [
        Criterion(key, ">=", -1 - 0.2, rate, each=True),
        Criterion(key, "<=", -1 + 0.2, rate, each=True),
        Criterion(
            large_eps_key,
            ">=",
            MUCH_LARGER,
            "the expansion needs v_hat << eps, i.e. sqrt(eps) >> |g| along the whole run (spec §2.4(b)); 10 is an "
            "engineering reading of >>",
        ),
    ]
    return measured, criteria


def ex21_momentum_dynamics(art: Artifacts) -> Verdict:
    """Spec reconstruction of Example 2.1 (the paper's own parametrisation is not in the spec), run: at √ε ≫ |g|,
    Adam with h = η√ε is GD with EMA momentum at step η (`momentum_eps_distance`), and its iterates follow the
    momentum method's modified flow, which penalises the squared two-norm (spec §2.4(b)), to O(η²) over a training
    horizon, against O(η) for the gradient flow. At β = 0.9 this η grid is pre-asymptotic (second-order local slopes
    1.38, 1.62, 1.79, moving toward 2): not testable at this budget; β = 0.5 (configured) and 0.7 pass
    (docs/papers/cattaneo2024.md)."""
    r = art.runs("momentum")
    eta, err1, err2 = r["eta"], r["err1"], r["err2"]
    slopes1_key = "local slopes1 over eta"
    slopes2_key = "local slopes2 over eta"
    gain_key = "err1 - err2 per eta"
    loss_fall_key = "final loss / initial loss per eta"
    large_eps_key = "smallest eps / max g_j^2 along the runs"
    measured = {
        "beta": float(r["beta"]),
        "err1 (gradient flow), largest eta .. smallest (reported)": err1.tolist(),
        "err2 (momentum modified flow), largest eta .. smallest (reported)": err2.tolist(),
        slopes1_key: local_slopes(eta, err1).tolist(),
        slopes2_key: local_slopes(eta, err2).tolist(),
        gain_key: (err1 - err2).tolist(),
        loss_fall_key: (r["loss_final"] / r["loss0"]).tolist(),
        large_eps_key: float(r["eps"] / r["max_grad_sq"]),
    }
    lo1, hi1 = ORDER_BANDS[1]
    lo2, hi2 = ORDER_BANDS[2]
    order_why = (
        "backward error analysis of GD with momentum (Example 2.1): global error O(eta^{k}) for the order-{k} flow, "
        "so each consecutive eta pair's local slope is in the spec's C1 band [{lo}, {hi}]"
    )
    criteria = [
        Criterion(slopes1_key, ">=", lo1, order_why.format(k=1, lo=lo1, hi=hi1), each=True),
        Criterion(slopes1_key, "<=", hi1, order_why.format(k=1, lo=lo1, hi=hi1), each=True),
        Criterion(slopes2_key, ">=", lo2, order_why.format(k=2, lo=lo2, hi=hi2), each=True),
        Criterion(slopes2_key, "<=", hi2, order_why.format(k=2, lo=lo2, hi=hi2), each=True),
        Criterion(
            gain_key,
            ">",
            0.0,
            "the flow penalising the squared two-norm is closer than the gradient flow at every eta",
            each=True,
        ),
        Criterion(
            loss_fall_key,
            "<=",
            1.0 / TRAINING_FALL,
            "a training horizon: the loss falls at least 100-fold (two decades), so closeness is tested while the "
            "model trains, not over a transient (our definition of a training horizon)",
            each=True,
        ),
        Criterion(
            large_eps_key,
            ">=",
            MUCH_LARGER,
            "regime (b) needs sqrt(eps) >> |g| along the whole run (spec §2.4(b)); 10 is an engineering reading of >>",
        ),
    ]
    return measured, criteria


# the end point is on the minimiser set: the settled gate of fig2_toy
SETTLED_LOSS = 1e-3


def regime_b_bias(art: Artifacts) -> Verdict:
    """Derived prediction (this project's reading of the spec §2.4(b) correction, not a statement or figure of the
    paper), run: at √ε ≫ |g| the finite step moves Adam's end point, against the gradient flow's, toward the
    minimisers of the squared gradient two-norm on the level sets (the diagonal θ1 = θ2 of the toy problem, D =
    |θ1| + |θ2| smaller), by an O(η) shift. That the momentum modified flow predicts the shift to relative O(η) is
    implied by `ex21_momentum_dynamics`' O(η²) closeness (|Δshift| ≤ 2·err2), so it is reported here, not asserted."""
    r = art.runs("momentum")
    eta = r["eta"]

    def D(x):
        return np.abs(x).sum(axis=-1)

    shift_adam = D(r["end_adam"]) - D(r["end_flow1"])
    shift_flow = D(r["end_flow2"]) - D(r["end_flow1"])
    rel = np.abs(shift_adam - shift_flow) / np.abs(shift_adam)
    k_rel = "local slopes of |shift_Adam - shift_flow|/|shift_Adam| over eta"
    shift_key = "shift of D, Adam(eps) - gradient flow, per eta"
    slopes_key = "local slopes of |shift_Adam| over eta"
    final_loss_key = "final loss of the Adam runs, max"
    measured = {
        shift_key: shift_adam.tolist(),
        "shift of D, momentum flow - gradient flow, per eta (reported)": shift_flow.tolist(),
        slopes_key: local_slopes(eta, np.abs(shift_adam)).tolist(),
        "|shift_Adam - shift_flow|/|shift_Adam| per eta (reported)": rel.tolist(),
        k_rel + " (reported; implied by ex21's O(eta^2) closeness)": local_slopes(eta, rel).tolist(),
        final_loss_key: float(r["loss_final"].max()),
    }
    lo, hi = ORDER_BANDS[1]
    criteria = [
        Criterion(
            shift_key,
            "<",
            0.0,
            "derived from spec §2.4(b) (ours): the modified flow penalises the squared two-norm, whose minimisers "
            "on the level sets 2 t1 t2 - 1.5 = c are the diagonal, so Adam ends nearer it than the gradient flow (D "
            "smaller), at every eta",
            each=True,
        ),
        Criterion(
            slopes_key,
            ">=",
            lo,
            f"the shift is the O(eta) term of the modified flow: local slopes in the spec's C1 band [{lo}, {hi}]",
            each=True,
        ),
        Criterion(
            slopes_key,
            "<=",
            hi,
            f"the shift is the O(eta) term of the modified flow: local slopes in the spec's C1 band [{lo}, {hi}]",
            each=True,
        ),
        Criterion(
            final_loss_key,
            "<",
            SETTLED_LOSS,
            "the end points are on the minimiser set (the settled gate of fig2_toy, an engineering threshold)",
        ),
    ]
    return measured, criteria


# Figures 4-5 as the paper states them: "As rho increases, the norm rises and the test accuracy falls" (Fig. 4,
# beta = 0.99, eps = 1e-8, five seeds averaged) and "The perturbed one-norm falls as beta increases, and the test
# accuracy rises" (Fig. 5, rho = 0.999, eps = 1e-8, three seeds averaged), where "the perturbed norms are also maximal
# after excluding the initial training period (i.e. the plotted norms are at peaks of the hills)".
PAPER_EPS = 1e-8  # Figs. 4-5 caption
PAPER_FIXED = {"sweep_rho": ("beta", 0.99), "sweep_beta": ("rho", 0.999)}  # Figs. 4 and 5 captions
INITIAL_FRACTION = 0.1  # the excluded initial period: the paper gives no length; spec §5 item 8 recommends 10 %


def initial_period(steps: int, beta: float, rho: float) -> int:
    """Steps excluded as the initial period: 10 % of the run (spec §5 item 8), and at least the bias correction's
    memory 1/(1 − max(β, ρ)) (its transient, spec §2.2: d(n) ≈ n/2 for small n)."""
    return int(max(np.ceil(INITIAL_FRACTION * steps), np.ceil(1.0 / (1.0 - max(beta, rho)))))


def post_initial_hill(norm: np.ndarray, cut: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per run (columns of `norm`, steps × S): (hill?, peak after the cut, rise of the peak over the value at the cut).

    A hill is a maximum of the one-norm after the initial period that lies strictly inside the rest of the run and
    rises above the value at the cut by more than the run's own largest step-to-step relative change after the cut
    (a noise floor measured from the run: one oscillation of Adam is not a hill).
    """
    after = np.asarray(norm, dtype=np.float64)[cut:]
    if after.shape[0] < 3:
        raise ValueError(f"post_initial_hill: {after.shape[0]} steps after the initial period {cut}; need >= 3")
    k = np.argmax(after, axis=0)
    peak = np.max(after, axis=0)
    rise = peak / after[0] - 1.0
    wiggle = np.max(np.abs(after[1:] / after[:-1] - 1.0), axis=0)
    hill = (k > 0) & (k < after.shape[0] - 1) & (rise > wiggle)
    return hill, peak, rise


def _hill_check(art, name, sign):
    """The paper's Fig. 4 (sign +1, ρ) or Fig. 5 (sign −1, β) claim on the sweep artifact `name`."""
    r = art.runs(name)
    meta = art.experiment(name)
    vary = meta["vary"]
    fixed, paper_fixed = PAPER_FIXED[name]
    values = np.asarray(r["values"], float)
    steps = int(meta["steps"])
    hills, peaks, rises, at_cut, cuts = [], [], [], [], []
    for v, value in enumerate(values):
        beta, rho = (float(meta["beta"]), value) if vary == "rho" else (value, float(meta["rho"]))
        cut = initial_period(steps, beta, rho)
        hill, peak, rise = post_initial_hill(r[f"norm_{v}"], cut)
        hills.append(hill)
        peaks.append(np.where(hill, peak, np.nan))  # no hill: no hill peak to compare
        rises.append(rise)
        at_cut.append(int(np.sum(np.argmax(r[f"norm_{v}"][cut:], axis=0) == 0)))
        cuts.append(cut)
    hills, peaks, rises = np.array(hills), np.array(peaks), np.array(rises)  # (V, S)
    # seed mean of the hill peak per value (the paper averages over seeds); NaN unless every seed has a hill
    mean_peak = np.where(np.all(hills, axis=1), np.mean(np.where(hills, peaks, 0.0), axis=1), np.nan)
    step_key = f"{'+' if sign > 0 else '-'}(seed-mean hill peak at the next {vary} - at this {vary}), per grid step"
    acc = r["max_test_acc"]
    word = "rises with rho" if sign > 0 else "falls with beta"
    hill_key = "runs with a one-norm hill after the initial period (fraction of value x seed)"
    eps_key = "eps of the runs"
    fixed_key = f"{fixed} (fixed)"
    measured = {
        f"{vary} values": values.tolist(),
        hill_key: float(np.mean(hills)),
        eps_key: float(meta["eps"]),
        fixed_key: float(meta[fixed]),
        step_key: (sign * np.diff(mean_peak)).tolist(),
        "initial period excluded, steps per value": cuts,
        "runs whose maximum after the initial period is at its first step (per value, of seeds)": at_cut,
        "largest rise of the one-norm after the initial period over its value there, per value": np.max(
            rises, axis=1
        ).tolist(),
        "max of the one-norm after the initial period, seed mean per value (reported)": np.mean(
            np.stack([np.max(r[f"norm_{v}"][c:], axis=0) for v, c in enumerate(cuts)]), axis=1
        ).tolist(),
        "max test accuracy, seed mean per value (reported)": np.mean(acc, axis=1).tolist(),
        "seeds": int(acc.shape[1]),
    }
    criteria = [
        Criterion(
            hill_key,
            "==",
            1.0,
            "the paper's plotted norm is the peak of the hill after the initial period (Figs. 4-5 captions); a run "
            "without a hill has no such peak, and the claim is not testable on it",
        ),
        Criterion(eps_key, "==", PAPER_EPS, "the paper's setting: eps = 1e-8 (Figs. 4-5 captions)"),
        Criterion(fixed_key, "==", paper_fixed, f"the paper's setting: {fixed} = {paper_fixed:g}"),
        Criterion(
            step_key,
            ">",
            0.0,
            f"Fig. {4 if sign > 0 else 5} caption: the perturbed one-norm (hill peak, averaged over seeds) {word}, "
            "at every step of the grid",
            each=True,
        ),
    ]
    return measured, criteria


def fig4_hill(art: Artifacts) -> Verdict:
    """Figure 4 as stated: the seed-mean peak of the one-norm hill after the initial period rises with ρ (β = 0.99,
    ε = 1e-8). Max test accuracy (which the paper says falls) is reported."""
    return _hill_check(art, "sweep_rho", +1)


def fig5_hill(art: Artifacts) -> Verdict:
    """Figure 5 as stated: the seed-mean peak of the one-norm hill after the initial period falls with β (ρ = 0.999,
    ε = 1e-8). Max test accuracy (which the paper says rises) is reported."""
    return _hill_check(art, "sweep_beta", -1)


# A prediction of this project, not of the paper: the one-norm compared at matched training loss. On piece n the
# correction is h·{d_β(n) + ½·ε/(g²+ε) − d_ρ(n)·g²/(g²+ε)}·∂_j‖∇E‖_{1,ε} (spec §2.2); a positive brace penalises the
# perturbed one-norm, a negative one anti-penalises it, and the mean delays d_β(n), d_ρ(n) grow with β, ρ at every n.
# Read as a direct effect on the path, a larger ρ should leave a larger one-norm at equal training loss and a larger β
# a smaller one. The accumulated change of the path has no fixed sign, so this reading can fail where the theorem holds.
MECHANISM_MEMORIES = 10.0  # run length ≥ 10/(1 − max(β, ρ)): the large-n form needs n ≫ 1/(1−ρ) (spec §3.4, §5 item 2)
MECHANISM_SEEDS = 10  # paired comparison on ≥ 10 initialisations
MECHANISM_FLOOR = 0.01  # p·sqrt(ε) below 1% of every matched norm: regime (a), sqrt(ε) ≪ |g| (spec §2.4)


def _mechanism_check(art, name, sign):
    """Paired per-seed comparison of ‖∇E‖_{1,ε} at matched training loss between the extreme swept values.

    sign +1: predicted to rise with the swept value (ρ); −1: to fall (β).
    """
    r = art.runs(name)
    meta = art.experiment(name)
    vary = meta["vary"]
    fixed = "beta" if vary == "rho" else "rho"
    values, levels = r["values"], r["matched_losses"]
    M = r["matched_norm"]  # (V, K, S)
    steps, S = int(meta["steps"]), M.shape[2]
    ratio = M[-1] / M[0]  # (K, S): norm at the largest value over norm at the smallest, same seed, same loss
    # the predicted direction holds on a seed when it holds at every loss level (NaN if a level is not reached)
    margin = sign * (ratio - 1.0)
    per_seed = np.where(np.all(np.isfinite(margin), axis=0), np.min(margin, axis=0), np.nan)
    memory = max(float(values.max()), float(meta[fixed]))
    floor = float(r["num_params"]) * np.sqrt(float(meta["eps"]))
    acc = r["max_test_acc"]
    d_acc = acc[-1] - acc[0]
    n_test = int(r["n_test"])
    word = "rises with rho" if sign > 0 else "falls with beta"
    key_seed = f"min over loss levels of {'+' if sign > 0 else '-'}(norm({vary}_max)/norm({vary}_min) - 1), per seed"
    from scipy.stats import spearmanr  # about 0.4 s to import: not at module level, which the workflow's DAG loads

    spearman = [[float(spearmanr(values, M[:, k, s]).statistic) for s in range(S)] for k in range(len(levels))]
    # memories 1/(1 - max(beta, rho)) of each run elapsed when it reaches each level: the large-n form of the
    # correction holds only many memories in, whatever the run's total length
    rho_or_beta = np.maximum(values, float(meta[fixed]))[:, None, None]
    memories = np.where(r["matched_step"] >= 0, r["matched_step"] * (1.0 - rho_or_beta), np.nan)
    reached_key = "fraction of (value, level, seed) reaching the level"
    seeds_key = "seeds"
    memories_key = "fewest memories 1/(1-max(beta,rho)) elapsed at a matched level (any value, level, seed)"
    floor_key = "floor p*sqrt(eps) / smallest matched norm"
    measured = {
        f"{vary} values": values.tolist(),
        f"{fixed} (fixed)": float(meta[fixed]),
        "matched training-loss levels": levels.tolist(),
        key_seed: per_seed.tolist(),
        f"norm({vary}_max)/norm({vary}_min), seed mean per level": reached_mean(ratio, axis=1).tolist(),
        "fraction of seeds with the predicted sign, per level (reported)": np.mean(margin > 0, axis=1).tolist(),
        f"Spearman({vary}, norm) seed mean per level (reported)": [
            float(np.mean(x)) if x else float("nan") for x in spearman
        ],
        "matched norm seed mean (rows values, cols levels)": reached_mean(M, axis=2).tolist(),
        "step reaching each level, seed median (rows values, cols levels)": np.median(
            r["matched_step"], axis=2
        ).tolist(),
        "memories 1/(1-max(beta,rho)) elapsed at each level, seed mean (rows values, cols levels) (reported)": (
            reached_mean(memories, axis=2).tolist()
        ),
        reached_key: float(np.mean(r["matched_step"] >= 0)),
        seeds_key: S,
        "steps * (1 - max(beta, rho)) (reported)": steps * (1.0 - memory),
        memories_key: float(np.nanmin(memories)) if np.isfinite(memories).any() else float("nan"),
        floor_key: floor / float(np.nanmin(M)) if np.isfinite(M).any() else float("nan"),
        f"max test acc({vary}_max) - max test acc({vary}_min), seed mean (reported)": float(d_acc.mean()),
        f"same, in test images of {n_test}, per seed (reported)": (d_acc * n_test).round(2).tolist(),
        f"seeds with higher max test acc at {vary}_max / lower (reported)": [
            int(np.sum(d_acc > 0)),
            int(np.sum(d_acc < 0)),
        ],
    }
    criteria = [
        Criterion(
            key_seed,
            ">",
            0.0,
            "derived prediction (this project's reading of the first-order correction, spec §2.2-2.4; the paper "
            "makes no statement at matched loss): the brace d_beta(n) + eps/(2(g^2+eps)) - d_rho(n) g^2/(g^2+eps) "
            f"falls with rho and rises with beta at every n, so at equal training loss the perturbed one-norm {word}; "
            "paired on each seed, at every level",
            each=True,
        ),
        Criterion(
            reached_key,
            "==",
            1.0,
            "every run reaches every matched loss level, or the comparison is not at matched loss",
        ),
        Criterion(seeds_key, ">=", MECHANISM_SEEDS, "a paired comparison on at least 10 initialisations"),
        Criterion(
            memories_key,
            ">=",
            MECHANISM_MEMORIES,
            "not testable unless met: the large-n form of the correction, on which the prediction rests, needs "
            "n >> 1/(1-rho) at the step where the one-norm is read (spec §3.4 warning, §5 item 2; 10 is an engineering "
            "reading of >>, as the order checks' horizons), so every matched level must be reached at least 10 "
            "memories in, whatever the run's total length",
        ),
        Criterion(
            floor_key,
            "<=",
            MECHANISM_FLOOR,
            "regime (a) of spec §2.4 needs sqrt(eps) << |g|: the eps floor p*sqrt(eps) of the perturbed one-norm is "
            "below 1% of every matched value, so the norm measures the gradient, not eps",
        ),
    ]
    return measured, criteria


def matched_loss_rho(art: Artifacts) -> Verdict:
    """Derived prediction (ours, not the paper's Fig. 4): at matched training loss, ‖∇E‖_{1,ε} is larger for the
    largest ρ than for the smallest, on each seed and at every level (β fixed). Max test accuracy is reported."""
    return _mechanism_check(art, "sweep_rho", +1)


def matched_loss_beta(art: Artifacts) -> Verdict:
    """Derived prediction (ours, not the paper's Fig. 5): at matched training loss, ‖∇E‖_{1,ε} is smaller for the
    largest β than for the smallest, on each seed and at every level (ρ fixed). Max test accuracy is reported."""
    return _mechanism_check(art, "sweep_beta", -1)


def anti_penalty_flow(art: Artifacts) -> Verdict:
    """Sec. 2.4 on the preconditioned flow: a negative coefficient λ on ∇‖∇E‖_{1,ε} impedes the one-norm's
    reduction (larger ‖∇E‖_{1,ε} at matched training loss than λ = 0), a positive one speeds it (smaller)."""
    r = art.runs("mech_lambda")
    lambdas, levels, M = r["lambdas"], r["levels"], r["matched_norm"]  # M: (3, K, S), rows λ = −δ, 0, +δ
    if not (lambdas[0] < 0 and lambdas[1] == 0 and lambdas[2] > 0):
        raise ValueError(f"anti_penalty_flow: lambdas must be (-delta, 0, +delta); got {lambdas.tolist()}")
    # reading floor: the same λ = 0 flow at dt/2, read where its loss crosses each level
    floor = np.abs(r["matched_norm_half"] / M[1] - 1.0)  # (K, S)
    floor_seed = np.max(floor, axis=0)
    up = np.min(M[0] / M[1] - 1.0, axis=0) - floor_seed  # per seed, worst level
    down = np.min(1.0 - M[2] / M[1], axis=0) - floor_seed
    key_up = "min over levels of N(-delta)/N(0) - 1, minus the reading floor, per seed"
    key_down = "min over levels of 1 - N(+delta)/N(0), minus the reading floor, per seed"
    reached_key = "fraction of (lambda, level, seed) reaching the level"
    measured = {
        "lambdas": lambdas.tolist(),
        "levels": levels.tolist(),
        key_up: up.tolist(),
        key_down: down.tolist(),
        reached_key: float(np.mean(np.isfinite(M))),
        "N(-delta)/N(0) (rows levels, cols seeds)": (M[0] / M[1]).tolist(),
        "N(+delta)/N(0) (rows levels, cols seeds)": (M[2] / M[1]).tolist(),
        "reading floor |N(0, dt/2)/N(0, dt) - 1|, max per seed": floor_seed.tolist(),
        "time to each level (rows lambda, cols levels), seed mean": np.nanmean(r["matched_time"], axis=2).tolist(),
        "floor p*sqrt(eps) / smallest matched norm (reported)": float(
            int(r["num_params"]) * np.sqrt(float(art.experiment("mech_lambda")["eps"])) / np.nanmin(M)
        ),
    }
    why = (
        "Sec. 2.4 / abstract: the correction term 'either penalizes the (perturbed) one-norm of the loss gradients or, "
        "conversely, impedes its reduction'; on the preconditioned flow -D^-1(grad E + lambda grad N) alone, "
        "{}; per seed at every level, by more than the matched-loss reading's own floor (the flow at dt/2)"
    )
    criteria = [
        Criterion(key_up, ">", 0.0, why.format("lambda < 0 leaves a larger one-norm at matched loss"), each=True),
        Criterion(key_down, ">", 0.0, why.format("lambda > 0 leaves a smaller one-norm at matched loss"), each=True),
        Criterion(
            reached_key,
            "==",
            1.0,
            "every flow reaches every matched loss level, or the comparison is not at matched loss",
        ),
    ]
    return measured, criteria


def fig2_toy(art: Artifacts) -> Verdict:
    """Figure 2 trends of D = mean |θ1|+|θ2| over the tail of each run (caption: increasing β moves Adam toward
    smaller one-norm, "increasing ρ does the opposite"; spec §4: D strictly increasing in ρ, non-increasing in β).

    A step between neighbouring runs counts for the trend only when it exceeds the resolution of D, the largest
    residual motion of a tail average among the runs asserted on (`tail_motion`: first half of the tail against the
    second); a step inside it (a flat D) is a violation, as is a step the wrong way. One violation per family is
    allowed (spec §4: soft check, edge of stability)."""
    r = art.runs("toy")
    D = r["grid_D"]
    pair, hs = r["pair_D"], r["h_grid"]
    pairs = r["pairs"]
    i_small, i_mid = int(np.argmin(hs)), int(np.argsort(hs)[1])
    tol = float(max(r["grid_motion"].max(), r["pair_motion"][:, [i_small, i_mid]].max()))
    inc_rho = int(np.sum(~(np.diff(D, axis=1) > tol)))  # D must rise with ρ by more than its resolution
    dec_beta = int(np.sum(~(np.diff(D, axis=0) < -tol)))  # D must fall with β by more than its resolution
    right = []
    for (b, rho), d in zip(pairs, pair):
        sign = -1 if b > rho else +1  # larger h: smaller D if β > ρ, larger if ρ > β
        right.append(bool(sign * (d[i_mid] - d[i_small]) > tol))
    loss_key = "final loss, max over the runs asserted on"
    rho_violations_key = "violations of 'D rises in rho by more than its resolution'"
    beta_violations_key = "violations of 'D falls in beta by more than its resolution'"
    right_panel_key = "right panel (h_mid vs h_min) as predicted beyond the resolution, per pair"
    measured = {
        "D grid (rows beta, cols rho)": D.round(4).tolist(),
        "resolution of D: max residual motion of a tail average, runs asserted on": tol,
        "smallest step of D along rho (reported)": float(np.diff(D, axis=1).min()),
        "smallest step of D along beta, -(D(beta') - D(beta)) (reported)": float(-np.diff(D, axis=0).max()),
        rho_violations_key: inc_rho,
        beta_violations_key: dec_beta,
        right_panel_key: right,
        loss_key: float(max(r["grid_loss"].max(), r["pair_loss"][:, [i_small, i_mid]].max())),
        "final loss, max over every run (reported)": float(max(r["grid_loss"].max(), r["pair_loss"].max())),
    }
    soft = (
        "Figure 2 caption (increasing rho does the opposite of beta) / spec §4 (D strictly increasing in rho, "
        "non-increasing in beta): a step smaller than the resolution of D (the runs' measured tail motion) or the "
        "wrong way is a violation; one allowed per family (spec §4 soft check, edge of stability)"
    )
    criteria = [
        Criterion(rho_violations_key, "<=", 1, soft),
        Criterion(beta_violations_key, "<=", 1, soft),
        Criterion(
            right_panel_key,
            "==",
            True,
            "Figure 2 right / spec §4: larger h gives smaller D if beta > rho, larger if rho > beta, for every pair, "
            "by more than the resolution of D",
            each=True,
        ),
        Criterion(
            loss_key,
            "<",
            SETTLED_LOSS,
            "engineering sanity gate (not from the spec): the runs the trends are read from have settled on the "
            "minimiser set",
        ),
    ]
    return measured, criteria


CHECKS = {
    "c1_order_toy": Check(
        "C1: first-order flow has O(h), second-order piecewise flow O(h^2) global error (toy, pre-convergence "
        "horizon T = 1 from (2.8, 3.5))",
        ("order_toy",),
        (),
        c1_order_toy,
        sources=(Source("theorem", "3.1", "toy"),),
    ),
    "c1_order_long": Check(
        "C1 over a pre-convergence training horizon: first-order flow O(h), second-order O(h^2) per h pair while "
        "Adam's loss falls at least 100-fold, on an h grid asymptotic for the run (h * Lip of the first-order field "
        "<= 0.1; otherwise not testable at this h grid) (toy from Fig. 2's start, T = 2, the last horizon before "
        "|g| reaches sqrt(eps): loss 164 -> ~0.4; Fig. 3's beta, rho, eps)",
        ("order_long",),
        (),
        c1_order_long,
        sources=(Source("theorem", "3.1", "training horizon"),),
    ),
    "c1_order_mlp": Check(
        "Fig. 3's comparison, short-horizon check (T = 0.003125, not a training horizon; loss fall reported): "
        "second-order flow beats first order, local slopes ~1 vs ~2 on every h pair (digits MLP, CPU substitute "
        "for truncated MNIST)",
        ("order_mlp",),
        (),
        c1_order_mlp,
        sources=(Source("figure", "3", "short horizon"),),
        drawn_by="fig3",
    ),
    "c2_regimes": Check(
        "C2: the code's second-order correction is the O(h) term of Adam's own update in each eps regime and on an "
        "early piece; read off Adam's update, the bracket is negative for small eps and rho > beta, positive for "
        "beta > rho and for large eps, and changes sign at g*^2 for intermediate eps",
        (),
        (),
        c2_regimes,
        kind="consistency",
        sources=(Source("spec", "2.2-2.4", "eps regimes"),),
    ),
    "c3_figure1": Check(
        "C3: Figure-1 F closed form = quadrature; shape as stated",
        ("fcurve",),
        (),
        c3_figure1,
        kind="consistency",
        sources=(Source("figure", "1"),),
        drawn_by="fig1",
    ),
    "c4_momentum_limit": Check(
        "C4: at large eps (h = eta sqrt(eps)) the code's Adam field is the modified flow of GD with EMA momentum, "
        "measured from the momentum update, and its correction penalises the squared two-norm",
        (),
        (),
        c4_momentum_limit,
        kind="consistency",
        sources=(Source("spec", "2.4(b)", "eps -> infinity limit"),),
    ),
    "momentum_eps_distance": Check(
        "Large-eps limit, by algebra: at h = eta sqrt(eps) Adam's iterates approach GD with EMA momentum at step eta "
        "like 1/eps (sqrt(v_hat + eps) = sqrt(eps)(1 + v_hat/(2 eps) + ...); toy problem, the ex21 run)",
        ("momentum",),
        (),
        momentum_eps_distance,
        kind="consistency",
        sources=(Source("spec", "2.4(b)", "eps -> infinity limit, run"),),
    ),
    "ex21_momentum_dynamics": Check(
        "Spec reconstruction of Example 2.1, run: at large eps Adam (h = eta sqrt(eps)) follows, over a training "
        "horizon, the momentum method's modified flow penalising the squared two-norm at O(eta^2) against O(eta) "
        "for the gradient flow (toy problem from Fig. 2's start, beta = 0.5; beta = 0.9 pre-asymptotic on this eta "
        "grid, not testable at budget)",
        ("momentum",),
        (),
        ex21_momentum_dynamics,
        sources=(Source("spec", "2.4(b)", "large-eps regime"), Source("example", "2.1", "spec reconstruction")),
    ),
    "regime_b_bias": Check(
        "derived prediction (this project's reading of the large-eps correction, spec §2.4(b); not a statement or "
        "figure of the paper): at large eps a finite step moves Adam's end point toward the minimisers of the "
        "squared gradient two-norm on the level sets (toy: the diagonal), by an O(eta) shift",
        ("momentum",),
        (),
        regime_b_bias,
        sources=(Source("derived"), Source("spec", "2.4(b)")),
    ),
    "c5_rmsprop": Check(
        "C5: C1 for RMSProp (beta = 0)",
        ("order_rmsprop",),
        (),
        c5_rmsprop,
        sources=(Source("theorem", "3.1", "RMSProp"),),
    ),
    "fig4_hill": Check(
        "Fig. 4: as rho increases, the perturbed one-norm (peak of the hill after the initial period, seed mean) "
        "rises (beta = 0.99, eps = 1e-8); max test accuracy reported",
        ("sweep_rho",),
        (),
        fig4_hill,
        sources=(Source("figure", "4"),),
        drawn_by="fig4",
    ),
    "fig5_hill": Check(
        "Fig. 5: as beta increases, the perturbed one-norm (peak of the hill after the initial period, seed mean) "
        "falls (rho = 0.999, eps = 1e-8); max test accuracy reported",
        ("sweep_beta",),
        (),
        fig5_hill,
        sources=(Source("figure", "5"),),
        drawn_by="fig5",
    ),
    "matched_loss_rho": Check(
        "derived prediction (this project's reading of the first-order correction, not the paper's Fig. 4): at "
        "matched training loss the perturbed one-norm rises with rho, per seed",
        ("sweep_rho",),
        (),
        matched_loss_rho,
        sources=(Source("derived"), Source("section", "2.4")),
        drawn_by="fig4",
    ),
    "matched_loss_beta": Check(
        "derived prediction (this project's reading of the first-order correction, not the paper's Fig. 5): at "
        "matched training loss the perturbed one-norm falls with beta, per seed",
        ("sweep_beta",),
        (),
        matched_loss_beta,
        sources=(Source("derived"), Source("section", "2.4")),
        drawn_by="fig5",
    ),
    "anti_penalty_flow": Check(
        "derived test of Sec. 2.4's reading (ours): on the preconditioned flow -D^-1(grad E + lambda grad N), "
        "lambda < 0 raises and lambda > 0 lowers the perturbed one-norm at matched training loss (digits MLP)",
        ("mech_lambda",),
        (),
        anti_penalty_flow,
        # no Adam runs here: to first order in lambda the change of dN/dE is (c b - a^2)/b^2 >= 0 by Cauchy-Schwarz
        # in the D^-1 inner product, so this checks what the term means on the flow, not the paper's claim about Adam
        kind="consistency",
        sources=(Source("section", "2.4", "anti-penalisation, on the flow"),),
        drawn_by="mech_lambda",
    ),
    "fig2_toy": Check(
        "Fig. 2: beta moves Adam toward the one-norm minimisers, rho away; h amplifies the larger",
        ("toy",),
        (),
        fig2_toy,
        sources=(Source("figure", "2"),),
        drawn_by="fig2",
    ),
}
