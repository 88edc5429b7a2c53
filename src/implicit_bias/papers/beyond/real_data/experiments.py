"""The `real_data` study's runs: the digits data sets and their ℓ∞ max margins, the ℓ2 max margin and the fixed
point, the runs of every data set and the metric table (the study: the package docstring)."""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import pandas as pd

from . import PREDICTIONS, TEN_CLASS

__all__ = [
    "METRIC_COLUMNS",
    "RUN_SECTIONS",
    "UNIQUE_COS",
    "check_config",
    "datasets",
    "make_dataset",
    "metrics",
    "pair_name",
    "references",
    "run",
]

NUM_CLASSES = 10
# Two solvers' ℓ∞ max-margin directions with cosine below 1 − 1e-6 are different points of the optimal face: both
# solve to 1e-10 (margins.CLARABEL_OPTIONS, HiGHS's LP tolerances), so a unique optimum agrees to ~1e-8.
UNIQUE_COS = 1.0 - 1e-6
# what a predicted run must be for the prediction to be about it: optimizer and batch size (None = full batch)
_PREDICTED_KIND = {
    "adam": ("adam", None),
    "signgd": ("signgd", None),
    "ngd": ("ngd", None),
    "adam_b1": ("adam", 1),
}
RUN_SECTIONS = {"binary": "binary_runs", "multiclass": "ten_class_runs"}


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

    from ....margins import cosine, max_margin, max_norm_margin_sparse

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
    from ....fixed_point import PIPELINE_SOLVER, proxy_fixed_point
    from ....margins import max_margin

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
        fp = proxy_fixed_point(
            X, fp_cfg.get("tol", 1e-6), fp_cfg.get("max_iter", 400), y=y, accelerate=True, solver=PIPELINE_SOLVER
        )
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
    from ....training import log_progress, train, train_many

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
    from ....margins import cosine, normalized_margin

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
