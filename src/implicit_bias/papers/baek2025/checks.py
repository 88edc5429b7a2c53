"""Theorem checks of baek2025 (spec §6): each reads artifacts, measures, and states its criteria.

A check never passes by construction: every verdict is `measured <op> threshold` on numbers read from the run,
reference and metric artifacts of the pipeline. Each check returns (measured, criteria); a `Criterion` carries its
threshold and the reason for it (the theory's rate or limit, the paper's number, or a noise floor measured from the
runs).

Limits are judged by their trend, per run and seed: a run converges in direction to ŵ when 1 − cos(w_t, ŵ) falls over
the last decade of steps at least as fast as `direction_rate` says a converging run must; a run that has settled
elsewhere (a plateau) falls by about 1 per decade and fails. A pass resolves the limit to within 1 − cos(w_T, ŵ): a
run settling at an offset smaller than that cannot be told apart at this T. An ordering between runs is decided only
if it holds at every logged step of the last decade and by more than the difference still moves there.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pandas as pd
from scipy.special import logsumexp

from ...checks import (
    ALL_EXPERIMENTS,
    Artifacts,
    Check,
    Criterion,
    Source,
    Verdict,
    direction_rate,
    direction_rate_reason,
)
from ...fixed_point import mahalanobis_diag, solve_proxy_problem
from ...losses import scaled_gradient
from ...margins import cosine
from ...optimizers import step_size
from ...theory import (
    adam_update_bound,
    inc_adam_constant,
    inc_adam_epoch_direction,
    per_sample_log_weights,
    sign_sum_direction,
    signgd_condition,
)

__all__ = ["CHECKS", "direction_rate"]

BATCH_SIZE_1 = ("inc_adam", "adam_replacement", "adam_reshuffle")  # the paper's "mini-batch Adam with batch size 1"
# 1 − cos below this is not resolved (the metric tables store cosines to 10 significant digits); counted as ROUNDOFF
# in a ratio, so that a ratio of two stays finite
ROUNDOFF = 1e-9


def _final(df: pd.DataFrame, run: str, metric: str) -> np.ndarray:
    """Metric at the last logged step, one value per seed."""
    sub = df[df["run"] == run]
    last = sub[sub["step"] == sub["step"].max()].sort_values("seed")
    return last[metric].to_numpy()


def _at_fraction(df: pd.DataFrame, run: str, metric: str, frac: float) -> np.ndarray:
    """Metric at the logged step closest to frac·T, one value per seed."""
    sub = df[df["run"] == run]
    steps = np.unique(sub["step"])
    step = steps[np.argmin(np.abs(steps - frac * steps.max()))]
    return sub[sub["step"] == step].sort_values("seed")[metric].to_numpy()


def _run_setting(art, exp, run, key):
    return art.run_settings(exp, run)[key]


def _distance(cos: np.ndarray) -> np.ndarray:
    """1 − cos, with what the tables do not resolve (below ROUNDOFF) counted as ROUNDOFF."""
    return np.maximum(1.0 - np.asarray(cos, dtype=np.float64), ROUNDOFF)


def _last_decade(df: pd.DataFrame, run: str, metric: str) -> np.ndarray:
    """metric at every logged step of [T/10, T] (nearest logged step to T/10 first), one row per seed."""
    sub = df[df["run"] == run]
    steps = np.unique(sub["step"])
    start = steps[np.argmin(np.abs(steps - 0.1 * steps.max()))]
    table = sub[sub["step"] >= start].pivot_table(index="seed", columns="step", values=metric)
    return table.sort_index().to_numpy()


def _fall(df: pd.DataFrame, run: str, metric: str) -> tuple[np.ndarray, np.ndarray]:
    """1 − cos(metric) at T and its fall over the last decade, (1 − cos at T/10) / (1 − cos at T), per seed."""
    return _falls(_at_fraction(df, run, metric, 0.1), _final(df, run, metric))


def _falls(before: np.ndarray, after: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """1 − cos at T and its fall over the last decade, from the cosines at T/10 (`before`) and T (`after`)."""
    d0, d1 = _distance(before), _distance(after)
    return d1, d0 / d1


def _iterates(art: Artifacts, exp: str, run: str, frac: float) -> np.ndarray:
    """w at the logged step closest to frac·T, one row per seed."""
    runs = art.runs(exp)
    steps = runs[f"{run}__steps"]
    return runs[f"{run}__w"][:, int(np.argmin(np.abs(steps - frac * steps.max())))]


def _eq5(X: np.ndarray, w: np.ndarray, loss: str = "exp") -> tuple[np.ndarray, np.ndarray, float]:
    """At w: log|ℓ'_i|, Lemma 4.5's weights c (normalised |ℓ'_i|), and cos(w, D(c)^(−1) Σ_i c_i x_i) (eq. 5; the
    right side is AdamProxy's own update direction at w)."""
    logc = per_sample_log_weights(X, w, loss)
    c = np.exp(logc - logc.max())
    c /= c.sum()
    return logc, c, float(cosine(w, (c @ X) / mahalanobis_diag(X, c)))


def _rate_reason(decay: float) -> str:
    return direction_rate_reason(decay)


def _log_rate(steps: int) -> float:
    """(log T / log(T/10))²: the fall per decade of 1 − cos for a direction converging like 1/log t (GD, Soudry et
    al. 2018), the slowest converging rate among these runs."""
    return float((np.log(steps) / np.log(steps / 10)) ** 2)


def _assert_converges(
    measured: dict, criteria: list, label: str, before: np.ndarray, after: np.ndarray, decay: float
) -> None:
    """Record 1 − cos at T/10 and T (`before`, `after`: cosines per seed) and assert the fall per seed."""
    d1, fall = _falls(before, after)
    measured[f"{label}: 1-cos at T (per seed)"] = d1.tolist()
    key = f"{label}: 1-cos(T/10) / 1-cos(T) (per seed)"
    measured[key] = fall.tolist()
    criteria.append(Criterion(key, ">=", direction_rate(decay), _rate_reason(decay), each=True))


def _converges(art: Artifacts, exp: str, run: str, metric: str, label: str, measured: dict, criteria: list) -> None:
    """Assert that `run` of `exp` converges in direction to the reference of the cosine column `metric`."""
    df = art.metrics(exp)
    before, after = _at_fraction(df, run, metric, 0.1), _final(df, run, metric)
    _assert_converges(measured, criteria, label, before, after, _run_setting(art, exp, run, "decay"))


def _ordered(measured: dict, criteria: list, key: str, gain: np.ndarray, reason: str) -> None:
    """Assert per seed that `gain` (a difference predicted positive, one row per seed over the logged steps of the
    last decade, see `_last_decade`) holds at every one of them and at T by more than it moved over the decade."""
    gain = np.asarray(gain, dtype=np.float64)
    end, floor = gain[:, -1], np.abs(gain[:, -1] - gain[:, 0])
    measured[key.replace("margin", "at T")] = end.tolist()
    measured[key.replace("margin", "smallest over the last decade")] = gain.min(axis=1).tolist()
    measured[key] = np.minimum(end - floor, gain.min(axis=1)).tolist()
    criteria.append(
        Criterion(
            key,
            ">",
            0.0,
            f"{reason}; decided only if it holds at every logged step of the last decade and at T by more than the "
            "difference moved over that decade (its noise floor, |d(T) - d(T/10)|)",
            each=True,
        )
    )


# ---------------------------------------------------------------------------------------------------- checks
def lemma_d1(art: Artifacts) -> Verdict:
    """max_t |m_t/√v_t| ≤ α(β1, β2) for Det-Adam and Inc-Adam (Lemma D.1)."""
    measured, criteria = {}, []
    for exp in ("gaussian_adam", "gr_adam"):
        for run in ("det_adam", "inc_adam"):
            alpha = adam_update_bound(_run_setting(art, exp, run, "beta1"), _run_setting(art, exp, run, "beta2"))
            key = f"{exp}/{run} max|m/sqrt(v)|"
            measured[key] = float(art.runs(exp)[f"{run}__max_direction"].max())
            criteria.append(
                Criterion(
                    key,
                    "<=",
                    alpha + 1e-9,
                    f"Lemma D.1's bound alpha(beta1, beta2) = {alpha:.6g} for this run, plus the spec's 1e-9 "
                    "floating-point tolerance",
                )
            )
    return measured, criteria


# Slack on a measured rate: a rate criterion asks for at least 0.8 of the factor the theory's leading order gives
# (higher-order terms and log factors; e.g. log(T/10)/log(T) = 0.81 at T = 2e5).
RATE_SLACK = 0.8


def prop_2_5(art: Artifacts) -> Verdict:
    """Inc-Adam's epoch update matches −η_{rN}·(Prop. 2.5 formula), with an error that shrinks like η_{rN}.

    Prop. 2.5 is a statement about each run: ‖ε_r‖ = O(η_{rN}), with a constant that depends on the data. It is
    asserted per seed as its rate: between two logged epochs r1 < r2 the relative error must fall by at least
    RATE_SLACK·η_{r1 N}/η_{r2 N} (√10 per decade of epochs at a = 1/2). The spec's fixed levels (0.05 at r = 1e3,
    0.02 at r = 1e4) are one data set's O(η) constant times η: they are reported per seed, with the constant
    error/η_{rN} itself, and not asserted (see docs/papers/baek2025.md, "Notes on the checks").
    """
    exp, run = "gaussian_adam", "inc_adam"
    runs, X = art.runs(exp), art.data("gaussian")["X"]
    b1, b2 = _run_setting(art, exp, run, "beta1"), _run_setting(art, exp, run, "beta2")
    lr, decay = _run_setting(art, exp, run, "lr"), _run_setting(art, exp, run, "decay")
    steps, W = runs[f"{run}__steps"], runs[f"{run}__w"]
    N = X.shape[1]
    errors, etas = {}, {}
    for r in _run_setting(art, exp, run, "log_epochs"):
        i0, i1 = np.searchsorted(steps, r * N), np.searchsorted(steps, (r + 1) * N)
        etas[int(r)] = eta = step_size(r * N, lr, decay)
        errs = []
        for s in range(X.shape[0]):
            actual = W[s, i1] - W[s, i0]
            predicted = -eta * inc_adam_epoch_direction(X[s], W[s, i0], b1, b2)
            errs.append(np.linalg.norm(actual - predicted) / np.linalg.norm(actual))
        errors[int(r)] = np.array(errs)
    measured = {f"relative error at epoch {r} (per seed)": e.tolist() for r, e in errors.items()}
    measured.update({f"error / eta_rN at epoch {r} (per seed)": (e / etas[r]).tolist() for r, e in errors.items()})
    criteria = []
    for r1, r2 in ((100, 1000), (1000, 10000)):  # an epoch the run did not log is a failure, not a missing criterion
        key = f"error ratio r={r1} / r={r2} (per seed)"
        both = r1 in errors and r2 in errors
        measured[key] = (errors[r1] / errors[r2]).tolist() if both else []
        eta_ratio = etas[r1] / etas[r2] if both else float(np.sqrt(r2 / r1))
        criteria.append(
            Criterion(
                key,
                ">",
                float(RATE_SLACK * eta_ratio),
                f"Prop. 2.5's ||eps_r|| = O(eta_rN), per run: eta falls by {eta_ratio:.4g} from r = {r1} to {r2}; "
                f"{RATE_SLACK} is slack for higher-order terms",
                each=True,
            )
        )
    return measured, criteria


def prop_2_4(art: Artifacts) -> Verdict:
    """Det-Adam ≈ SignGD: |d_t[k] − sign(∇L(w_t)[k])| → 0 on coordinates where η_t^{1/2}L/|∇L[k]| is small.

    The proposition is a limit statement about each run; we measure, per seed and logged step, the largest deviation
    over the coordinates whose ratio is below 0.1. Asserted per seed: its largest value in each window falls window
    by window (the limit), and it is O(η_t) (Assumption 2.3(b) bounds the EMA's lag by c2·η_t): the largest
    deviation/η_t of the last half of the run is at most 1/RATE_SLACK times the largest of the earlier windows.
    The spec's level (0.05 late in training) is one data set's O(η) constant times η: reported, not asserted.
    """
    exp, run = "gaussian_adam", "det_adam"
    runs, X = art.runs(exp), art.data("gaussian")["X"]
    lr, decay = _run_setting(art, exp, run, "lr"), _run_setting(art, exp, run, "decay")
    steps, W, D = runs[f"{run}__steps"], runs[f"{run}__w"], runs[f"{run}__direction"]
    T = steps[-1]
    windows = [(T / 1000, T / 100), (T / 100, T / 10), (T / 10, T / 2), (T / 2, T)]
    n_seeds = X.shape[0]
    dev_max = np.full((n_seeds, len(windows)), np.nan)  # largest deviation in the window, per seed
    dev_eta = np.full((n_seeds, len(windows)), np.nan)  # largest deviation / eta_t in the window, per seed
    fractions = []
    for w_idx, (lo, hi) in enumerate(windows):
        frac = []
        for s in range(n_seeds):
            devs, normed = [], []
            for j in np.flatnonzero((steps >= lo) & (steps < hi)):
                eta = step_size(steps[j], lr, decay)
                _, ghat, _ = scaled_gradient(X[s], W[s, j])
                mask = signgd_condition(X[s], W[s, j], eta) < np.log(0.1)
                frac.append(mask.mean())
                if mask.any():
                    devs.append(np.max(np.abs(D[s, j][mask] - np.sign(ghat[mask]))))
                    normed.append(devs[-1] / eta)
            if devs:
                dev_max[s, w_idx], dev_eta[s, w_idx] = max(devs), max(normed)
        fractions.append(float(np.mean(frac)) if frac else float("nan"))
    measured = {}
    for w_idx, (lo, hi) in enumerate(windows):
        label = f"t in [{lo:.0f}, {hi:.0f})"
        measured[f"{label}: max deviation (per seed)"] = dev_max[:, w_idx].tolist()
        measured[f"{label}: max deviation / eta_t (per seed)"] = dev_eta[:, w_idx].tolist()
        measured[f"{label}: fraction of coordinates with ratio < 0.1"] = fractions[w_idx]
    decreasing = "max deviation decreasing window by window (per seed)"
    measured[decreasing] = [
        bool(np.sum(np.isfinite(row)) >= 2 and np.all(np.diff(row[np.isfinite(row)]) < 0)) for row in dev_max
    ]
    constant = "max deviation/eta_t: last window / earlier windows (per seed)"
    measured[constant] = [
        float(row[-1] / np.nanmax(row[:-1])) if np.any(np.isfinite(row[:-1])) else float("nan") for row in dev_eta
    ]
    criteria = [
        Criterion(decreasing, "==", True, "Prop. 2.4 is a limit: the deviation tends to 0 as eta_t -> 0", each=True),
        Criterion(
            constant,
            "<=",
            float(1 / RATE_SLACK),
            "the deviation is O(eta_t) (Assumption 2.3(b)): its constant must not grow; 1/0.8 is slack for "
            "higher-order terms",
            each=True,
        ),
    ]
    return measured, criteria


def fig1(art: Artifacts) -> Verdict:
    """Gaussian data: full-batch Adam → ℓ∞ max margin; batch-size-1 Adam ends closer to ℓ2 than to ℓ∞, not at ℓ2.

    The paper: "full-batch Adam converges to the ℓ∞-max-margin direction, whereas mini-batch Adam variants with
    batch size 1 converge closer to the ℓ2-max-margin direction" (Fig. 1); that they do not reach ℓ2 is what the
    figure shows (a reviewer's reading, spec §5). Per seed.
    """
    exp = "gaussian_adam"
    df = art.metrics(exp)
    measured, criteria = {}, []
    _converges(art, exp, "det_adam", "cos_linf", "det_adam to linf", measured, criteria)
    for r in BATCH_SIZE_1:
        d2, fall = _fall(df, r, "cos_l2")
        measured[f"{r}: 1-cos(l2) at T (per seed)"] = d2.tolist()
        measured[f"{r}: 1-cos(linf) at T (per seed)"] = _distance(_final(df, r, "cos_linf")).tolist()
        _ordered(
            measured,
            criteria,
            f"{r}: cos(l2) - cos(linf) margin (per seed)",
            _last_decade(df, r, "cos_l2") - _last_decade(df, r, "cos_linf"),
            "closer to the l2 max margin than to the linf one (Fig. 1)",
        )
        key = f"{r}: 1-cos(l2) at T/10 / at T (per seed)"
        measured[key] = fall.tolist()
        slowest = RATE_SLACK * _log_rate(int(_run_setting(art, exp, r, "steps")))
        criteria.append(
            Criterion(
                key,
                "<",
                slowest,
                "not at l2: the distance to the l2 direction falls more slowly than even a 1/log t convergence "
                f"(GD's, the slowest here) would make it, 0.8·(log T/log(T/10))^2 = {slowest:.3g} per decade",
                each=True,
            )
        )
    return measured, criteria


def thm_3_3(art: Artifacts) -> Verdict:
    """GR data: batch-size-1 Adam → ℓ2 max margin (Thm 3.3, Fig. 2); Det-Adam → ℓ∞ (Fig. 2), per run."""
    measured, criteria = {}, []
    for r in BATCH_SIZE_1:
        _converges(art, "gr_adam", r, "cos_l2", f"{r} to l2", measured, criteria)
    _converges(art, "gr_adam", "det_adam", "cos_linf", "det_adam to linf", measured, criteria)
    return measured, criteria


def cor_3_2(art: Artifacts) -> Verdict:
    """GR data: Inc-Adam's epoch update is weighted normalised GD with weights in [c1, c2] (Corollary 3.2).

    On GR data |x_j[k]| = a_j, so ∇L_j(w)² = ℓ'_j² a_j² in every coordinate and Prop. 2.5's epoch direction is
    Σ_j ω(j) ∇L_j(w) / sqrt(Σ_k ℓ'_k² a_k²) with ω(j) = C_inc Σ_i β1^((i−j) mod N) sqrt(Σ_k ℓ'_k² a_k²) / s_i,
    s_i² = Σ_k β2^((i−k) mod N) ℓ'_k² a_k². Since β2^(N−1) ≤ s_i² / Σ_k ℓ'_k² a_k² ≤ 1, every weight lies in
    [c1, c1·β2^(−(N−1)/2)], c1 = C_inc (1 − β1^N)/(1 − β1): constants of (β1, β2, N) only, as the corollary says. The
    normaliser is reconstructed (the paper's is not recovered), and the bounds hold by algebra under it: a
    consistency check, evaluated at every logged iterate of the GR runs, with the decomposition itself checked
    against Prop. 2.5's direction.
    """
    X = art.data("gr")["X"][0]
    a = np.abs(X[:, 0])
    n = X.shape[0]
    lag = (np.arange(n)[:, None] - np.arange(n)[None, :]) % n  # lag[i, j] = (i − j) mod N
    structure_key = "max | |x_j[k]| - a_j | (GR structure)"
    measured, criteria = {structure_key: float(np.abs(np.abs(X) - a[:, None]).max())}, []
    criteria.append(Criterion(structure_key, "<", 1e-12, "GR data: |x_j[k]| = a_j"))
    cases = [("gr_adam", "inc_adam")] + [("gr_beta_grid", r) for r in art.experiment("gr_beta_grid")["runs"]]
    for exp, run in cases:
        s = art.run_settings(exp, run)
        b1, b2 = s["beta1"], s["beta2"]
        c1 = inc_adam_constant(b1, b2, n) * (1 - b1**n) / (1 - b1)  # Σ_i β1^((i−j) mod N) = (1 − β1^N)/(1 − β1)
        c2 = c1 * b2 ** (-(n - 1) / 2)
        weights: Any
        weights, errors = [], []
        for w in art.runs(exp)[f"{run}__w"][0][1:]:  # every logged iterate but w_0 = 0
            logl = per_sample_log_weights(X, w, s["loss"])
            dl = np.exp(logl - logl.max())  # |ℓ'_k| up to one common factor
            q = (dl * a) ** 2  # ℓ'_k² a_k², up to that factor squared
            omega = inc_adam_constant(b1, b2, n) * (b1**lag * np.sqrt(q.sum()) / np.sqrt(b2**lag @ q)[:, None]).sum(0)
            weights.append(omega)
            grads = dl[:, None] * X  # ∇L_j up to the same factor (and sign)
            ours = omega @ grads / np.sqrt(q.sum())
            prop = inc_adam_epoch_direction(X, w, b1, b2, loss=s["loss"])
            errors.append(float(np.linalg.norm(ours / np.linalg.norm(ours) + prop / np.linalg.norm(prop))))
        weights = np.asarray(weights)
        label = f"{exp}/{run} (beta1={b1:g}, beta2={b2:g})"
        lower_key = f"{label}: min weight / c1"
        measured[lower_key] = float(weights.min() / c1)
        upper_key = f"{label}: max weight / c2"
        measured[upper_key] = float(weights.max() / c2)
        direction_key = f"{label}: max |decomposition - Prop. 2.5 direction|"
        measured[direction_key] = max(errors)
        criteria += [
            Criterion(lower_key, ">=", 1 - 1e-12, "Cor. 3.2's lower bound c1, floating point slack"),
            Criterion(upper_key, "<=", 1 + 1e-12, "Cor. 3.2's upper bound c2, floating point slack"),
            Criterion(
                direction_key,
                "<",
                1e-10,
                "the weighted form is Prop. 2.5's epoch direction (unit vectors), floating point",
            ),
        ]
    return measured, criteria


def ex_4_9(art: Artifacts) -> Verdict:
    """GR: Algorithm 3's fixed point is the ℓ2 max-margin solution, found within 3 iterations (Example 4.9)."""
    refs = art.refs("gr")
    cos = float(cosine(refs["w_fp"][0], refs["w_l2"][0]))
    its = int(refs["fp_iterations"][0])
    cos_key = "cos(w_fp, w_l2)"
    iterations_key = "iterations"
    converged_key = "converged"
    measured = {cos_key: cos, iterations_key: its, converged_key: bool(refs["fp_converged"][0])}
    criteria = [
        Criterion(cos_key, ">", 0.9999, "the spec's pass level for Example 4.9"),
        Criterion(iterations_key, "<=", 3, "the spec's 'within 3 iterations'"),
        Criterion(converged_key, "==", True, "Alg. 3 met its own stopping tolerance (an engineering tolerance)"),
    ]
    return measured, criteria


def ex_4_9_dynamics(art: Artifacts) -> Verdict:
    """GR: AdamProxy converges in direction to the ℓ2 max margin (Example 4.9, through Thm 4.8), per run."""
    measured, criteria = {}, []
    _converges(art, "gr_adam", "adam_proxy", "cos_l2", "adam_proxy to l2", measured, criteria)
    return measured, criteria


def ex_4_11(art: Artifacts) -> Verdict:
    """Shifted-diagonal: Alg. 3 from uniform c reaches c = e_0, w_fp ∝ 𝟙, λ*(e_0) = e_0/(1+(N−1)δ) (Example 4.11).

    The closed form against the solver at solver tolerance: a consistency check of the code, as Example 4.9's.
    """
    refs, X = art.refs("shifted_diagonal"), art.data("shifted_diagonal")["X"][0]
    delta = art.dataset_spec("shifted_diagonal")["delta"]
    n = X.shape[0]
    e0 = np.eye(n)[0]
    c_err = float(np.abs(refs["c_fp"][0] - e0).sum())
    cos_one = float(cosine(refs["w_fp"][0], np.ones(n)))
    _, lam = solve_proxy_problem(X, e0)
    lam_err = float(np.abs(lam - e0 / (X[0, 0] + (n - 1) * delta)).max())
    its = int(refs["fp_iterations"][0])
    c_key = "||c - e0||_1"
    iterations_key = "iterations"
    one_minus_cos_key = "1 - cos(w_fp, 1)"
    lambda_key = "max|lambda*(e0) - e0/(a0+(N-1)delta)|"
    measured = {
        c_key: c_err,
        iterations_key: its,
        "cos(w_fp, 1)": cos_one,
        one_minus_cos_key: 1 - cos_one,
        lambda_key: lam_err,
    }
    criteria = [
        Criterion(c_key, "<", 1e-6, "the spec's pass level for Example 4.11"),
        Criterion(iterations_key, "<=", 20, "the spec's 'within 20 iterations'"),
        Criterion(
            one_minus_cos_key, "<", 1e-9, "w_fp is exactly proportional to 1 (Example 4.11): floating-point identity"
        ),
        Criterion(
            lambda_key,
            "<",
            1e-6,
            "closed form of Example 4.11 against the QP solution: an engineering (solver) tolerance",
        ),
    ]
    return measured, criteria


def fig4(art: Artifacts) -> Verdict:
    """Shifted-diagonal: AdamProxy and batch-size-1 Adam → ℓ∞ max margin (Fig. 4); GD → ℓ2, slowly; per run."""
    exp = "shifted_diagonal_adam"
    measured, criteria = {}, []
    for r in ("adam_proxy", *BATCH_SIZE_1):
        _converges(art, exp, r, "cos_linf", f"{r} to linf", measured, criteria)
    df = art.metrics(exp)
    _, fall = _fall(df, "gd", "cos_l2")
    key = "gd to l2: 1-cos(T/10) / 1-cos(T) (per seed)"
    measured[key] = fall.tolist()
    log_rate = _log_rate(int(_run_setting(art, exp, "gd", "steps")))
    criteria.append(
        Criterion(
            key,
            ">=",
            float(RATE_SLACK * log_rate),
            f"GD's direction converges to l2 like 1/log t (Soudry et al. 2018), so 1 - cos falls like 1/log^2 t: "
            f"by (log T / log(T/10))^2 = {log_rate:.3g} over the last decade, with the {RATE_SLACK} slack",
            each=True,
        )
    )
    return measured, criteria


def alg_3(art: Artifacts) -> Verdict:
    """Algorithm 3 converges "within 20 iterations in all settings" (App. C), on every data set and seed."""
    its, conv, where = [], [], []
    for ds in ("gaussian", "gr", "shifted_diagonal"):
        refs = art.refs(ds)
        its += [int(i) for i in refs["fp_iterations"]]
        conv += [bool(c) for c in refs["fp_converged"]]
        where += [f"{ds}[{s}]" for s in range(len(refs["fp_iterations"]))]
    iterations_key = "iterations (per data set and seed)"
    converged_key = "converged (per data set and seed)"
    measured = {
        "data set[seed]": where,
        iterations_key: its,
        converged_key: conv,
    }
    criteria = [
        Criterion(
            iterations_key,
            "<=",
            20,
            "the paper's 'within 20 iterations in all settings'",
            each=True,
        ),
        Criterion(
            converged_key,
            "==",
            True,
            "Alg. 3 met its stopping threshold ||c_{k+1} - c_k||_1 < tol (the paper's threshold is not recovered; "
            "config fixed_point.tol)",
            each=True,
        ),
    ]
    return measured, criteria


def fp_kkt(art: Artifacts) -> Verdict:
    """The fixed point Alg. 3 returns is a KKT point of P(c*) (the solver's residual), on every data set and seed."""
    residuals = np.concatenate([art.refs(ds)["fp_kkt_residual"] for ds in ("gaussian", "gr", "shifted_diagonal")])
    key = "KKT residual (per data set and seed)"
    return {key: residuals.tolist()}, [Criterion(key, "<", 1e-6, "a solver tolerance (the spec's level)", each=True)]


def thm_4_8(art: Artifacts) -> Verdict:
    """Gaussian: AdamProxy converges in direction to w*(c*), the fixed point of Alg. 3 (Thm 4.8(d), Ex. 4.10), per run.

    That the fixed point differs from ŵ2 and ŵ∞ is a property of each data set (Example 4.10), reported, not asserted.
    """
    exp = "gaussian_adam"
    refs, df = art.refs("gaussian"), art.metrics(exp)
    measured, criteria = {}, []
    _converges(art, exp, "adam_proxy", "cos_fp", "adam_proxy to fp", measured, criteria)
    measured["adam_proxy: 1-cos(l2) at T (per seed)"] = _distance(_final(df, "adam_proxy", "cos_l2")).tolist()
    measured["adam_proxy: 1-cos(linf) at T (per seed)"] = _distance(_final(df, "adam_proxy", "cos_linf")).tolist()
    measured["cos(w_fp, w_l2) (per seed, data)"] = [float(cosine(a, b)) for a, b in zip(refs["w_fp"], refs["w_l2"])]
    measured["cos(w_fp, w_linf) (per seed, data)"] = [float(cosine(a, b)) for a, b in zip(refs["w_fp"], refs["w_linf"])]
    return measured, criteria


def fig3(art: Artifacts) -> Verdict:
    """Gaussian, (β1, β2) = (0.9, 0.95): batch-size-1 Adam converges in direction to Alg. 3's fixed point (Fig. 3).

    The paper: "both AdamProxy and mini-batch Adam variants with batch size 1 converge to the predicted solution".
    Asserted per run as a limit (the trend). The fixed point is the β2 → 1 limit (Prop. 4.1); how far from it each
    run settles, against its distance to ŵ2, is reported.
    """
    exp = "gaussian_adam"
    df = art.metrics(exp)
    measured, criteria = {}, []
    for r in BATCH_SIZE_1:
        _converges(art, exp, r, "cos_fp", f"{r} to fp", measured, criteria)
        measured[f"{r}: (1-cos fp) / (1-cos l2) at T (per seed)"] = (
            _distance(_final(df, r, "cos_fp")) / _distance(_final(df, r, "cos_l2"))
        ).tolist()
    return measured, criteria


def lemma_4_5(art: Artifacts) -> Verdict:
    """AdamProxy's limit satisfies eq. 5, ŵ ∝ D(c)^(−1) Σ_i c_i x_i, c = normalised |ℓ'_i| on the support (Lemma 4.5).

    Per seed, on the AdamProxy run: the distance between w_t and D(c_t)^(−1) Σ c_t,i x_i (c_t from w_t) falls as a
    converging run's does, and the weight of c_t off the support vectors of the fixed point falls faster every decade
    (it is exponential in a growing margin gap); seeds where every sample is a support vector have nothing to test
    there (listed). A consistency check: D(c_t)^(−1) Σ c_t,i x_i is AdamProxy's own update direction, so for a run
    that converges in direction (thm_4_8) the first half holds by Stolz–Cesàro, as in the lemma's proof.
    """
    exp, run = "gaussian_adam", "adam_proxy"
    X, refs = art.data("gaussian")["X"], art.refs("gaussian")
    decay, loss = _run_setting(art, exp, run, "decay"), _run_setting(art, exp, run, "loss")
    fracs = (0.01, 0.1, 1.0)
    W = {f: _iterates(art, exp, run, f) for f in fracs}
    cos_eq5 = {f: [] for f in fracs}
    off = {f: [] for f in fracs}
    c_err = []
    for s, Xs in enumerate(X):
        support = refs["c_fp"][s] > 1e-9 * refs["c_fp"][s].max()
        for f in fracs:
            logc, c, cos = _eq5(Xs, W[f][s], loss)
            cos_eq5[f].append(cos)
            off[f].append(
                float((logsumexp(logc[~support]) - logsumexp(logc)) / np.log(10)) if (~support).any() else None
            )
            if f == 1.0:
                c_err.append(float(np.abs(c - refs["c_fp"][s] / refs["c_fp"][s].sum()).sum()))
    measured, criteria = {}, []
    _assert_converges(measured, criteria, "w_t vs eq. 5 at c_t", np.array(cos_eq5[0.1]), np.array(cos_eq5[1.0]), decay)
    measured["||c_T - c*||_1 (per seed)"] = c_err
    testable = [s for s in range(len(X)) if off[1.0][s] is not None]
    measured["seeds where every sample is a support vector"] = [s for s in range(len(X)) if s not in testable]
    for f in fracs:
        measured[f"log10 weight off the support at {f:g}T (per seed)"] = off[f]
    if testable:
        key = "log10 weight off the support: fall over the last decade - fall over the one before (testable seeds)"
        measured[key] = [(off[0.1][s] - off[1.0][s]) - (off[0.01][s] - off[0.1][s]) for s in testable]
        criteria.append(
            Criterion(
                key,
                ">=",
                0.0,
                "c_i = 0 off the support (Lemma 4.5): c_i/c_j = exp(-(z_i - z_j)) with a margin gap z_i - z_j that "
                "grows with the norm (like sqrt(t) at a = 1/2), so log c_i falls more every decade; a weight "
                "settling at a positive level falls less",
                each=True,
            )
        )
    return measured, criteria


def fig6(art: Artifacts) -> Verdict:
    """Inc-Adam: cos to ℓ∞ grows with the batch size, and b = N recovers full-batch Adam (Fig. 6), per seed.

    The paper: "as the batch size increases, the cosine similarity between the iterate and ℓ∞-max-margin solution
    increases". Each step up in b must raise cos(ŵ∞) at T by more than either run's cosine still moves over the last
    decade; b = N converges to ŵ∞ (a limit, judged by its trend).
    """
    exp = "gaussian_adam_batch"
    df = art.metrics(exp)
    runs = list(art.experiment(exp)["runs"])
    n = art.data("gaussian")["X"].shape[1]
    sizes = [_run_setting(art, exp, r, "batch_size") or n for r in runs]
    order = [runs[i] for i in np.argsort(sizes)]
    size = dict(zip(runs, sizes))
    measured, criteria = {}, []
    for r in order:
        measured[f"b={size[r]} cos(linf) at T (per seed)"] = _final(df, r, "cos_linf").tolist()
    for lo, hi in itertools.pairwise(order):
        _ordered(
            measured,
            criteria,
            f"b={size[hi]} minus b={size[lo]}: cos(linf) gain margin (per seed)",
            _last_decade(df, hi, "cos_linf") - _last_decade(df, lo, "cos_linf"),
            "the paper's 'as the batch size increases, the cosine increases'",
        )
    _converges(art, exp, order[-1], "cos_linf", f"b={size[order[-1]]} to linf", measured, criteria)
    return measured, criteria


def _decade_ratio(df: pd.DataFrame, run: str, metric: str) -> np.ndarray:
    """metric(T/10) / metric(T), one value per seed: how much it fell over the last decade of steps."""
    return _at_fraction(df, run, metric, 0.1) / _final(df, run, metric)


SIGNUM_RUNS = ("signum_b10", "signum_b5", "signum_b2", "signum_b1")


def thm_5_1(art: Artifacts) -> Verdict:
    """Signum (β = 0.99) at every batch size: normalised ℓ∞ margin → γ_∞ (Thm 5.1, eq. 7), per seed.

    Eq. 7 is a statement on the normalised margin of each run: the relative gap 1 − margin/γ_∞ falls at the rate of
    a converging run. The spec's level (gap ≤ 0.02) is reported. The direction (Fig. 5's cosine) is the check fig5.
    """
    df = art.metrics("gaussian_signum")
    measured, criteria = {}, []
    for r in SIGNUM_RUNS:
        measured[f"{r} gap (per seed)"] = _final(df, r, "gap_linf").tolist()
        ratio_key = f"{r} gap(T/10) / gap(T) (per seed)"
        measured[ratio_key] = _decade_ratio(df, r, "gap_linf").tolist()
        criteria += [
            Criterion(
                ratio_key,
                ">",
                float(RATE_SLACK * np.sqrt(10)),
                "Thm 5.1, eq. 7 with its rate: the gap of a converging sign method with eta_t ~ t^(-1/2) falls like "
                "1/sum(eta) ~ t^(-1/2), sqrt(10) per decade, up to the 0.8 slack for log factors",
                each=True,
            ),
        ]
    return measured, criteria


def fig5(art: Artifacts) -> Verdict:
    """Signum (β = 0.99) converges in direction to the ℓ∞ max margin ŵ∞ at every batch size (Fig. 5), per run.

    The paper: "Inc-Signum (β = 0.99) maintains ℓ∞-bias, regardless of the choice of batch size", shown as the
    cosine to ŵ∞. The ℓ∞ LP is unique on these data, so margin convergence (thm_5_1) implies it in the limit; here it
    is judged on the cosine's own trend. cos(ŵ∞) − cos(ŵ2) is reported.
    """
    exp = "gaussian_signum"
    df = art.metrics(exp)
    measured, criteria = {}, []
    for r in SIGNUM_RUNS:
        _converges(art, exp, r, "cos_linf", f"{r} to linf", measured, criteria)
        measured[f"{r}: cos(linf) - cos(l2) at T (per seed)"] = (
            _final(df, r, "cos_linf") - _final(df, r, "cos_l2")
        ).tolist()
    return measured, criteria


def fig10(art: Artifacts) -> Verdict:
    """Inc-Signum: the smaller the batch, the closer to 1 β must be to keep the ℓ∞ bias (Fig. 10, Lemma G.2).

    Measured on the per-seed ℓ∞ margin gap 1 − margin/γ_∞ (Thm 5.1's quantity), each seed asserted:
    - b = 1: β = 0.9 is far behind β = 0.99. A converging run's gap falls like t^(-1/2), so a ratio
      gap(β = 0.9)/gap(β = 0.99) above √10 at T means β = 0.9 is further from γ_∞ than β = 0.99 was a decade earlier.
    - b = 1: β = 0.9 stalls (its gap falls by less than the 0.8·√10 of the rate over the last decade), β = 0.99
      converges (by more): β = 0.9 is below β0 at b = 1, the paper's "not merely technical" requirement.
    - the fall with b: that ratio is largest at b = 1 (Lemma G.2's mini-batch term grows with M = N/b), and at b = N
      β = 0.9 converges at the rate (the term vanishes: any β works in full batch, Fan et al. 2025).
    """
    exp = "gaussian_signum_grid"
    df = art.metrics(exp)
    runs = art.experiment(exp)["runs"]
    n = art.data("gaussian")["X"].shape[1]
    by_b = {}
    for r in runs:
        b = _run_setting(art, exp, r, "batch_size") or n
        by_b.setdefault(int(b), {})[float(_run_setting(art, exp, r, "beta1"))] = r
    sizes = sorted(by_b)
    lo_beta, hi_beta = min(by_b[1]), max(by_b[1])
    ratio = {b: _final(df, by_b[b][lo_beta], "gap_linf") / _final(df, by_b[b][hi_beta], "gap_linf") for b in sizes}
    measured = {}
    for b in sizes:
        measured[f"b={b} gap ratio beta={lo_beta} / beta={hi_beta} at T (per seed)"] = ratio[b].tolist()
    for b in sizes:
        for beta in (lo_beta, hi_beta):
            measured[f"b={b} beta={beta} gap(T/10) / gap(T) (per seed)"] = _decade_ratio(
                df, by_b[b][beta], "gap_linf"
            ).tolist()
    fall = "b=1 ratio / largest ratio at b > 1 (per seed)"
    measured[fall] = (ratio[1] / np.max([ratio[b] for b in sizes if b > 1], axis=0)).tolist()
    rate = float(RATE_SLACK * np.sqrt(10))
    rate_reason = "the rate of a converging run, t^(-1/2): sqrt(10) per decade, with 0.8 slack (as thm_5_1)"
    criteria = [
        Criterion(
            f"b=1 gap ratio beta={lo_beta} / beta={hi_beta} at T (per seed)",
            ">",
            float(np.sqrt(10)),
            f"beta={hi_beta}'s gap falls like t^(-1/2): a ratio above sqrt(10) puts beta={lo_beta} at T behind "
            f"beta={hi_beta} at T/10",
            each=True,
        ),
        Criterion(
            f"b=1 beta={lo_beta} gap(T/10) / gap(T) (per seed)",
            "<",
            rate,
            f"beta={lo_beta} < beta0 at b = 1: its gap falls more slowly than {rate_reason}",
            each=True,
        ),
        Criterion(
            f"b=1 beta={hi_beta} gap(T/10) / gap(T) (per seed)", ">", rate, f"converges: {rate_reason}", each=True
        ),
        Criterion(
            fall,
            ">",
            1.0,
            "smaller batches need beta closer to 1: Lemma G.2's mini-batch term grows with N/b, so b = 1 loses most",
            each=True,
        ),
        Criterion(
            f"b={n} beta={lo_beta} gap(T/10) / gap(T) (per seed)",
            ">",
            rate,
            f"full batch: any beta works (Lemma G.2's mini-batch term vanishes; Fan et al. 2025): {rate_reason}",
            each=True,
        ),
    ]
    return measured, criteria


def signsgd(art: Artifacts) -> Verdict:
    """SignSGD (β = 0, b = 1) converges in direction to Σ_i sign(x_i) (App. G).

    With β = 0 and b = 1 each step adds η_t·sign(x_i) whatever the loss, so w_T ∝ Σ_i sign(x_i) by algebra: a
    consistency check of the Signum update, not a reproduction.
    """
    runs, X = art.runs("gaussian_signum"), art.data("gaussian")["X"]
    cos = np.array([cosine(runs["signsgd__w"][s, -1], sign_sum_direction(X[s])) for s in range(X.shape[0])])
    key = "min cos(w_T, sum_i sign(x_i))"
    return {key: float(cos.min())}, [Criterion(key, ">", 0.999, "the spec's pass level for App. G's limit direction")]


def prop_4_1(art: Artifacts) -> Verdict:
    """β2 close to 1: β1 does not change the limit direction, which is AdamProxy's fixed point (Prop. 4.1, Fig. 7).

    The paper: "β1 does not affect the convergence direction" (β2 high). Asserted per seed: every pair of β1 runs
    approaches one limit (their mutual 1 − cos falls as a converging run's does), and each run converges to the
    fixed point. As every trend, this resolves the limits to within the distances at T: a β1-dependence of the limit
    smaller than the pairs' 1 − cos at T (reported) is not seen. At β2 = 0.95 the settled offsets from the fixed point
    do depend on β1 (fig3's β1 = 0.9 against fig8's β1 = 0.5); Prop. 4.1 is a statement about β2 → 1.
    """
    exp = "gaussian_beta1_sweep"
    runs = sorted(art.experiment(exp)["runs"], key=lambda r: _run_setting(art, exp, r, "beta1"))
    measured, criteria = {}, []
    for i, a in enumerate(runs):
        for b in runs[i + 1 :]:
            cos = {
                f: np.array([cosine(u, v) for u, v in zip(_iterates(art, exp, a, f), _iterates(art, exp, b, f))])
                for f in (0.1, 1.0)
            }
            decay = max(_run_setting(art, exp, a, "decay"), _run_setting(art, exp, b, "decay"))
            _assert_converges(measured, criteria, f"{a} vs {b}", cos[0.1], cos[1.0], decay)
    for r in runs:
        _converges(art, exp, r, "cos_fp", f"{r} to fp", measured, criteria)
    return measured, criteria


def fig8(art: Artifacts) -> Verdict:
    """β1 fixed, β2 varied: the smaller β2, the further from the fixed point the run settles (Fig. 8), per seed.

    The paper: for small β2 "the trajectory of mini-batch Adam deviates from the fixed-point solution". Asserted as
    1 − cos(fp) at T decreasing in β2, each step by more than either run still moves over the last decade.
    """
    exp = "gaussian_beta2_sweep"
    df = art.metrics(exp)
    runs = sorted(art.experiment(exp)["runs"], key=lambda r: _run_setting(art, exp, r, "beta2"))
    measured, criteria = {}, []
    for r in runs:
        measured[f"beta2={_run_setting(art, exp, r, 'beta2')} 1-cos(fp) at T (per seed)"] = _distance(
            _final(df, r, "cos_fp")
        ).tolist()
    for lo, hi in itertools.pairwise(runs):
        b_lo, b_hi = _run_setting(art, exp, lo, "beta2"), _run_setting(art, exp, hi, "beta2")
        _ordered(
            measured,
            criteria,
            f"beta2={b_lo} minus beta2={b_hi}: 1-cos(fp) margin (per seed)",
            _last_decade(df, hi, "cos_fp") - _last_decade(df, lo, "cos_fp"),
            "Fig. 8: the smaller beta2, the further the run departs from the fixed point",
        )
    return measured, criteria


def lemma_a1(art: Artifacts) -> Verdict:
    """Inc-Adam's limit at finite β2 satisfies eq. 8 (Lemma A.1), not eq. 5 (the β2 → 1 proxy), per run and seed.

    Eq. 8: ŵ ∝ Σ_i [Σ_j β1^((i−j) mod N) c_j x_j] / sqrt(Σ_j β2^((i−j) mod N) c_j² x_j²), c = normalised |ℓ'_j(ŵ)|,
    i.e. ŵ is parallel to Prop. 2.5's epoch direction at ŵ. Lemma A.1 is stated for β1 = 0 (the β1 = 0 run of the
    β1 sweep); the β2 sweep (β1 = 0.5) tests Prop. 2.5's general-β1 form of it, which is this project's extension.
    Asserted: the distance from w_t to eq. 8 at w_t falls as a converging run's does. The distance to eq. 5 is
    reported: it settles at small β2. A consistency check: eq. 8 at w_t is Inc-Adam's own epoch direction (Prop. 2.5),
    so for a run that converges in direction it holds by Stolz–Cesàro, as in the lemma's proof; what it shows is that
    each finite-β2 run has a limit, and that this limit is eq. 8's, not the fixed point's (fig3, fig8).
    """
    X = art.data("gaussian")["X"]
    measured, criteria = {}, []
    cases = [("gaussian_adam", "inc_adam")]  # Fig. 3's Inc-Adam, (beta1, beta2) = (0.9, 0.95)
    cases += [
        ("gaussian_beta1_sweep", r)
        for r in art.experiment("gaussian_beta1_sweep")["runs"]
        if _run_setting(art, "gaussian_beta1_sweep", r, "beta1") == 0.0
    ]
    cases += [("gaussian_beta2_sweep", r) for r in art.experiment("gaussian_beta2_sweep")["runs"]]
    for exp, run in cases:
        s = art.run_settings(exp, run)
        b1, b2 = s["beta1"], s["beta2"]
        cos8 = {}
        for f in (0.1, 1.0):
            W = _iterates(art, exp, run, f)
            cos8[f] = np.array(
                [cosine(w, -inc_adam_epoch_direction(Xs, w, b1, b2, loss=s["loss"])) for w, Xs in zip(W, X)]
            )
        cos5 = [_eq5(Xs, w, s["loss"])[2] for w, Xs in zip(_iterates(art, exp, run, 1.0), X)]
        label = f"{exp}/{run} (beta1={b1:g}, beta2={b2:g}) vs eq. 8"
        _assert_converges(measured, criteria, label, cos8[0.1], cos8[1.0], s["decay"])
        measured[f"{exp}/{run}: 1-cos to eq. 5 at T (per seed, reported)"] = _distance(np.array(cos5)).tolist()
    return measured, criteria


PROXY_EXPERIMENTS = ("gaussian_adam", "gr_adam", "shifted_diagonal_adam")


def prop_4_3(art: Artifacts) -> Verdict:
    """AdamProxy drives the loss to 0 (Prop. 4.3), every AdamProxy run and seed.

    Prop. 4.3 needs η_t below a data-dependent constant that the paper does not give explicitly; the runs use
    η_t = 0.1·(t+2)^(−1/2) and the verdict is read under that caveat.
    """
    measured, criteria = {}, []
    for exp in PROXY_EXPERIMENTS:
        df = art.metrics(exp)
        runs = [r for r in df["run"].unique() if art.run_settings(exp, r)["optimizer"] == "adam_proxy"]
        for r in runs:
            ll = {f: _at_fraction(df, r, "log_loss", f) for f in (0.01, 0.1)}
            ll[1.0] = _final(df, r, "log_loss")
            measured[f"{exp}/{r} log L(T) (per seed)"] = ll[1.0].tolist()
            key = f"{exp}/{r}: log L fall over the last decade / over the one before (per seed)"
            measured[key] = ((ll[0.1] - ll[1.0]) / (ll[0.01] - ll[0.1])).tolist()
            criteria.append(
                Criterion(
                    key,
                    ">=",
                    1.0,
                    "L -> 0: AdamProxy's margin grows like sum(eta_t) (normalised steepest descent, Lemma F.1), so "
                    "-log L grows like sqrt(t) at a = 1/2, each decade sqrt(10) times the previous one's; a loss "
                    "settling at a positive level falls less each decade",
                    each=True,
                )
            )
    return measured, criteria


def loss_sanity(art: Artifacts) -> Verdict:
    """Every run's loss still falls over its last decade (a sanity gate on the runs; Prop. 4.3 is prop_4_3).

    SignSGD (Signum with β = 0) is left out: its limit direction Σ_i sign(x_i) need not separate the data (App. G),
    so its loss may grow; it is reported.
    """
    measured, falling = {}, True
    for exp in art.experiments:
        df = art.metrics(exp)
        for r in df["run"].unique():
            settings = art.run_settings(exp, r)
            end, mid = _final(df, r, "log_loss"), _at_fraction(df, r, "log_loss", 0.1)
            if settings["optimizer"] == "signum" and settings["beta1"] == 0.0:
                measured[f"{exp}/{r} (SignSGD, not asserted) max log L(T)"] = float(end.max())
                continue
            measured[f"{exp}/{r} max log L(T)"] = float(end.max())
            falling &= bool(np.all(end < mid))
    key = "log L(T) < log L(T/10), every asserted run and seed"
    measured[key] = falling
    return measured, [Criterion(key, "==", True, "the loss of a run that separates the data keeps falling")]


def _variants(art: Artifacts, suffix: str) -> Verdict:
    """The main limits on the runs of `gaussian_variants` / `gr_variants` whose names end in `suffix`."""
    measured, criteria = {}, []
    for exp, run, metric in (
        ("gaussian_variants", f"det_adam_{suffix}", "cos_linf"),
        ("gaussian_variants", f"adam_proxy_{suffix}", "cos_fp"),
        ("gr_variants", f"inc_adam_{suffix}", "cos_l2"),
    ):
        _converges(art, exp, run, metric, f"{exp}/{run} to {metric[4:]}", measured, criteria)
    return measured, criteria


def logistic_loss(art: Artifacts) -> Verdict:
    """Under the logistic loss: Det-Adam → ℓ∞, AdamProxy → the fixed point, Inc-Adam on GR → ℓ2, per run.

    The theorems are stated for the exponential and the logistic loss (Assumption 2.1 ff.); the paper runs only the
    exponential loss. The fixed point is the same for both (c is a normalised |ℓ'|, and both losses have one tail).
    """
    return _variants(art, "logistic")


def decay_a(art: Artifacts) -> Verdict:
    """With η_t = η0·(t+2)^(−2/3): Det-Adam → ℓ∞, AdamProxy → the fixed point, Inc-Adam on GR → ℓ2, per run.

    Assumption 2.3 allows η_t = Θ(t^(−a)) for a ∈ (0, 1]; the paper's runs (and the other checks) use a = 1/2.
    """
    return _variants(art, "a23")


def fig9(art: Artifacts) -> Verdict:
    """GR data: Inc-Adam → ℓ2 max margin for every (β1, β2) of the grid (Thm 3.3, Fig. 9), every cell.

    The grid's cells satisfy β1 ≤ β2 (the config refuses others), Thm 3.3's hypothesis. cos(ŵ2) and cos(ŵ∞) at T are
    reported; the limit is judged by its trend.
    """
    exp = "gr_beta_grid"
    df = art.metrics(exp)
    measured, criteria = {}, []
    for r in art.experiment(exp)["runs"]:
        b1, b2 = _run_setting(art, exp, r, "beta1"), _run_setting(art, exp, r, "beta2")
        label = f"(beta1, beta2) = ({b1:g}, {b2:g}) to l2"
        _converges(art, exp, r, "cos_l2", label, measured, criteria)
        measured[f"({b1:g}, {b2:g}) cos(linf) at T (per seed)"] = _final(df, r, "cos_linf").tolist()
    return measured, criteria


CHECKS = {
    "lemma_d1": Check(
        "Lemma D.1: |m_t/sqrt(v_t)| <= (1-b1)/sqrt((1-b2)(1-b1^2/b2)) for Det-Adam and Inc-Adam",
        ("gaussian_adam", "gr_adam"),
        (),
        lemma_d1,
        kind="consistency",
        sources=(Source("lemma", "D.1"),),
    ),
    "prop_2_5": Check(
        "Prop 2.5: Inc-Adam's epoch update follows the weighted preconditioned formula, error O(eta)",
        ("gaussian_adam",),
        ("gaussian",),
        prop_2_5,
        sources=(Source("proposition", "2.5"),),
    ),
    "prop_2_4": Check(
        "Prop 2.4: Det-Adam's step tends to a SignGD step on coordinates meeting the condition",
        ("gaussian_adam",),
        ("gaussian",),
        prop_2_4,
        sources=(Source("proposition", "2.4"),),
    ),
    "fig1": Check(
        "Fig 1: on Gaussian data Det-Adam -> linf max-margin; batch-size-1 Adam ends closer to l2 than to linf, "
        "and not at l2",
        ("gaussian_adam",),
        ("gaussian",),
        fig1,
        sources=(Source("figure", "1"),),
        drawn_by="fig1",
    ),
    "thm_3_3": Check(
        "Thm 3.3 / Fig 2: on GR data batch-size-1 Adam -> l2 max-margin, Det-Adam -> linf max-margin",
        ("gr_adam",),
        ("gr",),
        thm_3_3,
        sources=(Source("figure", "2"),),
        drawn_by="fig2",
    ),
    "cor_3_2": Check(
        "Cor 3.2: on GR data Inc-Adam's epoch update is normalised GD with weights between two constants",
        ("gr_adam", "gr_beta_grid"),
        ("gr",),
        cor_3_2,
        kind="consistency",
        sources=(Source("corollary", "3.2"),),
    ),
    "ex_4_9": Check(
        "Example 4.9: on GR data the AdamProxy fixed point is the l2 max-margin solution",
        (),
        ("gr",),
        ex_4_9,
        kind="consistency",
        sources=(Source("example", "4.9"),),
    ),
    "ex_4_9_dynamics": Check(
        "Example 4.9: on GR data AdamProxy converges in direction to the l2 max-margin solution",
        ("gr_adam",),
        ("gr",),
        ex_4_9_dynamics,
        sources=(Source("example", "4.9"),),
        drawn_by="fig2",
    ),
    "ex_4_11": Check(
        "Example 4.11: on shifted-diagonal data c = e_0 is the fixed point and w_fp is the linf solution",
        (),
        ("shifted_diagonal",),
        ex_4_11,
        kind="consistency",
        sources=(Source("example", "4.11"),),
    ),
    "fig4": Check(
        "Fig 4: on shifted-diagonal data AdamProxy and batch-size-1 Adam -> linf max-margin; GD -> l2",
        ("shifted_diagonal_adam",),
        ("shifted_diagonal",),
        fig4,
        sources=(Source("figure", "4"),),
        drawn_by="fig4",
    ),
    "alg_3": Check(
        "App C: Algorithm 3 converges within 20 iterations in all settings",
        (),
        ("gaussian", "gr", "shifted_diagonal"),
        alg_3,
        sources=(Source("algorithm", "3"),),
    ),
    "fp_kkt": Check(
        "Thm 4.8: the fixed point Alg. 3 returns is a KKT point of P(c*)",
        (),
        ("gaussian", "gr", "shifted_diagonal"),
        fp_kkt,
        kind="consistency",
        sources=(Source("definition", "4.6"),),
    ),
    "thm_4_8": Check(
        "Thm 4.8 / Example 4.10: on Gaussian data AdamProxy converges in direction to the fixed point of Alg. 3",
        ("gaussian_adam",),
        ("gaussian",),
        thm_4_8,
        sources=(Source("theorem", "4.8"),),
        drawn_by="fig3",
    ),
    "fig3": Check(
        "Fig 3: on Gaussian data batch-size-1 Adam at (beta1, beta2) = (0.9, 0.95) converges in direction to the "
        "fixed point of Alg. 3",
        ("gaussian_adam",),
        ("gaussian",),
        fig3,
        sources=(Source("figure", "3"),),
        drawn_by="fig3",
    ),
    "lemma_4_5": Check(
        "Lemma 4.5: AdamProxy's limit satisfies w ~ D(c)^-1 sum_i c_i x_i with c supported on the support vectors",
        ("gaussian_adam",),
        ("gaussian",),
        lemma_4_5,
        kind="consistency",
        sources=(Source("lemma", "4.5"),),
    ),
    "fig6": Check(
        "Fig 6: Inc-Adam's linf alignment grows with the batch size; b = N recovers full batch",
        ("gaussian_adam_batch",),
        ("gaussian",),
        fig6,
        sources=(Source("figure", "6"),),
        drawn_by="fig6",
    ),
    "thm_5_1": Check(
        "Thm 5.1: Signum with beta = 0.99 reaches the linf max margin (normalised margin) at every batch size",
        ("gaussian_signum",),
        ("gaussian",),
        thm_5_1,
        sources=(Source("theorem", "5.1"),),
        drawn_by="fig5",
    ),
    "fig5": Check(
        "Fig 5: Signum with beta = 0.99 converges in direction to the linf max-margin solution at every batch size",
        ("gaussian_signum",),
        ("gaussian",),
        fig5,
        sources=(Source("figure", "5"),),
        drawn_by="fig5",
    ),
    "fig9": Check(
        "Thm 3.3 / Fig 9: on GR data Inc-Adam -> l2 max-margin for every (beta1, beta2) of the grid",
        ("gr_beta_grid",),
        ("gr",),
        fig9,
        sources=(Source("figure", "9"),),
        drawn_by="fig9",
    ),
    "fig10": Check(
        "Fig 10: at batch size 1 Signum needs beta close to 1 to keep the linf bias",
        ("gaussian_signum_grid",),
        ("gaussian",),
        fig10,
        sources=(Source("figure", "10"),),
        drawn_by="fig10",
    ),
    "signsgd": Check(
        "App G: SignSGD (beta = 0, b = 1) moves along sum_i sign(x_i) (by algebra)",
        ("gaussian_signum",),
        ("gaussian",),
        signsgd,
        kind="consistency",
        sources=(Source("appendix", "G"),),
    ),
    "prop_4_1": Check(
        "Prop 4.1 / Fig 7: with beta2 close to 1, beta1 does not change the limit, the fixed point of Alg. 3",
        ("gaussian_beta1_sweep",),
        ("gaussian",),
        prop_4_1,
        sources=(Source("figure", "7"),),
        drawn_by="fig7",
    ),
    "fig8": Check(
        "Fig 8: with beta1 fixed, the smaller beta2, the further from the fixed point the run settles",
        ("gaussian_beta2_sweep",),
        ("gaussian",),
        fig8,
        sources=(Source("figure", "8"),),
        drawn_by="fig8",
    ),
    "lemma_a1": Check(
        "Lemma A.1 (eq. 8): at finite beta2 Inc-Adam's limit is parallel to its own epoch direction, not to eq. 5",
        ("gaussian_adam", "gaussian_beta1_sweep", "gaussian_beta2_sweep"),
        ("gaussian",),
        lemma_a1,
        kind="consistency",
        sources=(Source("lemma", "A.1"),),
        drawn_by="fig8",
    ),
    "prop_4_3": Check(
        "Prop 4.3: AdamProxy drives the training loss to 0",
        PROXY_EXPERIMENTS,
        (),
        prop_4_3,
        sources=(Source("proposition", "4.3"),),
    ),
    "loss_sanity": Check(
        "Every run's training loss still falls at T (SignSGD aside)",
        ALL_EXPERIMENTS,
        (),
        loss_sanity,
        kind="consistency",
        sources=(Source("proposition", "4.3"),),
    ),
    "logistic_loss": Check(
        "Logistic loss: Det-Adam -> linf, AdamProxy -> the fixed point, Inc-Adam on GR -> l2",
        ("gaussian_variants", "gr_variants"),
        ("gaussian", "gr"),
        logistic_loss,
        sources=(Source("assumption", "2.1"),),
    ),
    "decay_a": Check(
        "eta_t ~ t^(-2/3): Det-Adam -> linf, AdamProxy -> the fixed point, Inc-Adam on GR -> l2",
        ("gaussian_variants", "gr_variants"),
        ("gaussian", "gr"),
        decay_a,
        sources=(Source("assumption", "2.3"),),
    ),
}
