"""baek2025 experiments as configured in `config.yaml`: data sets over seeds, runs over seeds, references, metrics.

These are the functions the Snakemake scripts call; they hold no file paths, so a researcher can call them on
their own data directly. The generic rules (workflow/rules/generic.smk) build the home at the experiment level
(`implicit_bias.papers.GenericExperimentLevel`): `PARAMS`, `datasets`, `experiments`, `has_reference`,
`figure_inputs`, and the steps `make_dataset`, `references`, `run`, `metrics`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from ...data import make_dataset as draw_dataset
from ...fixed_point import PIPELINE_SOLVER, proxy_fixed_point
from ...hyperparameters import TRAIN_DEFAULTS
from ...margins import cosine, max_margin, normalized_margin
from ...training import log_progress, train
from .. import Artifact, check_run_labels
from .. import run_specs as shared_run_specs

__all__ = [
    "PARAMS",
    "RUN_DEFAULTS",
    "build_datasets",
    "check_config",
    "check_figures",
    "cross_references",
    "dataset_settings",
    "datasets",
    "experiments",
    "figure_inputs",
    "has_reference",
    "make_dataset",
    "metrics",
    "reference_solutions",
    "references",
    "run",
    "run_experiment",
    "run_specs",
    "trajectory_metrics",
]

# Defaults of a run: Adam with `train`'s defaults, which are baek2025's setting (spec §2: (β1, β2) = (0.9, 0.95),
# η_t = 0.1·(t+2)^{-1/2}, ε = 0, no bias correction, full batch), and the exponential loss.
RUN_DEFAULTS = dict(
    optimizer="adam",
    **{key: TRAIN_DEFAULTS[key] for key in ("lr", "decay", "beta1", "beta2", "eps", "eps_inside", "bias_correction")},
    **{key: TRAIN_DEFAULTS[key] for key in ("batch_size", "sampling")},
    loss="exp",
    log_epochs=[],
)


def build_datasets(spec: dict, seeds: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
    """Stack one label-absorbed data set per seed, (S, N, d); deterministic kinds get a single seed.

    Every data set is checked to be linearly separable (Assumption 2.1): `max_margin` raises otherwise.
    """
    spec = dict(spec)
    kind = spec.pop("kind")
    seeds = list(seeds) if kind == "gaussian" else [0]
    X = np.stack([draw_dataset(kind, seed=s, **spec) for s in seeds])
    for s, Xs in zip(seeds, X):
        try:
            max_margin(Xs, norm=2)
        except ValueError as err:
            raise ValueError(f"dataset {kind!r} with seed {s} is not usable: {err}") from err
    return X, np.asarray(seeds)


def run_specs(experiment: dict) -> dict[str, dict]:
    """Each run's full settings: RUN_DEFAULTS < the experiment's keys (less `runs`, `dataset`) < the run's keys."""
    return shared_run_specs(experiment, RUN_DEFAULTS, structural=("runs", "dataset"))


def _epoch_steps(log_epochs: Iterable[int], n: int, batch_size: int | None, steps: int) -> list[int]:
    """Steps rM and (r+1)M at the start/end of epoch r (M batches per epoch), for Prop. 2.5's epoch map."""
    per_epoch = n // (batch_size or n)
    out = [s for r in log_epochs for s in (r * per_epoch, (r + 1) * per_epoch)]
    bad = [s for s in out if s > steps]
    if bad:
        raise ValueError(f"log_epochs {list(log_epochs)} need more than steps={steps} steps")
    return out


def run_experiment(
    X: np.ndarray, seeds: Iterable[int], experiment: dict, num_log: int = 200, log: Callable[[str], object] = print
) -> dict[str, np.ndarray]:
    """Run every configured run on every seed's data set; return flat arrays keyed '<run>__<field>'."""
    arrays = {}
    for run_id, spec in run_specs(experiment).items():
        started = time.perf_counter()
        trajs = []
        for s, Xs in zip(seeds, X):
            extra = _epoch_steps(spec["log_epochs"], Xs.shape[0], spec["batch_size"], spec["steps"])
            trajs.append(
                train(
                    Xs,
                    optimizer=spec["optimizer"],
                    steps=spec["steps"],
                    lr=spec["lr"],
                    decay=spec["decay"],
                    beta1=spec["beta1"],
                    beta2=spec["beta2"],
                    eps=spec["eps"],
                    eps_inside=spec["eps_inside"],
                    bias_correction=spec["bias_correction"],
                    batch_size=spec["batch_size"],
                    sampling=spec["sampling"],
                    seed=int(s),
                    loss=spec["loss"],
                    num_log=num_log,
                    log_steps=extra,
                    progress=log_progress(f"  {run_id} seed {s}", spec["steps"], log),
                )
            )
        arrays[f"{run_id}__steps"] = trajs[0].steps
        arrays[f"{run_id}__w"] = np.stack([t.w for t in trajs])
        arrays[f"{run_id}__log_loss"] = np.stack([t.log_loss for t in trajs])
        arrays[f"{run_id}__direction"] = np.stack([t.direction for t in trajs])
        arrays[f"{run_id}__max_direction"] = np.array([t.max_direction for t in trajs])
        final = np.mean(arrays[f"{run_id}__log_loss"][:, -1])
        log(
            f"  {run_id:<24s} {spec['optimizer']:<10s} T={spec['steps']:>7d}  {len(trajs)} seed(s)"
            f"  {time.perf_counter() - started:6.2f} s  final log L = {final:.1f}"
        )
    return arrays


def reference_solutions(X: np.ndarray, fp_tol: float = 1e-6, fp_max_iter: int = 50) -> dict[str, np.ndarray]:
    """ℓ2 and ℓ∞ max-margin directions and margins and the AdamProxy fixed point (Alg. 3), per seed."""
    out: dict[str, list] = {
        k: []
        for k in (
            "w_l2",
            "gamma_l2",
            "w_linf",
            "gamma_linf",
            "w_fp",
            "c_fp",
            "fp_iterations",
            "fp_converged",
            "fp_kkt_residual",
        )
    }
    for Xs in X:
        l2, linf = max_margin(Xs, norm=2), max_margin(Xs, norm="inf")
        fp = proxy_fixed_point(Xs, tol=fp_tol, max_iter=fp_max_iter, solver=PIPELINE_SOLVER)
        for key, value in (
            ("w_l2", l2.w),
            ("gamma_l2", l2.gamma),
            ("w_linf", linf.w),
            ("gamma_linf", linf.gamma),
            ("w_fp", fp.w),
            ("c_fp", fp.c),
            ("fp_iterations", fp.iterations),
            ("fp_converged", fp.converged),
            ("fp_kkt_residual", fp.kkt_residual),
        ):
            out[key].append(value)
    return {k: np.asarray(v) for k, v in out.items()}


def trajectory_metrics(
    X: np.ndarray, seeds: Iterable[int], runs: dict[str, np.ndarray], refs: dict[str, np.ndarray], specs: dict
) -> pd.DataFrame:
    """Long table of per-step metrics: cosine to the ℓ2 / ℓ∞ / fixed-point references, normalised margins, log L."""
    frames = []
    for run_id, spec in specs.items():
        steps = runs[f"{run_id}__steps"]
        for s_idx, seed in enumerate(seeds):
            W = runs[f"{run_id}__w"][s_idx]
            Xs = X[s_idx]
            linf_margin = normalized_margin(W, Xs, norm="inf")
            frames.append(
                pd.DataFrame(
                    {
                        "run": run_id,
                        "label": spec["label"],
                        "seed": int(seed),
                        "step": steps,
                        "log_loss": runs[f"{run_id}__log_loss"][s_idx],
                        "cos_l2": cosine(W, refs["w_l2"][s_idx]),
                        "cos_linf": cosine(W, refs["w_linf"][s_idx]),
                        "cos_fp": cosine(W, refs["w_fp"][s_idx]),
                        "margin_l2": normalized_margin(W, Xs, norm=2),
                        "margin_linf": linf_margin,
                        "gap_linf": (refs["gamma_linf"][s_idx] - linf_margin) / refs["gamma_linf"][s_idx],
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)


def check_figures(config: dict) -> None:
    """What a baek2025 figure's drawing keys need of its panels and runs (the experiment and run names themselves are
    checked by baek2025's `check_config`): a key that would draw nothing is refused, not ignored."""
    cfg = config["baek2025"]
    for fig, spec in cfg["figures"].items():
        key = f"baek2025.figures.{fig}"
        if spec.get("style", "curves") == "heatmap":
            unused = [k for k in ("dashed", "fall", "spread") if k in spec]
            if unused:
                raise ValueError(f"{key}: {unused} apply to curves, not to a heatmap")
            grid = spec["heatmap"]
            if grid["rows"] == grid["columns"]:
                raise ValueError(f"{key}.heatmap: rows and columns are both {grid['rows']!r}")
            specs = run_specs(cfg["experiments"][spec["experiment"]])
            cells: dict[tuple, str] = {}
            for run in spec["runs"]:
                cell = (specs[run][grid["rows"]], specs[run][grid["columns"]])
                other = cells.setdefault(cell, run)
                if other != run:
                    raise ValueError(f"{key}.runs: {other!r} and {run!r} share the heatmap cell {cell}")
            continue
        if "heatmap" in spec:
            raise ValueError(f"{key}.heatmap: only a figure with style: heatmap has a grid")
        if "spread" in spec and spec["spread"] not in spec["panels"]:
            raise ValueError(f"{key}.spread: {spec['spread']!r} is not one of the figure's panels {spec['panels']}")
        if "guide" in spec and "gap_linf" not in spec["panels"]:
            raise ValueError(f"{key}.guide: the rate is drawn on the gap_linf panel, which the figure does not have")


def check_config(config: dict) -> None:
    """Cross-references the JSON schema cannot express; each error names the offending config key."""
    cfg = config["baek2025"]
    for name, exp in cfg["experiments"].items():
        key = f"baek2025.experiments.{name}"
        if exp["dataset"] not in cfg["datasets"]:
            raise ValueError(f"{key}.dataset: unknown dataset {exp['dataset']!r}; defined: {sorted(cfg['datasets'])}")
        ds = dict(cfg["datasets"][exp["dataset"]])
        # the sample count of the data set itself (generated in microseconds), not a restatement of its defaults
        n = draw_dataset(ds.pop("kind"), **ds).shape[0]
        for run_id, spec in run_specs(exp).items():
            b = spec["batch_size"]
            if b is not None and (b > n or (spec["sampling"] != "replacement" and n % b)):
                raise ValueError(
                    f"{key}.runs.{run_id}.batch_size: {b} must divide the {n} samples of {exp['dataset']!r}"
                )
            if spec["optimizer"] == "adam" and spec["beta1"] > spec["beta2"]:
                raise ValueError(
                    f"{key}.runs.{run_id}: Adam needs beta1 <= beta2 (the theory's assumption; Lemma D.1 "
                    f"bounds |m/sqrt(v)| under it); got beta1={spec['beta1']}, beta2={spec['beta2']}"
                )
            if any((r + 1) * (n // (b or n)) > spec["steps"] for r in spec["log_epochs"]):
                raise ValueError(f"{key}.runs.{run_id}.log_epochs: epochs beyond steps={spec['steps']}")
    for fig, spec in cfg["figures"].items():
        key = f"baek2025.figures.{fig}"
        if spec["experiment"] not in cfg["experiments"]:
            raise ValueError(f"{key}.experiment: unknown experiment {spec['experiment']!r}")
        missing = [r for r in spec["runs"] if r not in cfg["experiments"][spec["experiment"]]["runs"]]
        if missing:
            raise ValueError(f"{key}.runs: {missing} are not runs of experiment {spec['experiment']!r}")


def cross_references(config: dict) -> None:
    """The experiments' data sets and batch sizes, the figures' drawing keys, distinct run labels (config.py calls
    it through the home's declaration)."""
    check_config(config)
    check_figures(config)
    for name, exp in config["baek2025"]["experiments"].items():
        check_run_labels(f"baek2025.experiments.{name}", run_specs(exp))


# ------------------------------------------------------------------------------------------- the generic steps
def datasets(cfg: dict) -> list[str]:
    """Every configured data set, by name (the checks list them in this order)."""
    return sorted(cfg["datasets"])


def experiments(cfg: dict) -> dict[str, list[str]]:
    """Each experiment runs on one data set (all its seeds at once)."""
    return {name: [exp["dataset"]] for name, exp in cfg["experiments"].items()}


def has_reference(cfg: dict, name: str) -> bool:
    """Every data set has its max-margin directions and fixed point computed."""
    return True


def figure_inputs(cfg: dict, fig: str) -> list[str]:
    """A figure draws one experiment's table."""
    return [cfg["figures"][fig]["experiment"]]


def dataset_settings(cfg: dict, name: str) -> dict:
    """A data set's spec and its seeds: `seeds` for a Gaussian one, the single seed 0 for a deterministic kind."""
    spec = dict(cfg["datasets"][name])
    return {"spec": spec, "seeds": cfg["seeds"] if spec["kind"] == "gaussian" else [0]}


# each step's settings (its jobs' params): step -> {param: (config section, data set / experiment / figure) -> value}
PARAMS = {
    "dataset": {"dataset": dataset_settings},
    "reference": {"fixed_point": lambda cfg, name: cfg["fixed_point"]},
    "run": {"experiment": lambda cfg, exp: cfg["experiments"][exp], "num_log": lambda cfg, exp: cfg["num_log"]},
    "figure": {"figure": lambda cfg, fig: cfg["figures"][fig]},
}


def make_dataset(s: dict, name: str) -> Artifact:
    """One data set per seed, stacked (S, N, d), each checked to be separable."""
    spec = s["dataset"]["spec"]
    X, seeds = build_datasets(spec, s["dataset"]["seeds"])
    return Artifact({"X": X, "seeds": seeds}, {"dataset": spec, "seeds": seeds})


def references(s: dict, name: str, data: Artifact) -> Artifact:
    """ℓ2 / ℓ∞ max-margin solutions (Clarabel / HiGHS) and the AdamProxy fixed point (Alg. 3), per seed."""
    fp = s["fixed_point"]
    X, seeds = data.content["X"], data.content["seeds"]
    refs = reference_solutions(X, fp_tol=fp["tol"], fp_max_iter=fp["max_iter"])
    return Artifact({**refs, "seeds": seeds}, {**data.record, "fixed_point": fp})


def run(s: dict, experiment: str, data: dict[str, Artifact], log: Callable[[str], object]) -> Artifact:
    """Every optimizer of the experiment on every seed's data set."""
    ((_, dataset),) = data.items()
    exp = s["experiment"]
    runs = run_experiment(dataset.content["X"], dataset.content["seeds"], exp, num_log=s["num_log"], log=log)
    return Artifact(runs, {"experiment": exp, "runs": run_specs(exp), "dataset": dataset.record})


def metrics(s: dict, experiment: str, data: dict[str, Artifact], refs: dict[str, Artifact], runs: Artifact) -> Artifact:
    """The experiment's per-step metrics (`trajectory_metrics`), recording its runs' settings."""
    ((_, dataset),), ((_, ref),) = data.items(), refs.items()
    X, seeds = dataset.content["X"], dataset.content["seeds"]
    return Artifact(trajectory_metrics(X, seeds, runs.content, ref.content, runs.record["runs"]), runs.record)
