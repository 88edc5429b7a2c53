"""Figures of fan2025: Fig. 1 (four panels), relative margin gaps with the theoretical rates, and the NSD family.

Curves are the mean over data seeds with a min–max band, on log-scale iteration axes (the paper's Fig. 1).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import matplotlib.pyplot as plt
import numpy as np
import seaborn as sns

from ...plots import ALGORITHM_COLORS
from .. import Artifact
from .net_plots import fig3_net
from .spectral_plots import SPECTRAL_FIGURES

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.figure import Figure

__all__ = ["FIGURES", "fig1", "fig1_gaps", "fig3_net", "fig_losses", "fig_nsd", "figure"]

_PAL = sns.color_palette("colorblind", 10)
COLORS = {
    "NGD": ALGORITHM_COLORS.get("GD", _PAL[7]),
    "SignGD": ALGORITHM_COLORS.get("SignSGD", _PAL[5]),
    "Adam (eps=0)": _PAL[0],
    # the ε > 0 curves leave ε = 0 within the plotted range (c7), so each gets its own hue and dash pattern
    "Adam (eps=1e-16)": _PAL[9],
    "Adam (eps=1e-12)": _PAL[4],
    "Adam (eps=1e-8)": _PAL[3],
}
EPS_STYLES = {"adam_eps1e-16": (0, (6, 2)), "adam_eps1e-12": "-.", "adam_eps1e-8": (0, (1.5, 1.5))}
FIG1_RUNS = ("ngd", "signgd", "adam_eps0", "adam_eps1e-16", "adam_eps1e-12", "adam_eps1e-8")


def _curve(ax, df, run, metric, color, label, transform=None, ls="-"):
    sub = df[(df["run"] == run) & (df["step"] > 0)]
    if sub.empty:
        return
    tab = sub.pivot_table(index="step", columns="seed", values=metric)
    if transform is not None:
        tab = transform(tab, sub)
    mean, lo, hi = tab.mean(axis=1), tab.min(axis=1), tab.max(axis=1)
    ax.plot(tab.index, mean, color=color, label=label, lw=1.6, ls=ls)
    if tab.shape[1] > 1:
        ax.fill_between(tab.index, lo, hi, color=color, alpha=0.18, lw=0)


def _label(df, run):
    return df.loc[df["run"] == run, "label"].iloc[0]


def _band_note(df):
    seeds = df["seed"].nunique()
    return f"mean and min–max band over {seeds} data seeds" if seeds > 1 else "one data set"


def fig1(frames: dict[str, pd.DataFrame]) -> Figure:
    """Panels (a) γ̄_2/γ_2, (b) γ̄_∞/γ_∞, (c) corr with V_∞, (d) corr with V_2; NGD, SignGD, Adam at four ε.

    A vertical line in each ε > 0 curve's colour marks the first step at which it departs from ε = 0 on some seed
    (max |Δ| ≥ 0.01 over the four panels' quantities: c7's measure)."""
    from .tables import DEPART, departure_steps, eps_distances

    df = frames["main"]
    departs = {}
    for run, dist in eps_distances(df).items():
        steps = [d for d in departure_steps(dist) if d is not None]
        if steps:
            departs[run] = min(steps)
    sns.set_theme(style="whitegrid", context="paper", font_scale=1.05)
    fig, axes = plt.subplots(1, 4, figsize=(19, 4.2))
    panels = [
        ("gap_2", r"$\bar\gamma_2(W_t)/\gamma_2$", r"(a) $\ell_2$-norm margin", True),
        ("gap_inf", r"$\bar\gamma_\infty(W_t)/\gamma_\infty$", "(b) max-norm margin", True),
        ("corr_inf", r"corr$(W_t, V_\infty)$", r"(c) correlation with $V_\infty$", False),
        ("corr_2", r"corr$(W_t, V_2)$", r"(d) correlation with $V_2$", False),
    ]
    for ax, (metric, ylabel, title, is_gap) in zip(axes, panels):
        for run in FIG1_RUNS:
            if run not in set(df["run"]):
                continue
            label = _label(df, run)
            tr = (lambda tab, sub: 1.0 - tab) if is_gap else None  # γ̄/γ = 1 − relative gap
            _curve(ax, df, run, metric, COLORS.get(label, _PAL[0]), label, tr, EPS_STYLES.get(run, "-"))
        for run, step in departs.items():
            color = COLORS.get(_label(df, run), _PAL[0])
            ax.axvline(step, color=color, lw=1.0, ls=":")
            ax.annotate(
                f"{_label(df, run)[6:-1]}: t={step}",
                (step, 0.36),
                xycoords=ax.get_xaxis_transform(),
                rotation=90,
                fontsize="x-small",
                color=color,
                ha="right",
                va="bottom",
            )
        if is_gap:
            ax.axhline(1.0, color="k", lw=0.8, ls=":")
        ax.set_xscale("log")
        ax.set_xlim(1, df["step"].max())
        ax.set_ylim(0.0 if is_gap else 0.5, 1.02)
        ax.set_xlabel("iteration $t$")
        ax.set_ylabel(ylabel)
        ax.set_title(title)
    for ax in axes:
        ax.legend(loc="lower right", fontsize="x-small", frameon=True)
    note = f"; dotted verticals: first t at which an eps > 0 curve is {DEPART:g} from eps = 0" if departs else ""
    fig.suptitle(f"fan2025 Fig. 1: CE loss, k = 10, d = 25, n = 500 ({_band_note(df)}){note}")
    fig.tight_layout()
    return fig


# The rates the theory proves, as (metric, run, exponent): SignGD's and Adam's max-norm gaps and NGD's ℓ2 gap. No
# guide on the others: NGD's max-norm gap and SignGD's / Adam's ℓ2 gaps do not go to 0 (NGD's plateaus at ~0.55).
RATE_GUIDES = (
    ("gap_inf", "signgd", 0.5, r"$t^{-1/2}$"),
    ("gap_inf", "adam_eps0", 1 / 3, r"$t^{-1/3}$"),
    ("gap_2", "ngd", 0.5, r"$t^{-1/2}$"),
)
RATE_ANCHOR = 1e4  # each guide passes through its run's mean curve at this t (the nearest recorded step)


def fig1_gaps(frames: dict[str, pd.DataFrame]) -> Figure:
    """Relative max-norm and ℓ2 margin gaps on log-log axes (T = 10⁵ runs when available), with the theory's rates
    only where the theory bounds the gap: t^(−1/2) on SignGD's and t^(−1/3) on Adam's max-norm gap, t^(−1/2) on NGD's
    ℓ2 gap. Each guide passes through its run's mean curve at t = 10⁴ (or T/10 for shorter runs) and is drawn over
    [t_anchor/10, T]."""
    df = frames.get("long", frames["main"])
    sns.set_theme(style="whitegrid", context="paper", font_scale=1.05)
    fig, axes = plt.subplots(1, 2, figsize=(11.5, 4.4))
    tmax = df["step"].max()
    anchor = min(RATE_ANCHOR, tmax / 10)
    present = set(df["run"])
    for ax, metric, title in (
        (axes[0], "gap_inf", r"relative max-norm gap $(\gamma_\infty-\bar\gamma_\infty)/\gamma_\infty$"),
        (axes[1], "gap_2", r"relative $\ell_2$ gap $(\gamma_2-\bar\gamma_2)/\gamma_2$"),
    ):
        for run in ("ngd", "signgd", "adam_eps0"):
            if run in present:
                label = _label(df, run)
                _curve(ax, df, run, metric, COLORS[label], label)
        t = np.geomspace(anchor / 10, tmax, 50)
        for g_metric, run, rate, txt in RATE_GUIDES:
            if g_metric != metric or run not in present:
                continue
            tab = df[df["run"] == run].pivot_table(index="step", columns="seed", values=metric).mean(axis=1)
            steps = tab.index.to_numpy()
            j = np.argmin(np.abs(np.log(np.maximum(steps, 1)) - np.log(anchor)))
            a = tab.iloc[j] * steps[j] ** rate
            if a > 0:
                ax.plot(
                    t,
                    a * t ** (-rate),
                    color="0.15",
                    ls=":" if rate == 0.5 else "-.",
                    lw=1.2,
                    label=f"rate {txt} ({_label(df, run)})",
                )
                ax.plot(steps[j], tab.iloc[j], "o", color="0.15", ms=3.5)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("iteration $t$")
        ax.set_ylabel("relative margin gap")
        ax.set_title(title)
        ax.legend(loc="lower left", fontsize="small", frameon=True)
    fig.suptitle(
        f"fan2025: relative margin gaps and the theoretical rates, anchored at t = {anchor:g} ({_band_note(df)})"
    )
    fig.tight_layout()
    return fig


def fig_nsd(frames: dict[str, pd.DataFrame]) -> Figure:
    """NSD for p ∈ {1, 2, 3, ∞}: (a) own-norm relative gap over t; (b) every method's gap in every norm at T."""
    df = frames["nsd"]
    sns.set_theme(style="whitegrid", context="paper", font_scale=1.05)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    runs = list(dict.fromkeys(df["run"]))
    norms = sorted((c[len("gap_") :] for c in df.columns if c.startswith("gap_")), key=lambda s: (s == "inf", s))
    pal = sns.color_palette("viridis", len(runs))
    own_of = {}
    for color, run in zip(pal, runs):
        own = run[1:] if run.startswith("p") else run
        own_of[run] = own
        if f"gap_{own}" in df.columns:
            _curve(axes[0], df, run, f"gap_{own}", color, _label(df, run))
    axes[0].set_xscale("log")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("iteration $t$")
    axes[0].set_ylabel(r"$(\gamma_p-\bar\gamma_p(W_t))/\gamma_p$, own norm $p$")
    axes[0].set_title("(a) own-norm relative margin gap")
    axes[0].legend(loc="lower left", fontsize="small")
    last = df[df["step"] == df["step"].max()]
    width = 0.8 / len(runs)
    x = np.arange(len(norms))
    for r_i, (color, run) in enumerate(zip(pal, runs)):
        means = [last.loc[last["run"] == run, f"gap_{nm}"].mean() for nm in norms]
        axes[1].bar(x + (r_i - (len(runs) - 1) / 2) * width, means, width, color=color, label=_label(df, run))
    ticks = [r"$\ell_\infty$" if nm == "inf" else rf"$\ell_{{{nm}}}$" for nm in norms]
    axes[1].set_xticks(x, ticks)
    axes[1].set_yscale("log")
    axes[1].set_xlabel("norm in which the margin gap is measured")
    axes[1].set_ylabel(f"relative gap at t = {int(df['step'].max())}")
    axes[1].set_title("(b) each method is closest in its own norm")
    axes[1].legend(
        loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small", title="method", title_fontsize="small"
    )
    fig.suptitle(f"fan2025: normalised steepest descent for entry-wise p-norms ({_band_note(df)})")
    fig.tight_layout()
    return fig


# App. F runs (experiment `losses`) and their CE counterparts (experiment `long`): (experiment, run, label, colour, ls)
LOSS_CURVES = (
    ("long", "signgd", "SignGD, CE", COLORS["SignGD"], "-"),
    ("losses", "signgd_exp", None, _PAL[3], "--"),
    ("losses", "signgd_pairlog", None, _PAL[4], "-."),
    ("long", "adam_eps0", "Adam, CE", COLORS["Adam (eps=0)"], "-"),
    ("losses", "adam_exp", None, _PAL[2], "--"),
    ("losses", "adam_pairlog", None, sns.color_palette("dark", 10)[4], "-."),
)


def fig_losses(frames: dict[str, pd.DataFrame]) -> Figure:
    """App. F: relative max-norm and ℓ2 margin gaps of SignGD and Adam (ε = 0) under the exponential loss and
    PairLogLoss, with the CE runs for comparison (when the `long` experiment is given)."""
    sns.set_theme(style="whitegrid", context="paper", font_scale=1.05)
    fig, axes = plt.subplots(1, 2, figsize=(12, 4.4))
    tmax = 1
    for ax, metric, title in (
        (axes[0], "gap_inf", r"(a) relative max-norm gap $(\gamma_\infty-\bar\gamma_\infty)/\gamma_\infty$"),
        (axes[1], "gap_2", r"(b) relative $\ell_2$ gap $(\gamma_2-\bar\gamma_2)/\gamma_2$"),
    ):
        for exp, run, label, color, ls in LOSS_CURVES:
            df = frames.get(exp)
            if df is None or run not in set(df["run"]):
                continue
            tmax = max(tmax, df.loc[df["run"] == run, "step"].max())
            _curve(ax, df, run, metric, color, label or _label(df, run), ls=ls)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlim(1, tmax)
        ax.set_xlabel("iteration $t$")
        ax.set_ylabel("relative margin gap")
        ax.set_title(title)
        ax.legend(loc="lower left", fontsize="small", frameon=True)
    fig.suptitle(f"fan2025 App. F: exponential loss and PairLogLoss, k = 10 ({_band_note(frames['losses'])})")
    fig.tight_layout()
    return fig


FIGURES = {
    "fig1": fig1,
    "fig1_gaps": fig1_gaps,
    "fig_nsd": fig_nsd,
    "fig_losses": fig_losses,
    **SPECTRAL_FIGURES,
    "fig3_net": fig3_net,
}


def figure(s: dict, name: str, tables: dict[str, Artifact]) -> Artifact:
    """Figure `name` from the tables of its experiments; it records each table's settings."""
    fig = FIGURES[name]({exp: table.content for exp, table in tables.items()})
    return Artifact(fig, {exp: table.record for exp, table in tables.items()})
