"""The `real_data` study's figure: per data set, every run's cosine with its predicted reference over t, and the
final iterates as a heatmap, from the metric table alone."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["REFERENCE_NAMES", "RUN_COLORS", "figure"]

REFERENCE_NAMES = {"linf": "ℓ∞ max margin", "l2": "ℓ2 max margin", "fp": "fixed point"}
# the house colours (`plots.ALGORITHM_COLORS`) of the predicted runs; other runs get a sequential palette
RUN_COLORS = {"adam": "Det-Adam", "adam_b1": "Inc-Adam", "signgd": "SignSGD", "ngd": "GD"}


def figure(df: pd.DataFrame, cfg: dict) -> Figure:
    """Top row, one panel per data set: cosine of w_t with its predicted reference over t for every run (ℓ∞, ℓ2 or
    the fixed point; dashed: runs without a prediction, against the fixed point on pairs, ℓ2 on ten classes).
    Bottom row: the final values as a heatmap, runs × (cos ℓ∞, cos ℓ2, cos fp, γ̄_∞/γ_∞, γ̄_2/γ_2), the predicted
    cells outlined. One data set per column: digits is one fixed data set, so there are no bands."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.patches import Rectangle

    from ....plots import ALGORITHM_COLORS, series_colors

    sns.set_theme(style="whitegrid", context="paper", font_scale=1.0)
    names = list(dict.fromkeys(df["dataset"]))
    fig, axes = plt.subplots(2, len(names), figsize=(4.8 * len(names), 8.6), squeeze=False)
    colors = {**series_colors(dict.fromkeys(df["run"])), **{r: ALGORITHM_COLORS[a] for r, a in RUN_COLORS.items()}}
    columns = {
        "cos_linf": r"cos $\ell_\infty$",
        "cos_l2": r"cos $\ell_2$",
        "cos_fp": "cos fp",
        "margin_inf": r"$\bar\gamma_\infty/\gamma_\infty$",
        "margin_2": r"$\bar\gamma_2/\gamma_2$",
    }
    outlined = {"linf": ("cos_linf", "margin_inf"), "l2": ("cos_l2", "margin_2"), "fp": ("cos_fp",)}
    for j, name in enumerate(names):
        sub = df[df["dataset"] == name]
        ax = axes[0, j]
        for r in dict.fromkeys(sub["run"]):
            rs = sub[(sub["run"] == r) & (sub["step"] > 0)].sort_values("step")
            ref = rs["predicts"].fillna("").iloc[0]
            target = ref or ("fp" if rs["cos_fp"].notna().any() else "l2")
            ax.plot(
                rs["step"],
                rs[f"cos_{target}"],
                color=colors[r],
                ls="-" if ref else "--",
                lw=1.6,
                label=f"{rs['label'].iloc[0]} vs {REFERENCE_NAMES[target]}" + ("" if ref else " (no prediction)"),
            )
        ax.set_xscale("log")
        ax.set_xlim(1, sub["step"].max())
        ax.set_ylim(0.5, 1.005)
        ax.set_xlabel("step $t$")
        ax.set_ylabel("cosine with the predicted reference")
        unique = int(sub["linf_unique"].iloc[0])
        note = {0: r" — $\ell_\infty$ max margin NOT unique", 1: r", unique $\ell_\infty$ max margin"}.get(unique, "")
        ax.set_title(f"{name} (N = {int(sub['n'].iloc[0])}){note}", fontsize="small")
        ax.legend(loc="lower right", fontsize="x-small", frameon=True)
        final = sub.loc[sub.groupby("run", sort=False)["step"].idxmax()]
        table = final.set_index("label")[list(columns)].dropna(axis=1, how="all")
        hx = axes[1, j]
        sns.heatmap(
            table,
            ax=hx,
            vmin=0.5,
            vmax=1.0,
            cmap="viridis",
            annot=True,
            fmt=".3f",
            annot_kws={"fontsize": 7},
            cbar=j == len(names) - 1,
            xticklabels=[columns[c] for c in table.columns],
        )
        for i, ref in enumerate(final["predicts"].fillna("")):
            for col in outlined.get(ref, ()):
                hx.add_patch(Rectangle((list(table.columns).index(col), i), 1, 1, fill=False, ec="red", lw=2))
        hx.set_ylabel("")
        hx.set_title(f"{name}: final iterate (red: predicted)", fontsize="small")
        hx.tick_params(axis="x", labelrotation=30)
        hx.tick_params(axis="y", labelrotation=0)
    fig.suptitle(
        "Real data (sklearn digits, standardised per data set): alignment of the iterates with the ℓ∞ / ℓ2 max\n"
        "margin and the per-sample fixed point; one fixed data set per column, so no bands",
        fontsize=10,
    )
    fig.tight_layout()
    return fig
