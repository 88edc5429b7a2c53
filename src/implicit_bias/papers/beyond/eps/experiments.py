"""The `eps` study's runs: baek2025's Gaussian data, the fixed point and the max margins, per-sample Adam at every
ε (one batched kernel call per data set) and the metric table (the study: the package docstring)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = ["ADAM_KEYS", "check_config", "datasets", "make_dataset", "metrics", "references", "run", "run_name"]

# the Adam settings a config may give, passed to `train` as they are (else `train`'s defaults, which are baek2025's
# Inc-Adam run: config.yaml baek2025.gaussian_adam.inc_adam sets none of them)
ADAM_KEYS = ("lr", "decay", "beta1", "beta2")


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
    from ....data import gaussian

    s = _settings(cfg)
    seed = _seed(name)
    if seed not in s["seeds"]:
        raise ValueError(f"data set {name!r} is not one of eps.seeds {s['seeds']}")
    return {"X": gaussian(s["n"], s["d"], seed), "seed": np.array(seed)}


def references(cfg: dict, name: str, data: dict) -> dict[str, np.ndarray]:
    """The fixed point of P(c) (baek2025 Algorithm 3, at the study's batch size) and the ℓ2 / ℓ∞ max margins."""
    from ....fixed_point import PIPELINE_SOLVER, proxy_fixed_point
    from ....margins import max_margin

    s = _settings(cfg)
    X = data["X"]
    try:
        l2 = max_margin(X)
    except ValueError as err:
        raise ValueError(f"eps data set {name!r} (eps.n = {s['n']}, eps.d = {s['d']}): {err}") from err
    fp = proxy_fixed_point(X, batch_size=s["batch_size"], accelerate=True, solver=PIPELINE_SOLVER, **s["fixed_point"])
    if not fp.converged:
        raise ValueError(
            f"eps data set {name!r}: the fixed point did not converge (eps.fixed_point {s['fixed_point']})"
        )
    return {"fp": fp.w, "l2": l2.w, "linf": max_margin(X, norm="inf").w, "fp_iterations": np.array(fp.iterations)}


def run(cfg: dict, name: str, data: dict, log: Callable[[str], object] = print) -> dict[str, np.ndarray]:
    """Per-sample Adam at every ε of the cfg, as one batched kernel (`train_many`)."""
    import time

    from ....training import train_many

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
def _log_grad(W: np.ndarray, X: np.ndarray) -> np.ndarray:
    """log max_i ‖∇ℓ_i(w_t)‖_∞ = log |ℓ'(<w_t, x_i>)| + log ‖x_i‖_∞ for the exponential loss, on the log scale (never
    underflows)."""
    from ....losses import log_abs_derivative

    return np.max(log_abs_derivative(W @ X.T) + np.log(np.max(np.abs(X), axis=1)), axis=1)


def metrics(cfg: dict, inputs: dict) -> pd.DataFrame:
    """One row per (data set, ε, logged step): cosines to fp / ℓ2 / ℓ∞ and to the ε = 0 run, log L, log g, and the
    data set's departure threshold δ = departure_fraction × (1 − cos(fp, ℓ2)) (`departure_step`)."""
    from ....margins import cosine

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
