"""fan2025 v4 Fig. 3 from the network's metric table: the spectral-norm margins γ_a (mode a) and γ_b (mode b)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns
from matplotlib.figure import Figure

__all__ = ["NET_COLORS", "fig3_net"]

_PAL = sns.color_palette("colorblind", 10)
# one hue per norm, shared by the NSD rule and its momentum version: max-norm, Frobenius, spectral
NET_COLORS = {
    "signgd": _PAL[5],
    "signum": _PAL[5],
    "ngd": _PAL[7],
    "nmd": _PAL[7],
    "spectral": _PAL[2],
    "muon": _PAL[2],
}
_PANELS = (
    ("a", ("signgd", "ngd", "spectral"), r"(a) train $V$: SignGD, NGD, Spectral-GD", r"$\gamma_a$"),
    ("a", ("signum", "nmd", "muon"), r"(b) train $V$: Signum, NMD-GD, Muon", r"$\gamma_a$"),
    ("b", ("signgd", "ngd", "spectral"), r"(c) train $V, W$: SignGD, NGD, Spectral-GD", r"$\gamma_b$"),
    ("b", ("signum", "nmd", "muon"), r"(d) train $V, W$: Signum, NMD-GD, Muon", r"$\gamma_b$"),
)


# the figure's horizon, where the check reads the claim (net_checks.FIGURE_T; plots import no checks)
FIGURE_T = 10_000


def fig3_net(frames: dict[str, pd.DataFrame]) -> Figure:
    """Four panels as the paper's Fig. 3: the mode's normalised spectral-norm margin against the step (log x), one
    curve per rule: the mean over the data seeds, the min–max band and each seed thin (a crossing on one seed stays
    visible); shaded, the last decade [T/10, T] on which the check judges the trend."""
    df = frames["net"]
    df = df[df["step"] > 0]
    seeds = df["seed"].nunique()
    T = int(df["step"].max())
    fig, axes = plt.subplots(2, 2, figsize=(11, 7.5), sharex=True)
    for ax, (mode, runs, title, ylabel) in zip(axes.ravel(), _PANELS):
        for run in runs:
            sub = df[(df["mode"] == mode) & (df["run"] == run)]
            tab = sub.pivot_table(index="step", columns="seed", values="margin")
            color = NET_COLORS[run]
            lw = 2.2 if run in ("spectral", "muon") else 1.4
            ax.plot(tab.index, tab.mean(axis=1), color=color, lw=lw, label=sub["label"].iloc[0])
            if tab.shape[1] > 1:
                ax.fill_between(tab.index, tab.min(axis=1), tab.max(axis=1), color=color, alpha=0.15, lw=0)
                for seed in tab.columns:
                    ax.plot(tab.index, tab[seed], color=color, lw=0.5, alpha=0.6)
        ax.axvspan(T / 10, T, color="0.85", alpha=0.35, lw=0)
        ax.axhline(0.0, color="0.6", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_ylabel(ylabel)
        ax.legend(fontsize=8, loc="lower right")
        ax.grid(alpha=0.3)
    for ax in axes[1]:
        ax.set_xlabel("iteration t")
    band = f"seed mean, band and each of {seeds} data seeds" if seeds > 1 else "one data seed"
    horizon = (
        f"T = {T:g}, the figure's horizon"
        if T >= FIGURE_T
        else f"T = {T:g}: the claim is read at the figure's t = {FIGURE_T:g}, so this run does not decide it"
        " (config/large.yaml runs it)"
    )
    fig.suptitle(
        r"fan2025 v4 Fig. 3: two-layer net $W\sigma(Vh)$ (sigmoid, width 100, CE), per-layer steps; "
        r"$\gamma_a = \min_{i,c}(e_{y_i}-e_c)^\top W\sigma(Vh_i)/|||V|||_\infty$, "
        r"$\gamma_b$: / max(|||V|||$_\infty$, |||W|||$_\infty$)"
        "\n"
        r"sklearn 8x8 digits (100 per class, pixels in [0,1]) stand in for MNIST; $\eta_0$, $\beta_1$, init "
        f"reconstructed; {band}; shaded: the last decade\n{horizon}",
        fontsize=9.5,
    )
    fig.tight_layout()
    return fig
