"""fan2025 experiments as configured in `config.yaml` (section `fan2025`): the functions the Snakemake scripts call.

Run settings, max-margin references in every configured norm, optimizer runs over data sets, per-step metric
tables, and `check_config`. No file paths here, so the same functions run on a researcher's data. The maths
(losses, gradients, margins, the proxy G) is in `implicit_bias.multiclass`. The generic rules
(workflow/rules/generic.smk) build the home at the experiment level (`implicit_bias.papers.GenericExperimentLevel`):
`PARAMS`, `datasets`, `experiments`, `has_reference`, `figure_inputs`, and the steps `make_dataset`, `references`,
`run`, `metrics`. A data set is named `k<classes>_s<seed>`; the two-layer network of v4 Fig. 3 (section
`fan2025.net`, experiment `net`, module `net`) runs on digits subsets named `digits_s<seed>`, without references.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable, Iterable, Sequence
from types import SimpleNamespace
from typing import Any

import numpy as np
import pandas as pd

from ...hyperparameters import TRAIN_DEFAULTS
from ...margins import (
    MaxMarginSolution,
    aligned_max_margin,
    cosine,
    margin_solution_spread,
    max_margin,
    max_norm_margin_sparse,
    normalized_margin,
    pair_matrix,
)
from ...multiclass import (
    check_labels,
    data_bound,
    log_log1p_exp,
    make_multiclass,
    scaled_gradient,
    trace_log_loss_and_proxy,
)
from ...optimizers import UpdateRule, init_state, learning_rate, step_direction
from ...training import log_progress, train
from .. import Artifact, check_run_labels
from .. import run_specs as shared_run_specs
from .net import NET, is_net_dataset, make_net_dataset, net_dataset_spec, net_datasets, net_metrics, run_net

# cvxpy is imported by the functions that solve (the dataset and reference jobs), not by this module: the workflow's
# DAG, the run and metric jobs and the checks import it without it.

__all__ = [
    "MOMENT_TRACE_KEYS",
    "PARAMS",
    "RUN_DEFAULTS",
    "adam_moment_trace",
    "check_config",
    "cross_references",
    "dataset_key",
    "dataset_name",
    "dataset_spec",
    "datasets",
    "draw_dataset",
    "experiment_datasets",
    "experiment_norms",
    "experiments",
    "figure_inputs",
    "has_reference",
    "make_dataset",
    "metrics",
    "norm_name",
    "norm_value",
    "reference_norms",
    "reference_solutions",
    "references",
    "run",
    "run_experiment",
    "run_specs",
    "trajectory_metrics",
]

# Defaults of a run: `train`'s, except the paper's own choices: SignGD, the cross-entropy loss, and Adam's β2 = 0.99
# (the spec's suggested default where the paper gives none: with 0.999 and no bias correction Adam stalls on this data).
RUN_DEFAULTS = dict(
    optimizer="signgd",
    **{key: TRAIN_DEFAULTS[key] for key in ("lr", "decay", "beta1")},
    beta2=0.99,
    **{key: TRAIN_DEFAULTS[key] for key in ("eps", "p", "norm", "polar", "polar_steps")},
    loss="ce",
    trace=False,
    moments=False,
)


# the Schatten norms of the published version (v4 §2), by name: spectral (Schatten-∞) and nuclear (Schatten-1)
SCHATTEN = ("spectral", "nuclear")


def norm_name(norm: str | float) -> str:
    """'inf' for the max-norm, 'spectral' / 'nuclear' for those Schatten norms, else the entry-wise p-value as a
    short string ('1', '2', '3', '1.5')."""
    if isinstance(norm, str) and norm.strip().lower() in ("inf", "max"):
        return "inf"
    if isinstance(norm, str) and norm.strip().lower() in SCHATTEN:
        return norm.strip().lower()
    p = float(norm)
    if np.isinf(p):
        return "inf"
    return f"{p:g}"


def norm_value(name: str | float) -> str | float:
    """Inverse of `norm_name` for `max_margin`/`normalized_margin`: 'inf', a Schatten norm's name or a float p."""
    name = norm_name(name)
    return name if name == "inf" or name in SCHATTEN else float(name)


def experiment_norms(cfg: dict, experiment: dict) -> list[str]:
    """The norms an experiment's metrics measure gaps in: its own `norms`, else the section's (entry-wise) ones."""
    return [norm_name(n) for n in experiment.get("norms", cfg["norms"])]


def reference_norms(cfg: dict) -> list[str]:
    """Every norm a reference is solved in: the section's, then any further norm an experiment names."""
    names = [norm_name(n) for n in cfg["norms"]]
    for exp in cfg["experiments"].values():
        names += [n for n in experiment_norms(cfg, exp) if n not in names]
    return names


def run_specs(experiment: dict) -> dict[str, dict]:
    """Each run's full settings: RUN_DEFAULTS < experiment keys < the run's own keys (as for baek2025)."""
    return shared_run_specs(experiment, RUN_DEFAULTS, structural=("runs", "classes", "seeds", "norms"))


def _pnorm_margin_loose(H: np.ndarray, y: np.ndarray, p: float) -> SimpleNamespace:
    """General-p max margin at Clarabel tolerance 1e-9 (instead of `max_margin`'s 1e-10, which Clarabel reports as
    'optimal_inaccurate' on some p = 3 instances); same scaling, feasibility re-check and OPTIMAL-only policy."""
    import cvxpy as cp

    A = pair_matrix(H, y)
    scale = float(np.max(np.abs(A)))
    v = cp.Variable(A.shape[1])
    prob = cp.Problem(cp.Minimize(cp.pnorm(v, p)), [(A / scale) @ v >= 1])  # type: ignore[arg-type]  # a float p
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-9, tol_gap_rel=1e-9, tol_feas=1e-9)
    if prob.status != cp.OPTIMAL:
        raise RuntimeError(f"CLARABEL status {prob.status!r} for the p = {p} max margin")
    vs = np.asarray(v.value)
    if np.min((A / scale) @ vs) < 1 - 1e-6:
        raise RuntimeError("p-norm max margin: A v >= 1 violated")
    nrm = float(np.sum(np.abs(vs) ** p) ** (1 / p))
    return SimpleNamespace(w=(vs / nrm).reshape(-1, H.shape[1]), gamma=scale / nrm)


def reference_solutions(
    H: np.ndarray, y: np.ndarray, norms: Iterable[str | float], known: dict | None = None
) -> dict[str, np.ndarray | float | str]:
    """V_p (unit entry-wise p-norm) and γ_p for each norm, plus B; `known` maps a norm name to a solution already
    computed (the max-norm LP of the separability test).

    `solver_<p>` records how each reference was obtained: "optimal" (the solver's status at `max_margin`'s
    tolerances), or, for a general p whose solve at 1e-10 came back 'optimal_inaccurate', that it is the optimum at
    the looser tolerance 1e-9 — so that the ledger can show it instead of a warning in a log.
    """
    out: dict[str, np.ndarray | float | str] = {"B": data_bound(H)}
    known = known or {}
    for norm in norms:
        name = norm_name(norm)
        status = "optimal"
        if name in known:
            sol = known[name]
        else:
            try:
                sol = max_margin(H, y, norm_value(norm))
            except RuntimeError as err:
                if name in ("1", "2", "inf", *SCHATTEN):
                    raise
                sol = _pnorm_margin_loose(H, y, float(name))
                status = f"optimal at Clarabel tolerance 1e-9 (at 1e-10: {err})"
        out[f"V_{name}"] = sol.w
        out[f"gamma_{name}"] = sol.gamma
        out[f"solver_{name}"] = status
        if name in SCHATTEN:
            # V_spec is not unique (a flat spectrum, v4 spec §3): a second optimal solution, the farthest from the
            # first, says how much a correlation with "the" V_spec depends on the solver
            spread = margin_solution_spread(H, y, norm_value(norm), solution=sol)
            out[f"V_{name}_far"] = spread.farthest
            out[f"cos_{name}_far"] = spread.cosine
    return out


def draw_dataset(spec: dict, sparse_lp: bool = False) -> tuple[np.ndarray, np.ndarray, int, MaxMarginSolution]:
    """One spec §3 data set, resampled until separable (`make_multiclass`); its max-norm LP solved by `max_margin` or,
    with `sparse_lp`, by `max_norm_margin_sparse` (large k: same draws, same γ_∞, possibly another optimal V_∞)."""
    return make_multiclass(
        k=spec["classes"],
        d=spec["dim"],
        per_class=spec["per_class"],
        sigma=spec["sigma"],
        seed=spec["seed"],
        solve=max_norm_margin_sparse if sparse_lp else None,
    )


def experiment_datasets(cfg: dict, experiment: dict) -> list[tuple[int, int]]:
    """(classes, seed) of every data set an experiment runs on: each seed at data.classes, or — for a class sweep
    (`classes: [k1, k2, …]`) — each k on each seed. An experiment's own `seeds` replace the global ones."""
    seeds = [int(s) for s in experiment.get("seeds", cfg["seeds"])]
    if "classes" in experiment:
        return [(int(k), s) for k in experiment["classes"] for s in seeds]
    return [(int(cfg["data"]["classes"]), s) for s in seeds]


MOMENT_TRACE_KEYS = ("m_err", "v_err", "m_err_global", "v_err_global", "adam_term", "step_max", "log_loss", "log_proxy")


def adam_moment_trace(
    H: np.ndarray,
    y: np.ndarray,
    *,
    steps: int,
    lr: float,
    decay: float,
    beta1: float,
    beta2: float,
) -> dict[str, np.ndarray]:
    """Adam on the CE loss (eqs 3a-3c, ε = 0, no bias correction, W_0 = 0) step by step, with the quantities that
    Lemmas 6.1, 6.2 and D.4 bound, at every step t = 0, …, steps − 1 (the numpy reference rule of
    `optimizers.step_direction`, the same recursion as the run's kernel; `w_final` lets the caller confirm that it
    is the run's trajectory).

    With g = ∇L(W_t), the per-class proxies G_c, Q_c (spec §1) and G = Σ_c G_c:

    - m_err[t] = max_{c,j} |m_t[c,j] − (1−β1^{t+1}) g[c,j]| / (G_c + Q_c)        (Lemma 6.1: ≤ α_m η_t)
    - v_err[t] = max_{c,j} |√v_t[c,j] − √(1−β2^{t+1}) |g[c,j]|| / (G_c + Q_c)     (Lemma 6.2: ≤ α_v √η_t)
    - m_err_global, v_err_global: the same errors over G instead of G_c + Q_c (the bound without the class split)
    - adam_term[t] = ((1−β1^{t+1})/√(1−β2^{t+1}) ‖g‖_sum − ⟨g, m_t ⊘ √v_t⟩) / G  (Lemma D.4: ≤ α_D d √η_t)
    - step_max[t] = ‖m_t ⊘ √v_t‖_max (Lemma D.1: ≤ α), log_loss and log_proxy (log L, log G at W_0, …, W_steps)

    Every ratio is scale-free (numerator and denominator carry the same factor e^{max u_ic}), so it is computed in
    the scaled frame of `multiclass.scaled_gradient` and never underflows.
    """
    H, y, k = check_labels(H, y)
    n, d = H.shape
    rows = np.arange(n)
    rule = UpdateRule("adam", beta1=beta1, beta2=beta2)
    state = init_state(rule, (k, d))
    W = np.zeros((k, d))
    out: dict[str, np.ndarray] = {key: np.empty(steps) for key in MOMENT_TRACE_KEYS[:6]}
    out["log_loss"], out["log_proxy"] = np.empty(steps + 1), np.empty(steps + 1)
    eta = learning_rate(np.arange(steps), lr, decay)
    for t in range(steps + 1):
        # CE in log form (as `multiclass.log_weights` and `log_loss_terms`, inlined: this loop runs every step)
        Z = H @ W.T
        neg = Z - Z[rows, y][:, None]  # −m_ic
        neg[rows, y] = -np.inf
        top = neg.max(axis=1)
        a = top + np.log(np.exp(neg - top[:, None]).sum(axis=1))  # log Σ_{c≠y} e^{−m_ic}
        U = neg - np.logaddexp(0.0, a)[:, None]  # log s_ic
        C = float(U.max())
        R = np.exp(U - C)
        per_sample = R.sum(axis=1)
        G = per_sample.sum() / n
        out["log_proxy"][t] = C + np.log(G)
        log_terms = log_log1p_exp(a)
        top_l = log_terms.max()
        out["log_loss"][t] = top_l + np.log(np.exp(log_terms - top_l).sum() / n)
        if t == steps:
            break
        G_c = np.bincount(y, weights=per_sample, minlength=k) / n
        Q_c = R.sum(axis=0) / n
        R[rows, y] = -per_sample
        g = (R.T @ H) / n
        direction, state = step_direction(rule, state, t, C, g)
        scale = np.exp(state.s - C)  # the moments in the gradient's frame: m = e^{s−C}·m̂, √v = e^{s−C}·√v̂
        b1, b2 = 1.0 - beta1 ** (t + 1), np.sqrt(1.0 - beta2 ** (t + 1))
        err_m = np.abs(scale * state.m - b1 * g)
        err_v = np.abs(scale * np.sqrt(state.v) - b2 * np.abs(g))
        per_class = (G_c + Q_c)[:, None]
        out["m_err"][t] = np.max(err_m / per_class)
        out["v_err"][t] = np.max(err_v / per_class)
        out["m_err_global"][t] = np.max(err_m) / G
        out["v_err_global"][t] = np.max(err_v) / G
        out["adam_term"][t] = (b1 / b2 * np.abs(g).sum() - np.sum(g * direction)) / G
        out["step_max"][t] = np.max(np.abs(direction))
        W = W - eta[t] * direction
    if not all(np.all(np.isfinite(a)) for a in out.values()):
        raise FloatingPointError("adam_moment_trace: a non-finite value in the trace")
    out["w_final"] = W
    return out


def run_experiment(
    datasets: Sequence[tuple[np.ndarray, np.ndarray]],
    experiment: dict,
    num_log: int = 120,
    log: Callable[[str], object] = print,
) -> dict[str, np.ndarray]:
    """Run every configured run on every data set (list of (H, y)); flat arrays keyed '<run>__<field>'.

    Iterates of data set j are '<run>__w__<j>' (class sweeps have different k); log L is stacked (datasets, K).
    """
    arrays = {}
    for run_id, spec in run_specs(experiment).items():
        started = time.perf_counter()
        trajs: list[Any]
        trajs, traces, moments = [], [], []
        for H, y in datasets:
            kw = dict(
                optimizer=spec["optimizer"],
                steps=int(spec["steps"]),
                lr=spec["lr"],
                decay=spec["decay"],
                beta1=spec["beta1"],
                beta2=spec["beta2"],
                eps=spec["eps"],
                p=spec["p"],
                norm=spec["norm"],
                polar=spec["polar"],
                polar_steps=spec["polar_steps"],
                loss=spec["loss"],
            )
            progress = log_progress(f"  {run_id} data set {len(trajs)}", kw["steps"], log)
            trajs.append(train(H, y, num_log=num_log, progress=progress, **kw))
            if spec["trace"]:
                full = train(H, y, num_log=2, log_steps=np.arange(int(spec["steps"]) + 1), **kw)
                traces.append(trace_log_loss_and_proxy(full.w, H, y, spec["loss"]))
            if spec["moments"]:
                keep = ("steps", "lr", "decay", "beta1", "beta2")
                tr: dict[str, Any] = adam_moment_trace(H, y, **{key: kw[key] for key in keep})
                W_run = trajs[-1].w[-1]
                tr["dev"] = float(np.max(np.abs(tr.pop("w_final") - W_run)) / np.max(np.abs(W_run)))
                moments.append(tr)
        arrays[f"{run_id}__steps"] = trajs[0].steps
        for j, traj in enumerate(trajs):
            arrays[f"{run_id}__w__{j}"] = traj.w
        arrays[f"{run_id}__log_loss"] = np.stack([t.log_loss for t in trajs])
        arrays[f"{run_id}__max_direction"] = np.array([t.max_direction for t in trajs])
        if traces:
            arrays[f"{run_id}__trace_log_loss"] = np.stack([tr[0] for tr in traces])
            arrays[f"{run_id}__trace_log_proxy"] = np.stack([tr[1] for tr in traces])
        for key in (*MOMENT_TRACE_KEYS, "dev") if moments else ():
            arrays[f"{run_id}__moments_{key}"] = np.stack([tr[key] for tr in moments])
        log(
            f"  {run_id:<16s} {spec['optimizer']:<7s} T={spec['steps']:>7d} {len(trajs)} data set(s) "
            f"{time.perf_counter() - started:6.2f} s  final log L = {np.mean(arrays[f'{run_id}__log_loss'][:, -1]):.1f}"
        )
    return arrays


def trajectory_metrics(
    datasets: Sequence[tuple[np.ndarray, np.ndarray]],
    keys: Sequence[tuple[int, int]],
    runs: dict[str, np.ndarray],
    refs: Sequence[dict],
    specs: dict,
    norms: Sequence[str] | None = None,
) -> pd.DataFrame:
    """Long table per (run, seed, step): relative gaps and normalised margins in each of `norms` (default: every
    reference norm), Frobenius correlations with V_∞, V_2 and (if measured) V_spectral, log L and log max|∇L|
    (for the ε-robustness check)."""
    frames = []
    for run_id, spec in specs.items():
        steps = runs[f"{run_id}__steps"]
        for s_idx, (classes, seed) in enumerate(keys):
            H, y = datasets[s_idx]
            ref = refs[s_idx]
            Ws = runs[f"{run_id}__w__{s_idx}"]
            cols = {
                "run": run_id,
                "label": spec["label"],
                "classes": int(classes),
                "seed": int(seed),
                "step": steps,
                "log_loss": runs[f"{run_id}__log_loss"][s_idx],
            }
            # the norms the reference has: a class sweep's extra data sets carry only the max-norm one (has_reference)
            solved = [key[len("gamma_") :] for key in ref if key.startswith("gamma_")]
            names = solved if norms is None else [nm for nm in map(norm_name, norms) if nm in solved]
            for name in names:
                gamma = float(ref[f"gamma_{name}"])
                margin = normalized_margin(Ws, H, y, norm_value(name))
                cols[f"margin_{name}"] = margin
                cols[f"gap_{name}"] = (gamma - margin) / gamma
            for name in ("inf", "2", "spectral"):
                if f"V_{name}" in ref and name in names:
                    cols[f"corr_{name}"] = cosine(Ws, ref[f"V_{name}"])
                if f"V_{name}_far" in ref and name in names:
                    # V_spec is not unique: the optimal solution farthest from the solver's, and the one nearest
                    # the run's last iterate (a lower bound of the best correlation any optimal V_spec reaches)
                    cols[f"corr_{name}_far"] = cosine(Ws, ref[f"V_{name}_far"])
                    solution = MaxMarginSolution(
                        w=ref[f"V_{name}"], gamma=float(ref[f"gamma_{name}"]), norm=name, solver="", status="optimal"
                    )
                    near = aligned_max_margin(H, y, name, Ws[-1], solution=solution)
                    cols[f"corr_{name}_near"] = cosine(Ws, near)
            lg = np.full(steps.size, np.nan)
            for j, W in enumerate(Ws):
                C, ghat = scaled_gradient(W, H, y, spec["loss"])
                lg[j] = C + np.log(np.max(np.abs(ghat)))
            cols["log_grad_max"] = lg
            frames.append(pd.DataFrame(cols))
    return pd.concat(frames, ignore_index=True)


def check_config(cfg: dict) -> None:
    """Cross-references of the fan2025 section the JSON schema cannot express; errors name the key."""
    n = cfg["data"]["classes"] * cfg["data"]["per_class"]
    if NET in cfg["experiments"]:
        raise ValueError(f"fan2025.experiments.{NET}: the name is the two-layer network's (section fan2025.net)")
    for name, exp in cfg["experiments"].items():
        key = f"fan2025.experiments.{name}"
        for k in exp.get("classes", []):
            if n % k:
                raise ValueError(
                    f"{key}.classes: {k} classes do not divide the n = {n} samples (data.classes * data.per_class)"
                )
        for run_id, spec in run_specs(exp).items():
            if spec["optimizer"] == "adam" and spec["beta1"] > spec["beta2"]:
                raise ValueError(
                    f"{key}.runs.{run_id}: Adam needs beta1 <= beta2 (Zhang et al.'s assumption: |m/sqrt(v)| "
                    f"bounded, Lemma D.1); got beta1={spec['beta1']}, beta2={spec['beta2']}"
                )
            given = {**exp, **exp["runs"][run_id]}
            for option in ("p", "norm"):
                if spec["optimizer"] not in ("nsd", "nmd") and option in given:
                    raise ValueError(
                        f"{key}.runs.{run_id}.{option}: only the 'nsd' and 'nmd' optimizers take {option} "
                        f"(got {spec['optimizer']!r})"
                    )
            try:  # polar applies to the spectral direction only (optimizers.UpdateRule says why it refuses)
                UpdateRule(spec["optimizer"], p=spec["p"], norm=spec["norm"], polar=spec["polar"])
            except ValueError as err:
                raise ValueError(f"{key}.runs.{run_id}: {err}") from None
            if spec["moments"] and (spec["optimizer"] != "adam" or spec["eps"] or spec["loss"] != "ce"):
                raise ValueError(
                    f"{key}.runs.{run_id}.moments: the moment trace (Lemmas 6.1, 6.2, D.4) is for Adam without eps on"
                    f" the CE loss (got optimizer={spec['optimizer']!r}, eps={spec['eps']}, loss={spec['loss']!r})"
                )
            if spec["optimizer"] == "signum" and spec["eps"]:
                raise ValueError(f"{key}.runs.{run_id}.eps: only Adam takes eps")


def cross_references(config: dict) -> None:
    """The section's cross-references, distinct run labels, and the experiments the figures and checks read."""
    from ...checks import checks_of
    from . import FIGURES

    cfg = config["fan2025"]
    check_config(cfg)
    for name, exp in cfg["experiments"].items():
        check_run_labels(f"fan2025.experiments.{name}", run_specs(exp))
    needs = [(f"figure {fig}", exps) for fig, exps in FIGURES.items()]
    needs += [(f"check {name}", check.experiments) for name, check in checks_of("fan2025").items()]
    for who, exps in needs:
        for exp in exps:
            if exp not in experiments(cfg):
                raise ValueError(f"fan2025.experiments.{exp}: {who} needs this experiment")


# ------------------------------------------------------------------------------------------- the generic steps
def dataset_name(classes: int, seed: int) -> str:
    return f"k{classes}_s{seed}"


def dataset_key(name: str) -> tuple[int, int]:
    """(classes, seed) of a data set named `k<classes>_s<seed>`."""
    match = re.fullmatch(r"k(\d+)_s(\d+)", name)
    if match is None:
        raise ValueError(f"fan2025 data set {name!r}: expected k<classes>_s<seed>")
    return int(match[1]), int(match[2])


def experiments(cfg: dict) -> dict[str, list[str]]:
    """experiment -> its data sets (`experiment_datasets`), by name; the network's (`net`) are its digits subsets."""
    linear = {
        name: [dataset_name(*key) for key in experiment_datasets(cfg, exp)] for name, exp in cfg["experiments"].items()
    }
    return {**linear, NET: net_datasets(cfg[NET])}


def datasets(cfg: dict) -> list[str]:
    """Every data set an experiment runs on, in (classes, seed) order, then the network's."""
    keys = {key for exp in cfg["experiments"].values() for key in experiment_datasets(cfg, exp)}
    return [dataset_name(*key) for key in sorted(keys)] + net_datasets(cfg[NET])


def has_reference(cfg: dict, name: str) -> bool:
    """Only the data sets at data.classes get references in every norm: a class sweep's others need only the
    max-norm margin, solved when the data set is drawn and stored with it; the network's digits need none (its
    margins are normalised by the layers' spectral norms, with no max-margin problem to solve)."""
    return not is_net_dataset(name) and dataset_key(name)[0] == cfg["data"]["classes"]


def figure_inputs(cfg: dict, fig: str) -> list[str]:
    """The experiments a figure reads (fixed by the paper: `fan2025.FIGURES`)."""
    from . import FIGURES

    return list(FIGURES[fig])


def dataset_spec(cfg: dict, name: str) -> dict:
    """A data set's draw: a class sweep keeps n = data.classes * data.per_class samples (spec C10: fixed n, varying
    k); a digits subset of the network (`net.net_dataset_spec`)."""
    if is_net_dataset(name):
        return net_dataset_spec(cfg[NET], name)
    classes, seed = dataset_key(name)
    n = cfg["data"]["classes"] * cfg["data"]["per_class"]
    return {**cfg["data"], "classes": classes, "per_class": n // classes, "seed": seed}


def _sparse_lp(cfg: dict, name: str) -> bool:
    """The class sweep's extra data sets need only gamma_inf: solved by the sparse LP (k = 50 in seconds); the main
    data sets keep max_margin's V_inf (the LP optimum can be non-unique)."""
    return not is_net_dataset(name) and not has_reference(cfg, name)


def _experiment_keys(cfg: dict, name: str) -> list[tuple[int, int]] | list[str]:
    """(classes, seed) of the experiment's data sets; the network's data-set names."""
    return net_datasets(cfg[NET]) if name == NET else experiment_datasets(cfg, cfg["experiments"][name])


def _experiment(cfg: dict, name: str) -> dict:
    """An experiment's settings: its entry in `experiments`, or the network's section."""
    return cfg[NET] if name == NET else cfg["experiments"][name]


def _metric_norms(cfg: dict, name: str) -> list[str]:
    """The norms of an experiment's gaps (`experiment_norms`); none for the network (no max-margin reference)."""
    return [] if name == NET else experiment_norms(cfg, cfg["experiments"][name])


# each step's settings (its jobs' params): step -> {param: (config section, data set / experiment / figure) -> value}
PARAMS = {
    "dataset": {"spec": dataset_spec, "sparse_lp": _sparse_lp},
    "reference": {"norms": lambda cfg, name: reference_norms(cfg)},
    "run": {
        "experiment": _experiment,
        "datasets": _experiment_keys,
        "num_log": lambda cfg, name: cfg["num_log"],
    },
    "metrics": {"experiment": _experiment, "datasets": _experiment_keys, "norms": _metric_norms},
}


def make_dataset(s: dict, name: str) -> Artifact:
    """One spec §3 data set, resampled until separable, stored with its max-norm LP solution and the bound B (or
    the network's digits subset)."""
    spec = s["spec"]
    if is_net_dataset(name):
        return make_net_dataset(spec)
    H, y, tries, sol = draw_dataset(spec, sparse_lp=s["sparse_lp"])
    arrays = dict(H=H, y=y, V_inf=sol.w, gamma_inf=sol.gamma, B=data_bound(H))
    return Artifact(arrays, {"dataset": spec, "tries": tries, "solver": sol.solver})


def references(s: dict, name: str, data: Artifact) -> Artifact:
    """V_p, gamma_p in every configured norm; the max-norm one is the data set's own LP solution."""
    arrays = data.content
    known = {"inf": SimpleNamespace(w=arrays["V_inf"], gamma=float(arrays["gamma_inf"]))}
    refs = reference_solutions(arrays["H"], arrays["y"], s["norms"], known=known)
    return Artifact(refs, {"dataset": data.record["dataset"], "norms": s["norms"]})


def run(s: dict, experiment: str, data: dict[str, Artifact], log: Callable[[str], object]) -> Artifact:
    """Every optimizer of the experiment on each of its data sets (the network: `net.run_net`)."""
    exp = s["experiment"]
    if experiment == NET:
        return run_net(exp, data, log)
    pairs = [(a.content["H"], a.content["y"]) for a in data.values()]
    runs = run_experiment(pairs, exp, num_log=s["num_log"], log=log)
    return Artifact(runs, {"experiment": exp, "runs": run_specs(exp), "datasets": s["datasets"]})


def metrics(s: dict, experiment: str, data: dict[str, Artifact], refs: dict[str, Artifact], runs: Artifact) -> Artifact:
    """The experiment's per-step metrics (`trajectory_metrics`; the network's `net.net_metrics`), recording its runs'
    settings."""
    if experiment == NET:
        return net_metrics(runs)
    pairs = [(a.content["H"], a.content["y"]) for a in data.values()]
    ref = [a.content for a in refs.values()]
    df = trajectory_metrics(pairs, s["datasets"], runs.content, ref, run_specs(s["experiment"]), s["norms"])
    return Artifact(df, runs.record)
