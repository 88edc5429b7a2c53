"""The `newton_schulz` study's runs: fan2025's data per seed, the max margins in the max-, 2- and spectral norms,
Muon with each orthogonalisation, and the metric table (the study: the package docstring)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from ....hyperparameters import TRAIN_DEFAULTS
from . import REQUIRED_RUNS, STUDY

if TYPE_CHECKING:
    from collections.abc import Callable

    import pandas as pd

__all__ = [
    "NORMS",
    "check_config",
    "datasets",
    "direction_spectrum",
    "log_steps",
    "make_dataset",
    "metrics",
    "references",
    "run",
    "run_specs",
]

#: the three norms of fan2025 v4 Fig. 1: metric-table suffix -> `margins` norm name
NORMS: dict[str, int | str] = {"inf": "inf", "2": 2, "spec": "spectral"}


# ------------------------------------------------------------------------------------------------ configuration
def _fail(key: str, message: str) -> NoReturn:
    raise ValueError(f"{STUDY}.{key}: {message}")


def run_specs(cfg: dict) -> dict[str, dict]:
    """Each run's settings: the orthogonalisation (`polar`, `polar_steps`) and its label; the Muon settings (lr,
    decay, beta1, steps) are the study's, shared by every run so that the orthogonalisation is the only difference."""
    steps = TRAIN_DEFAULTS["polar_steps"]
    return {run_id: {"label": run_id, "polar_steps": steps, **spec} for run_id, spec in cfg["runs"].items()}


def check_config(cfg: dict) -> None:
    """What the schema cannot say: the runs the checks read exist with their orthogonalisation (exact = svd, ns5 =
    Newton-Schulz with 5 steps, cubic = the cubic iteration); a ValueError "newton_schulz.runs.<id>: <problem>"."""
    runs = cfg["runs"]
    for run_id, required in REQUIRED_RUNS.items():
        if run_id not in runs:
            _fail("runs", f"needs the run {run_id!r} ({required}): the study's checks read it")
        for key, value in required.items():
            if runs[run_id].get(key) != value:
                _fail(
                    f"runs.{run_id}.{key}",
                    f"must be {value!r} (the checks read it as such); got {runs[run_id].get(key)!r}",
                )


def datasets(cfg: dict) -> list[str]:
    """One data set per seed: "s0", "s1", ..."""
    return [f"s{seed}" for seed in cfg["seeds"]]


def log_steps(steps: int) -> tuple[int, ...]:
    """Steps logged besides the log grid: T/100 and T/10, where the checks read the last decades."""
    return tuple(sorted({max(steps // 100, 1), max(steps // 10, 1)}))


# ------------------------------------------------------------------------------------------------ data, references
def make_dataset(cfg: dict, name: str) -> dict[str, Any]:
    """fan2025's data for one seed (spec §3), with the max-norm LP that certifies separability (V_∞, γ_∞)."""
    from ..experiments import fan2025_dataset

    return fan2025_dataset(cfg, name, STUDY)


def references(cfg: dict, name: str, data: dict) -> dict[str, Any]:
    """The max-margin directions V_∞ (from the data set's LP), V_2 and V_spec (fan2025 v4 §3: the spectral one an
    SDP) and their margins γ."""
    from ....margins import max_margin

    H, y = data["H"], data["y"]
    l2 = max_margin(H, y, 2)
    spec = max_margin(H, y, "spectral")
    return {
        "V_inf": np.asarray(data["V_inf"]),
        "gamma_inf": np.float64(data["gamma_inf"]),
        "V_2": l2.w,
        "gamma_2": np.float64(l2.gamma),
        "V_spec": spec.w,
        "gamma_spec": np.float64(spec.gamma),
    }


def run(cfg: dict, name: str, data: dict, log: Callable[[str], object] = print) -> dict[str, np.ndarray]:
    """Muon with each orthogonalisation of the cfg on one data set: iterates, log losses and step directions on the
    log grid (plus T/100 and T/10)."""
    import time

    from ....training import train

    steps = int(cfg["steps"])
    out: dict[str, np.ndarray] = {"runs": np.array(list(cfg["runs"]))}
    for run_id, spec in run_specs(cfg).items():
        start = time.process_time()
        tr = train(
            data["H"],
            data["y"],
            optimizer="muon",
            steps=steps,
            lr=cfg["lr"],
            decay=cfg["decay"],
            beta1=cfg["beta1"],
            polar=spec["polar"],
            polar_steps=spec["polar_steps"],
            num_log=cfg["num_log"],
            log_steps=log_steps(steps),
        )
        out["steps"] = tr.steps
        out[f"{run_id}__w"] = tr.w
        out[f"{run_id}__log_loss"] = tr.log_loss
        out[f"{run_id}__direction"] = tr.direction
        how = spec["polar"] if spec["polar"] == "svd" else f"{spec['polar']}, {spec['polar_steps']} iterations"
        log(
            f"{name}: Muon, {run_id} ({how}), {steps:,} steps in "
            f"{time.process_time() - start:.2f} CPU-s, log L at the end {tr.log_loss[-1]:.2f}"
        )
    return out


# ------------------------------------------------------------------------------------------------ metrics
def direction_spectrum(D: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(smallest, largest) nonzero singular value of each step direction of a stack (T, k, d), and the residual
    max_i |σ_i − 1| (= ‖Δ − UVᵀ‖_spec for an iteration that keeps M's singular vectors; kept apart because the
    metric table's 10 significant digits would round 1 ± 1e-15 to 1); NaN where the direction is NaN (the last
    logged step has none).

    The direction is first projected on 1ᵀΔ = 0 (Δ ↦ (I − 11ᵀ/k)Δ): every CE gradient, hence every momentum, has
    1ᵀM = 0, so its rank is at most k − 1 and the iterations map its rounding-level singular value (u ∝ 1) through
    their polynomial — the cubic one multiplies it by 1.5 per step, to ~1e-10 after 40 — a direction margins are
    blind to and the exact polar factor truncates (`optimizers.POLAR_RTOL`). Singular values below POLAR_RTOL·σ_1
    of the projected direction are rounding and are left out, as the polar factor leaves them out.
    """
    from ....optimizers import POLAR_RTOL

    D = np.asarray(D, dtype=np.float64)
    k = D.shape[-2]
    P = np.eye(k) - 1.0 / k
    lo, hi, res = (np.full(D.shape[0], np.nan) for _ in range(3))
    for j, Dj in enumerate(D):
        if not np.all(np.isfinite(Dj)):
            continue
        s = np.linalg.svd(P @ Dj, compute_uv=False)
        if s[0] > 0:
            s = s[s > POLAR_RTOL * s[0]]
            lo[j], hi[j], res[j] = s.min(), s.max(), np.max(np.abs(s - 1.0))
    return lo, hi, res


def metrics(cfg: dict, inputs: dict) -> pd.DataFrame:
    """One row per (data set, run, logged step): relative gaps (γ − γ̄(W_t))/γ in the max-, 2- and spectral norms
    (`gap_inf`, `gap_2`, `gap_spec`), cosines with V_∞, V_2, V_spec (`corr_*`), the step direction's nonzero
    singular-value range and its distance from 1 (`dir_sv_min`, `dir_sv_max`, `dir_residual`) and log L; per data
    set, the relative gaps of V_2 and V_spec themselves in the other one's norm (`v2_gap_spec`: where an
    ℓ2-biased run's spectral gap tends; `vspec_gap_2`: where a spectral-biased run's 2-gap tends)."""
    import pandas as pd

    from ....margins import cosine, normalized_margin

    specs = run_specs(cfg)
    frames = []
    for name, (data, refs, runs) in inputs.items():
        H, y = data["H"], data["y"]
        gamma = {key: float(refs[f"gamma_{key}"]) for key in NORMS}
        v2_gap_spec = 1.0 - normalized_margin(refs["V_2"], H, y, "spectral") / gamma["spec"]
        vspec_gap_2 = 1.0 - normalized_margin(refs["V_spec"], H, y, 2) / gamma["2"]
        for run_id in (str(r) for r in runs["runs"]):
            W = runs[f"{run_id}__w"]
            lo, hi, res = direction_spectrum(runs[f"{run_id}__direction"])
            frame = {
                "dataset": name,
                "seed": int(data["seed"]),
                "run": run_id,
                "label": specs[run_id]["label"] if run_id in specs else run_id,
                "step": runs["steps"],
            }
            for key, norm in NORMS.items():
                frame[f"gap_{key}"] = 1.0 - normalized_margin(W, H, y, norm) / gamma[key]
            for key in NORMS:
                frame[f"corr_{key}"] = cosine(W, refs[f"V_{key}"])
            frame.update(dir_sv_min=lo, dir_sv_max=hi, dir_residual=res, log_loss=runs[f"{run_id}__log_loss"])
            frame.update(steps=int(cfg["steps"]), v2_gap_spec=v2_gap_spec, vspec_gap_2=vspec_gap_2)
            frames.append(pd.DataFrame(frame))
    return pd.concat(frames, ignore_index=True)
