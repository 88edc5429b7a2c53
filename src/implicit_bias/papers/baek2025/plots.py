"""Figures of baek2025, drawn from a metrics table only (never from a run).

`plot_curves`: a metric against the (log-scale) iteration, mean over data seeds with a min–max band, with optional
annotations: each run's fall over the last decade, a reference rate t^slope and the local slope against it, and a
bound on how far apart the runs are. `plot_heatmap`: a metric at T and its fall over the last decade on a grid of two
run settings (batch size × β). `plot_figure` draws a figure from its `baek2025.figures` entry.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.colors import LogNorm, Normalize, TwoSlopeNorm

from ...plots import series_colors
from .. import Artifact
from .checks import RATE_SLACK

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["PANELS", "decade_fall", "figure", "plot_curves", "plot_figure", "plot_heatmap"]

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
# run setting -> axis label of a heatmap
SETTINGS = {"batch_size": "batch size $b$", "beta1": r"$\beta$ ($\beta_1$)", "beta2": r"$\beta_2$"}

COS_ROUNDOFF = 1e-12  # below this, 1 − cos is float64 round-off: not drawn on the log panels
SLOPE_WINDOW = 0.5  # decades: the local slope at t is taken between the logged steps nearest t/10^0.5 and t
SLOPE_FROM = 10  # the local slope is drawn from this step on (before it, one step changes w by O(η_0))
NOTE_WIDTH = 150  # characters per line of a note under the panels
BOX = {"boxstyle": "round,pad=0.35", "facecolor": "white", "edgecolor": "0.7", "alpha": 0.92}


def _draw(ax, table, color, label, ls):
    mean, lo, hi = table.mean(axis=1), table.min(axis=1), table.max(axis=1)
    ax.plot(table.index, mean, color=color, label=label, lw=1.6, ls=ls)
    if table.shape[1] > 1:
        ax.fill_between(table.index, lo, hi, color=color, alpha=0.2, lw=0)


def decade_fall(table: pd.DataFrame) -> tuple[float, np.ndarray]:
    """How much a positive quantity fell over the last decade of steps: value(T/10) / value(T).

    `table` is indexed by step, one column per seed. T/10 is the logged step nearest 0.1·T (as the checks take it).
    Returns the fall of the seed mean (the drawn line) and the fall of each seed.
    """
    steps = table.index.to_numpy()
    early = steps[np.argmin(np.abs(steps - 0.1 * steps.max()))]
    per_seed = (table.loc[early] / table.loc[steps.max()]).to_numpy(dtype=float)
    return float(table.loc[early].mean() / table.loc[steps.max()].mean()), per_seed


def _wrap(text: str, width: int = NOTE_WIDTH) -> str:
    """Break `text` into lines of at most about `width` characters, at spaces outside matplotlib's $...$ math."""
    if "\n" in text:
        return "\n".join(_wrap(part, width) for part in text.split("\n"))
    chunks, inside = [""], False
    for word in text.split(" "):
        chunks[-1] = f"{chunks[-1]} {word}" if chunks[-1] else word
        inside ^= word.count("$") % 2 == 1
        if not inside:
            chunks.append("")
    lines = [""]
    for chunk in filter(None, chunks):
        if lines[-1] and len(lines[-1]) + 1 + len(chunk) > width:
            lines.append(chunk)
        else:
            lines[-1] = f"{lines[-1]} {chunk}" if lines[-1] else chunk
    return "\n".join(lines)


def _fall_text(mean: float, per_seed: np.ndarray) -> str:
    if len(per_seed) == 1:
        return f"×{mean:.3g}"
    return f"×{mean:.3g} ({per_seed.min():.3g}–{per_seed.max():.3g})"


def _rate_text(slope: float) -> str:
    frac = Fraction(slope).limit_denominator(12)
    return f"t^{{{frac.numerator}/{frac.denominator}}}" if frac.denominator > 1 else f"t^{{{frac.numerator}}}"


def _local_slope(table: pd.DataFrame) -> pd.DataFrame:
    """d log value / d log t per seed, between the logged steps nearest t/10^SLOPE_WINDOW and t."""
    steps = table.index.to_numpy(dtype=float)
    logs = np.log10(steps)
    back = np.array([np.argmin(np.abs(logs - (x - SLOPE_WINDOW))) for x in logs])
    keep = (logs - logs[0] >= SLOPE_WINDOW - 1e-9) & (steps >= SLOPE_FROM) & (back < np.arange(len(steps)))
    values = np.log10(table.to_numpy(dtype=float))
    slope = (values[keep] - values[back[keep]]) / (logs[keep] - logs[back[keep]])[:, None]
    return pd.DataFrame(slope, index=table.index[keep], columns=table.columns)


def _angle_spread(tables: Sequence[pd.DataFrame]) -> pd.DataFrame:
    """Bound on the largest 1 − cos between two runs, from each run's cosine to one reference w_ref.

    Angles on the sphere obey the triangle inequality, ∠(w_a, w_b) ≤ ∠(w_a, w_ref) + ∠(w_ref, w_b), so
    1 − cos(w_a, w_b) ≤ 1 − cos(min(θ_a + θ_b, π)) with θ = arccos cos(w, w_ref): the bound needs only the metrics
    table, which has no cosine between two runs. Per seed, the largest bound over pairs of runs.
    """
    common = tables[0].index
    for t in tables[1:]:
        common = common.intersection(t.index)
    theta = np.stack([np.arccos(np.clip(t.loc[common].to_numpy(dtype=float), -1.0, 1.0)) for t in tables])
    worst = np.sort(theta, axis=0)[-2:].sum(axis=0)  # the two largest angles make the widest pair
    return pd.DataFrame(1.0 - np.cos(np.minimum(worst, np.pi)), index=common, columns=tables[0].columns)


def _fall_box(ax: Axes, lines: Sequence[str]) -> None:
    """The last-decade falls of a log panel, in a box in its lower left corner (kept free by `_room_below`: the
    curves of a falling quantity run from the upper left to the lower right)."""
    head = "fall over the last decade, value(T/10)/value(T):\nof the drawn seed-mean line (min–max of the seeds' own)"
    text = "\n".join([head, *lines])
    ax.text(0.03, 0.04, text, transform=ax.transAxes, ha="left", va="bottom", fontsize="x-small", bbox=BOX)


def _room_below(ax: Axes, fraction: float) -> None:
    """Lower a log axis so that its bottom `fraction` holds no data (room for an annotation box)."""
    lo, hi = ax.get_ylim()
    span = np.log10(hi / lo)
    ax.set_ylim(lo / 10 ** (span * fraction / (1 - fraction)), hi)


def _rate_guide(ax: Axes, tables: Sequence[pd.DataFrame], slope: float, label: str) -> None:
    """A dashed line ∝ t^slope over the last three decades, a factor 3 below the lowest seed there."""
    t_end = max(t.index.max() for t in tables)
    t = np.logspace(np.log10(t_end) - 3, np.log10(t_end), 50)
    late = [tab.loc[tab.index >= t[0]] for tab in tables]
    lowest = min(float((tab.min(axis=1) / tab.index.to_numpy(dtype=float) ** slope).min()) for tab in late)
    ax.plot(t, lowest / 3 * t**slope, color="black", ls="--", lw=1.2, label=f"$\\propto {_rate_text(slope)}$ ({label})")


def plot_curves(
    df: pd.DataFrame,
    runs: Sequence[str],
    panels: Sequence[str],
    title: str,
    n_seeds: int | None = None,
    dashed: Iterable[str] = (),
    fall: bool = False,
    guide: Mapping[str, Any] | None = None,
    spread: str | None = None,
    note: str | None = None,
) -> Figure:
    """One panel per metric; one line per run (mean over seeds) with a min–max band across seeds.

    Every cosine panel gets a companion panel below it with 1 − cos on a log axis, so that a limit near a reference
    but not at it (cos 0.97 against 1.0) is visible. Runs listed in `dashed` are drawn dashed (e.g. the smaller β of a
    β × batch-size grid). One legend, outside the panels, serves every panel (the same runs in each).

    Annotations, each off by default:
    - `fall`: every log panel states each run's fall over the last decade, value(T/10)/value(T), so that a plateau
      (×1) and a rate (×√10 for t^(−1/2)) read as numbers.
    - `guide` ({slope, label}): a dashed reference ∝ t^slope on the log panels of non-cosine metrics (the margin gap),
      and in the slot below such a panel its local slope d log / d log t per run against that slope.
    - `spread` (a cosine metric among `panels`): on its 1 − cos panel, the triangle-inequality bound on the largest
      1 − cos between two runs; it falls to 0 only if the runs share one limit.
    - `note`: text under the panels, wrapped to NOTE_WIDTH characters a line.
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
    extra_handles = []
    for col, metric in enumerate(panels):
        ax = axes[0][col]
        ylabel, stem, logy = PANELS[metric]
        low = axes[1][col] if has_cos else None
        slope_panel = low is not None and guide is not None and logy and not metric.startswith("cos_")
        falls, low_falls, tables = [], [], []
        for run, label in zip(runs, labels):
            sub = df[(df["run"] == run) & (df["step"] > 0)]
            table = sub.pivot_table(index="step", columns="seed", values=metric)
            tables.append(table)
            ls = "--" if run in dashed else "-"
            _draw(ax, table, colors[label], label, ls)
            if fall and logy:
                falls.append(f"{label}: {_fall_text(*decade_fall(table))}")
            if low is not None and metric.startswith("cos_"):
                # 1 − cos; points with 1 − cos <= COS_ROUNDOFF (cos = 1 to round-off) are left out, not floored,
                # so that they neither break the log axis nor stretch it down to 1e-16
                gap = (1.0 - table).where(1.0 - table > COS_ROUNDOFF)
                _draw(low, gap, colors[label], label, ls)
                if fall:
                    low_falls.append(f"{label}: {_fall_text(*decade_fall(gap))}")
            if slope_panel:
                _draw(low, _local_slope(table), colors[label], label, ls)
        ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        ax.set_xlabel("iteration $t$")
        ax.set_ylabel(ylabel)
        ax.set_title(stem)
        if guide is not None and logy and not metric.startswith("cos_"):
            _rate_guide(ax, tables, guide["slope"], guide["label"])
        if fall and logy:
            _room_below(ax, 0.3)
            _fall_box(ax, falls)
        if low is not None:
            if metric.startswith("cos_"):
                low.set_xscale("log")
                low.set_yscale("log")
                low.set_xlabel("iteration $t$")
                low.set_ylabel(r"$1-\cos$ (log scale)")
                low.set_title(f"{stem}: distance from 1")
                if spread == metric:
                    bound = _angle_spread([t.where(t < 1.0 - COS_ROUNDOFF) for t in tables])
                    _draw(low, bound, "black", r"bound on $1-\cos$ between any two runs", ":")
                    extra_handles.append(low.lines[-1])
                    low_falls.append(f"bound, any two runs: {_fall_text(*decade_fall(bound))}")
                if fall:
                    _room_below(low, 0.35)
                    _fall_box(low, low_falls)
            elif slope_panel:
                rate = guide["slope"]  # type: ignore[index]  # a slope panel has its guide
                line = low.axhline(rate, color="black", ls="--", lw=1.2)
                line.set_label(f"$\\propto {_rate_text(rate)}$ ({guide['label']})")  # type: ignore[index]
                low.set_xscale("log")
                low.set_xlabel("iteration $t$")
                low.set_ylabel(r"$d\,\log(\mathrm{gap}) / d\,\log t$")
                low.set_title(f"{stem}: local slope (over half a decade)")
                low.set_ylim(min(-1.5, rate - 0.5), 0.5)
            else:
                low.set_axis_off()
    handles, leg_labels = axes[0][0].get_legend_handles_labels()
    for ax in axes[0][1:]:
        for h, lab in zip(*ax.get_legend_handles_labels()):
            if lab not in leg_labels:
                handles.append(h)
                leg_labels.append(lab)
    for h in extra_handles:
        handles.append(h)
        leg_labels.append(h.get_label())
    fig.legend(handles, leg_labels, loc="outside right center", fontsize="small", frameon=True, title="run")
    seeds = df["seed"].nunique() if n_seeds is None else n_seeds
    band = f"mean and min–max band over {seeds} data seeds" if seeds > 1 else "one data set"
    fig.suptitle(f"{title} ({band})")
    if note:
        fig.supxlabel(_wrap(note), fontsize="small")
    return fig


def _run_value(settings: Mapping[str, Any], run: str, key: str) -> float:
    """A run's setting from the metrics table's provenance; a batch size of None (full batch) is the data size n."""
    value = settings["runs"][run][key]
    if key == "batch_size" and value is None:
        value = settings.get("dataset", {}).get("dataset", {}).get("n", np.inf)
    return float(value)


def _tick(key: str, value: float, settings: Mapping[str, Any]) -> str:
    n = settings.get("dataset", {}).get("dataset", {}).get("n")
    if key == "batch_size":
        return "full" if not np.isfinite(value) else f"{value:g}" + (" (full)" if value == n else "")
    return f"{value:g}"


def _cell_text(mean: float, per_seed: np.ndarray, fmt: str) -> str:
    if len(per_seed) == 1:
        return format(mean, fmt)
    return f"{mean:{fmt}}\n({per_seed.min():{fmt}}–{per_seed.max():{fmt}})"


def _heat(ax: Axes, values: np.ndarray, texts: list[list[str]], cmap: str, norm, rows, cols, cbar: str, fig):
    image = ax.imshow(values, cmap=cmap, norm=norm, aspect="auto")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            rgba = image.cmap(image.norm(values[i, j]))
            dark = 0.299 * rgba[0] + 0.587 * rgba[1] + 0.114 * rgba[2] < 0.5
            ax.text(j, i, texts[i][j], ha="center", va="center", fontsize="small", color="white" if dark else "black")
    ax.set_xticks(range(len(cols[1])), cols[1])
    ax.set_yticks(range(len(rows[1])), rows[1])
    ax.set_xlabel(cols[0])
    ax.set_ylabel(rows[0])
    ax.grid(False)
    return fig.colorbar(image, ax=ax, label=cbar)


def plot_heatmap(
    df: pd.DataFrame,
    runs: Sequence[str],
    metric: str,
    settings: Mapping[str, Any],
    rows: str,
    columns: str,
    title: str,
    guide: Mapping[str, Any] | None = None,
    note: str | None = None,
) -> Figure:
    """Two heatmaps over a grid of two run settings (e.g. batch size × β), one cell per run.

    Left: `metric` at the last step T on a log colour scale, seed mean, the per-seed min–max written in the cell.
    Right: its fall over the last decade, value(T/10)/value(T) (`decade_fall`), per cell the fall of the seed mean
    with the min–max of the seeds' own falls. With a `guide` ({slope, label}) the right map is diverging, centred at
    the rate's fall 10^(−slope) (√10 for t^(−1/2)) with ×1 (no fall) at the red end, and a cell where seeds fall by
    less than RATE_SLACK of it (the checks' criterion for a run slower than the rate) is marked "stalls" with how
    many seeds do.
    """
    sns.set_theme(style="white", context="paper", font_scale=1.1)
    _, stem, _ = PANELS[metric]
    place = {r: (_run_value(settings, r, rows), _run_value(settings, r, columns)) for r in runs}
    row_values = sorted({v[0] for v in place.values()})
    col_values = sorted({v[1] for v in place.values()})
    if len(set(place.values())) != len(runs):
        raise ValueError(f"figure runs {list(runs)}: two runs share one ({rows}, {columns}) cell")
    shape = (len(row_values), len(col_values))
    level, fall = np.full(shape, np.nan), np.full(shape, np.nan)
    level_text = [["" for _ in col_values] for _ in row_values]
    fall_text = [["" for _ in col_values] for _ in row_values]
    rate = None if guide is None else 10.0 ** (-guide["slope"])
    for run, (rv, cv) in place.items():
        i, j = row_values.index(rv), col_values.index(cv)
        table = df[(df["run"] == run) & (df["step"] > 0)].pivot_table(index="step", columns="seed", values=metric)
        final = table.loc[table.index.max()].to_numpy(dtype=float)
        level[i, j] = final.mean()
        level_text[i][j] = _cell_text(final.mean(), final, ".2g")
        mean, per_seed = decade_fall(table)
        fall[i, j] = mean
        fall_text[i][j] = _cell_text(mean, per_seed, ".2f")
        if rate is not None and (per_seed < RATE_SLACK * rate).any():
            fall_text[i][j] += f"\nstalls on {int((per_seed < RATE_SLACK * rate).sum())}/{len(per_seed)} seeds"
    row_axis = (SETTINGS.get(rows, rows), [_tick(rows, v, settings) for v in row_values])
    col_axis = (SETTINGS.get(columns, columns), [_tick(columns, v, settings) for v in col_values])
    fig, (left, right) = plt.subplots(1, 2, figsize=(12.5, 0.8 * len(row_values) + 2.4), layout="constrained")
    fig.get_layout_engine().set(wspace=0.12)  # type: ignore[union-attr, call-arg]  # the constrained engine
    norm: Normalize = LogNorm(vmin=np.nanmin(level), vmax=np.nanmax(level))
    _heat(left, level, level_text, "viridis", norm, row_axis, col_axis, f"{stem} at $T$ (log scale)", fig)
    left.set_title(f"{stem} at $T$: seed mean (min–max)")
    label = "gap(T/10) / gap(T)" if metric == "gap_linf" else "value(T/10) / value(T)"
    if rate is None:
        _heat(right, fall, fall_text, "viridis", None, row_axis, col_axis, label, fig)
    else:
        # ×1 (no fall) at the red end, the rate's fall white, as far above it in blue: a fixed scale
        low = min(1.0, float(np.nanmin(fall)))
        norm = TwoSlopeNorm(vcenter=rate, vmin=low, vmax=2 * rate - low)
        bar = _heat(right, fall, fall_text, "RdBu", norm, row_axis, col_axis, label, fig)
        ticks = {low: f"{low:.3g} (flat)", RATE_SLACK * rate: f"{RATE_SLACK * rate:.2f} (slower than the rate below)"}
        ticks[rate] = f"{rate:.2f}: ${_rate_text(guide['slope'])}$ ({guide['label']})"  # type: ignore[index]  # a rate comes with its guide
        bar.set_ticks(list(ticks), labels=list(ticks.values()))
    right.set_title("fall over the last decade: of the seed mean (min–max of the seeds')")
    if rate is not None:
        stall = (
            f"stalls on k/n seeds: on k seeds the fall is below {RATE_SLACK:g} × {rate:.2f} = {RATE_SLACK * rate:.2f}, "
            "the checks' criterion for a run slower than the rate"
        )
        note = stall if not note else f"{note}\n{stall}"
    if note:
        fig.supxlabel(_wrap(note), fontsize="small")
    seeds = df["seed"].nunique()
    fig.suptitle(f"{title} ({seeds} data seeds)" if seeds > 1 else f"{title} (one data set)")
    return fig


def plot_figure(df: pd.DataFrame, spec: Mapping[str, Any], title: str, settings: Mapping[str, Any] | None) -> Figure:
    """The figure a `baek2025.figures` entry describes, from its experiment's metrics table and that table's
    provenance (`settings`: the experiment's run settings, which a heatmap places its runs by)."""
    if spec.get("style", "curves") == "heatmap":
        grid = spec["heatmap"]
        if settings is None:
            raise ValueError("a heatmap places its runs by their settings: the metrics table has no provenance")
        rows, columns = grid["rows"], grid["columns"]
        metric, guide, note = spec["panels"][0], spec.get("guide"), spec.get("note")
        return plot_heatmap(df, spec["runs"], metric, settings, rows, columns, title, guide, note)
    return plot_curves(
        df,
        spec["runs"],
        spec["panels"],
        title,
        dashed=spec.get("dashed", ()),
        fall=spec.get("fall", False),
        guide=spec.get("guide"),
        spread=spec.get("spread"),
        note=spec.get("note"),
    )


def figure(s: dict, name: str, tables: dict[str, Artifact]) -> Artifact:
    """Figure `name` from its experiment's table, as its `baek2025.figures` entry (`s["figure"]`) says; it records
    that entry and the table's settings."""
    spec = s["figure"]
    ((_, table),) = tables.items()
    title = f"baek2025 {name.replace('fig', 'Fig. ')}: {spec.get('title', spec['experiment'])}"
    return Artifact(plot_figure(table.content, spec, title, table.record), {"figure": spec, "metrics": table.record})
