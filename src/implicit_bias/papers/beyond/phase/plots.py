"""The `phase` study's figure: the phase diagram of log10(1 − cos(w_T, ·)), each fp_b cell marked with the check's
verdict on its runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .checks import CLOSE_TO_ONE, MIN_FALL_PER_DECADE, trend_table

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["figure"]

REFERENCES = {"cos_fp_b": "batch fixed point fp_b", "cos_fp_1": "per-sample fixed point fp_1",
              "cos_linf": "ℓ∞ max margin", "cos_l2": "ℓ2 max margin"}  # fmt: skip


def _row_order(df: pd.DataFrame) -> list[str]:
    keys = df[["batch_size", "sampling", "label"]].drop_duplicates().sort_values(["batch_size", "sampling"])
    return list(keys["label"])


def _status(g: pd.DataFrame) -> str:
    """A cell's mark in the fp_b panel: the check's verdict on its runs."""
    if not g["in_scope"].all():
        return "–"
    if not g["testable"].any():
        return "n/t"
    ok = g[g["testable"]]
    ok = (ok["fall_per_decade"] >= MIN_FALL_PER_DECADE) & (ok["lead"] - ok["lead_motion"] > 0)
    return f"✓ {int(ok.sum())}/{len(g)}" if ok.all() else f"✗ {int((~ok).sum())}/{len(g)}"


def figure(df: pd.DataFrame, cfg: dict | None = None) -> Figure:
    """Heatmaps of log10(1 − cos(w_T, ·)) (mean over data seeds of the log) with fp_b, fp_1, ℓ∞ and ℓ2 (rows: b and
    sampling, columns: β2), one row of panels per β1; the fp_b panel marks each cell with the check's verdict."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    sns.set_theme(style="white", context="paper", font_scale=1.0)
    shown = ("cos_fp_b", "cos_fp_1", "cos_linf", "cos_l2")
    beta1s = sorted(df["beta1"].unique())
    beta2s = sorted(df["beta2"].unique())
    rows = _row_order(df)
    trend = trend_table(df)
    fig, axes = plt.subplots(len(beta1s), len(shown), figsize=(4.4 * len(shown), 0.55 * len(rows) * len(beta1s) + 2.6),
                             squeeze=False, constrained_layout=True)  # fmt: skip
    seeds = df["seed"].nunique()
    lo = float(np.floor(np.log10(max((1.0 - df[list(shown)]).to_numpy().min(), 1e-12))))
    for i, beta1 in enumerate(beta1s):
        sub = trend[trend["beta1"] == beta1]
        for j, metric in enumerate(shown):
            ax = axes[i, j]
            logd = sub.assign(logd=np.log10(np.maximum(1.0 - sub[metric], 1e-16)))
            tab = logd.pivot_table(index="label", columns="beta2", values="logd", aggfunc="mean")
            tab = tab.reindex(index=rows, columns=beta2s)
            annot = tab.map(lambda v: "" if np.isnan(v) else f"{v:.1f}")
            if metric == "cos_fp_b":
                marks = {(r, c): _status(g) for (r, c), g in sub.groupby(["label", "beta2"])}
                annot = pd.DataFrame(
                    [
                        [annot.loc[r, c] + ("\n" + marks[(r, c)] if (r, c) in marks else "") for c in beta2s]
                        for r in rows
                    ],
                    index=rows,
                    columns=beta2s,
                )
            sns.heatmap(tab, ax=ax, vmin=lo, vmax=0.0, cmap="viridis", annot=annot, fmt="", annot_kws={"size": 6.5},
                        cbar=j == len(shown) - 1, cbar_kws={"label": "log10(1 − cos), mean over seeds"})  # fmt: skip
            ax.set_title(f"log10(1 − cos(w_T, {REFERENCES[metric]})), β1 = {beta1:g}", fontsize=9)
            ax.set_xlabel("β2")
            ax.set_ylabel("batch size, sampling" if j == 0 else "")
            ax.set_xticklabels([f"{b:g}" for b in beta2s])
    steps = int(df["step"].max())
    n = cfg["data"]["n"] if cfg else int(df["n"].max())
    fig.suptitle(
        f"Adam's implicit bias over batch size × β (Gaussian data, N = {n}, T = {steps:,} steps; cell: mean over "
        f"{seeds} data seeds of log10(1 − cos), darker = closer). fp_b panel, second line: batch_fixed_point on the "
        f"cell's runs — ✓/✗ k/{seeds}: runs passing/failing\n(1 − cos(w_t, fp_b) falls ≥ {MIN_FALL_PER_DECADE:.2f}× "
        f"over the last decade and fp_b leads its rivals), n/t: not testable at this T (no run near any candidate "
        f"limit), –: β2 < {CLOSE_TO_ONE:g}, outside the claim (reported, not asserted). Blank cells: β1 > β2 (not "
        "run). fp_1 at b = 1 and ℓ∞ at b = N are fp_b itself.",
        fontsize=8.5,
    )
    return fig
