"""Theorem checks of baek2025 (spec §6): each reads artifacts, measures, and states its criteria.

A check never passes by construction: every verdict is `measured <op> threshold` on numbers read from the run,
reference and metric artifacts of the pipeline. Each check returns (measured, criteria); a `Criterion` carries its
threshold (the spec's pass criteria, or a stated tolerance) and the reason for it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ...checks import ALL_EXPERIMENTS, Artifacts, Check, Criterion, Verdict
from ...fixed_point import solve_proxy_problem
from ...losses import scaled_gradient
from ...margins import cosine
from ...optimizers import step_size
from ...theory import adam_update_bound, inc_adam_epoch_direction, sign_sum_direction, signgd_condition

__all__ = ["CHECKS"]


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


def prop_2_5(art: Artifacts) -> Verdict:
    """Inc-Adam's epoch update matches −η_{rN}·(Prop. 2.5 formula), with an error that shrinks like η_{rN}.

    The spec's thresholds (0.05 at r = 1e3, 0.02 at r = 1e4) were observed on a single data set; we apply them to
    the mean over data seeds and report every seed. The O(η) rate is checked per seed: from r = 1e3 to 1e4, η falls
    by √10, so the error must fall by at least 0.8·√10.
    """
    exp, run = "gaussian_adam", "inc_adam"
    runs, X = art.runs(exp), art.data("gaussian")["X"]
    b1, b2 = _run_setting(art, exp, run, "beta1"), _run_setting(art, exp, run, "beta2")
    lr, decay = _run_setting(art, exp, run, "lr"), _run_setting(art, exp, run, "decay")
    steps, W = runs[f"{run}__steps"], runs[f"{run}__w"]
    N = X.shape[1]
    errors = {}
    for r in _run_setting(art, exp, run, "log_epochs"):
        i0, i1 = np.searchsorted(steps, r * N), np.searchsorted(steps, (r + 1) * N)
        errs = []
        for s in range(X.shape[0]):
            actual = W[s, i1] - W[s, i0]
            eta = step_size(r * N, lr, decay)
            predicted = -eta * inc_adam_epoch_direction(X[s], W[s, i0], b1, b2)
            errs.append(np.linalg.norm(actual - predicted) / np.linalg.norm(actual))
        errors[int(r)] = np.array(errs)
    measured = {f"relative error at epoch {r} (per seed)": e.tolist() for r, e in errors.items()}
    measured.update({f"mean relative error at epoch {r}": float(e.mean()) for r, e in errors.items()})
    ratio_key = "error ratio r=1e3 / r=1e4 (per seed)"
    if 1000 in errors and 10000 in errors:
        measured[ratio_key] = (errors[1000] / errors[10000]).tolist()
    for r in (1000, 10000):  # an epoch the run did not log is a failure, not a missing criterion
        measured.setdefault(f"mean relative error at epoch {r}", float("nan"))
    measured.setdefault(ratio_key, [])
    criteria = [
        Criterion("mean relative error at epoch 1000", "<", 0.05, "the spec's pass level at r = 1e3 (observed 0.040)"),
        Criterion("mean relative error at epoch 10000", "<", 0.02, "the spec's pass level at r = 1e4 (observed 0.012)"),
        Criterion(
            ratio_key,
            ">",
            float(0.8 * np.sqrt(10)),
            "Prop. 2.5's O(eta_rN) error: eta falls by sqrt(10) from r = 1e3 to 1e4; 0.8 is slack for higher orders",
            each=True,
        ),
    ]
    return measured, criteria


def prop_2_4(art: Artifacts) -> Verdict:
    """Det-Adam ≈ SignGD: |d_t[k] − sign(∇L(w_t)[k])| → 0 on coordinates where η_t^{1/2}L/|∇L[k]| is small.

    The proposition is a limit statement; we measure, per logged step, the largest deviation over the coordinates
    whose ratio is below 0.1, and require it to shrink window by window and to be below 0.05 in the last half.
    """
    exp, run = "gaussian_adam", "det_adam"
    runs, X = art.runs(exp), art.data("gaussian")["X"]
    lr, decay = _run_setting(art, exp, run, "lr"), _run_setting(art, exp, run, "decay")
    steps, W, D = runs[f"{run}__steps"], runs[f"{run}__w"], runs[f"{run}__direction"]
    T = steps[-1]
    windows = [(T / 1000, T / 100), (T / 100, T / 10), (T / 10, T / 2), (T / 2, T)]
    medians, fractions = [], []
    for lo, hi in windows:
        devs, frac = [], []
        for s in range(X.shape[0]):
            for j in np.flatnonzero((steps >= lo) & (steps < hi)):
                eta = step_size(steps[j], lr, decay)
                _, ghat, _ = scaled_gradient(X[s], W[s, j])
                mask = signgd_condition(X[s], W[s, j], eta) < np.log(0.1)
                frac.append(mask.mean())
                if mask.any():
                    devs.append(np.max(np.abs(D[s, j][mask] - np.sign(ghat[mask]))))
        medians.append(float(np.median(devs)) if devs else float("nan"))
        fractions.append(float(np.mean(frac)))
    measured = {}
    for (lo, hi), med, frac in zip(windows, medians, fractions):
        measured[f"t in [{lo:.0f}, {hi:.0f}): median max deviation"] = med
        measured[f"t in [{lo:.0f}, {hi:.0f}): fraction of coordinates with ratio < 0.1"] = frac
    last = f"t in [{windows[-1][0]:.0f}, {windows[-1][1]:.0f}): median max deviation"
    finite = [m for m in medians if np.isfinite(m)]
    decreasing = "median max deviation decreasing window by window"
    measured[decreasing] = len(finite) >= 2 and bool(np.all(np.diff(finite) < 0))
    criteria = [
        Criterion(last, "<", 0.05, "the spec's pass level 'below 0.05 late in training' (last half of the run)"),
        Criterion(decreasing, "==", True, "Prop. 2.4 is a limit: the deviation tends to 0 as eta_t -> 0"),
    ]
    return measured, criteria


def thm_3_3(art: Artifacts) -> Verdict:
    """GR data: every batch-size-1 Adam → ℓ2 max-margin, Det-Adam → ℓ∞ max-margin, loss falling (Thm 3.3, Fig. 2)."""
    df = art.metrics("gr_adam")
    measured = {
        f"{r} cos(l2)": float(_final(df, r, "cos_l2").min()) for r in ("inc_adam", "adam_replacement", "adam_reshuffle")
    }
    measured["det_adam cos(linf)"] = float(_final(df, "det_adam", "cos_linf").min())
    criteria = [Criterion(key, ">", 0.999, "the spec's pass level for Fig. 2") for key in list(measured)]
    falling = {
        r: bool(np.all(_final(df, r, "log_loss") < _at_fraction(df, r, "log_loss", 0.1))) for r in df["run"].unique()
    }
    measured["log L(T) < log L(T/10) for every run"] = all(falling.values())
    criteria.append(
        Criterion("log L(T) < log L(T/10) for every run", "==", True, "the spec's 'the loss is falling' (Prop. 4.3)")
    )
    return measured, criteria


def ex_4_9(art: Artifacts) -> Verdict:
    """GR: Algorithm 3's fixed point is the ℓ2 max-margin solution, found within 3 iterations (Example 4.9)."""
    refs = art.refs("gr")
    cos = float(cosine(refs["w_fp"][0], refs["w_l2"][0]))
    its = int(refs["fp_iterations"][0])
    measured = {"cos(w_fp, w_l2)": cos, "iterations": its, "converged": bool(refs["fp_converged"][0])}
    criteria = [
        Criterion("cos(w_fp, w_l2)", ">", 0.9999, "the spec's pass level for Example 4.9"),
        Criterion("iterations", "<=", 3, "the spec's 'within 3 iterations'"),
        Criterion("converged", "==", True, "Alg. 3 met its own stopping tolerance (an engineering tolerance)"),
    ]
    return measured, criteria


def ex_4_11(art: Artifacts) -> Verdict:
    """Shifted-diagonal: Alg. 3 from uniform c reaches c = e_0, w_fp ∝ 𝟙, λ*(e_0) = e_0/(1+(N−1)δ) (Example 4.11)."""
    refs, X = art.refs("shifted_diagonal"), art.data("shifted_diagonal")["X"][0]
    delta = art.dataset_spec("shifted_diagonal")["delta"]
    n = X.shape[0]
    e0 = np.eye(n)[0]
    c_err = float(np.abs(refs["c_fp"][0] - e0).sum())
    cos_one = float(cosine(refs["w_fp"][0], np.ones(n)))
    _, lam = solve_proxy_problem(X, e0)
    lam_err = float(np.abs(lam - e0 / (X[0, 0] + (n - 1) * delta)).max())
    its = int(refs["fp_iterations"][0])
    measured = {
        "||c - e0||_1": c_err,
        "iterations": its,
        "cos(w_fp, 1)": cos_one,
        "1 - cos(w_fp, 1)": 1 - cos_one,
        "max|lambda*(e0) - e0/(a0+(N-1)delta)|": lam_err,
    }
    criteria = [
        Criterion("||c - e0||_1", "<", 1e-6, "the spec's pass level for Example 4.11"),
        Criterion("iterations", "<=", 20, "the spec's 'within 20 iterations'"),
        Criterion(
            "1 - cos(w_fp, 1)", "<", 1e-9, "w_fp is exactly proportional to 1 (Example 4.11): floating-point identity"
        ),
        Criterion(
            "max|lambda*(e0) - e0/(a0+(N-1)delta)|",
            "<",
            1e-6,
            "closed form of Example 4.11 against the QP solution: an engineering (solver) tolerance",
        ),
    ]
    return measured, criteria


def fig4(art: Artifacts) -> Verdict:
    """Shifted-diagonal: AdamProxy and the batch-size-1 variants → ℓ∞ max-margin; GD → ℓ2 (slowly)."""
    df = art.metrics("shifted_diagonal_adam")
    measured = {
        f"{r} cos(linf)": float(_final(df, r, "cos_linf").min())
        for r in ("adam_proxy", "inc_adam", "adam_replacement", "adam_reshuffle")
    }
    criteria = [Criterion(key, ">", 0.999, "the spec's pass level for Fig. 4") for key in list(measured)]
    measured["gd cos(l2)"] = float(_final(df, "gd", "cos_l2").min())
    criteria.append(
        Criterion("gd cos(l2)", ">", 0.98, "the spec's pass level for GD, lower because GD's ℓ2 rate is 1/log t")
    )
    return measured, criteria


def thm_4_8(art: Artifacts) -> Verdict:
    """Gaussian: Alg. 3 converges to a KKT point distinct from ℓ2; AdamProxy and bs1 Adam converge to it (Fig. 3)."""
    refs, df = art.refs("gaussian"), art.metrics("gaussian_adam")
    cos_fp_l2 = np.array([cosine(a, b) for a, b in zip(refs["w_fp"], refs["w_l2"])])
    measured = {
        "max fixed-point iterations": int(refs["fp_iterations"].max()),
        "all converged": bool(refs["fp_converged"].all()),
        "max KKT residual": float(refs["fp_kkt_residual"].max()),
        "min cos(w_fp, w_l2)": float(cos_fp_l2.min()),
        "max cos(w_fp, w_l2)": float(cos_fp_l2.max()),
    }
    criteria = [
        Criterion("max fixed-point iterations", "<=", 20, "the spec's 'converges in <= 20 iterations'"),
        Criterion("all converged", "==", True, "Alg. 3 met its own stopping tolerance (an engineering tolerance)"),
        Criterion("max KKT residual", "<", 1e-6, "the spec's level, a solver tolerance: w_fp is a KKT point"),
        Criterion("min cos(w_fp, w_l2)", ">", 0.9, "the spec's lower bound (the spec observed 0.95-0.98)"),
        Criterion("max cos(w_fp, w_l2)", "<", 0.995, "the spec's bound: the fixed point is distinct from ℓ2"),
    ]
    for r in ("adam_proxy", "inc_adam", "adam_replacement", "adam_reshuffle"):
        fp, l2 = _final(df, r, "cos_fp"), _final(df, r, "cos_l2")
        measured[f"{r} min cos(fp)"] = float(fp.min())
        measured[f"{r} min cos(fp) - cos(l2)"] = float((fp - l2).min())
        criteria += [
            Criterion(f"{r} min cos(fp)", ">", 0.995, "the spec's pass level at T = 1e5 (Thm 4.8 / Fig. 3)"),
            Criterion(f"{r} min cos(fp) - cos(l2)", ">", 0.0, "the spec's cos(fp) > cos(ℓ2): closer to fp than to ℓ2"),
        ]
    measured["det_adam min cos(linf)"] = float(_final(df, "det_adam", "cos_linf").min())
    criteria.append(Criterion("det_adam min cos(linf)", ">", 0.99, "the spec's pass level for Det-Adam -> ℓ∞"))
    return measured, criteria


def fig6(art: Artifacts) -> Verdict:
    """Inc-Adam: cos to ℓ∞ grows with the batch size, and b = N recovers full-batch Adam (Fig. 6)."""
    df = art.metrics("gaussian_adam_batch")
    runs = list(art.experiment("gaussian_adam_batch")["runs"])
    sizes = [_run_setting(art, "gaussian_adam_batch", r, "batch_size") or 10 for r in runs]
    order = np.argsort(sizes)
    means = [float(_final(df, runs[i], "cos_linf").mean()) for i in order]
    measured = {f"b={sizes[i]} mean cos(linf)": m for i, m in zip(order, means)}
    largest = f"b={sizes[order[-1]]} mean cos(linf)"
    measured["strictly increasing in b"] = bool(np.all(np.diff(means) > 0))
    criteria = [
        Criterion("strictly increasing in b", "==", True, "the spec's 'strictly increasing in b' (Fig. 6)"),
        Criterion(largest, ">", 0.99, "the spec's level for b = N, which is full-batch Det-Adam -> ℓ∞"),
    ]
    return measured, criteria


def thm_5_1(art: Artifacts) -> Verdict:
    """Signum (β = 0.99) keeps the ℓ∞ bias at every batch size: normalised ℓ∞ margin → γ_∞ (Thm 5.1, Fig. 5).

    Eq. 7 is a statement on the margin, asserted for every seed. The spec's extra cos(ℓ∞) > 0.98 (observed on one
    data set) is asserted on the seed mean: on some seeds the ℓ∞ LP is nearly degenerate, so the margin converges
    while the cosine to the LP's solution plateaus (see README, "Notes on the checks").
    """
    df = art.metrics("gaussian_signum")
    measured, criteria = {}, []
    for r in ("signum_b10", "signum_b5", "signum_b2", "signum_b1"):
        gap_end, gap_mid = _final(df, r, "gap_linf"), _at_fraction(df, r, "gap_linf", 0.1)
        cos = _final(df, r, "cos_linf")
        measured[f"{r} max gap"] = float(gap_end.max())
        measured[f"{r} gap decreasing (T/10 -> T)"] = bool(np.all(gap_end < gap_mid))
        measured[f"{r} cos(linf) per seed"] = cos.tolist()
        measured[f"{r} mean cos(linf)"] = float(cos.mean())
        criteria += [
            Criterion(
                f"{r} max gap", "<=", 0.02, "the spec's margin >= 0.98·gamma_inf, gap = 1 - margin/gamma_inf (eq. 7)"
            ),
            Criterion(f"{r} gap decreasing (T/10 -> T)", "==", True, "Thm 5.1: the normalised margin -> gamma_inf"),
            Criterion(f"{r} mean cos(linf)", ">", 0.98, "the spec's cos(ℓ∞) > 0.98, on the seed mean (see README)"),
        ]
    return measured, criteria


def fig10(art: Artifacts) -> Verdict:
    """Inc-Signum at b = 1: β = 0.9 loses the ℓ∞ bias that β = 0.99 keeps (Fig. 10)."""
    df = art.metrics("gaussian_signum_grid")
    lo, hi = _final(df, "b1_beta09", "cos_linf"), _final(df, "b1_beta099", "cos_linf")
    measured = {
        "b=1 beta=0.9 mean cos(linf)": float(lo.mean()),
        "b=1 beta=0.99 mean cos(linf)": float(hi.mean()),
        "difference": float(hi.mean() - lo.mean()),
    }
    return measured, [Criterion("difference", ">=", 0.05, "the spec's 'a difference of at least 0.05 in cos(ℓ∞)'")]


def signsgd(art: Artifacts) -> Verdict:
    """SignSGD (β = 0, b = 1) converges in direction to Σ_i sign(x_i), neither ℓ2 nor ℓ∞ (App. G)."""
    runs, X = art.runs("gaussian_signum"), art.data("gaussian")["X"]
    cos = np.array([cosine(runs["signsgd__w"][s, -1], sign_sum_direction(X[s])) for s in range(X.shape[0])])
    key = "min cos(w_T, sum_i sign(x_i))"
    return {key: float(cos.min())}, [Criterion(key, ">", 0.999, "the spec's pass level for App. G's limit direction")]


def prop_4_1(art: Artifacts) -> Verdict:
    """β2 → 1: β1 drops out; every β1 tracks the fixed point (Prop. 4.1, Fig. 7)."""
    df = art.metrics("gaussian_beta1_sweep")
    measured = {
        f"{r} min cos(fp)": float(_final(df, r, "cos_fp").min()) for r in art.experiment("gaussian_beta1_sweep")["runs"]
    }
    criteria = [Criterion(key, ">", 0.99, "the spec's pass level for Fig. 7 (beta2 = 0.999)") for key in measured]
    return measured, criteria


def fig8(art: Artifacts) -> Verdict:
    """β1 fixed, β2 varied: cos to the fixed point is non-decreasing in β2 (Fig. 8)."""
    exp = "gaussian_beta2_sweep"
    df = art.metrics(exp)
    runs = sorted(art.experiment(exp)["runs"], key=lambda r: _run_setting(art, exp, r, "beta2"))
    means = [float(_final(df, r, "cos_fp").mean()) for r in runs]
    measured = {f"beta2={_run_setting(art, exp, r, 'beta2')} mean cos(fp)": m for r, m in zip(runs, means)}
    measured["non-decreasing in beta2"] = bool(np.all(np.diff(means) >= 0))
    return measured, [Criterion("non-decreasing in beta2", "==", True, "the spec's 'monotone non-decreasing' (Fig. 8)")]


def loss_convergence(art: Artifacts) -> Verdict:
    """L(w_t) decreases towards 0 for every Adam/Signum/GD run of every experiment (Prop. 4.3).

    SignSGD (Signum with β = 0) is outside the claim: Thm 5.1 needs β ≥ β0, and its limit direction Σ_i sign(x_i)
    need not separate the data (App. G), so its loss may grow; it is reported, not asserted.
    """
    measured, ends, falling = {}, [], True
    for exp in art.experiments:
        df = art.metrics(exp)
        for r in df["run"].unique():
            settings = art.run_settings(exp, r)
            if settings["optimizer"] == "signum" and settings["beta1"] == 0.0:
                measured[f"{exp}/{r} (SignSGD, not asserted) max log L(T)"] = float(_final(df, r, "log_loss").max())
                continue
            end, mid = _final(df, r, "log_loss"), _at_fraction(df, r, "log_loss", 0.1)
            measured[f"{exp}/{r} max log L(T)"] = float(end.max())
            ends.append(end)
            falling &= bool(np.all(end < mid))
    measured["log L(T) < log L(T/10), every asserted run and seed"] = falling
    largest = "max log L(T) over asserted runs"
    measured[largest] = float(np.max(np.concatenate(ends))) if ends else float("nan")  # NaN propagates: fails
    criteria = [
        Criterion("log L(T) < log L(T/10), every asserted run and seed", "==", True, "Prop. 4.3: the loss decreases"),
        Criterion(
            largest,
            "<",
            float(np.log(1e-3)),
            "Prop. 4.3's L -> 0 made concrete as L(T) < 1e-3 (the spec gives no level)",
        ),
    ]
    return measured, criteria


CHECKS = {
    "lemma_d1": Check(
        "Lemma D.1: |m_t/sqrt(v_t)| <= (1-b1)/sqrt((1-b2)(1-b1^2/b2)) for Det-Adam and Inc-Adam",
        ("gaussian_adam", "gr_adam"),
        (),
        lemma_d1,
        kind="consistency",
        figure="Lemma D.1",
    ),
    "prop_2_5": Check(
        "Prop 2.5: Inc-Adam's epoch update follows the weighted preconditioned formula, error O(eta)",
        ("gaussian_adam",),
        ("gaussian",),
        prop_2_5,
        figure="Prop. 2.5",
    ),
    "prop_2_4": Check(
        "Prop 2.4: Det-Adam's step tends to a SignGD step on coordinates meeting the condition",
        ("gaussian_adam",),
        ("gaussian",),
        prop_2_4,
        figure="Prop. 2.4",
    ),
    "thm_3_3": Check(
        "Thm 3.3 / Fig 2: on GR data batch-size-1 Adam -> l2 max-margin, Det-Adam -> linf max-margin",
        ("gr_adam",),
        ("gr",),
        thm_3_3,
        figure="Fig. 2",
    ),
    "ex_4_9": Check(
        "Example 4.9: on GR data the AdamProxy fixed point is the l2 max-margin solution",
        (),
        ("gr",),
        ex_4_9,
        kind="consistency",
        figure="Example 4.9",
    ),
    "ex_4_11": Check(
        "Example 4.11: on shifted-diagonal data c = e_0 is the fixed point and w_fp is the linf solution",
        (),
        ("shifted_diagonal",),
        ex_4_11,
        figure="Example 4.11",
    ),
    "fig4": Check(
        "Fig 4: on shifted-diagonal data AdamProxy and batch-size-1 Adam -> linf max-margin; GD -> l2",
        ("shifted_diagonal_adam",),
        ("shifted_diagonal",),
        fig4,
        figure="Fig. 4",
    ),
    "thm_4_8": Check(
        "Thm 4.8 / Fig 3: on Gaussian data Alg. 3 finds a fixed point, distinct from l2, that "
        "AdamProxy and batch-size-1 Adam converge to",
        ("gaussian_adam",),
        ("gaussian",),
        thm_4_8,
        figure="Fig. 3",
    ),
    "fig6": Check(
        "Fig 6: Inc-Adam's linf alignment grows with the batch size; b = N recovers full batch",
        ("gaussian_adam_batch",),
        ("gaussian",),
        fig6,
        figure="Fig. 6",
    ),
    "thm_5_1": Check(
        "Thm 5.1 / Fig 5: Signum with beta = 0.99 reaches the linf max-margin at every batch size",
        ("gaussian_signum",),
        ("gaussian",),
        thm_5_1,
        figure="Fig. 5",
    ),
    "fig10": Check(
        "Fig 10: at batch size 1 Signum needs beta close to 1 to keep the linf bias",
        ("gaussian_signum_grid",),
        ("gaussian",),
        fig10,
        figure="Fig. 10",
    ),
    "signsgd": Check(
        "App G: SignSGD (beta = 0, b = 1) converges in direction to sum_i sign(x_i)",
        ("gaussian_signum",),
        ("gaussian",),
        signsgd,
        figure="App. G",
    ),
    "prop_4_1": Check(
        "Prop 4.1 / Fig 7: with beta2 close to 1, every beta1 converges to the fixed point",
        ("gaussian_beta1_sweep",),
        ("gaussian",),
        prop_4_1,
        figure="Fig. 7",
    ),
    "fig8": Check(
        "Fig 8: with beta1 fixed, cos to the fixed point is non-decreasing in beta2",
        ("gaussian_beta2_sweep",),
        ("gaussian",),
        fig8,
        figure="Fig. 8",
    ),
    "loss_convergence": Check(
        "Prop 4.3: the training loss decreases towards 0 for every algorithm",
        ALL_EXPERIMENTS,
        (),
        loss_convergence,
        figure="Prop. 4.3",
    ),
}
