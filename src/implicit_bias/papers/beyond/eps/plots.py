"""The `eps` study's figure: the cosines to fp and ℓ2, the distance to the ε = 0 run and the gradient scale at the
departure, from the metric table alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .checks import END_COS_FP, departure_table, ols_slope

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["figure"]

ZOOM_FROM = 100  # the figure's cosine panels start here (before, every run is far from every reference)


def figure(df: pd.DataFrame, cfg: dict | None = None) -> Figure:
    """(a) cos(w_t, fp) over steps per ε; (b) 1 − cos(w_ε(t), w_0(t)), the departure detector, with each data set's
    threshold; (c) log g at the departure vs log ε, slope-1 line; (d) cos(w_t, ℓ2) over steps. Curves: mean over
    data seeds with a min–max band; ▼ the departures (`departure_step`). The ε legend sits below the panels."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="paper", font_scale=1.05)
    eps_values = sorted(df["eps"].unique())
    colors = dict(zip(eps_values, sns.color_palette("viridis", len(eps_values)), strict=True))
    seeds = df["seed"].nunique()
    band = f"mean and min–max band over {seeds} data seeds" if seeds > 1 else "one data set"
    dep = departure_table(df)
    dep = dep.assign(dev=1.0 - dep["cos_eps0"])
    data = df[df["step"] > 0].assign(dev=1.0 - df["cos_eps0"])
    fig, axes = plt.subplots(1, 4, figsize=(21, 4.9))
    panels = (
        (axes[0], "cos_fp", r"cos$(w_t, w_{\mathrm{fp}})$", "(a) cosine to the AdamProxy fixed point"),
        (axes[1], "dev", r"$1 - $cos$(w_t^{\varepsilon}, w_t^{\varepsilon=0})$", "(b) distance to the ε = 0 run"),
        (axes[3], "cos_l2", r"cos$(w_t, w_{\ell_2})$", r"(d) cosine to the $\ell_2$ max margin"),
    )
    for ax, metric, ylabel, title in panels:
        for e in eps_values:
            if metric == "dev" and e == 0:
                continue
            sub = data[data["eps"] == e]
            tab = sub.pivot_table(index="step", columns="seed", values=metric)
            ax.plot(tab.index, tab.mean(axis=1), color=colors[e], lw=1.6, label=sub["label"].iloc[0])
            if tab.shape[1] > 1:
                ax.fill_between(tab.index, tab.min(axis=1), tab.max(axis=1), color=colors[e], alpha=0.18, lw=0)
            d = dep[dep["eps"] == e]
            if len(d):
                ax.scatter(d["step"], d[metric], color=colors[e], marker="v", s=28, edgecolor="k", lw=0.5, zorder=3)
        ax.set_xscale("log")
        ax.set_xlabel("step t")
        ax.set_ylabel(ylabel)
        ax.set_title(title, fontsize=10)
        if metric == "dev":
            ax.set_yscale("log")
            ax.set_xlim(1, df["step"].max() * 1.2)
            ax.set_ylim(1e-9, 0.1)
            for thr in sorted(df["departure_threshold"].unique()):
                ax.axhline(thr, color="grey", ls=":", lw=0.7)
            continue
        # y range: from the first departure on (where the runs part), or from ZOOM_FROM if no run departs
        start = float(dep["step"].min()) if dep["step"].notna().any() else ZOOM_FROM
        late = df.loc[df["step"] >= start, metric]
        ax.set_ylim(max(float(np.nanmin(late)) - 0.002, 0.0) if late.notna().any() else 0.0, 1.0005)
        ax.set_xlim(ZOOM_FROM, df["step"].max() * 1.2)
    axes[0].axhline(END_COS_FP, color="k", ls=":", lw=0.8, label="the baek2025 spec's pass level 0.995")
    ax = axes[2]
    ok = dep[np.isfinite(dep["log_grad"])]
    x_all = np.log(np.array([e for e in eps_values if e > 0]))
    if len(x_all):
        ax.plot(x_all, x_all, color="k", ls="--", lw=1, label=r"slope 1: $\log g = \log\varepsilon$")
    for seed, g in ok.groupby("seed"):
        x = np.log(g["eps"].to_numpy())
        ax.plot(x, g["log_grad"], marker="o", lw=0.8, label=f"seed {seed}: slope {ols_slope(x, g['log_grad']):.2f}")
    ax.set_xlabel(r"$\log \varepsilon$")
    ax.set_ylabel(r"$\log \max_i \|\nabla \ell_i(w_t)\|_\infty$ at the departure")
    ax.set_title("(c) gradient scale at the departure vs ε", fontsize=10)
    ax.legend(loc="upper left", fontsize=8)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=len(labels), fontsize=9, frameon=False)
    fig.suptitle(
        f"Per-sample Adam (batch size 1, cyclic) at several ε on Gaussian data; {band}. ▼ departure: the first "
        "logged step from which 1 − cos(w_ε, w_0) stays above the threshold\n(dotted in (b): "
        "departure_fraction × (1 − cos(fp, ℓ2)), one line per data set) to the end of the run",
        fontsize=10,
    )
    fig.tight_layout(rect=(0, 0.07, 1, 0.93))
    return fig
