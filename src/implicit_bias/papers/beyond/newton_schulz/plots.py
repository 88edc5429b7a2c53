"""The `newton_schulz` study's figure: the relative margin gaps in the three norms per orthogonalisation, the spectral
gaps side by side, and the spectrum of the step direction, from the metric table alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["figure"]

RUN_COLORS = ["k", "tab:red", "tab:purple", "tab:cyan", "tab:brown", "tab:pink"]  # apart from the gaps' colours
GAP_STYLE = {
    "gap_inf": ("max-norm gap", "tab:blue"),
    "gap_2": ("2-norm gap", "tab:orange"),
    "gap_spec": ("spectral-norm gap", "tab:green"),
}


def _band(ax: Axes, df: pd.DataFrame, column: str, color, label: str, ls: str = "-") -> None:
    """Mean over data seeds with a min–max band (one seed: the curve alone)."""
    tab = df[df["step"] > 0].pivot_table(index="step", columns="seed", values=column)
    ax.plot(tab.index, tab.mean(axis=1), color=color, lw=1.6, ls=ls, label=label)
    if tab.shape[1] > 1:
        ax.fill_between(tab.index, tab.min(axis=1), tab.max(axis=1), color=color, alpha=0.18, lw=0)


def _settings(cfg: dict | None) -> str:
    if not cfg:
        return ""
    return f" (β1 = {cfg['beta1']}, η_t = {cfg['lr']}·(t+2)^(−{cfg['decay']}))"


def _ordering_text(sub: pd.DataFrame) -> str:
    """Per seed, the three relative gaps at T and which is smallest (what the claim check reads)."""
    lines = ["at T: max / 2 / spectral gap"]
    for seed, g in sub.groupby("seed"):
        last = g.sort_values("step").iloc[-1]
        values = {key: float(last[key]) for key in GAP_STYLE}
        best = GAP_STYLE[min(values, key=lambda key: values[key])][0].split("-")[0]
        lines.append(f"seed {seed}: " + " / ".join(f"{100 * v:.1f}%" for v in values.values()) + f"  ({best} smallest)")
    return "\n".join(lines)


def figure(df: pd.DataFrame, cfg: dict | None = None) -> Figure:
    """One panel per orthogonalisation (in the table's order): the relative gaps (γ − γ̄(W_t))/γ in the max-, 2- and
    spectral norms, log-log; then the spectral gaps of every run in one panel with V_2's own spectral gap (where an
    ℓ2-biased run's spectral gap tends), and the step direction's smallest and largest nonzero singular values
    (exact Muon's are 1; the NMD constraint is |||Δ|||_∞ ≤ 1)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="paper", font_scale=1.05)
    runs = list(dict.fromkeys(df["run"]))
    labels = {r: df.loc[df["run"] == r, "label"].iloc[0] for r in runs}
    palette = RUN_COLORS * (len(runs) // len(RUN_COLORS) + 1)
    colors = dict(zip(runs, palette, strict=False))
    styles = {run: ("--" if i % 2 else "-") for i, run in enumerate(runs)}
    seeds = df["seed"].nunique()
    band = f"mean and min–max band over {seeds} data seeds" if seeds > 1 else "one data set"
    ncols = 3
    nrows = -(-(len(runs) + 2) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.4 * ncols, 4.4 * nrows), squeeze=False)
    flat = list(axes.ravel())
    letters = "abcdefghijklmnop"
    for i, run in enumerate(runs):
        ax = flat[i]
        sub = df[df["run"] == run]
        for column, (label, color) in GAP_STYLE.items():
            _band(ax, sub, column, color, label)
        ax.set_title(f"({letters[i]}) Muon, {labels[run]}", fontsize=10)
        ax.text(
            0.98,
            0.98,
            _ordering_text(sub),
            transform=ax.transAxes,
            ha="right",
            va="top",
            fontsize=7.5,
            bbox=dict(boxstyle="round", fc="white", ec="0.8", alpha=0.9),
        )
        ax.set_ylabel(r"relative margin gap $(\gamma - \bar\gamma(W_t))/\gamma$")
    ax = flat[len(runs)]
    for run in runs:
        _band(ax, df[df["run"] == run], "gap_spec", colors[run], labels[run], ls=styles[run])
    v2 = df.groupby("seed")["v2_gap_spec"].first()
    ax.axhline(v2.mean(), color="k", ls=":", lw=1, label=r"$V_2$'s own spectral gap (mean over seeds)")
    ax.set_title(f"({letters[len(runs)]}) spectral-norm gap, every orthogonalisation", fontsize=10)
    ax.set_ylabel(r"relative spectral gap $(\gamma_{spec} - \bar\gamma_{spec})/\gamma_{spec}$")
    for a in flat[: len(runs) + 1]:
        a.set_xscale("log")
        a.set_yscale("log")
        a.set_xlabel("step t")
        a.legend(fontsize=8, loc="lower left")
    for a in flat[: len(runs)]:
        a.set_ylim(top=4.0)  # room for the box of values at T above the max-norm gap (~0.6)
    ax = flat[len(runs) + 1]
    for run in runs:
        sub = df[df["run"] == run]
        _band(ax, sub, "dir_sv_max", colors[run], f"{labels[run]}: largest", ls=styles[run])
        _band(ax, sub, "dir_sv_min", colors[run], f"{labels[run]}: smallest", ls=styles[run])
    ax.axhline(1.0, color="k", lw=0.8, ls=":")
    ax.set_xscale("log")
    ax.set_xlabel("step t")
    ax.set_ylabel(r"nonzero singular values of the step $\Delta_t$")
    ax.set_title(
        f"({letters[len(runs) + 1]}) spectrum of the step (exact: all 1; NMD: " + r"$|||\Delta|||_\infty \leq 1$)",
        fontsize=10,
    )
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    for a in flat[len(runs) + 2 :]:
        a.set_visible(False)
    fig.suptitle(
        f"Muon{_settings(cfg)} on fan2025's data, exact and Newton–Schulz orthogonalisation of the step; {band}",
        fontsize=11,
    )
    fig.tight_layout(rect=(0, 0, 1, 0.96))
    return fig
