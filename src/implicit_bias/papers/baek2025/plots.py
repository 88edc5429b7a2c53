"""Figures of baek2025: a metric against the (log-scale) iteration, mean over data seeds with a min-max band."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import pandas as pd
import seaborn as sns

from ...plots import series_colors

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["PANELS", "plot_curves"]

# metric -> (y label, panel title stem, log-scale y)
PANELS = {
    "cos_l2": ("cosine similarity", r"cos to the $\ell_2$ max-margin $\hat w_2$", False),
    "cos_linf": ("cosine similarity", r"cos to the $\ell_\infty$ max-margin $\hat w_\infty$", False),
    "cos_fp": ("cosine similarity", r"cos to the fixed point $w^*(c^*)$ (Alg. 3)", False),
    "gap_linf": (
        r"$(\gamma_\infty - \bar\gamma_\infty(w_t))/\gamma_\infty$",
        r"relative $\ell_\infty$-margin gap",
        True,
    ),
    "log_loss": (r"$\log L(w_t)$", "training loss (log)", False),
}


def plot_curves(
    df: pd.DataFrame,
    runs: Sequence[str],
    panels: Sequence[str],
    title: str,
    n_seeds: int | None = None,
    dashed: Iterable[str] = (),
) -> Figure:
    """One panel per metric; one line per run (mean over seeds) with a min–max band across seeds.

    Runs listed in `dashed` are drawn dashed (e.g. the smaller β of a β × batch-size grid).
    """
    sns.set_theme(style="whitegrid", context="paper", font_scale=1.1)
    labels = [df.loc[df["run"] == r, "label"].iloc[0] for r in runs]
    colors = series_colors(labels)
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.0), squeeze=False)
    for ax, metric in zip(axes[0], panels):
        ylabel, stem, logy = PANELS[metric]
        for run, label in zip(runs, labels):
            sub = df[(df["run"] == run) & (df["step"] > 0)]
            table = sub.pivot_table(index="step", columns="seed", values=metric)
            mean, lo, hi = table.mean(axis=1), table.min(axis=1), table.max(axis=1)
            ls = "--" if run in dashed else "-"
            ax.plot(table.index, mean, color=colors[label], label=label, lw=1.6, ls=ls)
            if table.shape[1] > 1:
                ax.fill_between(table.index, lo, hi, color=colors[label], alpha=0.2, lw=0)
        ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel("iteration $t$")
        ax.set_ylabel(ylabel)
        ax.set_title(stem)
    axes[0][-1].legend(loc="best", fontsize="small", frameon=True)
    seeds = df["seed"].nunique() if n_seeds is None else n_seeds
    band = f"mean and min–max band over {seeds} data seeds" if seeds > 1 else "one data set"
    fig.suptitle(f"{title} ({band})")
    fig.tight_layout()
    return fig
