"""Multiclass per-sample Adam and its fixed point: does Adam with small batches leave fan2025's
max-norm margin V_∞ on multiclass data, as per-sample Adam leaves the ℓ∞ margin in the binary case (baek2025), and
does its limit follow the multiclass analogue of baek2025's fixed point?

Data: fan2025's (spec §3, `implicit_bias.multiclass.make_multiclass`), one data set per seed. Runs: Adam (CE loss,
W_0 = 0, no bias correction, ε = 0) with batch size 1 (cyclic and reshuffled), 10 and 50 (cyclic) and full batch.
References per data set: V_∞ (max-norm margin, fan2025), V_2 (ℓ2 margin, GD's), and for every mini-batch schedule
(b < N) the fixed point fp_b of the multiclass P_b(c) (`implicit_bias.proxy_fixed_point` with labels `y`, batch size
and sampling; its docstring derives D_b(c)). For b = 1 the sampling does not enter D_1(c) (a sum over single
samples), so b = 1 cyclic and reshuffled share fp_b1. For b = N the fixed-point problem is V_∞'s (fan2025), and the
accelerated iteration can stop at another fixed point there, so the full-batch run is compared with V_∞.

The fixed point is a β2 → 1 statement (baek2025 Prop 4.1: the second moment averages the squared gradients of a
whole epoch): the mini-batch runs need an EMA window 1/(1 − β2) of at least an epoch, N/b steps (500 for b = 1 here),
hence β2 = 0.999 in the default config rather than fan2025's 0.99 (window 100; with it the b = 1 run peaks near fp_b1
and turns away, in a pilot run). The full-batch run keeps fan2025's own settings (β2 = 0.99, a = 2/3), under
which fan2025 states its claim and its rate: β2 = 0.999 stalls full-batch Adam without bias correction (spec §2).

References are only as good as their convergence. The plain iteration of P_b(c) can lose a class: the pairs
touching it lose all dual weight, its row of D_b(c) falls to 0 and w*(c) is not determined there, while Adam's
m/√v on that row stays O(1). `fixed_point_reference` stops the plain iteration at that boundary and completes the
fixed point lexicographically (`implicit_bias.fixed_point.lexicographic_fixed_point`: the lost rows set in a later
stage against the others). `references` stores, for every fixed point, whether it is established (every stage's c
residual below `tol`, the stages' margin levels nondecreasing) and the motion of w it has left, how the plain one
fared, stages, levels and residuals. Three checks: `multiclass_fixed_point_exists` (the references are established
and located finely enough for the distances the runs are judged at), `multiclass_leaves_v_inf` (per-sample Adam
does not go to V_∞, level and trend) and `multiclass_fixed_point` (our conjecture: the runs follow fp_b where it is
established, judged by trend and ranking). Full batch → V_∞ is fan2025's C5/C6, checked there.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from ...checks import Artifacts, Check, Criterion, Source, Verdict
from ...hyperparameters import TRAIN_DEFAULTS

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd
    from matplotlib.figure import Figure

__all__ = [
    "CHECKS",
    "FIGURE",
    "check_config",
    "check_multiclass_fixed_point",
    "check_multiclass_fixed_point_exists",
    "check_multiclass_leaves_v_inf",
    "datasets",
    "figure",
    "fixed_point_reference",
    "make_dataset",
    "metrics",
    "reference_key",
    "references",
    "run",
    "run_specs",
]

STUDY = "multiclass"
FIGURE = "multiclass_per_sample"

#: Every run inherits these (fan2025's Adam, spec §2: CE loss, W_0 = 0, no bias correction, ε = 0: `train`'s
#: defaults but fan2025's β2 = 0.99), then the study's `adam` section, then its own keys.
RUN_DEFAULTS = dict(
    **{key: TRAIN_DEFAULTS[key] for key in ("lr", "decay", "beta1")}, beta2=0.99, eps=TRAIN_DEFAULTS["eps"]
)
#: the fixed point must be located to 1% of the smallest distance 1 − cos(W_T, fp_b) it is judged at: its estimated
#: remaining motion (a geometric tail of its last steps) at most this fraction of that distance
MOTION_FRACTION = 0.01


# ------------------------------------------------------------------------------------------------ configuration
def _fail(key: str, message: str) -> NoReturn:
    raise ValueError(f"{STUDY}.{key}: {message}")


def _num_samples(cfg: dict) -> int:
    return int(cfg["data"]["classes"]) * int(cfg["data"]["per_class"])


def run_specs(cfg: dict) -> dict[str, dict]:
    """Each run's full settings (RUN_DEFAULTS < cfg `adam` < the run's keys); batch_size None = full batch (N).

    The schema (beyond.schema.yaml) has checked every key; this refuses, naming the key, what it cannot say: a
    batch size that does not divide N, and β1 > β2 once the run's keys are merged (Adam's |m/√v| bound needs
    β1 ≤ β2).
    """
    n = _num_samples(cfg)
    adam = cfg.get("adam", {})
    specs = {}
    for run_id, run in cfg["runs"].items():
        key = f"runs.{run_id}"
        spec = {**RUN_DEFAULTS, **adam, "sampling": "cyclic", "batch_size": None, "label": run_id, **run}
        b = n if spec["batch_size"] is None else spec["batch_size"]
        if not 1 <= b <= n or n % b:
            _fail(f"{key}.batch_size", f"must divide the number of samples N = {n} and lie in [1, N]; got {b}")
        spec["batch_size"] = b
        if spec["beta1"] > spec["beta2"]:
            _fail(key, f"Adam needs beta1 <= beta2; got beta1={spec['beta1']}, beta2={spec['beta2']}")
        specs[run_id] = spec
    return specs


def check_config(cfg: dict) -> None:
    """What the schema cannot say, checked before any job runs (messages "multiclass.<key>: <problem>")."""
    run_specs(cfg)


def reference_key(batch_size: int, sampling: str, n: int) -> str:
    """The reference a run of this schedule is compared with: V_∞ for b = N, else its fixed point fp_b (one per b = 1
    schedule: D_1(c) does not depend on the sampling)."""
    if batch_size == n:
        return "V_inf"
    return "fp_b1" if batch_size == 1 else f"fp_b{batch_size}_{sampling}"


def datasets(cfg: dict) -> list[str]:
    """One data set per seed: "s0", "s1", ..."""
    return [f"s{seed}" for seed in cfg["seeds"]]


def _seed_of(cfg: dict, name: str) -> int:
    if name not in datasets(cfg):
        raise ValueError(f"{STUDY}: unknown data set {name!r}; expected one of {datasets(cfg)}")
    return int(name[1:])


# ------------------------------------------------------------------------------------------------ data, references
def make_dataset(cfg: dict, name: str) -> dict[str, Any]:
    """fan2025's data for one seed; the max-norm LP that certifies separability (spec §3) comes with it (V_∞, γ_∞)."""
    from ...multiclass import make_multiclass

    seed, data = _seed_of(cfg, name), cfg["data"]
    try:
        H, y, tries, sol = make_multiclass(data["classes"], data["dim"], data["per_class"], data["sigma"], seed)
    except ValueError as exc:
        raise ValueError(f"{STUDY}.data: {exc}") from exc
    return {"H": H, "y": y, "seed": np.int64(seed), "tries": np.int64(tries), "V_inf": sol.w, "gamma_inf": sol.gamma}


def fixed_point_reference(H: np.ndarray, y: np.ndarray, batch_size: int, sampling: str, settings: dict) -> dict:
    """The multiclass fixed point fp_b of P_b(c), completed lexicographically on the classes it loses, with the
    evidence that it is one.

    1. The plain fixed point (`proxy_fixed_point(accelerate=True, boundary_tol=tol)`, Anderson + working-set
       solves, then `plain_iter` plain Algorithm-3 steps if it stops short: the working-set duals of barely active
       pairs flicker and its residual can stall a little above `tol`). It stops at the absorbing boundary: when the
       pairs touching some class carry less than `tol` of the weight of c, that class's row of D_b(c) is ~0 (the
       pair rows a_(i,c) vanish outside rows y_i and c) and w*(c) is not determined on it. Without the stop the
       iteration runs on (seed 1 of the default config, b = 1: 176 solves, 50 CPU-s) or converges on the
       boundary (seed 2, b = 50: residual < 1e-6 at solve 148, class 3's weight stuck at ~1.7e-9, the solver's
       floor), where that row of D is ~1e-9 and that row of w is set by solver noise.
       `plain_absorbed` marks those classes, `plain_converged` whether the plain fixed point exists.
    2. Where classes are lost, `fixed_point.lexicographic_fixed_point` sets their rows in later stages (Adam's
       m/√v on a row is O(1) however small the row's gradients): `stage` per class, the stages' margin levels
       `levels` (must not decrease), residuals, solves.
    3. Per stage, one more step of its map from the returned c: the direction change 1 − cos of w, and the
       observed contraction rate ρ of its last residuals. Neither one step's residual nor its turn bounds the
       motion left where the map contracts slowly; the geometric tail does: the angle left is ≈ angle of one
       step / (1 − ρ), so 1 − cos to the limit ≈ turn / (1 − ρ)² (`remaining_turn`, worst stage; infinite where
       the residuals do not fall). `converged`: every stage's residual < `tol` and nondecreasing levels; the check
       `multiclass_fixed_point_exists` compares `remaining_turn` with the distances the runs are judged at.
    """
    from ...fixed_point import constraint_system, lexicographic_fixed_point, mahalanobis_diag

    lex = lexicographic_fixed_point(
        H,
        y,
        batch_size=batch_size,
        sampling=sampling,
        tol=settings["tol"],
        max_iter=settings["max_iter"],
        plain_iter=settings["plain_iter"],
    )
    fp = lex.primary
    D = mahalanobis_diag(H, fp.c, y=y, batch_size=batch_size, sampling=sampling).reshape(fp.w.shape)
    weights = constraint_system(H, y, None, batch_size, sampling).class_weights(fp.c)
    absorbed = np.zeros(fp.w.shape[0], dtype=np.int64)
    absorbed[list(fp.absorbed)] = 1
    turn = float(lex.direction_changes.max())
    with np.errstate(divide="ignore", invalid="ignore"):
        tails = np.where(lex.direction_changes > 0, lex.direction_changes / (1.0 - lex.contraction) ** 2, 0.0)
    ok = lex.converged and lex.consistent
    return {
        "w": lex.w,
        "converged": np.int64(ok),
        "stage": lex.stage,
        "levels": lex.levels,
        "stage_residuals": lex.residuals,
        "stage_direction_changes": lex.direction_changes,
        "stage_iterations": lex.iterations,
        "residual": float(lex.residuals.max()),
        "direction_change": turn,
        "stage_contraction": lex.contraction,
        "remaining_turn": float(tails.max()),
        "plain_converged": np.int64(fp.converged and not fp.absorbed and lex.stage.max() == 1 and ok),
        "plain_absorbed": absorbed,
        "plain_w": fp.w,
        "plain_c": fp.c,
        "plain_residuals": fp.residuals,
        "weakest_class_penalty": float(D.max(axis=1).min() / D.max()),
        "weakest_class_weight": float(weights.min()),
    }


def references(cfg: dict, name: str, data: dict) -> dict[str, np.ndarray]:
    """V_∞ (from the data set), V_2, and the fixed point of every mini-batch schedule of the runs (with its
    convergence record as `<fp>__converged`, `__residual`, `__direction_change`, ...)."""
    from ...margins import max_margin

    H, y = data["H"], data["y"]
    n = H.shape[0]
    v2 = max_margin(H, y, 2)
    out = {"V_inf": data["V_inf"], "gamma_inf": data["gamma_inf"], "V_2": v2.w, "gamma_2": v2.gamma}
    settings = cfg["fixed_point"]
    for spec in run_specs(cfg).values():
        key = reference_key(spec["batch_size"], spec["sampling"], n)
        if key in out:
            continue
        record = fixed_point_reference(H, y, spec["batch_size"], spec["sampling"], settings)
        out[key] = record.pop("w")
        out.update({f"{key}__{field}": value for field, value in record.items()})
    return out


# ------------------------------------------------------------------------------------------------ runs
def run(cfg: dict, name: str, data: dict, log: Callable[[str], object] = print) -> dict[str, np.ndarray]:
    """Every configured Adam run on one data set: `<run>__steps`, `<run>__w` (num_log × k × d), `<run>__log_loss`.

    The reshuffled schedules draw their permutations from the data seed. A run that becomes non-finite raises
    (`train` does)."""
    import time

    from ...training import log_progress, train

    out = {}
    n = data["H"].shape[0]
    for run_id, spec in run_specs(cfg).items():
        start = time.perf_counter()
        label = f"{name} {run_id}"
        traj = train(
            data["H"],
            data["y"],
            optimizer="adam",
            loss="ce",
            steps=spec["steps"],
            **{key: spec[key] for key in RUN_DEFAULTS},  # lr, decay, beta1, beta2, eps
            batch_size=None if spec["batch_size"] == n else spec["batch_size"],
            sampling=spec["sampling"],
            seed=int(data["seed"]),
            num_log=int(cfg["num_log"]),
            progress=log_progress(label, spec["steps"], log),
        )
        out[f"{run_id}__steps"] = traj.steps
        out[f"{run_id}__w"] = traj.w
        out[f"{run_id}__log_loss"] = traj.log_loss
        log(
            f"{label}: b={spec['batch_size']} {spec['sampling']}, {spec['steps']:,} steps in "
            f"{time.perf_counter() - start:.1f} s, log L = {traj.log_loss[-1]:.1f}"
        )
    return out


# ------------------------------------------------------------------------------------------------ metrics
def _fixed_point_keys(refs: dict) -> list[str]:
    return sorted(k for k in refs if k.startswith("fp_") and "__" not in k)


def metrics(cfg: dict, inputs: dict) -> pd.DataFrame:
    """One row per (data set, run, logged step): cosines of W_t with every reference (`cos_<ref>`), with the run's
    own reference (`cos_own`; `own_ref` names it), the relative max-norm and ℓ2 margin gaps (fan2025's
    (γ_p − γ̄_p(W_t))/γ_p), log L; and per run the reference's own values: `own_converged` (1 if the reference is
    V_∞ or a fixed point that exists), `own_cos_V_inf`, `own_cos_V_2` and `own_gap_inf` (where the run ends if it
    reaches its reference), `own_cos_fp_b1` (for the mini-batch runs: how far their fixed point is from the
    per-sample one), and how the fixed point was found: `own_plain_converged` (the plain fixed point of P_b(c) exists),
    `own_lost_classes` (the classes set in later stages, "[1, 7]") and `own_stages`, `own_levels` (the
    lexicographic stages and their margin levels), `later_rows_norm` (√k min ‖W_r‖/‖W‖ over the rows set in later
    stages; 1 for rows of average size); `decay` is the run's step-size exponent a."""
    import pandas as pd

    from ...margins import cosine, normalized_margin

    specs = run_specs(cfg)
    frames = []
    for name, (data, refs, runs) in inputs.items():
        H, y = data["H"], data["y"]
        n = H.shape[0]
        ref_keys = ["V_inf", "V_2", *_fixed_point_keys(refs)]
        for run_id, spec in specs.items():
            W, steps = runs[f"{run_id}__w"], runs[f"{run_id}__steps"]
            own = reference_key(spec["batch_size"], spec["sampling"], n)
            table = {
                "dataset": name,
                "seed": int(data["seed"]),
                "run": run_id,
                "label": spec["label"],
                "batch_size": spec["batch_size"],
                "sampling": spec["sampling"],
                "step": steps,
                "log_loss": runs[f"{run_id}__log_loss"],
                "decay": float(spec["decay"]),
            }
            for key in ref_keys:
                table[f"cos_{key}"] = cosine(W, refs[key])
            table["own_ref"] = own
            table["cos_own"] = table[f"cos_{own}"]
            table["cos_own_plain"] = table["cos_own"] if own == "V_inf" else cosine(W, refs[f"{own}__plain_w"])
            ok = own == "V_inf" or bool(refs[f"{own}__converged"])
            table["own_converged"] = int(ok)
            table["own_direction_change"] = 0.0 if own == "V_inf" else float(refs[f"{own}__direction_change"])
            table["own_remaining_turn"] = 0.0 if own == "V_inf" else float(refs[f"{own}__remaining_turn"])
            table["own_weakest_class_penalty"] = (
                np.nan if own == "V_inf" else float(refs[f"{own}__weakest_class_penalty"])
            )
            table["own_cos_V_inf"] = cosine(refs[own], refs["V_inf"])
            table["own_cos_V_2"] = cosine(refs[own], refs["V_2"])
            table["own_cos_fp_b1"] = cosine(refs[own], refs["fp_b1"]) if "fp_b1" in refs else np.nan
            fixed = own != "V_inf"
            table["own_plain_converged"] = int(bool(refs[f"{own}__plain_converged"])) if fixed else 1
            # every class set in a later stage (lost by the plain iteration, or again in stage 1's re-solve), as
            # "[1, 7]" so that the CSV column stays text
            lost: Any = np.flatnonzero(refs[f"{own}__stage"] > 1) if fixed else []
            table["own_lost_classes"] = "[" + ", ".join(str(int(r)) for r in lost) + "]"
            table["own_stages"] = int(refs[f"{own}__stage"].max()) if fixed else 1
            table["own_levels"] = " ".join(f"{t:.4g}" for t in refs[f"{own}__levels"]) if fixed else "1"
            # Adam keeps the rows of the classes set in later stages at the size of the others (m/√v is O(1))
            later = refs[f"{own}__stage"] > 1 if fixed else np.zeros(W.shape[1], dtype=bool)
            rows = np.linalg.norm(W, axis=2) * np.sqrt(W.shape[1])
            total = np.linalg.norm(W.reshape(W.shape[0], -1), axis=1)
            with np.errstate(invalid="ignore"):  # W_0 = 0
                table["later_rows_norm"] = (rows[:, later].min(axis=1) / total) if later.any() else np.nan
            table["own_gap_inf"] = 1.0 - normalized_margin(refs[own], H, y, "inf") / float(refs["gamma_inf"])
            moved = steps > 0  # W_0 = 0 has no margin
            for norm, gamma in (("inf", refs["gamma_inf"]), (2, refs["gamma_2"])):
                gap = np.full(steps.size, np.nan)
                gap[moved] = 1.0 - normalized_margin(W[moved], H, y, norm) / float(gamma)
                table[f"gap_{norm}"] = gap
            frames.append(pd.DataFrame(table))
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------------------------ figure
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


# ------------------------------------------------------------------------------------------------ check
def _final(df: pd.DataFrame) -> pd.DataFrame:
    """The last logged step of every (data set, run)."""
    return df.loc[df.groupby(["dataset", "run"])["step"].idxmax()].sort_values(["seed", "run"])


def _at_fraction(df: pd.DataFrame, fraction: float) -> pd.DataFrame:
    """Per (data set, run), the logged step nearest (in log t) to `fraction` × its last step."""
    rows = []
    for _, group in df[df["step"] > 0].groupby(["dataset", "run"]):
        target = np.log(fraction * group["step"].max())
        rows.append(group.loc[(np.log(group["step"]) - target).abs().idxmin()])
    import pandas as pd

    return pd.DataFrame(rows).sort_values(["seed", "run"])


def _tag(row) -> str:
    return f"{row['dataset']}/{row['run']}"


def _fixed_points(df: pd.DataFrame) -> pd.DataFrame:
    """One row per (data set, fixed point): the reference columns of the first mini-batch run compared with it."""
    last = _final(df)
    return last[last["own_ref"] != "V_inf"].drop_duplicates(["dataset", "own_ref"])


def check_multiclass_fixed_point_exists(art: Artifacts) -> Verdict:
    """The references exist: every fixed point fp_b of the runs, completed lexicographically on the classes the
    plain P_b(c) loses, converged and consistent."""
    refs = _fixed_points(art.metrics(STUDY))
    tags = [f"{r['dataset']}/{r['own_ref']}" for _, r in refs.iterrows()]
    measured: dict[str, Any] = {"fixed points (data set/reference)": tags}
    missing = [tag for tag, (_, r) in zip(tags, refs.iterrows()) if not r["own_converged"]]
    measured["fixed points not established (solver did not converge)"] = missing
    unsolved_key = "number of fixed points not established (solver did not converge)"
    measured[unsolved_key] = len(missing)
    measured["plain P_b(c) fixed point exists, per fixed point (reported)"] = refs["own_plain_converged"].tolist()
    measured["classes set in later stages, per fixed point (reported)"] = [str(v) for v in refs["own_lost_classes"]]
    measured["lexicographic stages, per fixed point (reported)"] = refs["own_stages"].tolist()
    measured["margin level of each stage, per fixed point (reported)"] = refs["own_levels"].tolist()
    measured["1 - cos(w, w after one more step), worst stage, per fixed point (reported)"] = refs[
        "own_direction_change"
    ].tolist()

    def level_step(levels) -> float:
        t = np.array(str(levels).split(), dtype=np.float64)
        return float(np.diff(t).min()) if t.size > 1 else 0.0

    increase_key = "smallest increase of the margin level between stages, per fixed point"
    measured[increase_key] = [level_step(v) for v in refs["own_levels"]]
    last = _final(art.metrics(STUDY))
    judged = last[last["own_ref"] != "V_inf"].groupby(["dataset", "own_ref"])["cos_own"].max()
    nearest = [float(1.0 - judged.loc[(r["dataset"], r["own_ref"])]) for _, r in refs.iterrows()]
    measured["smallest 1 - cos(W_T, fp_b) over the runs judged against it, per fixed point (reported)"] = nearest
    turn_key = "estimated remaining turn of w / (1% of that distance), per fixed point"
    measured[turn_key] = [
        float(r["own_remaining_turn"]) / (MOTION_FRACTION * d) for (_, r), d in zip(refs.iterrows(), nearest)
    ]
    criteria = [
        Criterion(
            unsolved_key,
            "==",
            0,
            "established: every stage's c residual is below tol (the resolution of c) and the stages' margin "
            "levels do not decrease",
        ),
        Criterion(
            increase_key,
            ">=",
            0.0,
            "the lexicographic order: a later stage's pairs must have the larger margins, or their loss "
            "derivatives would not be the smaller ones",
            each=True,
        ),
        Criterion(
            turn_key,
            "<=",
            1.0,
            "accuracy vs the resolution the claim needs: the motion of w left to the limit (one step's turn / "
            "(1 - contraction rate of the last residuals)^2, a geometric tail) must be at most 1% of the smallest "
            "distance 1 - cos(W_T, fp_b) at which a run is judged against fp_b, so that the reference's error "
            "cannot decide a trend or a ranking",
            each=True,
        ),
    ]
    return measured, criteria


def _apart(row, rival: str) -> bool:
    """Whether the run's reference and `rival` are apart by more than the run's own distance to its reference at T
    (the resolution at which the run locates its limit); nearer references are not ranked."""
    return bool(1.0 - row[f"own_cos_{rival}"] > 1.0 - row["cos_own"])


def _previous_log(df: pd.DataFrame) -> pd.DataFrame:
    """The logged step before the last one of every (data set, run), indexed by (data set, run)."""
    rows = [group.sort_values("step").iloc[-2] for _, group in df.groupby(["dataset", "run"])]
    import pandas as pd

    return pd.DataFrame(rows).set_index(["dataset", "run"])


def check_multiclass_fixed_point(art: Artifacts) -> Verdict:
    """Per-sample / mini-batch Adam on fan2025's data converges in direction to its fixed point fp_b (our
    conjecture: the multiclass analogue of baek2025 Thm 4.8). Full batch -> V_inf is fan2025's C5/C6, checked there."""
    from ...checks import direction_rate, direction_rate_reason

    df = art.metrics(STUDY)
    last = _final(df)
    decade = _at_fraction(df, 0.1).set_index(["dataset", "run"])
    previous = _previous_log(df)
    mini = last[last["own_ref"] != "V_inf"]
    measured: dict[str, Any] = {}

    # Runs are compared only with references established (check multiclass_fixed_point_exists); the others are
    # listed as left out. fp_b1 as a rival of a b > 1 run counts only where it is established.
    kept = mini[mini["own_converged"] == 1]
    measured["mini-batch runs left out (their reference is not established: solver did not converge)"] = [
        _tag(r) for _, r in mini.iterrows() if not r["own_converged"]
    ]
    measured["mini-batch runs (data set/run)"] = [_tag(r) for _, r in kept.iterrows()]
    fp1 = set(map(tuple, _fixed_points(df).query("own_ref == 'fp_b1' and own_converged == 1")[["dataset"]].values))

    # (1) trend: 1 - cos(W_t, fp_b) falls over the last decade at least at the rate of a converging run
    def fall(row) -> float:
        before = decade.loc[(row["dataset"], row["run"])]
        return float((1.0 - before["cos_own"]) / (1.0 - row["cos_own"]))

    decays = sorted(set(kept["decay"]))
    if len(decays) > 1:
        raise ValueError(f"{STUDY}: the mini-batch runs have different step-size exponents {decays}; one rate each")
    decay = decays[0] if decays else 0.5
    measured["1 - cos(W_T, fp_b) per mini-batch run (reported)"] = (1.0 - kept["cos_own"]).tolist()
    fall_key = "(1 - cos(W_T/10, fp_b)) / (1 - cos(W_T, fp_b)) per mini-batch run"
    measured[fall_key] = [fall(r) for _, r in kept.iterrows()]
    measured["1 - cos(W_T, plain fp_b) per mini-batch run (reported)"] = (1.0 - kept["cos_own_plain"]).tolist()
    later = mini[mini["own_stages"] > 1]
    measured["runs whose fp_b has later stages (reported)"] = [_tag(r) for _, r in later.iterrows()]
    measured["sqrt(k) min ||W_r||/||W|| at T over the later-stage rows, per such run (reported)"] = later[
        "later_rows_norm"
    ].tolist()

    # (2) ranking at T, against the rivals that are apart from fp_b by more than the run's distance to fp_b; the
    # lead must exceed its motion over the last logged interval (the rule of the batch_fixed_point study)
    leads, undecided = [], []
    for _, row in kept.iterrows():
        rivals = ["V_inf", "V_2"] + (["fp_b1"] if row["batch_size"] > 1 and (row["dataset"],) in fp1 else [])
        decided = [rival for rival in rivals if _apart(row, rival)]
        undecided += [f"{_tag(row)} vs {rival}" for rival in rivals if rival not in decided]
        before = previous.loc[(row["dataset"], row["run"])]
        for rival in decided:
            lead = float(row["cos_own"] - row[f"cos_{rival}"])
            motion = abs(lead - float(before["cos_own"] - before[f"cos_{rival}"]))
            leads.append(lead - motion)
    measured["rankings not decided (references nearer than the run's distance to fp_b at T)"] = undecided
    lead_key = "lead of fp_b over the rival at T minus its last-interval motion, per run and rival apart from fp_b"
    measured[lead_key] = leads

    criteria = [
        Criterion(
            fall_key,
            ">=",
            direction_rate(decay),
            "the conjecture, judged by trend: " + direction_rate_reason(decay),
            each=True,
        ),
        Criterion(
            lead_key,
            ">",
            0.0,
            "the limit is fp_b, so at T the run is nearer to it than to the other candidate limits, V_inf (fan2025, "
            "full batch), V_2 (GD) and, for b > 1, the per-sample fixed point fp_b1, by more than a noise floor "
            "measured from the run: how much that lead still moved over the last logged interval (the rule of the "
            "batch_fixed_point study); ranked only against rivals farther from fp_b (1 - cos) than the run is at T, "
            "the resolution at which the run locates its limit",
            each=True,
        ),
    ]
    return measured, criteria


def check_multiclass_leaves_v_inf(art: Artifacts) -> Verdict:
    """Per-sample Adam (b = 1) on fan2025's data does not go to the max-norm margin V_inf, fan2025's full-batch
    limit: at T it is on fp_1's side of the midpoint, and its distance to V_inf does not fall at a converging rate."""
    from ...checks import direction_rate, direction_rate_reason

    df = art.metrics(STUDY)
    last = _final(df)
    decade = _at_fraction(df, 0.1).set_index(["dataset", "run"])
    per_sample = last[(last["batch_size"] == 1) & (last["own_converged"] == 1)]
    measured: dict[str, Any] = {"per-sample runs (data set/run)": [_tag(r) for _, r in per_sample.iterrows()]}
    measured["per-sample runs left out (fp_1 not established: solver did not converge)"] = [
        _tag(r) for _, r in last[(last["batch_size"] == 1) & (last["own_converged"] == 0)].iterrows()
    ]
    decays = sorted(set(per_sample["decay"]))
    if len(decays) > 1:
        raise ValueError(f"{STUDY}: the per-sample runs have different step-size exponents {decays}; one rate each")
    decay = decays[0] if decays else 0.5
    departure_key = "cos(W_T, V_inf) - (1 + cos(fp_b1, V_inf))/2 per per-sample run"
    measured[departure_key] = [float(r["cos_V_inf"] - (1.0 + r["own_cos_V_inf"]) / 2) for _, r in per_sample.iterrows()]
    fall_key = "(1 - cos(W_T/10, V_inf)) / (1 - cos(W_T, V_inf)) per per-sample run"
    measured[fall_key] = [
        float((1.0 - decade.loc[(r["dataset"], r["run"])]["cos_V_inf"]) / (1.0 - r["cos_V_inf"]))
        for _, r in per_sample.iterrows()
    ]
    measured["1 - cos(W_T, V_inf) per per-sample run (reported)"] = (1.0 - per_sample["cos_V_inf"]).tolist()
    measured["max-norm gap at T per per-sample run (reported)"] = per_sample["gap_inf"].tolist()
    measured["max-norm gap of fp_b1 per per-sample run (reported)"] = per_sample["own_gap_inf"].tolist()
    criteria = [
        Criterion(
            departure_key,
            "<",
            0.0,
            "level: a run heading to V_inf ends with cos(W, V_inf) near 1, one heading to fp_b1 near "
            "cos(fp_b1, V_inf); per-sample Adam must be below the midpoint of the two",
            each=True,
        ),
        Criterion(
            fall_key,
            "<",
            direction_rate(decay),
            "trend: a run converging to V_inf would close its distance to it at least at this rate over the last "
            "decade (" + direction_rate_reason(decay) + "); per-sample Adam must not",
            each=True,
        ),
    ]
    return measured, criteria


CHECKS = {
    "multiclass_fixed_point_exists": Check(
        claim=(
            "On fan2025's multiclass data, every mini-batch schedule of the runs has a multiclass fixed point fp_b "
            "of P_b(c) (completed lexicographically on the classes whose pairs lose all dual weight): converged, "
            "steady in direction, stages with nondecreasing margin levels"
        ),
        experiments=(STUDY,),
        datasets=(),
        func=check_multiclass_fixed_point_exists,
        kind="consistency",
        sources=(Source("beyond"),),
        drawn_by=FIGURE,
    ),
    "multiclass_leaves_v_inf": Check(
        claim=(
            "On fan2025's multiclass data, per-sample Adam (b = 1, cyclic and reshuffled) does not converge to the "
            "max-norm margin V_inf, fan2025's full-batch limit: at T it is on fp_1's side of the midpoint between "
            "the two and its distance to V_inf does not fall at a converging rate (the multiclass analogue of "
            "baek2025's per-sample departure from the l_inf margin; full batch -> V_inf is fan2025's C5/C6)"
        ),
        experiments=(STUDY,),
        datasets=(),
        func=check_multiclass_leaves_v_inf,
        kind="claim",
        sources=(Source("beyond"),),
        drawn_by=FIGURE,
    ),
    "multiclass_fixed_point": Check(
        claim=(
            "Our conjecture (the multiclass analogue of baek2025 Thm 4.8, not a paper's claim): on fan2025's "
            "multiclass data, Adam with batch size b < N (1 cyclic and reshuffled, 10, 50) converges in direction "
            "to the multiclass fixed point fp_b of P_b(c) where it is established (1 - cos falling at the rate of a "
            "converging run over the last decade; nearer to fp_b than to the candidate limits apart from it, by "
            "more than the lead's last-interval motion)"
        ),
        experiments=(STUDY,),
        datasets=(),
        func=check_multiclass_fixed_point,
        kind="claim",
        sources=(Source("beyond"),),
        drawn_by=FIGURE,  # the report shows the check beside its figure
    ),
}
