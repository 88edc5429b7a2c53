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


COS_ROUNDOFF = 1e-12  # below this, 1 − cos is float64 round-off: not drawn on the log panels


def _draw(ax, table, color, label, ls):
    mean, lo, hi = table.mean(axis=1), table.min(axis=1), table.max(axis=1)
    ax.plot(table.index, mean, color=color, label=label, lw=1.6, ls=ls)
    if table.shape[1] > 1:
        ax.fill_between(table.index, lo, hi, color=color, alpha=0.2, lw=0)


def plot_curves(
    df: pd.DataFrame,
    runs: Sequence[str],
    panels: Sequence[str],
    title: str,
    n_seeds: int | None = None,
    dashed: Iterable[str] = (),
) -> Figure:
    """One panel per metric; one line per run (mean over seeds) with a min–max band across seeds.

    Every cosine panel gets a companion panel below it with 1 − cos on a log axis, so that a limit near a reference
    but not at it (cos 0.97 against 1.0) is visible. Runs listed in `dashed` are drawn dashed (e.g. the smaller β of a
    β × batch-size grid). One legend, outside the panels, serves every panel (the same runs in each).
    """
    sns.set_theme(style="whitegrid", context="paper", font_scale=1.1)
    labels = [df.loc[df["run"] == r, "label"].iloc[0] for r in runs]
    colors = series_colors(labels)
    has_cos = any(m.startswith("cos_") for m in panels)
    nrows = 2 if has_cos else 1
    fig, axes = plt.subplots(
        nrows, len(panels), figsize=(5.2 * len(panels) + 1.8, 3.6 * nrows + 0.6), squeeze=False, layout="constrained"
    )
    dashed = set(dashed)
    for col, metric in enumerate(panels):
        ax = axes[0][col]
        ylabel, stem, logy = PANELS[metric]
        low = axes[1][col] if has_cos else None
        for run, label in zip(runs, labels):
            sub = df[(df["run"] == run) & (df["step"] > 0)]
            table = sub.pivot_table(index="step", columns="seed", values=metric)
            ls = "--" if run in dashed else "-"
            _draw(ax, table, colors[label], label, ls)
            if low is not None and metric.startswith("cos_"):
                # 1 − cos; points with 1 − cos <= COS_ROUNDOFF (cos = 1 to round-off) are left out, not floored,
                # so that they neither break the log axis nor stretch it down to 1e-16
                gap = 1.0 - table
                _draw(low, gap.where(gap > COS_ROUNDOFF), colors[label], label, ls)
        ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel("iteration $t$")
        ax.set_ylabel(ylabel)
        ax.set_title(stem)
        if low is not None:
            if metric.startswith("cos_"):
                low.set_xscale("log")
                low.set_yscale("log")
                low.set_xlabel("iteration $t$")
                low.set_ylabel(r"$1-\cos$ (log scale)")
                low.set_title(f"{stem}: distance from 1")
            else:
                low.set_axis_off()
    handles, leg_labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, leg_labels, loc="outside right center", fontsize="small", frameon=True, title="run")
    seeds = df["seed"].nunique() if n_seeds is None else n_seeds
    band = f"mean and min–max band over {seeds} data seeds" if seeds > 1 else "one data set"
    fig.suptitle(f"{title} ({band})")
    return fig
