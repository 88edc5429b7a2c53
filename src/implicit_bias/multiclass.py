"""Multiclass linear classification (fan2025): data, losses in exact log-scale form, the proxy G and its split.

A classifier is W ∈ R^{k×d}; logits W h_i; pairwise margins m_ic = (e_{y_i} − e_c)ᵀ W h_i for c ≠ y_i.
Every loss of the paper (spec §1) has a gradient of the same form

    ∇L(W) = (1/n) Σ_i Σ_{c≠y_i} w_ic (e_c − e_{y_i}) h_iᵀ,

with a non-negative weight w_ic = e^{u_ic}:

    CE ("ce"):             u_ic = log s_ic = −m_ic − log(1 + Σ_{c'≠y_i} e^{−m_ic'})
    exponential ("exp"):   u_ic = −m_ic
    PairLogLoss ("pairlog"): u_ic = log σ(−m_ic) = −softplus(m_ic).

The weights underflow once margins pass ~745 (SignGD reaches that after ~5·10⁴ steps), so — as for the binary
losses of `losses.py` — a gradient is carried as ∇L = e^C ĝ with C = max u_ic: ĝ is O(‖h‖) at any margin and every
scale-free update (sign, NSD, Adam with ε = 0) only needs ĝ and differences of log-scales. For the CE loss the
correct-class weight 1 − s_{iy} is formed as Σ_{c≠y} s_ic (never 1 − s_y, spec §7 pitfall 1).

The proxy G (spec §1; G_exp = L_exp, G_pll = (1/n)ΣΣ σ(−m)) is (1/n) Σ_{i,c≠y_i} e^{u_ic} for all three losses, so
log G = logsumexp(u) − log n.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import logsumexp

from .data import as_design_matrix
from .margins import _as_labels, max_margin

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "MC_LOSSES",
    "check_labels",
    "class_proxies",
    "data_bound",
    "log_loss",
    "log_proxy",
    "log_weights",
    "make_multiclass",
    "min_margin",
    "pairwise_margins",
    "scaled_gradient",
]

MC_LOSSES = ("ce", "exp", "pairlog")


def _check_loss(loss: str) -> None:
    if loss not in MC_LOSSES:
        raise ValueError(f"unknown multiclass loss {loss!r}; expected one of {MC_LOSSES}")


def check_labels(H, y, num_classes: int | None = None):
    """Validated (H float64 (n, d), y int64 (n,), k); every class must have at least one point (spec §1)."""
    H = as_design_matrix(H, "H")
    labels, k = _as_labels(y, H.shape[0], num_classes)
    missing = np.setdiff1d(np.arange(k), labels)
    if missing.size:
        raise ValueError(
            f"classes {missing.tolist()} have no samples; every class needs at least one point (for binary data "
            "pass label-absorbed rows x_i <- y_i*x_i and y=None instead of labels)"
        )
    return H, labels, k


def make_multiclass(
    k: int = 10, d: int = 25, per_class: int = 50, sigma: float = 0.1, seed: int = 0, max_tries: int = 100
):
    """Spec §3: centres μ_c ~ N(0, I_d), h = μ_y + σ z; resampled until separable (LP margin γ_∞ > 0).

    Returns (H (n, d), y (n,), tries, sol) with `sol` the max-norm `MaxMarginSolution` of the accepted draw.
    Labels are sorted: per_class points of class 0, then class 1, …
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, k, d, per_class]))
    y = np.repeat(np.arange(k), per_class)
    for tries in range(1, max_tries + 1):
        mu = rng.standard_normal((k, d))
        H = mu[y] + sigma * rng.standard_normal((y.size, d))
        try:
            sol = max_margin(H, y, "inf")
        except ValueError:
            continue
        if sol.gamma > 0:
            return H, y, tries, sol
    raise ValueError(f"no separable draw in {max_tries} tries (k={k}, d={d}, per_class={per_class}, sigma={sigma})")


def pairwise_margins(W, H, y) -> np.ndarray:
    """m_ic = z_{i,y_i} − z_ic for every (i, c), shape (n, k); the entries c = y_i are 0."""
    Z = H @ np.asarray(W, dtype=np.float64).T
    return Z[np.arange(H.shape[0]), y][:, None] - Z


def min_margin(W, H, y) -> float:
    """min_{i, c≠y_i} m_ic (un-normalised)."""
    M = pairwise_margins(W, H, y)
    M[np.arange(H.shape[0]), y] = np.inf
    return float(M.min())


def _softplus(x):
    return np.logaddexp(0.0, x)


def _margins_and_negatives(W, H, y):
    """Pairwise margins M (n, k) and −M with −inf at the true class (the c = y_i term is not a pair)."""
    M = pairwise_margins(W, H, y)
    neg = -M
    neg[np.arange(H.shape[0]), y] = -np.inf
    return M, neg


def log_weights(W, H, y, loss: str = "ce") -> np.ndarray:
    """u_ic = log w_ic (module docstring), shape (n, k), −inf at c = y_i."""
    _check_loss(loss)
    M, neg = _margins_and_negatives(W, H, y)
    rows = np.arange(H.shape[0])
    if loss == "exp":
        return neg
    if loss == "pairlog":
        U = -_softplus(M)
        U[rows, y] = -np.inf
        return U
    a = logsumexp(neg, axis=1)  # log Σ_{c≠y} e^{−m_ic}
    return neg - _softplus(a)[:, None]


def scaled_gradient(W, H, y, loss: str = "ce"):
    """(C, ĝ) with ∇L(W) = e^C ĝ, ĝ of shape (k, d) and max-entry weight 1 (C = max u_ic)."""
    U = log_weights(W, H, y, loss)
    C = float(U.max())
    R = np.exp(U - C)
    n = H.shape[0]
    R[np.arange(n), y] = -R.sum(axis=1)  # correct class: −Σ_{c≠y} w_ic, formed from the small terms
    ghat = (R.T @ H) / n
    return C, ghat


def gradient(W, H, y, loss: str = "ce") -> np.ndarray:
    """∇L(W) in plain float64 (underflows to 0 at large margins; use `scaled_gradient` for anything iterative)."""
    C, ghat = scaled_gradient(W, H, y, loss)
    return np.exp(C) * ghat


def _log_log1p_exp(a):
    """log(log(1 + e^a)) for any finite a (log softplus), stable at both ends."""
    a = np.asarray(a, dtype=np.float64)
    out = np.empty_like(a)
    small = a < -30.0
    big = a > 30.0
    mid = ~(small | big)
    out[mid] = np.log(np.log1p(np.exp(a[mid])))
    x = np.exp(a[small])
    out[small] = a[small] - 0.5 * x  # log(x − x²/2 + …) = log x − x/2 + O(x²)
    out[big] = np.log(a[big] + np.log1p(np.exp(-a[big])))
    return out


def log_loss_terms(W, H, y, loss: str = "ce") -> np.ndarray:
    """log ℓ_i per sample (finite at every finite W)."""
    _check_loss(loss)
    _M, neg = _margins_and_negatives(W, H, y)
    rows = np.arange(H.shape[0])
    if loss == "exp":
        return logsumexp(neg, axis=1)
    if loss == "ce":
        return _log_log1p_exp(logsumexp(neg, axis=1))
    T = _log_log1p_exp(np.where(np.isfinite(neg), neg, 0.0))
    T[rows, y] = -np.inf
    return logsumexp(T, axis=1)


def log_loss(W, H, y, loss: str = "ce") -> float:
    """log L(W) = log((1/n) Σ_i ℓ_i)."""
    return float(logsumexp(log_loss_terms(W, H, y, loss)) - np.log(H.shape[0]))


def log_proxy(W, H, y, loss: str = "ce") -> float:
    """log G(W), G = (1/n) Σ_{i, c≠y_i} w_ic (= (1/n)Σ(1 − s_{iy}) for CE, spec eq 7)."""
    U = log_weights(W, H, y, loss)
    return float(logsumexp(U) - np.log(H.shape[0]))


def class_proxies(W, H, y, loss: str = "ce", k: int | None = None):
    """(G_c, Q_c) per class, in plain float64 (spec §1).

    G_c = (1/n)Σ_{i:y_i=c} Σ_{c'≠c} w_ic', Q_c = (1/n)Σ_{i:y_i≠c} w_ic.
    """
    U = log_weights(W, H, y, loss)
    k = U.shape[1] if k is None else k
    Wt = np.exp(U)
    n = H.shape[0]
    G = np.bincount(y, weights=Wt.sum(axis=1), minlength=k) / n
    Q = Wt.sum(axis=0) / n
    return G, Q


def data_bound(H) -> float:
    """B = max_i ‖h_i‖₁ (Assumption 3.5)."""
    return float(np.max(np.sum(np.abs(np.asarray(H, dtype=np.float64)), axis=1)))


# ------------------------------------------------------------------------------------------- pipeline helpers
# What the fan2025 Snakemake scripts call; no file paths here, so the same functions run on a researcher's data.

RUN_DEFAULTS = dict(
    optimizer="signgd",
    lr=0.1,
    decay=0.5,
    beta1=0.9,
    beta2=0.99,
    eps=0.0,
    p=2.0,
    loss="ce",
    trace=False,
)


def norm_name(norm) -> str:
    """'inf' for the max-norm, else the p-value as a short string ('1', '2', '3', '1.5')."""
    if isinstance(norm, str) and norm.strip().lower() in ("inf", "max"):
        return "inf"
    p = float(norm)
    if np.isinf(p):
        return "inf"
    return f"{p:g}"


def norm_value(name):
    """Inverse of `norm_name` for `max_margin`/`normalized_margin`: 'inf' or a float p."""
    return "inf" if norm_name(name) == "inf" else float(name)


def run_specs(experiment: dict) -> dict[str, dict]:
    """Each run's full settings: RUN_DEFAULTS < experiment keys < the run's own keys (as for baek2025)."""
    from .experiments import run_specs as _run_specs

    return _run_specs(experiment, defaults=RUN_DEFAULTS, structural=("runs", "classes", "seeds"))


def _pnorm_margin_loose(H, y, p: float):
    """General-p max margin at Clarabel tolerance 1e-9 (instead of `max_margin`'s 1e-10, which Clarabel reports as
    'optimal_inaccurate' on some p = 3 instances); same scaling, feasibility re-check and OPTIMAL-only policy."""
    from types import SimpleNamespace

    import cvxpy as cp

    from .margins import pair_matrix

    A = pair_matrix(H, y)
    scale = float(np.max(np.abs(A)))
    v = cp.Variable(A.shape[1])
    prob = cp.Problem(cp.Minimize(cp.pnorm(v, p)), [(A / scale) @ v >= 1])
    prob.solve(solver=cp.CLARABEL, tol_gap_abs=1e-9, tol_gap_rel=1e-9, tol_feas=1e-9)
    if prob.status != cp.OPTIMAL:
        raise RuntimeError(f"CLARABEL status {prob.status!r} for the p = {p} max margin")
    vs = np.asarray(v.value)
    if np.min((A / scale) @ vs) < 1 - 1e-6:
        raise RuntimeError("p-norm max margin: A v >= 1 violated")
    nrm = float(np.sum(np.abs(vs) ** p) ** (1 / p))
    return SimpleNamespace(w=(vs / nrm).reshape(-1, H.shape[1]), gamma=scale / nrm)


def reference_solutions(H, y, norms, known=None) -> dict:
    """V_p (unit entry-wise p-norm) and γ_p for each norm, plus B; `known` maps a norm name to a solution already
    computed (the max-norm LP of the separability test)."""
    out = {"B": data_bound(H)}
    known = known or {}
    for norm in norms:
        name = norm_name(norm)
        if name in known:
            sol = known[name]
        else:
            try:
                sol = max_margin(H, y, norm_value(norm))
            except RuntimeError:
                if name in ("1", "2", "inf"):
                    raise
                sol = _pnorm_margin_loose(H, y, float(name))
        out[f"V_{name}"] = sol.w
        out[f"gamma_{name}"] = sol.gamma
    return out


def trace_log_loss_and_proxy(W_all, H, y, loss: str = "ce", chunk: int = 256):
    """log L(W_t) and log G(W_t) for a stack of iterates (T, k, d), batched (for the descent check C2)."""
    _check_loss(loss)
    W_all = np.asarray(W_all, dtype=np.float64)
    n = H.shape[0]
    rows = np.arange(n)
    out_l = np.empty(W_all.shape[0])
    out_g = np.empty(W_all.shape[0])
    for start in range(0, W_all.shape[0], chunk):
        Z = np.matmul(W_all[start : start + chunk], H.T).transpose(0, 2, 1)  # (t, n, k), batched BLAS
        neg = Z - Z[:, rows, y][:, :, None]  # −m_ic
        neg[:, rows, y] = -np.inf
        if loss == "pairlog":
            fin = np.where(np.isfinite(neg), neg, 0.0)
            terms = _log_log1p_exp(fin.ravel()).reshape(fin.shape)
            terms[:, rows, y] = -np.inf
            log_terms = logsumexp(terms, axis=2)
            U = -_softplus(-fin)
            U[:, rows, y] = -np.inf
        else:
            a = logsumexp(neg, axis=2)
            if loss == "exp":
                log_terms, U = a, neg
            else:
                log_terms = _log_log1p_exp(a.ravel()).reshape(a.shape)
                U = neg - _softplus(a)[:, :, None]
        out_l[start : start + chunk] = logsumexp(log_terms, axis=1) - np.log(n)
        out_g[start : start + chunk] = logsumexp(U.reshape(U.shape[0], -1), axis=1) - np.log(n)
    return out_l, out_g


def experiment_datasets(cfg: dict, experiment: dict) -> list[tuple[int, int]]:
    """(classes, seed) of every data set an experiment runs on: each seed at data.classes, or — for a class sweep
    (`classes: [k1, k2, …]`) — each k on each seed. An experiment's own `seeds` replace the global ones."""
    seeds = [int(s) for s in experiment.get("seeds", cfg["seeds"])]
    if "classes" in experiment:
        return [(int(k), s) for k in experiment["classes"] for s in seeds]
    return [(int(cfg["data"]["classes"]), s) for s in seeds]


def run_experiment(datasets, experiment: dict, num_log: int = 120, log=print) -> dict:
    """Run every configured run on every data set (list of (H, y)); flat arrays keyed '<run>__<field>'.

    Iterates of data set j are '<run>__w__<j>' (class sweeps have different k); log L is stacked (datasets, K).
    """
    import time

    from .training import train

    arrays = {}
    for run_id, spec in run_specs(experiment).items():
        started = time.perf_counter()
        trajs, traces = [], []
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
                loss=spec["loss"],
            )
            trajs.append(train(H, y, num_log=num_log, **kw))
            if spec["trace"]:
                full = train(H, y, num_log=2, log_steps=np.arange(int(spec["steps"]) + 1), **kw)
                traces.append(trace_log_loss_and_proxy(full.w, H, y, spec["loss"]))
        arrays[f"{run_id}__steps"] = trajs[0].steps
        for j, tr in enumerate(trajs):
            arrays[f"{run_id}__w__{j}"] = tr.w
        arrays[f"{run_id}__log_loss"] = np.stack([t.log_loss for t in trajs])
        arrays[f"{run_id}__max_direction"] = np.array([t.max_direction for t in trajs])
        if traces:
            arrays[f"{run_id}__trace_log_loss"] = np.stack([tr[0] for tr in traces])
            arrays[f"{run_id}__trace_log_proxy"] = np.stack([tr[1] for tr in traces])
        log(
            f"  {run_id:<16s} {spec['optimizer']:<7s} T={spec['steps']:>7d} {len(trajs)} data set(s) "
            f"{time.perf_counter() - started:6.2f} s  final log L = {np.mean(arrays[f'{run_id}__log_loss'][:, -1]):.1f}"
        )
    return arrays


def trajectory_metrics(datasets, keys, runs: dict, refs: list, specs: dict) -> pd.DataFrame:
    """Long table per (run, seed, step): relative gaps and normalised margins in every reference norm, Frobenius
    correlations with V_∞ and V_2, log L and log max|∇L| (for the ε-robustness check)."""
    import pandas as pd

    from .margins import cosine, normalized_margin

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
            for key in ref:
                if key.startswith("gamma_"):
                    name = key[len("gamma_") :]
                    margin = normalized_margin(Ws, H, y, norm_value(name))
                    cols[f"margin_{name}"] = margin
                    cols[f"gap_{name}"] = (ref[key] - margin) / ref[key]
            for name in ("inf", "2"):
                if f"V_{name}" in ref:
                    cols[f"corr_{name}"] = cosine(Ws, ref[f"V_{name}"])
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
    for name, exp in cfg["experiments"].items():
        key = f"fan2025.experiments.{name}"
        for k in exp.get("classes", []):
            if n % k:
                raise ValueError(
                    f"{key}.classes: {k} classes do not divide the n = {n} samples (data.classes * data.per_class)"
                )
        for run_id, spec in run_specs(exp).items():
            if spec["optimizer"] == "adam" and spec["beta1"] > 0 and spec["beta1"] ** 2 >= spec["beta2"]:
                raise ValueError(
                    f"{key}.runs.{run_id}: Adam needs beta1^2 < beta2 (Lemma D.1, |m/sqrt(v)| bounded); "
                    f"got beta1={spec['beta1']}, beta2={spec['beta2']}"
                )
            if spec["optimizer"] != "nsd" and "p" in {**exp, **exp["runs"][run_id]}:
                raise ValueError(f"{key}.runs.{run_id}.p: only the 'nsd' optimizer takes p (got {spec['optimizer']!r})")
            if spec["optimizer"] == "signum" and spec["eps"]:
                raise ValueError(f"{key}.runs.{run_id}.eps: only Adam takes eps")
