"""The `multiclass` study's figure: per run, its cosines with the references over t, and every run's distance to
its own reference, from the metric table alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["figure"]

#: curves of one panel: (metric column, legend label); `cos_own` is the run's fixed point (V_∞ for full batch)
_REFERENCE_CURVES = (
    ("cos_own", "own fixed point $fp_b$"),
    ("cos_fp_b1", "per-sample fixed point $fp_1$"),
    ("cos_V_inf", r"max-norm margin $V_\infty$"),
    ("cos_V_2", r"$\ell_2$ margin $V_2$"),
)


def _unconverged(df: pd.DataFrame) -> set[tuple[str, str]]:
    """(data set, fixed point) pairs whose fixed point is not established (the solver did not converge; read off
    the runs compared with it)."""
    rows = df.loc[df["own_converged"] == 0, ["dataset", "own_ref"]].drop_duplicates()
    return set(map(tuple, rows.to_numpy()))


def _band(ax, df: pd.DataFrame, column: str, color, label: str, ls: str = "-") -> None:
    """Mean over data sets and the min-max band, on the logged steps (t > 0)."""
    tab = df[df["step"] > 0].pivot_table(index="step", columns="dataset", values=column)
    ax.plot(tab.index, tab.mean(axis=1), color=color, lw=1.6, ls=ls, label=label)
    if tab.shape[1] > 1:
        ax.fill_between(tab.index, tab.min(axis=1), tab.max(axis=1), color=color, alpha=0.18, lw=0)


def figure(df: pd.DataFrame, cfg: dict | None = None) -> Figure:
    """One panel per run: cos(W_t, ·) with its own fixed point, fp_1, V_∞ and V_2 over t; a last panel with the
    distance 1 − cos(W_t, own reference) of every run on log-log axes. Mean and min-max band over the data sets;
    references not established are named in their panel's title."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="whitegrid", context="paper", font_scale=1.0)
    runs = list(dict.fromkeys(df["run"]))
    ncols = 3
    nrows = -(-(len(runs) + 1) // ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(5.2 * ncols, 3.9 * nrows), squeeze=False)
    axes = axes.ravel()
    palette = sns.color_palette("colorblind", 10)
    colors = dict(zip([c for c, _ in _REFERENCE_CURVES], (palette[0], palette[2], palette[3], palette[7])))
    run_colors = dict(zip(runs, sns.color_palette("viridis", len(runs))))
    failed = _unconverged(df)
    for ax, run_id in zip(axes, runs):
        sub = df[df["run"] == run_id]
        own = sub["own_ref"].iloc[0]
        for column, label in _REFERENCE_CURVES:
            ref = own if column == "cos_own" else column[len("cos_") :]
            duplicate = column == "cos_own" if own == "V_inf" else column != "cos_own" and ref == own
            if column not in sub or duplicate:
                continue  # each reference once: the run's own fixed point as `cos_own`, V_inf as itself
            kept = sub[~sub["dataset"].map(lambda name, ref=ref: (name, ref) in failed)]  # no unconverged fp
            if kept[column].notna().any():
                text = f"own fixed point ({own})" if column == "cos_own" else label
                _band(ax, kept, column, colors[column], text, "-" if column == "cos_own" else "--")
        bad = sorted({name for name, ref in failed if ref in (own, "fp_b1")})
        title = sub["label"].iloc[0] + (
            f"\n(fp not established (solver did not converge) on {', '.join(bad)}: left out)" if bad else ""
        )
        ax.set_title(title, color="crimson" if bad else "black")
        ax.set_xscale("log")
        ax.set_ylim(0.5, 1.01)
        ax.set_xlabel("step $t$")
        ax.set_ylabel(r"cos$(W_t, \cdot)$")
        ax.legend(loc="lower right", fontsize="x-small", frameon=True)
    ax = axes[len(runs)]
    for run_id in runs:
        sub = df[(df["run"] == run_id) & (df["own_converged"] == 1)].assign(distance=lambda d: 1.0 - d["cos_own"])
        if sub.empty:
            continue
        _band(ax, sub, "distance", run_colors[run_id], f"{sub['label'].iloc[0]} (to {sub['own_ref'].iloc[0]})")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("step $t$")
    ax.set_ylabel(r"$1 - \cos(W_t, \mathrm{own\ reference})$")
    ax.set_title("distance to the own reference (where it exists)")
    ax.legend(loc="lower left", fontsize="x-small", frameon=True)
    for extra in axes[len(runs) + 1 :]:
        extra.set_visible(False)
    seeds = df["dataset"].nunique()
    band = f"mean and min–max band over {seeds} data sets" if seeds > 1 else "one data set"
    k, d = (None, None) if cfg is None else (cfg["data"]["classes"], cfg["data"]["dim"])
    shape = f", k = {k}, d = {d}" if k is not None else ""
    fig.suptitle(rf"Multiclass Adam by batch size vs. its fixed point $fp_b$, $V_\infty$, $V_2$ (CE{shape}; {band})")
    fig.tight_layout()
    return fig
