"""Figures of cattaneo2024 (Agg, deterministic).

Each function takes {run name: (arrays, record)} and returns a figure.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns
from matplotlib.ticker import NullFormatter

from ...nets import ToyProblem
from .checks import reached_mean

if TYPE_CHECKING:
    from matplotlib.figure import Figure

Runs = dict[str, tuple[dict, dict]]  # run name -> (arrays, record), as `artifacts.load_npz` returns them

__all__ = ["FIGURES", "fig1", "fig2", "fig3", "fig4", "fig5", "mech_hscale", "mech_lambda", "mech_validity"]


def _theme():
    sns.set_theme(style="whitegrid", context="paper", font_scale=1.05)


# symlog threshold of Fig. 1: linear for |F| <= 1, logarithmic beyond, so that the ρ = 0.9/0.95 curves (|F| <= 10)
# stay visible next to ρ = 0.999 (F down to about -960)
FIG1_LINTHRESH = 1.0


def fig1(runs: Runs) -> Figure:
    """F(x) per ε panel, one curve per ρ (β fixed), with the quadrature check points as markers; symlog y axis."""
    _theme()
    r, rec = runs["fcurve"]
    meta = rec["meta"]["experiment"]
    eps, rho, x, F = r["eps"], r["rho"], r["x"], r["F"]
    colors = sns.color_palette("viridis", len(rho))
    fig, axes = plt.subplots(
        1, len(eps), figsize=(4.4 * len(eps) + 1.6, 4.4), squeeze=False, sharey=True, layout="constrained"
    )
    for i, (ax, e) in enumerate(zip(axes[0], eps)):
        for j, rh in enumerate(rho):
            ax.plot(x, F[i, j], color=colors[j], lw=1.6, label=rf"$\rho$ = {rh:g} (closed form)")
            ax.plot(r["xq"], r["Fq_quad"][i, j], "x", color=colors[j], ms=5)
        ax.plot([], [], "x", color="0.3", ms=5, label="quadrature check")
        ax.axhline(0, color="k", lw=0.6)
        ax.set_yscale("symlog", linthresh=FIG1_LINTHRESH, linscale=0.6)
        ax.set_xticks(np.linspace(-1.0, 1.0, 5) * float(np.max(np.abs(x))))
        ax.set_xlabel(r"$x$ (gradient value $E'(\theta)$)")
        ax.set_title(rf"$\varepsilon$ = {e:g}")
    axes[0][0].set_ylabel(rf"$F(x)$ (symlog: linear for $|F|\leq{FIG1_LINTHRESH:g}$)")
    # one legend for all panels (same curves in each), outside the data
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right center", fontsize="small", frameon=True)
    fig.suptitle(
        rf"cattaneo2024 Fig. 1: $F(x)$, $\beta$ = {meta['beta']:g}, $h$ = {meta['h']:g} "
        r"($F<0$ growing in $|x|$: the one-norm is anti-penalised)"
    )
    return fig


def _contours(ax, lo=0.0, hi=4.0):
    toy = ToyProblem()
    g = np.linspace(lo, hi, 300)
    T1, T2 = np.meshgrid(g, g)
    c = 4 * T1 * T2 - 3
    ax.contour(T1, T2, c, levels=np.linspace(-2.5, 50, 22), colors="0.75", linewidths=0.6)
    ax.contour(T1, T2, c, levels=[0.0], colors="0.3", linewidths=1.0)
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.9, label=r"one-norm minimisers $\theta_1=\theta_2$")
    lim = toy.one_norm_limit
    ax.plot(*lim, "kx", ms=10, mew=2, label=f"limit point ({lim[0]:.3f}, {lim[1]:.3f})")
    ax.set_xlim(lo, hi)
    ax.set_ylim(lo, hi)
    ax.set_xlabel(r"$\theta_1$")
    ax.set_ylabel(r"$\theta_2$")
    ax.set_aspect("equal")


def fig2(runs: Runs) -> Figure:
    """Adam trajectories on the toy problem: over (β, ρ) at fixed h (left), over h for two (β, ρ) pairs (right).

    Left: colour = ρ, line style and end marker = β. Right: colour family = (β, ρ) pair, darker = larger h. The
    legends sit below the panels, off the data.
    """
    _theme()
    r, rec = runs["toy"]
    meta = rec["meta"]["experiment"]
    fig, axd = plt.subplot_mosaic(
        [["a", "b"], ["la", "lb"]], height_ratios=[5.0, 1.0], figsize=(13.5, 7.6), layout="constrained"
    )
    ax = axd["a"]
    _contours(ax)
    betas, rhos = r["grid_beta"], r["grid_rho"]
    cb = sns.color_palette("colorblind", 10)
    colors = [cb[k] for k in (0, 1, 2, 4, 7, 5, 9, 8)[: len(rhos)]]  # skips cb[3]: too close to cb[1]
    styles = ["-", "--", ":", "-."]
    markers = ["o", "s", "^", "D"]
    for i, b in enumerate(betas):
        for j, rh in enumerate(rhos):
            p = r["grid_paths"][i, j]
            ax.plot(
                p[:, 0],
                p[:, 1],
                styles[i % 4],
                color=colors[j],
                lw=1.3,
                marker=markers[i % 4],
                markevery=[len(p) - 1],
                ms=5,
                label=rf"$\beta$={b:g}, $\rho$={rh:g} (D={r['grid_D'][i, j]:.3f})",
            )
    ax.plot(*r["theta0"], "ko", ms=5, label="start")
    ax.set_title(rf"(a) $h$ = {meta['h']:g}: colour = $\rho$, style/end marker = $\beta$")
    ax = axd["b"]
    _contours(ax)
    hs = r["h_grid"]
    pal = [sns.color_palette("Reds", len(hs) + 1)[1:], sns.color_palette("Blues", len(hs) + 1)[1:]]
    for i, (b, rh) in enumerate(r["pairs"]):
        for j, h in enumerate(hs):
            p = r["pair_paths"][i, j]
            ax.plot(
                p[:, 0],
                p[:, 1],
                styles[j % 4],
                color=pal[i % 2][j],
                lw=1.3,
                label=rf"$\beta$={b:g}, $\rho$={rh:g}, $h$={h:g} (D={r['pair_D'][i, j]:.3f})",
            )
    ax.plot(*r["theta0"], "ko", ms=5, label="start")
    ax.set_title(r"(b) vary $h$: darker = larger $h$")
    for panel in ("a", "b"):  # each panel's legend in its own axes below it, off the data
        lax = axd["l" + panel]
        lax.axis("off")
        lax.legend(*axd[panel].get_legend_handles_labels(), loc="upper center", ncol=3, fontsize=7.5, frameon=True)
    fig.suptitle(
        rf"cattaneo2024 Fig. 2: Adam on $\frac{{1}}{{2}}(2\theta_1\theta_2-1.5)^2$ from (2.8, 3.5), "
        rf"$\varepsilon$ = {meta['eps']:g}, $T$ = {meta['T']:g}"
        "\n"
        rf"D = mean $|\theta_1|+|\theta_2|$ over the last {meta['tail']} iterates"
    )
    return fig


def _h_ticks(ax, h):
    """Major x ticks at the step sizes used, no minor tick labels (they overlapped on the log axis)."""
    ax.set_xticks(h, [f"{x:g}" for x in h])
    ax.xaxis.set_minor_formatter(NullFormatter())


def fig3(runs: Runs) -> Figure:
    """Error of the first/second-order flows vs h (log-log, fitted slopes) and vs n, on the digits MLP; toy inset."""
    _theme()
    from .checks import fitted_slope

    r, rec = runs["order_mlp"]
    meta = rec["meta"]["experiment"]
    t, _ = runs["order_toy"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.2))
    h = r["h"]
    b, rho, e = r["settings"][0]
    ax = axes[0]
    for k, (name, c) in enumerate([("first order (signGD perturbed by ε)", "C1"), ("second order", "C0")]):
        err = r[f"err{k + 1}"][0]
        ax.loglog(h, err, "o-", color=c, label=f"{name}: slope {fitted_slope(h, err):.2f}")
    _h_ticks(ax, h)
    ax.set_xlabel("step size $h$")
    ax.set_ylabel(r"$\max_n \|\theta^{(n)} - \tilde\theta(t_n)\|_\infty$")
    ax.set_title(f"digits MLP 64-{meta['hidden']}-10 (tanh, CE), T = {meta['T']:g}")
    ax.legend(fontsize="small")
    ax = axes[1]
    mid = len(h) // 2
    n = np.arange(len(r[f"err1_n_0_{mid}"]))
    ax.plot(n[1:], r[f"err1_n_0_{mid}"][1:], color="C1", label="first order")
    ax.plot(n[1:], r[f"err2_n_0_{mid}"][1:], color="C0", label="second order")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("iteration $n$")
    ax.set_ylabel(r"$\|\theta^{(n)} - \tilde\theta(t_n)\|_\infty$")
    ax.set_title(f"against $n$ at $h$ = {h[mid]:g}")
    ax.legend(fontsize="small")
    ax = axes[2]
    colors = sns.color_palette("colorblind", len(t["settings"]))
    for s, (bs, rs, es) in enumerate(t["settings"]):
        ax.loglog(t["h"], t["err1"][s], "o--", color=colors[s], ms=4)
        ax.loglog(
            t["h"],
            t["err2"][s],
            "o-",
            color=colors[s],
            ms=4,
            label=rf"$\beta$={bs:g}, $\rho$={rs:g}, $\varepsilon$={es:g}: "
            f"{fitted_slope(t['h'], t['err1'][s]):.2f} / {fitted_slope(t['h'], t['err2'][s]):.2f}",
        )
    _h_ticks(ax, t["h"])
    ax.set_xlabel("step size $h$")
    ax.set_ylabel("global error")
    ax.set_title("toy problem (dashed: first order, solid: second)")
    ax.legend(fontsize=6, title="slopes 1st / 2nd", title_fontsize=6)
    fig.suptitle(
        rf"cattaneo2024 Fig. 3 (CPU substitute: sklearn digits, not truncated MNIST): full-batch Adam, "
        rf"$\beta$ = {b:g}, $\rho$ = {rho:g}, $\varepsilon$ = {e:g}"
    )
    fig.tight_layout()
    return fig


def _sweep_figure(runs, name, symbol, fixed):
    """The paper's Fig. 4/5 quantities (fig4_hill / fig5_hill) and this project's matched-loss prediction
    (matched_loss_rho / matched_loss_beta) on one sweep.

    Top row, the paper's claim: (a) the one-norm against the step (seed mean per swept value, the excluded initial
    period shaded; the claim reads the peak of the hill after it); (b) the maximum after the initial period per seed
    against the swept value, with the number of runs that have a hill (where none has, the maximum is the value at
    the cut and the claim is not testable); (c) max test accuracy paired per seed (reported). Bottom row, the derived
    prediction (ours, not the paper's): (d) per seed, the one-norm at matched loss over its value at the smallest
    swept value (thin lines = seeds, markers = seed mean); (e) the one-norm against the training loss (dotted: the
    matched levels); (f) the extreme pair per seed and level.
    """
    _theme()
    r, rec = runs[name]
    meta = rec["meta"]["experiment"]
    v, levels, M = r["values"], r["matched_losses"], r["matched_norm"]  # M: (V, K, S)
    S = M.shape[2]
    x = np.arange(len(v))
    from .checks import initial_period, post_initial_hill

    fig, axes = plt.subplots(2, 3, figsize=(18.0, 9.5))
    lcol = sns.color_palette("rocket", len(levels) + 1)[: len(levels)]
    vcol = sns.color_palette("viridis", len(v))
    word = "rises with ρ" if name == "sweep_rho" else "falls with β"
    steps = int(meta["steps"])
    ax = axes[0, 0]
    cuts, hills, maxima = [], 0, []
    for i, u in enumerate(v):
        beta, rho = (float(meta["beta"]), u) if meta["vary"] == "rho" else (u, float(meta["rho"]))
        cut = initial_period(steps, beta, rho)
        hill, _, _ = post_initial_hill(r[f"norm_{i}"], cut)
        hills += int(np.sum(hill))
        maxima.append(np.max(r[f"norm_{i}"][cut:], axis=0))
        cuts.append(cut)
        n = np.arange(1, r[f"norm_{i}"].shape[0] + 1)
        ax.plot(n, r[f"norm_{i}"].mean(axis=1), color=vcol[i], lw=1.4, label=f"{symbol} = {u:g}")
    ax.axvspan(1, max(cuts), color="0.85", zorder=0, label=f"initial period (first {max(cuts)} steps)")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step $n$")
    ax.set_ylabel(r"$\|\nabla E(\theta^{(n)})\|_{1,\varepsilon}$ (seed mean)")
    ax.set_title(
        "(a) one-norm along the run (shaded: excluded initial period)\n"
        f"runs with a hill after it: {hills} of {len(v) * S}",
        fontsize=9,
    )
    ax.legend(fontsize="small")
    ax = axes[0, 1]
    maxima = np.array(maxima)
    for s in range(S):
        ax.plot(x, maxima[:, s], color="0.6", lw=0.6, marker=".", label="one seed" if s == 0 else None)
    ax.plot(x, maxima.mean(axis=1), "o-", color="C0", lw=1.8, label="seed mean")
    ax.set_xticks(x, [f"{u:g}" for u in v])
    ax.set_xlabel(symbol)
    ax.set_ylabel("max of the one-norm after the initial period")
    verdict = "no hill: this is the value at the cut,\nso the paper's claim is not testable here" if hills == 0 else ""
    ax.set_title(f"(b) paper (Fig. {4 if name == 'sweep_rho' else 5}): the hill's peak {word}; {verdict}", fontsize=9)
    ax.legend(fontsize="small")
    ax = axes[0, 2]
    acc = r["max_test_acc"]
    for s in range(S):
        ax.plot(x, acc[:, s], color="0.6", lw=0.6, marker=".", label="one seed" if s == 0 else None)
    ax.plot(x, acc.mean(axis=1), "o-", color="C3", lw=1.8, label="seed mean")
    ax.set_xticks(x, [f"{u:g}" for u in v])
    ax.set_xlabel(symbol)
    ax.set_ylabel(f"max test accuracy over training ({int(r['n_test'])} test images)")
    ax.set_title("(c) test accuracy, paired per seed (reported, not asserted)", fontsize=9)
    ax.legend(fontsize="small")
    ax = axes[1, 0]
    ratio = M / M[0]
    for k, level in enumerate(levels):
        for s in range(S):
            ax.plot(x, ratio[:, k, s], color=lcol[k], lw=0.5, alpha=0.4)
        ax.plot(x, reached_mean(ratio[:, k], axis=1), "o-", color=lcol[k], lw=1.8, label=f"training loss {level:g}")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_xticks(x, [f"{u:g}" for u in v])
    ax.set_xlabel(symbol)
    ax.set_ylabel(rf"$\|\nabla E\|_{{1,\varepsilon}}$ at matched loss / same at {symbol} = {v[0]:g}")
    predicted = "> 1" if name == "sweep_rho" else "< 1"
    ax.set_title(
        f"(d) derived prediction (ours, not the paper's): {predicted}\npaired per seed ({S} seeds: thin lines)",
        fontsize=9,
    )
    ax.legend(fontsize="small")
    ax = axes[1, 1]
    for i, u in enumerate(v):
        L, N = r[f"loss_{i}"].mean(axis=1), r[f"norm_{i}"].mean(axis=1)
        ax.plot(L, N, color=vcol[i], lw=1.4, label=f"{symbol} = {u:g}")
    for k, level in enumerate(levels):
        ax.axvline(level, color=lcol[k], lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("training loss (seed mean; training runs left to right)")
    ax.set_ylabel(r"$\|\nabla E(\theta^{(n)})\|_{1,\varepsilon}$ (seed mean)")
    ax.set_title("(e) one-norm against training loss; dotted: matched levels", fontsize=9)
    ax.legend(fontsize="small")
    ax = axes[1, 2]
    for k, level in enumerate(levels):
        ax.loglog(M[0, k], M[-1, k], "o", color=lcol[k], ms=4, label=f"training loss {level:g}")
    lo, hi = np.nanmin(M[[0, -1]]), np.nanmax(M[[0, -1]])
    ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label="equal")
    ax.set_xlabel(rf"$\|\nabla E\|_{{1,\varepsilon}}$ at {symbol} = {v[0]:g}")
    ax.set_ylabel(rf"$\|\nabla E\|_{{1,\varepsilon}}$ at {symbol} = {v[-1]:g}")
    ax.set_title(
        "(f) extreme values, one point per seed and level\nderived prediction (ours): "
        + ("above" if name == "sweep_rho" else "below")
        + " the diagonal",
        fontsize=9,
    )
    ax.legend(fontsize="small")
    fig_no = "Fig. 4" if name == "sweep_rho" else "Fig. 5"
    if meta.get("scale") == "full":
        full = meta["full"]
        model = f"ResNet (Bottleneck blocks {full['blocks']}, width {full['width']}) on CIFAR-10"
    else:
        model = (
            f"CPU substitute for the paper's ResNet-50/CIFAR-10 figure: tanh MLP 64-{meta['hidden']}-10 on "
            "sklearn digits"
        )
    fig.suptitle(
        f"cattaneo2024 {fig_no} ({name.replace('sweep_', 'sweep over ')}): top, the paper's claim (peak of the "
        "one-norm hill after the initial period); bottom, this project's matched-loss prediction\n"
        f"{model}, full-batch Adam, {fixed}, $h$ = {meta['h']:g}, "
        rf"$\varepsilon$ = {meta['eps']:g}, {meta['steps']} steps",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def fig4(runs: Runs) -> Figure:
    meta = runs["sweep_rho"][1]["meta"]["experiment"]
    return _sweep_figure(runs, "sweep_rho", r"$\rho$", rf"$\beta$ = {meta['beta']:g}")


def fig5(runs: Runs) -> Figure:
    meta = runs["sweep_beta"][1]["meta"]["experiment"]
    return _sweep_figure(runs, "sweep_beta", r"$\beta$", rf"$\rho$ = {meta['rho']:g}")


def mech_lambda(runs: Runs) -> Figure:
    """The λ flows (anti_penalty_flow): (a) the one-norm against the training loss along θ̇ = −D⁻¹(∇E + λ∇N) for
    λ = −δ, 0, +δ, every seed; (b) N(±δ)/N(0) at the matched levels per seed, with the reading floor."""
    _theme()
    r, rec = runs["mech_lambda"]
    meta = rec["meta"]["experiment"]
    lambdas, levels, M = r["lambdas"], r["levels"], r["matched_norm"]
    S = M.shape[2]
    colors = ["C3", "0.3", "C0"]
    names = [rf"$\lambda = -{-lambdas[0]:g}$ (anti-penalised)", r"$\lambda = 0$ (first-order flow)"]
    names.append(rf"$\lambda = +{lambdas[2]:g}$ (penalised)")
    fig, axes = plt.subplots(1, 2, figsize=(13.0, 4.8))
    ax = axes[0]
    for i in range(3):
        for s in range(S):
            ax.plot(r["loss"][i, s], r["norm"][i, s], color=colors[i], lw=1.2, label=names[i] if s == 0 else None)
    for level in levels:
        ax.axvline(level, color="0.5", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.invert_xaxis()
    ax.set_xlabel("training loss (the flow runs left to right)")
    ax.set_ylabel(r"$\|\nabla E\|_{1,\varepsilon}$")
    ax.set_title(f"(a) one-norm against training loss, {S} seeds; dotted: matched levels", fontsize=9)
    ax.legend(fontsize="small")
    ax = axes[1]
    x = np.arange(len(levels))
    floor = np.max(np.abs(r["matched_norm_half"] / M[1] - 1.0), axis=0)
    for s in range(S):
        for i in (0, 2):
            ax.plot(x, M[i, :, s] / M[1, :, s], "o-", color=colors[i], lw=1.0, label=names[i] if s == 0 else None)
    ax.axhspan(1 - floor.max(), 1 + floor.max(), color="0.85", label="reading floor (flow at dt/2)")
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_yscale("log")
    ax.set_xticks(x, [f"{v:g}" for v in levels])
    ax.set_xlabel("matched training loss")
    ax.set_ylabel(r"$\|\nabla E\|_{1,\varepsilon}$ at matched loss / same at $\lambda = 0$")
    ax.set_title("(b) derived test (ours): > 1 for lambda < 0, < 1 for lambda > 0, per seed", fontsize=9)
    ax.legend(fontsize="small")
    fig.suptitle(
        rf"cattaneo2024, matched-loss mechanism: $\dot\theta = -D^{{-1}}(\nabla E + \lambda \nabla N)$, "
        rf"$N = \|\nabla E\|_{{1,\varepsilon}}$, $D = \mathrm{{diag}}\sqrt{{g^2+\varepsilon}}$, no Adam; "
        rf"tanh MLP 64-{meta['hidden']}-10 on {meta['n_train']} digits, $\varepsilon$ = {meta['eps']:g}, "
        f"RK4 step {meta['dt']:g}",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def mech_validity(runs: Runs) -> Figure:
    """Adam against its modified flows at h = 1e-3 (the validity of the expansion at the sweeps' momenta): (a) the
    ∞-norm distance of Adam to the first- and second-order flows per ρ, against the distance between the two ρ runs
    of Adam (the effect to be explained); (b) the size of the O(h) correction against the leading term along Adam."""
    _theme()
    r, rec = runs["mech_validity"]
    meta = rec["meta"]["experiment"]
    rhos, S = r["rhos"], r["err1"].shape[1]
    n = np.arange(r["err1"].shape[2])
    colors = sns.color_palette("viridis", len(rhos))
    fig, axes = plt.subplots(1, 2, figsize=(13.0, 4.8))
    ax = axes[0]
    for s in range(S):
        first = s == 0
        ax.plot(n[1:], r["gap_adam"][s, 1:], color="k", lw=1.8, label="Adam: rho runs apart" if first else None)
        for i, rho in enumerate(rhos):
            lab = rf"$\rho$ = {rho:g}: " if first else None
            ax.plot(n[1:], r["err1"][i, s, 1:], "--", color=colors[i], lw=1.0, label=lab and lab + "first-order flow")
            ax.plot(n[1:], r["err2"][i, s, 1:], "-", color=colors[i], lw=1.0, label=lab and lab + "second-order flow")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step $n$")
    ax.set_ylabel(r"$\|\cdot\|_\infty$ distance")
    ax.set_title(
        "(a) Adam to its flows (a second-order flow is stopped once 1 away)\nagainst the distance between the two "
        "rho runs of Adam",
        fontsize=9,
    )
    ax.legend(fontsize="small")
    ax = axes[1]
    for s in range(S):
        for i, rho in enumerate(rhos):
            ax.plot(n, r["correction"][i, s], color=colors[i], lw=1.2, label=rf"$\rho$ = {rho:g}" if s == 0 else None)
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("step $n$")
    ax.set_ylabel(r"$\|$bias$^{(n)}\|_2 / \|\nabla E\|_2$ along Adam")
    ax.set_title("(b) size of the O(h) correction against the gradient", fontsize=9)
    ax.legend(fontsize="small")
    fig.suptitle(
        rf"cattaneo2024, matched-loss mechanism: is the expansion valid? full-batch Adam, $h$ = {meta['h']:g}, "
        rf"$\beta$ = {meta['beta']:g}, $\varepsilon$ = {meta['eps']:g}, RK4 with {meta['sub']} substeps, "
        f"tanh MLP 64-{meta['hidden']}-10, {S} seeds",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


def mech_hscale(runs: Runs) -> Figure:
    """Adam over h at fixed ODE time: (a) one-norm ratio between the two ρ at matched loss, minus 1, against h, per
    seed and level (the theorem predicts ∝ h as h → 0); (b) the second moment's lag sqrt(v̂)/|g| along the runs."""
    _theme()
    r, rec = runs["mech_hscale"]
    meta = rec["meta"]["experiment"]
    hs, rhos, levels, M = r["hs"], r["rhos"], r["levels"], r["matched"]  # M: (H, R, K, S)
    S = M.shape[3]
    lcol = sns.color_palette("rocket", len(levels) + 1)[: len(levels)]
    fig, axes = plt.subplots(1, 2, figsize=(13.0, 4.8))
    ax = axes[0]
    dev = M[:, -1] / M[:, 0] - 1.0  # (H, K, S)
    for k, level in enumerate(levels):
        for s in range(S):
            ax.plot(hs, dev[:, k, s], "o-", color=lcol[k], lw=1.0, ms=4, label=f"loss {level:g}" if s == 0 else None)
    # the theorem's O(h) through the smallest h's seed mean: what the larger h would give if that h were asymptotic
    ax.plot(hs, np.mean(dev[-1]) * hs / hs[-1], "k:", lw=1.0, label=r"$\propto h$ through the smallest $h$ (theorem)")
    ax.axhline(0.0, color="k", lw=0.6)
    ax.set_xscale("log")
    _h_ticks(ax, hs)
    ax.set_xlabel("step size $h$ (runs to the same ODE time)")
    ax.set_ylabel(rf"norm($\rho$ = {rhos[-1]:g}) / norm($\rho$ = {rhos[0]:g}) $- 1$ at matched loss")
    ax.set_title(f"(a) the rho effect on the one-norm at matched loss, {S} seeds", fontsize=9)
    ax.legend(fontsize="small")
    ax = axes[1]
    hcol = sns.color_palette("mako", len(hs) + 1)[1:]
    for a, h in enumerate(hs):
        for i, rho in enumerate(rhos):
            ax.plot(
                r["time"],
                np.median(r["lag"][a, i], axis=0),
                ["--", "-"][i % 2],
                color=hcol[a],
                lw=1.3,
                label=rf"$h$ = {h:g}, $\rho$ = {rho:g}",
            )
    ax.axhline(1.0, color="k", lw=0.8)
    ax.set_yscale("log")
    ax.set_xlabel("ODE time $t = nh$")
    ax.set_ylabel(r"median over coordinates of $\sqrt{\hat v}/|g|$ (seed median)")
    ax.set_title("(b) second-moment lag: 1 when the average has caught up with $g^2$", fontsize=9)
    ax.legend(fontsize="x-small", ncol=2)
    fig.suptitle(
        rf"cattaneo2024, matched-loss mechanism: Adam over $h$ at fixed ODE time $T$ = {meta['T']:g}, "
        rf"$\beta$ = {meta['beta']:g}, $\varepsilon$ = {meta['eps']:g}, tanh MLP 64-{meta['hidden']}-10",
        fontsize=10,
    )
    fig.tight_layout()
    return fig


FIGURES = {
    "fig1": fig1,
    "fig2": fig2,
    "fig3": fig3,
    "fig4": fig4,
    "fig5": fig5,
    "mech_lambda": mech_lambda,
    "mech_validity": mech_validity,
    "mech_hscale": mech_hscale,
}
