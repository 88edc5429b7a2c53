"""The `phase` study's runs: baek2025's Gaussian data, the ℓ∞ / ℓ2 max margins and the batch fixed points fp_b, the
grid of Adam runs (one batched kernel call per data set) and the metric table (the study: the package docstring)."""

from __future__ import annotations

import itertools
from collections.abc import Callable

import numpy as np
import pandas as pd

__all__ = [
    "check_config",
    "datasets",
    "make_dataset",
    "metrics",
    "references",
    "run",
    "run_grid",
]


def datasets(cfg: dict) -> list[str]:
    return [f"s{seed}" for seed in cfg["seeds"]]


def _seed(name: str) -> int:
    if not (name.startswith("s") and name[1:].isdigit()):
        raise ValueError(f"phase: data set names are s<seed>; got {name!r}")
    return int(name[1:])


def check_config(cfg: dict) -> None:
    """The batch sizes must divide n (the schema cannot say it)."""
    n = cfg["data"]["n"]
    for b in cfg["batch_sizes"]:
        if not 1 <= b <= n or n % b:
            raise ValueError(
                f"phase.batch_sizes: {b} must divide data.n = {n} (a cyclic epoch of whole batches, which the "
                "batch fixed point's D_b(c) averages over)"
            )


def make_dataset(cfg: dict, name: str) -> dict[str, np.ndarray]:
    """baek2025's Gaussian data (labels absorbed): x_i ~ N(0, I_d), one data set per seed."""
    from ....data import gaussian
    from ....margins import max_margin

    check_config(cfg)
    X = gaussian(cfg["data"]["n"], cfg["data"]["d"], _seed(name))
    max_margin(X)  # refuses non-separable data here, naming the problem, before any run
    return {"X": X}


def _fp_key(b: int, sampling: str) -> str:
    return f"fp__b{b}_{sampling}"


def _distinct_sampling(b: int, n: int, sampling: str) -> str:
    """b = N has one partition, so reshuffling changes nothing: its run and fixed point are the cyclic ones."""
    return "cyclic" if b == n else sampling


def references(cfg: dict, name: str, data: dict) -> dict[str, np.ndarray]:
    """ℓ∞ and ℓ2 max margins and the batch fixed point fp_b for every (b, sampling) of the grid (Algorithm 3, plain
    iteration from c = 1/N; for b = N, the ℓ∞ max margin)."""
    from ....fixed_point import PIPELINE_SOLVER, proxy_fixed_point
    from ....margins import max_margin

    X = data["X"]
    n = X.shape[0]
    refs = {"w_linf": max_margin(X, norm="inf").w, "w_l2": max_margin(X).w}
    fp_cfg = cfg["fixed_point"]
    for b, sampling in sorted({(b, _distinct_sampling(b, n, s)) for b in cfg["batch_sizes"] for s in cfg["samplings"]}):
        key = _fp_key(b, sampling)
        if b == n:
            # D_N(c) is the full gradient's |.|: P(c)'s solution is the l_inf max margin at every fixed point reached
            # from c = 1/N (tests/test_fixed_point.py), and Algorithm 3 converges slowly there (100-300+ iterations)
            refs[key] = refs["w_linf"]
            refs[f"{key}__converged"], refs[f"{key}__iterations"] = np.asarray(True), np.asarray(0)
            refs[f"{key}__kkt"] = np.asarray(0.0)
            continue
        fp = proxy_fixed_point(
            X,
            tol=fp_cfg["tol"],
            max_iter=fp_cfg["max_iter"],
            batch_size=b,
            sampling=sampling,
            solver=PIPELINE_SOLVER,
        )
        refs[key] = fp.w
        refs[f"{key}__converged"] = np.asarray(fp.converged)
        refs[f"{key}__iterations"] = np.asarray(fp.iterations)
        refs[f"{key}__kkt"] = np.asarray(fp.kkt_residual)
    return refs


def run_grid(cfg: dict, n: int) -> list[dict]:
    """Every (b, sampling, β1, β2) of the grid with β1 ≤ β2 (baek2025's condition), b = N once (cyclic)."""
    grid = []
    for b, sampling, beta1, beta2 in itertools.product(
        cfg["batch_sizes"], cfg["samplings"], cfg["beta1"], cfg["beta2"]
    ):
        if beta1 > beta2 or (b == n and sampling != cfg["samplings"][0]):
            continue
        grid.append(dict(batch_size=b, sampling=_distinct_sampling(b, n, sampling), beta1=beta1, beta2=beta2))
    return grid


def run(cfg: dict, name: str, data: dict, log: Callable[[str], object] = print) -> dict[str, np.ndarray]:
    """Every run of the grid on one data set, as one batched kernel call (`train_many`)."""
    from ....training import train_many

    X = data["X"]
    grid = run_grid(cfg, X.shape[0])
    log(f"{name}: {len(grid)} Adam runs of {cfg['steps']:,} steps (one batched call)")
    trajs = train_many(
        X,
        grid,
        optimizer="adam",
        steps=cfg["steps"],
        lr=cfg["lr"],
        decay=cfg["decay"],
        seed=_seed(name),
        num_log=cfg["num_log"],
    )
    return {
        "steps": trajs[0].steps,
        "w": np.stack([t.w for t in trajs]),  # (runs, logged steps, d)
        "log_loss": np.stack([t.log_loss for t in trajs]),
        "batch_size": np.array([g["batch_size"] for g in grid]),
        "sampling": np.array([g["sampling"] for g in grid]),
        "beta1": np.array([g["beta1"] for g in grid]),
        "beta2": np.array([g["beta2"] for g in grid]),
    }


def _label(b: int, sampling: str, n: int) -> str:
    return f"b={b} (full batch)" if b == n else f"b={b} {sampling}"


def _rivals(b: int, n: int) -> tuple[str, ...]:
    """The other candidate limits of a run at batch size b: fp_1, ℓ∞, ℓ2, without the one that is fp_b itself."""
    own = {1: "cos_fp_1", n: "cos_linf"}.get(b)
    return tuple(k for k in ("cos_fp_1", "cos_linf", "cos_l2") if k != own)


def _lead(w: np.ndarray, cands: dict, rivals: tuple[str, ...]) -> float:
    """cos(w, fp_b) − max over the rivals of cos(w, rival)."""
    from ....margins import cosine

    return cosine(w, cands["cos_fp_b"]) - max(cosine(w, cands[r]) for r in rivals)  # type: ignore[return-value]  # vectors


def metrics(cfg: dict, inputs: dict) -> pd.DataFrame:
    """One row per (data set, run): the cosines with every reference at T, the cosine with fp_b at the logged step
    nearest T/10, the lead of fp_b over its rivals at T and one logged step earlier, and `separation`, the smallest
    1 − cos between two of the run's candidate limits (fp_b and its rivals)."""
    from ....margins import cosine

    rows = []
    for name, (data, refs, runs) in inputs.items():
        n = data["X"].shape[0]
        steps = runs["steps"]
        last = len(steps) - 1
        decade = int(np.argmin(np.abs(np.log(np.maximum(steps, 1)) - np.log(steps[last] / 10))))
        for j in range(len(runs["beta2"])):
            b, sampling = int(runs["batch_size"][j]), str(runs["sampling"][j])
            w = runs["w"][j]
            cands = {"cos_fp_b": refs[_fp_key(b, sampling)], "cos_fp_1": refs[_fp_key(1, "cyclic")],
                     "cos_linf": refs["w_linf"], "cos_l2": refs["w_l2"]}  # fmt: skip
            rivals = _rivals(b, n)
            own = ("cos_fp_b", *rivals)
            cos = {k: cosine(w[last], r) for k, r in cands.items()}

            rows.append(
                dict(
                    dataset=name,
                    seed=_seed(name),
                    n=n,
                    run=f"b{b}_{sampling}_beta1={runs['beta1'][j]:g}_beta2={runs['beta2'][j]:g}",
                    label=_label(b, sampling, n),
                    step=int(steps[last]),
                    batch_size=b,
                    sampling=sampling,
                    beta1=float(runs["beta1"][j]),
                    beta2=float(runs["beta2"][j]),
                    **cos,
                    step_decade=int(steps[decade]),
                    cos_fp_b_decade=cosine(w[decade], cands["cos_fp_b"]),
                    lead=_lead(w[last], cands, rivals),
                    lead_previous_log=_lead(w[last - 1], cands, rivals),
                    separation=min(1.0 - cosine(cands[a], cands[c]) for a, c in itertools.combinations(own, 2)),
                    log_loss=float(runs["log_loss"][j, last]),
                    fp_converged=bool(refs[f"{_fp_key(b, sampling)}__converged"]),
                )
            )
    return pd.DataFrame(rows)
