"""The `multiclass` study's runs: fan2025's data per seed, the references (V_∞, V_2 and the fixed point fp_b of
every mini-batch schedule, completed lexicographically), the Adam runs and the metric table (the study: the package
docstring)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from ....hyperparameters import TRAIN_DEFAULTS
from . import STUDY

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

__all__ = [
    "RUN_DEFAULTS",
    "check_config",
    "datasets",
    "fixed_point_reference",
    "make_dataset",
    "metrics",
    "reference_key",
    "references",
    "run",
    "run_specs",
]

#: Every run inherits these (fan2025's Adam, spec §2: CE loss, W_0 = 0, no bias correction, ε = 0: `train`'s
#: defaults but fan2025's β2 = 0.99), then the study's `adam` section, then its own keys.
RUN_DEFAULTS = dict(
    **{key: TRAIN_DEFAULTS[key] for key in ("lr", "decay", "beta1")}, beta2=0.99, eps=TRAIN_DEFAULTS["eps"]
)


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


# ------------------------------------------------------------------------------------------------ data, references
def make_dataset(cfg: dict, name: str) -> dict[str, Any]:
    """fan2025's data for one seed; the max-norm LP that certifies separability (spec §3) comes with it (V_∞, γ_∞)."""
    from ..experiments import fan2025_dataset

    return fan2025_dataset(cfg, name, STUDY)


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
    from ....fixed_point import PIPELINE_SOLVER, constraint_system, lexicographic_fixed_point, mahalanobis_diag

    lex = lexicographic_fixed_point(
        H,
        y,
        batch_size=batch_size,
        sampling=sampling,
        tol=settings["tol"],
        max_iter=settings["max_iter"],
        plain_iter=settings["plain_iter"],
        solver=PIPELINE_SOLVER,
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
    from ....margins import max_margin

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

    from ....training import log_progress, train

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

    from ....margins import cosine, normalized_margin

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
