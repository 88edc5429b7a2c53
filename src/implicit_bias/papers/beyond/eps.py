"""Study `eps`: ε in per-sample Adam — when do the iterates leave the AdamProxy fixed point for ℓ2?

baek2025 prove that per-sample (batch size 1, cyclic) Adam with ε = 0 converges in direction to the fixed point of
its proxy problem P(c) (Algorithm 3); fan2025 (full batch) find that Adam with ε > 0 behaves like Adam until the
gradient reaches ε's scale and like GD afterwards (GD → the ℓ2 max margin). Together they predict: per-sample Adam
with ε > 0 follows ε = 0 towards the fixed point until its per-sample gradients reach ε, then drifts towards ℓ2;
so the departure should come when log |g| ≈ log ε, i.e. log |g| at the departure has slope 1 on log ε.

Data: baek2025's Gaussian experiment (`gaussian(n, d, seed)`, labels absorbed), one data set per seed. Runs: one
batched kernel (`train_many`) per data set over the ε list, baek2025's Inc-Adam settings otherwise (config.yaml
baek2025.gaussian_adam.inc_adam: the package defaults lr 0.1, decay 0.5, β1 0.9, β2 0.95, no bias correction).

The departure (`departure_step`), read directly off the runs: the first logged step from which the ε run stays
apart from the ε = 0 run, 1 − cos(w_ε(t), w_0(t)) > δ until the end, with δ = `departure_fraction` × (1 − cos(fp,
ℓ2)), a stated fraction (default 1%) of the distance between the two candidate limits. Before ε matters the two runs
are the same computation (1 − cos at rounding level); ε nudges the small-gradient coordinates in the first steps
(up to 2e-4 at ε = 1e-4, and back down), which "stays above until the end" skips; the peak of cos(w_t, fp) is no
detector: it mixes the approach to fp with the departure from it.

The gradient scale: log g_t = log max_i ‖∇ℓ_i(w_t)‖_∞ = max_i (−⟨x_i, w_t⟩ + log ‖x_i‖_∞) for the exponential loss
ℓ_i(w) = exp(−⟨x_i, w⟩): the largest entry of the per-sample gradients whose squares Adam's v averages, to be
compared with ε in m / (√v + ε). log L differs from it by O(log N + log max|x|) and is reported too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ...checks import Artifacts, Check, Criterion, Source, Verdict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "CHECKS",
    "FIGURE",
    "check_config",
    "datasets",
    "departure_step",
    "departure_table",
    "figure",
    "make_dataset",
    "metrics",
    "references",
    "run",
    "run_name",
]

STUDY = "eps"
FIGURE = "eps_per_sample"

# the Adam settings a config may give, passed to `train` as they are (else `train`'s defaults, which are baek2025's
# Inc-Adam run: config.yaml baek2025.gaussian_adam.inc_adam sets none of them)
ADAM_KEYS = ("lr", "decay", "beta1", "beta2")
END_COS_FP = 0.995  # the baek2025 spec's pass level for "per-sample Adam -> its fixed point" (not the paper's)
SLOPE_BAND = (0.8, 1.2)  # around the theory's slope 1 (reason in `eps_per_sample`)
ZOOM_FROM = 100  # the figure's cosine panels start here (before, every run is far from every reference)


# ---------------------------------------------------------------------------------------------------- config
def _settings(cfg: dict) -> dict:
    """The study's cfg with its defaults filled in (the schema, beyond.schema.yaml, has checked every key)."""
    return {"batch_size": 1, "departure_fraction": 0.01, "num_log": 400, "fixed_point": {}, **cfg}


def check_config(cfg: dict) -> None:
    """What the schema cannot say: the batch size is below n and divides it (cyclic mini-batches of whole size, and
    b = n would be full batch, not the study's per-sample case); a ValueError "eps.batch_size: <problem>"."""
    s = _settings(cfg)
    b, n = s["batch_size"], s["n"]
    if b >= n or n % b:
        raise ValueError(f"eps.batch_size: must be below eps.n = {n} and divide it (cyclic mini-batches); got {b}")


def run_name(eps: float) -> str:
    """The run of one ε (a plain name, usable as an npz key prefix): 'eps_0', 'eps_1e-16', ..."""
    return f"eps_{float(eps):g}"


def datasets(cfg: dict) -> list[str]:
    return [f"s{seed}" for seed in _settings(cfg)["seeds"]]


def _seed(name: str) -> int:
    return int(name.removeprefix("s"))


def make_dataset(cfg: dict, name: str) -> dict[str, np.ndarray]:
    """baek2025's Gaussian data for the seed in `name` (labels absorbed: x_i <- y_i x_i)."""
    from ... import gaussian

    s = _settings(cfg)
    seed = _seed(name)
    if seed not in s["seeds"]:
        raise ValueError(f"data set {name!r} is not one of eps.seeds {s['seeds']}")
    return {"X": gaussian(s["n"], s["d"], seed), "seed": np.array(seed)}


def references(cfg: dict, name: str, data: dict) -> dict[str, np.ndarray]:
    """The fixed point of P(c) (baek2025 Algorithm 3, at the study's batch size) and the ℓ2 / ℓ∞ max margins."""
    from ... import max_margin, proxy_fixed_point

    s = _settings(cfg)
    X = data["X"]
    try:
        l2 = max_margin(X)
    except ValueError as err:
        raise ValueError(f"eps data set {name!r} (eps.n = {s['n']}, eps.d = {s['d']}): {err}") from err
    fp = proxy_fixed_point(X, batch_size=s["batch_size"], accelerate=True, **s["fixed_point"])
    if not fp.converged:
        raise ValueError(
            f"eps data set {name!r}: the fixed point did not converge (eps.fixed_point {s['fixed_point']})"
        )
    return {"fp": fp.w, "l2": l2.w, "linf": max_margin(X, norm="inf").w, "fp_iterations": np.array(fp.iterations)}


def run(cfg: dict, name: str, data: dict, log: Callable[[str], object] = print) -> dict[str, np.ndarray]:
    """Per-sample Adam at every ε of the cfg, as one batched kernel (`train_many`)."""
    import time

    from ... import train_many

    s = _settings(cfg)
    eps = [float(e) for e in s["eps"]]
    log(f"{name}: Adam (batch size {s['batch_size']}, cyclic) at eps {eps}, {s['steps']:,} steps, one kernel")
    start = time.perf_counter()
    trajectories = train_many(
        data["X"],
        [dict(eps=e) for e in eps],
        optimizer="adam",
        steps=s["steps"],
        batch_size=s["batch_size"],
        sampling="cyclic",
        num_log=s["num_log"],
        **{k: s[k] for k in ADAM_KEYS if k in s},
    )
    out = {"steps": trajectories[0].steps, "eps": np.array(eps), "runs": np.array([run_name(e) for e in eps])}
    for e, tr in zip(eps, trajectories, strict=True):
        out[f"{run_name(e)}__w"] = tr.w
        out[f"{run_name(e)}__log_loss"] = tr.log_loss
        log(f"{name}: eps {e:g} done, log L at the end {tr.log_loss[-1]:.2f}")
    log(f"{name}: {len(eps)} runs in {time.perf_counter() - start:.1f} s")
    return out


# ---------------------------------------------------------------------------------------------------- metrics
def departure_step(cos_eps0: np.ndarray, threshold: float) -> int | None:
    """Index of the departure: the first logged step from which 1 − cos(w_ε(t), w_0(t)) stays above `threshold` to
    the end of the run; None if the run ends within it (no departure). NaN entries (w_0 = 0) count as no distance."""
    dev = np.where(np.isfinite(cos_eps0), 1.0 - np.asarray(cos_eps0, dtype=float), 0.0)
    below = np.nonzero(dev <= threshold)[0]
    if below.size and below[-1] == dev.size - 1:
        return None
    return int(below[-1] + 1) if below.size else 0


def _log_grad(W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """log max_i ‖∇ℓ_i(w_t)‖_∞ = log |ℓ'(<w_t, x_i>)| + log ‖x_i‖_∞ for the exponential loss, on the log scale (never
    underflows)."""
    from ...losses import log_abs_derivative

    return np.max(log_abs_derivative(W @ X.T) + np.log(np.max(np.abs(X), axis=1)), axis=1)


def metrics(cfg: dict, inputs: dict) -> pd.DataFrame:
    """One row per (data set, ε, logged step): cosines to fp / ℓ2 / ℓ∞ and to the ε = 0 run, log L, log g, and the
    data set's departure threshold δ = departure_fraction × (1 − cos(fp, ℓ2)) (`departure_step`)."""
    from ... import cosine

    s = _settings(cfg)
    frames = []
    for name, (data, refs, runs) in inputs.items():
        X, steps = data["X"], runs["steps"]
        base = f"{run_name(0.0)}__w"
        for e, rn in zip(runs["eps"], runs["runs"], strict=True):
            W = runs[f"{rn}__w"]
            cos_eps0 = [cosine(a, b) for a, b in zip(W, runs[base], strict=True)]
            frames.append(
                pd.DataFrame(
                    {
                        "dataset": name,
                        "seed": int(data["seed"]),
                        "run": str(rn),
                        "label": f"ε = {float(e):g}",
                        "eps": float(e),
                        "step": steps,
                        "cos_fp": cosine(W, refs["fp"]),
                        "cos_l2": cosine(W, refs["l2"]),
                        "cos_linf": cosine(W, refs["linf"]),
                        "cos_eps0": cos_eps0,
                        "log_loss": runs[f"{rn}__log_loss"],
                        "log_grad": _log_grad(W, X),
                        "departure_threshold": s["departure_fraction"] * (1.0 - cosine(refs["fp"], refs["l2"])),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def departure_table(df: pd.DataFrame, scale: float = 1.0) -> pd.DataFrame:
    """Per (seed, ε > 0): the departure row (`departure_step` at `scale` × the data set's threshold; NaN columns
    where a run never departed) and the run's last row."""
    rows = []
    for (seed, eps), g in df[df["eps"] > 0].groupby(["seed", "eps"], sort=True):
        g = g.sort_values("step")
        k = departure_step(g["cos_eps0"].to_numpy(float), scale * float(g["departure_threshold"].iloc[0]))
        d = g.iloc[k] if k is not None else None
        last = g.iloc[-1]

        def at(col: str, d=d) -> float:
            return float(d[col]) if d is not None else np.nan

        rows.append(
            {
                "seed": int(seed),
                "eps": float(eps),
                "step": at("step"),
                "log_grad": at("log_grad"),
                "log_loss": at("log_loss"),
                "cos_fp": at("cos_fp"),
                "cos_l2": at("cos_l2"),
                "cos_eps0": at("cos_eps0"),
                "end_cos_fp": float(last["cos_fp"]),
                "end_cos_l2": float(last["cos_l2"]),
            }
        )
    return pd.DataFrame(rows)


def _slope(x: np.ndarray, y: np.ndarray) -> float:
    """OLS slope of y on x; NaN if any y is missing (a run without a departure) or fewer than 2 points."""
    if len(y) < 2 or not np.all(np.isfinite(y)):
        return float("nan")
    return float(np.polyfit(x, y, 1)[0])


# ---------------------------------------------------------------------------------------------------- check
def _eps_per_sample(art: Artifacts) -> Verdict:
    df = art.metrics(STUDY)
    dep = departure_table(df)
    seeds = sorted(df["seed"].unique())
    finer = departure_table(df, scale=0.1)
    slope_grad, slope_loss, intercept_grad, l2_gain, departed, end_fp0, slope_finer = [], [], [], [], [], [], []
    for seed in seeds:
        f = finer[finer["seed"] == seed]
        slope_finer.append(_slope(np.log(f["eps"].to_numpy()), f["log_grad"].to_numpy()))
        d = dep[dep["seed"] == seed]
        x = np.log(d["eps"].to_numpy())
        slope_grad.append(_slope(x, d["log_grad"].to_numpy()))
        slope_loss.append(_slope(x, d["log_loss"].to_numpy()))
        ok = np.isfinite(d["log_grad"].to_numpy())
        intercept_grad.append(float(np.mean(d["log_grad"].to_numpy()[ok] - x[ok])) if ok.any() else float("nan"))
        departed.append(f"{int(ok.sum())} of {len(d)}")
        gain = d["end_cos_l2"].to_numpy() - d["cos_l2"].to_numpy()
        l2_gain.append(float(np.min(gain)) if np.all(np.isfinite(gain)) else float("nan"))
        zero = df[(df["seed"] == seed) & (df["eps"] == 0)].sort_values("step")
        end_fp0.append(float(zero["cos_fp"].iloc[-1]) if len(zero) else float("nan"))
    slope_key = "slope_log_grad_on_log_eps"
    gain_key = "min_gain_cos_l2_departure_to_end"
    end_cos_key = "eps0_end_cos_fp"
    measured = {
        "seeds": [int(s) for s in seeds],
        slope_key: slope_grad,
        "slope_log_loss_on_log_eps": slope_loss,
        "mean_log_grad_minus_log_eps_at_departure": intercept_grad,
        "eps_runs_departed": departed,
        "departure_steps": {int(s): dep[dep["seed"] == s]["step"].tolist() for s in seeds},
        "departure threshold per seed (departure_fraction x (1 - cos(fp, l2)))": [
            float(df.loc[df["seed"] == s, "departure_threshold"].iloc[0]) for s in seeds
        ],
        "slope_log_grad_on_log_eps at a threshold ten times smaller (reported)": slope_finer,
        gain_key: l2_gain,
        end_cos_key: end_fp0,
    }
    band = (
        "the theory's slope 1: while ε is small against the per-sample gradients the ε run follows ε = 0 up to a "
        "distance that depends on ε/|g| alone, so it crosses any fixed threshold at |g| = ε·const, i.e. log g = "
        "log ε + O(1) at the departure; ±0.2 because the departure is read on the log grid (one grid step moves "
        "log g by up to ~1, a few per cent of a slope fitted over 28 units of log ε) and the O(1) offset may change "
        "with ε (ε acts coordinate by coordinate); a departure set by anything other than |g| (the step count, a "
        "fixed time) would not give slope 1 in log g"
    )
    criteria = [
        Criterion(slope_key, ">=", SLOPE_BAND[0], band, each=True),
        Criterion(slope_key, "<=", SLOPE_BAND[1], band, each=True),
        Criterion(
            end_cos_key,
            ">=",
            END_COS_FP,
            "ε = 0 never departs: per-sample Adam converges to its fixed point (the baek2025 spec's pass level 0.995, "
            "a level)",
            each=True,
        ),
        Criterion(
            gain_key,
            ">",
            0.0,
            "after the departure the iterates drift towards ℓ2 (GD's limit): cos(w, ℓ2) at the end exceeds its "
            "value at the departure, for every ε > 0 (min over ε); the claim is the direction of the drift",
            each=True,
        ),
    ]
    return measured, criteria


CHECKS = {
    "eps_per_sample": Check(
        claim=(
            "Per-sample Adam with ε > 0 follows ε = 0 towards the AdamProxy fixed point until its per-sample "
            "gradients reach ε, then drifts towards the ℓ2 max margin (fan2025's full-batch picture at batch size "
            "1): log g at the departure has slope 1 on log ε; ε = 0 stays at the fixed point"
        ),
        experiments=(STUDY,),
        datasets=(),
        func=_eps_per_sample,
        kind="claim",
        sources=(Source("beyond"),),
        drawn_by=FIGURE,  # the report shows the check beside its figure
    )
}


# ---------------------------------------------------------------------------------------------------- figure
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
        ax.plot(x, g["log_grad"], marker="o", lw=0.8, label=f"seed {seed}: slope {_slope(x, g['log_grad']):.2f}")
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
