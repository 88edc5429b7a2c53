"""Study `real_data`: the three papers' predictions on data nobody constructed.

Data: scikit-learn's bundled 8×8 digits (1797 images, 64 pixel features, no download). Every data set is a subset of
it — a pair of digits (binary) or all ten classes — and is preprocessed on its own samples: pixels that are constant
on the data set are dropped (no information, and on a pair of digits a constant column would be a bias feature whose
ℓ∞ max-margin weight can be non-unique), and every remaining feature is standardised to mean 0 and variance 1
(population std) over ALL the data set's samples. There is no test split: the claims are about the training
iterates' direction, not about generalisation. `per_class`, if given, keeps the first `per_class` images of each
class in the bundled order (deterministic; for the smoke config).

Binary labels follow the package's label-absorbed convention (`train`, `max_margin`, `proxy_fixed_point` take rows
x_i ← y_i·x_i and no y): the first digit of a pair is +1, the second −1. The ten-class set goes in as features H and
labels y (fan2025's multiclass convention, `margins.as_labels`).

Separability is verified with the ℓ∞ max-margin LP when the data set is made (`max_margin(norm="inf")` for a pair,
the sparse LP `margins.max_norm_margin_sparse` for the ten classes, which is minutes faster at n(k−1) = 16173 rows);
a non-separable data set is a ValueError naming it. That LP's solution is the ℓ∞ reference. For a pair the LP is
solved twice, by HiGHS (a vertex of the optimal face) and by Clarabel (an interior point, so in the relative interior
of the face): the ℓ∞ max-margin direction is unique iff the two agree (`UNIQUE_COS`). On real data it need not be
(e.g. the pair 1-7), and then "cos with the ℓ∞ max-margin" is not a well-defined test; the normalised margin
γ̄_∞(w)/γ_∞ always is, and is what the theory's convergence statements bound.

Predictions tested (run name → reference; thresholds and reasons in `CHECKS`):
* binary: full-batch Adam → ℓ∞ (baek2025 Det-Adam, after Zhang et al. 2024), SignGD → ℓ∞ (fan2025 Thm 5.3 with
  k = 2; steepest descent w.r.t. ℓ∞), NGD → ℓ2 (fan2025 NSD with p = 2), per-sample Adam (b = 1, cyclic) → the
  AdamProxy fixed point (baek2025 Prop 4.1 / Thm 4.8). The fixed point is the β2 → 1 limit: the second-moment EMA
  must average over whole epochs, i.e. 1/(1 − β2) ≳ N. With N ≈ 360 images per pair the paper's default β2 = 0.95
  (a 20-step window) is outside that regime, so the tested run uses β2 = 0.999 (window ≈ 2.8 epochs) and a run at
  β2 = 0.95 is reported without a prediction.
* ten classes: Adam and SignGD favour the max-norm margin, NGD the ℓ2 margin (fan2025 claims (1), (2)), with the
  theory's rates. Per-sample Adam and its multiclass fixed point are not run on the ten-class set by default: the
  fixed point of P(c) at 16173 margin rows did not fit the study's CPU budget (64 s already at 30 images per class);
  the `multiclass` study covers per-sample multiclass Adam. A `ten_class_runs` entry with batch_size 1 adds it.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ...checks import Artifacts, Check, Criterion, Source, Verdict

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "CHECKS",
    "FIGURE",
    "PREDICTIONS",
    "TEN_CLASS",
    "check_config",
    "datasets",
    "figure",
    "make_dataset",
    "metrics",
    "pair_name",
    "references",
    "run",
]

STUDY = "real_data"
FIGURE = "real_data"
TEN_CLASS = "digits10"
NUM_CLASSES = 10
# Two solvers' ℓ∞ max-margin directions with cosine below 1 − 1e-6 are different points of the optimal face: both
# solve to 1e-10 (margins.CLARABEL_OPTIONS, HiGHS's LP tolerances), so a unique optimum agrees to ~1e-8.
UNIQUE_COS = 1.0 - 1e-6

# run name → the reference its iterates are predicted to approach (binary: ℓ∞ / ℓ2 max margin, fixed point; ten
# classes: the norm whose margin is favoured). Runs with other names are run and reported, not checked.
PREDICTIONS = {
    "binary": {"adam": "linf", "signgd": "linf", "ngd": "l2", "adam_b1": "fp"},
    "multiclass": {"adam": "linf", "signgd": "linf", "ngd": "l2"},
}
# what a predicted run must be for the prediction to be about it: optimizer and batch size (None = full batch)
_PREDICTED_KIND = {
    "adam": ("adam", None),
    "signgd": ("signgd", None),
    "ngd": ("ngd", None),
    "adam_b1": ("adam", 1),
}
RUN_SECTIONS = {"binary": "binary_runs", "multiclass": "ten_class_runs"}
REFERENCE_NAMES = {"linf": "ℓ∞ max margin", "l2": "ℓ2 max margin", "fp": "fixed point"}
# the house colours (`plots.ALGORITHM_COLORS`) of the predicted runs; other runs get a sequential palette
RUN_COLORS = {"adam": "Det-Adam", "adam_b1": "Inc-Adam", "signgd": "SignSGD", "ngd": "GD"}


# ------------------------------------------------------------------------------------------------ config
def pair_name(a: int, b: int) -> str:
    """The data-set name of the digit pair (a, b): a is the +1 class."""
    return f"pair{a}v{b}"


def _pairs(cfg: dict) -> list[tuple[int, int]]:
    """The digit pairs, refused (naming real_data.pairs) where the schema cannot say it: a pair of one digit twice,
    or a pair listed twice in either order (the schema has checked they are [a, b] with digits in 0..9)."""
    out = []
    for pair in cfg.get("pairs", []):
        if pair[0] == pair[1]:
            raise ValueError(f"real_data.pairs: {pair!r} is not a pair of two different digits in 0..9")
        if tuple(pair) in out or tuple(pair[::-1]) in out:
            raise ValueError(f"real_data.pairs: the pair {pair!r} is listed twice")
        out.append((int(pair[0]), int(pair[1])))
    return out


def _check_runs(cfg: dict, kind: str) -> dict[str, dict]:
    """The runs whose predictions are checked (`PREDICTIONS`) are there, and are of the kind the prediction is
    about (`_PREDICTED_KIND`); the schema has checked each run's keys."""
    section = RUN_SECTIONS[kind]
    runs = cfg.get(section, {})
    for name in PREDICTIONS[kind]:
        if name not in runs:
            raise ValueError(f"real_data.{section}: must include the run {name!r} (its prediction is checked)")
        optimizer, batch = _PREDICTED_KIND[name]
        spec = runs[name]
        if (spec["optimizer"], spec.get("batch_size"), spec.get("sampling", "cyclic")) != (optimizer, batch, "cyclic"):
            raise ValueError(
                f"real_data.{section}.{name}: is checked as {optimizer} with batch_size {batch} (cyclic); "
                f"got optimizer {spec['optimizer']!r}, batch_size {spec.get('batch_size')!r}"
            )
    return runs


def check_config(cfg: dict) -> None:
    """What the schema cannot say, checked before any job runs (messages "real_data.<key>: <problem>")."""
    _pairs(cfg)
    if cfg.get("pairs"):
        _check_runs(cfg, "binary")
    if cfg.get("ten_class", False):
        _check_runs(cfg, "multiclass")


def datasets(cfg: dict) -> list[str]:
    """The digit pairs (`pair_name`), then the ten-class set if `ten_class`. Validates `cfg` (cheap, no data)."""
    check_config(cfg)
    names = [pair_name(a, b) for a, b in _pairs(cfg)]
    if cfg.get("ten_class", False):
        names.append(TEN_CLASS)
    if not names:
        raise ValueError("real_data: no data set (pairs is empty and ten_class is false)")
    return names


def _kind(name: str) -> str:
    return "multiclass" if name == TEN_CLASS else "binary"


def _parse(cfg: dict, name: str) -> tuple[int, int] | None:
    """The pair of a pair's data-set name (None for the ten-class set); a ValueError for an unknown name."""
    if name == TEN_CLASS and cfg.get("ten_class", False):
        return None
    for a, b in _pairs(cfg):
        if name == pair_name(a, b):
            return a, b
    raise ValueError(f"real_data: unknown data set {name!r}; configured: {datasets(cfg)}")


# ------------------------------------------------------------------------------------------------ data
def _standardised(images: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(features, kept pixel indices): pixels constant on these images dropped, the rest to mean 0, std 1."""
    sd = images.std(axis=0)
    keep = np.flatnonzero(sd > 0)
    return (images[:, keep] - images[:, keep].mean(axis=0)) / sd[keep], keep


def make_dataset(cfg: dict, name: str) -> dict[str, np.ndarray]:
    """One data set of the digits, preprocessed on its own samples (module docstring), with its ℓ∞ max margin.

    Binary: X = label-absorbed rows (first digit +1), `digit` the images' digits. Ten classes: X = features, y =
    labels. Both: `pixel` the kept pixel indices (of 64), `gamma_inf` and `linf` (the LP solution), and for pairs
    `linf_interior` (Clarabel's solution of the same LP) and `linf_unique` (1 if the two agree, `UNIQUE_COS`).
    Raises ValueError naming the data set if it is not linearly separable.
    """
    from sklearn.datasets import load_digits

    from ...margins import cosine, max_margin, max_norm_margin_sparse

    check_config(cfg)
    pair = _parse(cfg, name)
    images, digits = load_digits(return_X_y=True)
    images, digits = images.astype(np.float64), digits.astype(np.int64)
    classes = list(range(NUM_CLASSES)) if pair is None else list(pair)
    per = cfg.get("per_class")
    rows = np.sort(np.concatenate([np.flatnonzero(digits == c)[:per] for c in classes]))
    H, pixel = _standardised(images[rows])
    try:
        if pair is None:
            y = digits[rows]
            sol = max_norm_margin_sparse(H, y)
            return {"X": H, "y": y, "pixel": pixel, "gamma_inf": np.float64(sol.gamma), "linf": sol.w}
        X = H * np.where(digits[rows] == pair[0], 1.0, -1.0)[:, None]
        sol = max_margin(X, norm="inf")
        interior = max_margin(X, norm="inf", solver="CLARABEL")
    except ValueError as err:
        raise ValueError(f"real_data data set {name!r} ({_describe(pair)}): {err}") from err
    unique = cosine(sol.w, interior.w) >= UNIQUE_COS
    return {
        "X": X,
        "digit": digits[rows],
        "pixel": pixel,
        "gamma_inf": np.float64(sol.gamma),
        "linf": sol.w,
        "linf_interior": interior.w,
        "linf_unique": np.int64(unique),
    }


def _describe(pair: tuple[int, int] | None) -> str:
    return "all ten digits" if pair is None else f"digits {pair[0]} (+1) vs {pair[1]} (-1)"


def _labels(data: dict) -> np.ndarray | None:
    return data.get("y")


# ------------------------------------------------------------------------------------------------ references
def _runs_of(cfg: dict, name: str) -> dict[str, dict]:
    return cfg[RUN_SECTIONS[_kind(name)]]


def references(cfg: dict, name: str, data: dict) -> dict[str, np.ndarray]:
    """ℓ∞ (from the data set's LP), ℓ2 max margin, and — if a run of this data set is per-sample — the AdamProxy
    fixed point (`proxy_fixed_point(accelerate=True)`, b = 1 cyclic; multiclass with y)."""
    from ...fixed_point import proxy_fixed_point
    from ...margins import max_margin

    X, y = data["X"], _labels(data)
    l2 = max_margin(X, y)
    refs = {
        "linf": data["linf"],
        "gamma_inf": data["gamma_inf"],
        "l2": l2.w,
        "gamma_2": np.float64(l2.gamma),
    }
    if any(spec.get("batch_size") == 1 for spec in _runs_of(cfg, name).values()):
        fp_cfg = cfg.get("fixed_point", {})
        fp = proxy_fixed_point(X, fp_cfg.get("tol", 1e-6), fp_cfg.get("max_iter", 400), y=y, accelerate=True)
        refs.update(
            fp=fp.w,
            fp_converged=np.int64(fp.converged),
            fp_iterations=np.int64(fp.iterations),
            fp_kkt_residual=np.float64(fp.kkt_residual),
        )
    return refs


# ------------------------------------------------------------------------------------------------ runs
def _train_kwargs(spec: dict) -> dict:
    return {k: v for k, v in spec.items() if k != "label"}


def run(cfg: dict, name: str, data: dict, log: Callable[[str], object]) -> dict[str, np.ndarray]:
    """Every run of the data set's section (`binary_runs` or `ten_class_runs`), iterates on a log grid.

    Binary runs go through `train_many` (one batched kernel call per step count), multiclass runs through `train`
    one by one with a progress line every few seconds. Keys: `runs`, `labels` (unicode), and per run
    `<run>__steps`, `<run>__w`, `<run>__log_loss`.
    """
    from ...training import log_progress, train, train_many

    X, y = data["X"], _labels(data)
    runs = _runs_of(cfg, name)
    num_log = cfg.get("num_log", 60)
    names = list(runs)
    try:
        if y is None:
            trajectories = train_many(X, [_train_kwargs(runs[r]) for r in names], num_log=num_log)
        else:
            trajectories = []
            for r in names:
                spec = _train_kwargs(runs[r])
                progress = log_progress(f"{name} {r}", int(spec["steps"]), log)
                trajectories.append(train(X, y, num_log=num_log, progress=progress, **spec))
    except ValueError as err:
        raise ValueError(f"real_data.{RUN_SECTIONS[_kind(name)]} on {name!r}: {err}") from err
    out: dict[str, np.ndarray] = {
        "runs": np.array(names, dtype=np.str_),
        "labels": np.array([runs[r].get("label", r) for r in names], dtype=np.str_),
    }
    for r, tr in zip(names, trajectories, strict=True):
        out[f"{r}__steps"], out[f"{r}__w"], out[f"{r}__log_loss"] = tr.steps, tr.w, tr.log_loss
        log(f"{name} {r}: {tr.steps[-1]:,} steps, log L = {tr.log_loss[-1]:.4g}")
    return out


# ------------------------------------------------------------------------------------------------ metrics
METRIC_COLUMNS = ("cos_linf", "cos_l2", "cos_fp", "cos_linf_interior", "margin_inf", "margin_2", "log_loss")


def _window_epochs(spec: dict, n: int) -> float:
    """The second-moment EMA window 1/(1 − β2) in epochs of n/b steps (NaN for optimizers without one)."""
    if spec["optimizer"] != "adam":
        return math.nan
    steps_per_epoch = n / (spec.get("batch_size") or n)
    return 1.0 / ((1.0 - spec.get("beta2", 0.95)) * steps_per_epoch)


def metrics(cfg: dict, inputs: dict) -> pd.DataFrame:
    """One row per (data set, run, logged step): cosine with each reference (ℓ∞ = the LP's vertex, `linf_interior`
    = the interior-point solution; fixed point NaN where there is none), the normalised margins γ̄_p(w_t)/γ_p for
    p = ∞, 2, the log loss; plus per data set `linf_unique`, `fp_converged`, and per run `predicts` and the EMA
    window in epochs."""
    from ...margins import cosine, normalized_margin

    frames = []
    for name, (data, refs, runs) in inputs.items():
        kind = _kind(name)
        X, y = data["X"], _labels(data)
        specs = _runs_of(cfg, name)
        for r, label in zip(runs["runs"].tolist(), runs["labels"].tolist(), strict=True):
            W = runs[f"{r}__w"]
            nan = np.full(W.shape[0], np.nan)
            frames.append(
                pd.DataFrame(
                    {
                        "dataset": name,
                        "kind": kind,
                        "run": r,
                        "label": label,
                        "predicts": PREDICTIONS[kind].get(r, ""),
                        "step": runs[f"{r}__steps"],
                        "cos_linf": cosine(W, refs["linf"]),
                        "cos_l2": cosine(W, refs["l2"]),
                        "cos_fp": cosine(W, refs["fp"]) if "fp" in refs else nan,
                        "cos_linf_interior": cosine(W, data["linf_interior"]) if "linf_interior" in data else nan,
                        "margin_inf": normalized_margin(W, X, y, norm="inf") / float(refs["gamma_inf"]),
                        "margin_2": normalized_margin(W, X, y, norm=2) / float(refs["gamma_2"]),
                        "log_loss": runs[f"{r}__log_loss"],
                        "n": X.shape[0],
                        "linf_unique": int(data["linf_unique"]) if "linf_unique" in data else -1,
                        "fp_converged": int(refs["fp_converged"]) if "fp_converged" in refs else -1,
                        "window_epochs": _window_epochs(specs[r], X.shape[0]),
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


# ------------------------------------------------------------------------------------------------ checks
# Pass levels (baek2025 spec §6 "numerical theorem checks"; fan2025 spec C3-C6), not tuned to the digits.
DET_ADAM_COS = 0.99  # baek2025 check 8: Det-Adam cos(ℓ∞) > 0.99
LINF_MARGIN = 0.98  # baek2025 check 10: normalised ℓ∞ margin ≥ 0.98·γ_∞ ("→ ℓ∞ max margin" in margin terms)
GD_COS_L2 = 0.98  # baek2025 check 7: GD cos(ℓ2) > 0.98 (log-slow)
FP_COS = 0.995  # baek2025 check 8: per-sample Adam cos(fp) > 0.995
SIGNGD_SLOPE = -0.4  # fan2025 C3: SignGD's max-norm gap, slope over the last decade (theory t^(-1/2))
ADAM_SLOPE = -1 / 3  # fan2025 C5 / Cor. 6.4: Adam's max-norm gap ~ t^(-1/3) (a = 2/3)


def _final(df: pd.DataFrame, run: str) -> pd.DataFrame:
    """The last logged row of `run` on every data set, in data-set order."""
    sub = df[df["run"] == run]
    return sub.loc[sub.groupby("dataset", sort=False)["step"].idxmax()]


def _values(frame: pd.DataFrame, column: str) -> list[float]:
    return [float(v) for v in frame[column]]


def real_data_binary(art: Artifacts) -> Verdict:
    """Final iterate of every predicted run on every configured digit pair, against its predicted reference."""
    df = art.metrics(STUDY)
    df = df[df["kind"] == "binary"]
    if df.empty:
        raise ValueError("real_data_binary: the metric table has no binary data set (real_data.pairs is empty)")
    measured: dict = {"pairs": list(dict.fromkeys(df["dataset"]))}
    unique = _final(df, "adam")["linf_unique"].astype(bool).to_numpy()
    measured["pairs with a unique l_inf max margin"] = [p for p, u in zip(measured["pairs"], unique) if u]
    criteria = []
    for r in ("adam", "signgd"):
        fin = _final(df, r)
        margin_key = f"{r}: margin_inf/gamma_inf at T"
        measured[margin_key] = _values(fin, "margin_inf")
        linf_cos_key = f"{r}: cos(l_inf) at T (pairs with a unique l_inf)"
        measured[linf_cos_key] = _values(fin[unique], "cos_linf")
        measured[f"{r}: cos(l_inf) at T (every pair, reported)"] = _values(fin, "cos_linf")
        measured[f"{r}: cos(l_inf interior-point solution) at T (reported)"] = _values(fin, "cos_linf_interior")
        criteria.append(
            Criterion(
                margin_key,
                ">=",
                LINF_MARGIN,
                "baek2025 check 10's level for convergence to the l_inf max margin, in margin terms (defined even "
                "when the l_inf max-margin direction is not unique)",
                each=True,
            )
        )
        if unique.any():
            criteria.append(
                Criterion(
                    linf_cos_key,
                    ">=",
                    DET_ADAM_COS,
                    "baek2025 check 8: Det-Adam cos(l_inf) > 0.99 (SignGD has the same limit); only where the "
                    "direction is unique",
                    each=True,
                )
            )
    fin = _final(df, "ngd")
    ngd_cos_key = "ngd: cos(l2) at T"
    measured[ngd_cos_key] = _values(fin, "cos_l2")
    criteria.append(
        Criterion(ngd_cos_key, ">=", GD_COS_L2, "baek2025 check 7: GD cos(l2) > 0.98 (log-slow)", each=True)
    )
    fin = _final(df, "adam_b1")
    fp_cos_key = "adam_b1: cos(fp) at T"
    measured[fp_cos_key] = _values(fin, "cos_fp")
    fp_over_l2_key = "adam_b1: cos(fp) - cos(l2) at T"
    measured[fp_over_l2_key] = list(fin["cos_fp"].to_numpy() - fin["cos_l2"].to_numpy())
    fp_over_linf_key = "adam_b1: cos(fp) - cos(l_inf) at T"
    measured[fp_over_linf_key] = list(fin["cos_fp"].to_numpy() - fin["cos_linf"].to_numpy())
    measured["adam_b1: EMA window 1/(1-beta2) in epochs"] = _values(fin, "window_epochs")
    converged_key = "fixed point converged"
    measured[converged_key] = [bool(v == 1) for v in fin["fp_converged"]]
    criteria += [
        Criterion(fp_cos_key, ">=", FP_COS, "baek2025 check 8: per-sample Adam cos(fp) > 0.995", each=True),
        Criterion(
            fp_over_l2_key,
            ">",
            0.0,
            "baek2025 check 8: per-sample Adam is closer to the fixed point than to l2",
            each=True,
        ),
        Criterion(
            fp_over_linf_key,
            ">",
            0.0,
            "baek2025 Thm 4.8: per-sample Adam leaves the l_inf max margin for the fixed point",
            each=True,
        ),
        Criterion(
            converged_key,
            "==",
            True,
            "Algorithm 3's stopping rule ||c_{k+1} - c_k||_1 < tol: an unconverged iterate is no reference",
            each=True,
        ),
    ]
    # reported: every other run (e.g. per-sample Adam at the paper's beta2 = 0.95, outside the beta2 -> 1 regime)
    for r in dict.fromkeys(df.loc[df["predicts"].fillna("") == "", "run"]):
        fin = _final(df, r)
        for ref in ("linf", "l2", "fp"):
            measured[f"{r}: cos({ref}) at T (reported)"] = _values(fin, f"cos_{ref}")
        measured[f"{r}: EMA window 1/(1-beta2) in epochs (reported)"] = _values(fin, "window_epochs")
    return measured, criteria


def real_data_multiclass(art: Artifacts) -> Verdict:
    """The ten-class digits: which margin Adam, SignGD and NGD favour at T and over the last decade, and the rates."""
    from ..fan2025.checks import loglog_slope

    df = art.metrics(STUDY)
    df = df[df["dataset"] == TEN_CLASS]
    if df.empty:
        raise ValueError(f"real_data_multiclass: the metric table has no {TEN_CLASS!r} rows (real_data.ten_class)")
    measured: dict[str, Any]
    measured, criteria = {}, []
    for r, favoured in PREDICTIONS["multiclass"].items():
        sub = df[(df["run"] == r) & (df["step"] > 0)].sort_values("step")
        steps = sub["step"].to_numpy(float)
        T = steps[-1]
        last = steps >= T / 10
        gap = {p: 1.0 - sub[f"margin_{p}"].to_numpy() for p in ("inf", "2")}
        cos = {p: sub[f"cos_l{p}"].to_numpy() for p in ("inf", "2")}
        p, q = ("inf", "2") if favoured == "linf" else ("2", "inf")
        key_gap = f"{r}: gap_{q} - gap_{p} at T"
        key_cos = f"{r}: min over [T/10, T] of cos(V_{p}) - cos(V_{q})"
        measured[f"{r}: gap_inf, gap_2 at T"] = [float(gap["inf"][-1]), float(gap["2"][-1])]
        measured[f"{r}: cos(V_inf), cos(V_2) at T"] = [float(cos["inf"][-1]), float(cos["2"][-1])]
        measured[key_gap] = float(gap[q][-1] - gap[p][-1])
        measured[key_cos] = float(np.min(cos[p][last] - cos[q][last]))
        wrong = steps[(cos[p] <= cos[q]) & (steps >= 10)]
        measured[f"{r}: last t >= 10 with cos(V_{p}) <= cos(V_{q}) (reported; fan2025 C6 reads Fig. 1 from t = 10)"] = (
            int(wrong.max()) if wrong.size else None
        )
        slope, ci, _ = loglog_slope(steps, gap[p], T / 10, T)
        slope_key = f"{r}: slope of log gap_{p} on log t over [T/10, T]"
        measured[slope_key] = slope
        measured[f"{r}: its 95% interval (reported)"] = ci
        criteria += [
            Criterion(
                key_gap,
                ">",
                0.0,
                f"fan2025 claim (1): {r} favours the {p}-norm margin (smaller relative gap at T, as spec C3/C4)",
            ),
            Criterion(
                key_cos,
                ">",
                0.0,
                f"fan2025 claim (2) / C6: {r} correlates best with V_{p}, in the theorems' asymptotic window "
                "(as the pipeline's fan2025 c6)",
            ),
        ]
        rate = {
            "signgd": (SIGNGD_SLOPE, "fan2025 C3: SignGD's max-norm gap falls like t^(-1/2) (Cor. 5.4)"),
            "adam": (ADAM_SLOPE, "fan2025 C5: Adam's max-norm gap falls like t^(-1/3) (Cor. 6.4, a = 2/3)"),
            "ngd": (0.0, "fan2025 C4: NGD's l2 gap is decreasing"),
        }[r]
        criteria.append(Criterion(slope_key, "<", rate[0], rate[1]))
    return measured, criteria


CHECKS = {
    "real_data_binary": Check(
        "On separable digit pairs: full-batch Adam and SignGD -> l_inf max margin, NGD -> l2 max margin, per-sample "
        "Adam (beta2 -> 1 regime) -> the AdamProxy fixed point, closer to it than to l_inf and l2",
        (STUDY,),
        (),
        real_data_binary,
        sources=(
            Source("beyond"),
            Source("theorem", "4.8", paper="baek2025"),
            Source("figure", "1", paper="baek2025"),
            Source("figure", "3", paper="baek2025"),
            Source("theorem", "5.3", paper="fan2025"),
        ),
        drawn_by=FIGURE,
    ),
    "real_data_multiclass": Check(
        "On all ten digits: Adam and SignGD favour the max-norm margin, NGD the l2 margin, at the theory's rates",
        (STUDY,),
        (),
        real_data_multiclass,
        sources=(
            Source("beyond"),
            Source("figure", "1", paper="fan2025"),
            Source("theorem", "5.3", paper="fan2025"),
            Source("theorem", "6.3", paper="fan2025"),
        ),
        drawn_by=FIGURE,
    ),
}


# ------------------------------------------------------------------------------------------------ figure
def figure(df: pd.DataFrame, cfg: dict) -> Figure:
    """Top row, one panel per data set: cosine of w_t with its predicted reference over t for every run (ℓ∞, ℓ2 or
    the fixed point; dashed: runs without a prediction, against the fixed point on pairs, ℓ2 on ten classes).
    Bottom row: the final values as a heatmap, runs × (cos ℓ∞, cos ℓ2, cos fp, γ̄_∞/γ_∞, γ̄_2/γ_2), the predicted
    cells outlined. One data set per column: digits is one fixed data set, so there are no bands."""
    import matplotlib.pyplot as plt
    import seaborn as sns
    from matplotlib.patches import Rectangle

    from ...plots import ALGORITHM_COLORS, series_colors

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
