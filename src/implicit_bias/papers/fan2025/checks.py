"""Theorem checks of fan2025 (spec §5, C1–C11): each reads artifacts, measures, and states its criteria.

A check never passes by construction: every verdict is `measured <op> threshold` on numbers read from the data,
reference, run and metric artifacts of the pipeline, one `Criterion` per comparison with the reason for its
threshold. Thresholds are the spec's proposed pass criteria unless a reason says otherwise (and why).
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import stats
from scipy.special import logsumexp

from ... import multiclass as mc
from ...checks import Artifacts, Check, Criterion, Verdict
from ...optimizers import learning_rate
from .experiments import norm_name

__all__ = ["CHECKS", "loglog_slope"]

REL_TOL = 1e-9  # C1/C2: relative tolerance of an inequality
LEMMA_SAMPLES = 1000  # C1: matrices per data set (half random, half near V_inf), scales 1e-3 .. 30


# ---------------------------------------------------------------------------------------------------- helpers
def _metrics(art, exp) -> pd.DataFrame:
    return art.metrics(exp)


def _keys(art, exp):
    return [tuple(k) for k in art.record("runs", exp)["meta"]["datasets"]]


def _ds_name(key) -> str:
    return f"k{key[0]}_s{key[1]}"


def _table(df, run, metric) -> pd.DataFrame:
    """step × seed table of a metric (step > 0)."""
    sub = df[(df["run"] == run) & (df["step"] > 0)]
    return sub.pivot_table(index="step", columns="seed", values=metric)


def _nearest(table: pd.DataFrame, step) -> pd.Series:
    idx = table.index.to_numpy()
    return table.loc[idx[np.argmin(np.abs(np.log(idx) - np.log(step)))]]


def loglog_slope(steps: ArrayLike, values: ArrayLike, lo: float, hi: float) -> tuple[float, list[float], int]:
    """OLS slope of log(values) on log(steps) over lo ≤ step ≤ hi, with a 95% confidence interval.

    The residuals of a trajectory are autocorrelated, so the interval is indicative (it is reported, not used as a
    pass criterion on its own).
    """
    steps, values = np.asarray(steps, float), np.asarray(values, float)
    keep = (steps >= lo) & (steps <= hi) & (values > 0) & np.isfinite(values)
    x, y = np.log(steps[keep]), np.log(values[keep])
    res = stats.linregress(x, y)
    half = stats.t.ppf(0.975, max(x.size - 2, 1)) * res.stderr
    return float(res.slope), [float(res.slope - half), float(res.slope + half)], int(x.size)


def _lr(art, exp, run):
    s = art.run_settings(exp, run)
    return float(s["lr"]), float(s["decay"])


# ---------------------------------------------------------------------------------------------------- C1
def _lemma_values(H, y, W, loss, gammas, B):
    """Per matrix: log L, log G, log ‖∇L‖_q for each reference norm p (q dual), min margin."""
    U = mc.log_weights(W, H, y, loss)
    n = H.shape[0]
    C = float(U.max())
    R = np.exp(U - C)
    R[np.arange(n), y] = -R.sum(axis=1)
    ghat = (R.T @ H) / n
    log_g = float(logsumexp(U) - np.log(n))
    out = {"log_L": mc.log_loss(W, H, y, loss), "log_G": log_g, "min_margin": mc.min_margin(W, H, y)}
    a = np.abs(ghat).ravel()
    top = a.max()
    for name in gammas:
        if name == "inf":
            qn = a.sum()  # dual of max is sum
        elif float(name) == 1.0:
            qn = top
        else:
            p = float(name)
            q = p / (p - 1.0)
            qn = top * np.sum((a / top) ** q) ** (1.0 / q)
        out[f"log_grad_q_{name}"] = C + np.log(qn)
    out["log_grad_sum"] = C + np.log(a.sum())
    return out


def c1_lemmas(art: Artifacts) -> Verdict:
    """Lemmas 4.1 (and E.1 for every reference norm), 4.2, 4.3 (i)-(iii), B.4 on random and near-V_∞ matrices."""
    violations = dict.fromkeys(("4.1/E.1", "4.2", "4.3(i)", "4.3(ii)", "4.3(iii)", "B.4"), 0)
    counts = dict.fromkeys(violations, 0)
    for key in _keys(art, "main"):
        data, refs = art.data(_ds_name(key)), art.refs(_ds_name(key))
        H, y = data["H"], data["y"]
        k, d = int(y.max()) + 1, H.shape[1]
        n = H.shape[0]
        B = float(refs["B"])
        gammas = {kk[len("gamma_") :]: float(refs[kk]) for kk in refs if kk.startswith("gamma_")}
        rng = np.random.default_rng(np.random.SeedSequence([1, *key]))
        scales = np.exp(rng.uniform(np.log(1e-3), np.log(30.0), LEMMA_SAMPLES))
        for j in range(LEMMA_SAMPLES):
            Z = rng.standard_normal((k, d))
            if j % 2:
                W = refs["V_inf"] + 0.05 * Z  # near V_∞ (separating, margins up to γ_∞·scale)
            else:
                W = Z / np.abs(Z).max()
            W = scales[j] * W / np.abs(W).max()
            for loss in mc.MC_LOSSES:
                v = _lemma_values(H, y, W, loss, gammas, B)
                for name, gam in gammas.items():  # ‖∇L‖_q ≥ γ_p G (Lemma 4.1 for p = ∞, E.1 otherwise)
                    counts["4.1/E.1"] += 1
                    violations["4.1/E.1"] += v[f"log_grad_q_{name}"] < np.log(gam) + v["log_G"] + np.log1p(-REL_TOL)
                counts["4.3(i)"] += 1  # 2B·G ≥ ‖∇L‖_sum
                violations["4.3(i)"] += v["log_grad_sum"] > np.log(2 * B) + v["log_G"] + np.log1p(REL_TOL)
                counts["B.4"] += 1
                if v["log_L"] < np.log(np.log(2) / n):
                    violations["B.4"] += not v["min_margin"] > 0
                if loss == "ce":
                    L, ratio = np.exp(v["log_L"]), np.exp(v["log_G"] - v["log_L"])
                    counts["4.3(ii)"] += 1  # 1 ≥ G/L ≥ 1 − nL/2
                    violations["4.3(ii)"] += (ratio > 1 + REL_TOL) or (ratio < (1 - n * L / 2) - REL_TOL)
                    if np.log(2) / n >= L or np.exp(v["log_G"]) <= 1 / (2 * n):
                        counts["4.3(iii)"] += 1  # L ≤ 2G
                        violations["4.3(iii)"] += v["log_L"] > np.log(2) + v["log_G"] + np.log1p(REL_TOL)
            # Lemma 4.2 on the softmax of a random sample's logits: vᵀ(diag(s) − ssᵀ)v ≤ 4(1 − s_c)‖v‖_∞² for all c
            zlog = W @ H[j % n]
            s = np.exp(zlog - logsumexp(zlog))
            vv = rng.standard_normal(k)
            # vᵀ(diag(s) − ssᵀ)v in its variance form Σ_i s_i (v_i − sᵀv)²: the same number, without the cancellation
            # of vᵀdiag(s)v − (sᵀv)² that leaves an O(1e-16‖v‖²) rounding error when s is nearly one-hot, far above
            # the right-hand side 4(1 − s_c)‖v‖² there (a false violation seen on data seed 4)
            lhs = s @ (vv - s @ vv) ** 2
            one_minus = np.array([np.sum(np.delete(s, c)) for c in range(k)])
            counts["4.2"] += k
            violations["4.2"] += int(np.sum(lhs > 4 * one_minus * np.max(np.abs(vv)) ** 2 * (1 + REL_TOL) + 1e-300))
    measured, criteria = {}, []
    for name in violations:
        measured[f"violations {name}"] = int(violations[name])
        measured[f"cases {name}"] = int(counts[name])
        criteria += [
            Criterion(f"violations {name}", "==", 0, f"Lemma {name} is proved for every W (spec C1: zero violations)"),
            Criterion(f"cases {name}", ">", 0, "a lemma tested on no case is not a pass"),
        ]
    return measured, criteria


# ---------------------------------------------------------------------------------------------------- C2
def c2_descent(art: Artifacts) -> Verdict:
    """Descent inequality (8) with the true γ_∞, B, α_s1 at every SignGD step; the loss never increases.

    With η_t = lr·(t+2)^(−1/2), α_s1·η_t ≤ 1/2 first holds at t ≈ (2α_s1·lr)² ~ 10⁷–10⁸ (spec: 5.6·10⁷), so
    within T = 10⁴ the right-hand side exceeds L(W_t) and (8) reduces to monotone decrease; both are reported.
    """
    exp, run = "main", "signgd"
    lr, decay = _lr(art, exp, run)
    runs = art.runs(exp)
    logL, logG = runs[f"{run}__trace_log_loss"], runs[f"{run}__trace_log_proxy"]
    measured = {}
    total_viol = total_incr = 0
    first_sep, t0s = [], []
    for s_idx, key in enumerate(_keys(art, exp)):
        refs = art.refs(_ds_name(key))
        gamma, B = float(refs["gamma_inf"]), float(refs["B"])
        n = art.data(_ds_name(key))["H"].shape[0]
        T = logL.shape[1] - 1
        t = np.arange(T)
        eta = learning_rate(t, lr, decay)
        eta0 = float(learning_rate(0, lr, decay))
        alpha = 2 * B**2 * np.exp(2 * B * eta0) / gamma
        ratio_next = np.expm1(logL[s_idx, 1:] - logL[s_idx, :-1])  # L_{t+1}/L_t − 1
        rhs = -gamma * eta * (1 - alpha * eta) * np.exp(logG[s_idx, :-1] - logL[s_idx, :-1])
        total_viol += int(np.sum(ratio_next > rhs + REL_TOL))
        total_incr += int(np.sum(logL[s_idx, 1:] > logL[s_idx, :-1] + REL_TOL))
        below = np.nonzero(logL[s_idx] <= np.log(np.log(2) / n))[0]
        first_sep.append(int(below[0]) if below.size else -1)
        t0s.append(float((2 * alpha * lr) ** (1 / decay) - 2))
    measured["violations of (8)"] = total_viol
    measured["loss increases"] = total_incr
    measured["first t with L <= log2/n (per seed)"] = first_sep
    measured["theory t_0 (alpha_s1 eta_t <= 1/2), per seed"] = t0s
    criteria = [
        Criterion("violations of (8)", "==", 0, "(8) holds at every step (spec C2), up to a relative tolerance 1e-9"),
        Criterion(
            "loss increases",
            "==",
            0,
            "spec C2: the loss never increases (every step, every seed; engineering tolerance 1e-9 in log L)",
        ),
    ]
    return measured, criteria


# ---------------------------------------------------------------------------------------------------- C3-C5
def c3_signgd_linf(art: Artifacts) -> Verdict:
    """SignGD → γ_∞: relative max-norm gap ≤ 2% at T = 10⁴ and log-log slope ≤ −0.4 over [10³, 10⁴], every seed."""
    df = _metrics(art, "main")
    tab = _table(df, "signgd", "gap_inf")
    final = tab.iloc[-1]
    slopes = [loglog_slope(tab.index, tab[s], 1e3, 1e4) for s in tab.columns]
    measured = {
        "T": int(tab.index[-1]),
        "max-gap at T (per seed)": final.tolist(),
        "slope over [1e3, 1e4] (per seed)": [s[0] for s in slopes],
        "slope 95% CI (per seed)": [s[1] for s in slopes],
    }
    criteria = [
        Criterion("max-gap at T (per seed)", "<=", 0.02, "spec C3: relative max-gap <= 2% at 10^4", each=True),
        Criterion(
            "slope over [1e3, 1e4] (per seed)",
            "<=",
            -0.4,
            "spec C3: slope <= -0.4 (theory: -1/2 up to log factors, Cor. 5.4)",
            each=True,
        ),
    ]
    return measured, criteria


def c4_ngd_l2(art: Artifacts) -> Verdict:
    """NGD → γ_2: 2-gap ≤ 10% at T and decreasing (below its value at T/10), max-gap > 30%, every seed."""
    df = _metrics(art, "main")
    g2, gi = _table(df, "ngd", "gap_2"), _table(df, "ngd", "gap_inf")
    T = g2.index[-1]
    measured = {
        "T": int(T),
        "2-gap at T (per seed)": g2.iloc[-1].tolist(),
        "2-gap at T/10 (per seed)": _nearest(g2, T / 10).tolist(),
        "2-gap at T < 2-gap at T/10 (per seed)": [bool(b) for b in g2.iloc[-1] < _nearest(g2, T / 10)],
        "max-gap at T (per seed)": gi.iloc[-1].tolist(),
    }
    criteria = [
        Criterion("2-gap at T (per seed)", "<=", 0.10, "spec C4: 2-gap <= 10% at 10^4", each=True),
        Criterion("2-gap at T < 2-gap at T/10 (per seed)", "==", True, "spec C4: the 2-gap is decreasing", each=True),
        Criterion(
            "max-gap at T (per seed)",
            ">",
            0.30,
            "spec C4: the max-gap stays above 30% (NGD does not go to V_inf)",
            each=True,
        ),
    ]
    return measured, criteria


def c5_adam_linf(art: Artifacts) -> Verdict:
    """Adam (ε = 0, a = 2/3) to 10⁵: max-gap slope ≤ −1/3 over [10⁴, 10⁵] and max-gap < 2-gap at 10⁵, every seed."""
    df = _metrics(art, "long")
    gi, g2 = _table(df, "adam_eps0", "gap_inf"), _table(df, "adam_eps0", "gap_2")
    T = gi.index[-1]
    slopes = [loglog_slope(gi.index, gi[s], T / 10, T) for s in gi.columns]
    measured = {
        "T": int(T),
        "max-gap at T/10 (per seed)": _nearest(gi, T / 10).tolist(),
        "max-gap at T (per seed)": gi.iloc[-1].tolist(),
        "2-gap at T (per seed)": g2.iloc[-1].tolist(),
        "max-gap < 2-gap at T (per seed)": [bool(b) for b in gi.iloc[-1] < g2.iloc[-1]],
        "max-gap slope over [T/10, T] (per seed)": [s[0] for s in slopes],
        "slope 95% CI (per seed)": [s[1] for s in slopes],
    }
    criteria = [
        Criterion(
            "max-gap slope over [T/10, T] (per seed)",
            "<=",
            -1 / 3,
            "spec C5: slope <= -1/3, the rate t^(-1/3) of Thm 6.3 / Cor. 6.4 (a = 2/3)",
            each=True,
        ),
        Criterion(
            "max-gap < 2-gap at T (per seed)",
            "==",
            True,
            "spec C5: max-gap < 2-gap at 10^5 (Adam favours V_inf)",
            each=True,
        ),
    ]
    return measured, criteria


# ---------------------------------------------------------------------------------------------------- C6
def c6_correlations(art: Artifacts) -> Verdict:
    """From t ≥ 10: corr(W_t, V_∞) > corr(W_t, V_2) for SignGD and Adam (ε = 0); the reverse for NGD; every seed."""
    df = _metrics(art, "main")
    df = df[df["step"] >= 10]
    measured, criteria = {}, []
    for run, favoured in (("signgd", "inf"), ("adam_eps0", "inf"), ("ngd", "2")):
        sub = df[df["run"] == run]
        other = "2" if favoured == "inf" else "inf"
        diff = sub[f"corr_{favoured}"] - sub[f"corr_{other}"]
        key = f"{run}: min over t>=10 of corr_{favoured} - corr_{other}"
        measured[key] = float(diff.min())
        last = sub[sub["step"] == sub["step"].max()]
        measured[f"{run}: corr_inf, corr_2 at T (seed mean)"] = [
            float(last["corr_inf"].mean()),
            float(last["corr_2"].mean()),
        ]
        criteria.append(
            Criterion(
                key,
                ">",
                0.0,
                f"spec C6 / Fig. 1c-d: corr_{favoured} > corr_{other} from t >= 10 (min over steps and seeds)",
            )
        )
    return measured, criteria


# ---------------------------------------------------------------------------------------------------- C7
EPS_RUNS = {"adam_eps1e-16": 1e-16, "adam_eps1e-12": 1e-12, "adam_eps1e-8": 1e-8}
DEPART = 0.01  # a curve has departed once it differs from ε = 0 by ≥ 0.01 in any metric
EPS_SCALE = 1e4  # ε is negligible against the gradient while max|∇L| ≥ 10⁴·ε
EPS_METRICS = ("gap_inf", "gap_2", "corr_inf", "corr_2")


def c7_eps_robustness(art: Artifacts) -> Verdict:
    """ε-robustness: the step at which each ε > 0 Adam curve departs (|Δ| ≥ 0.01 in a gap or correlation) from ε = 0.

    Pass: departures are ordered in ε (a larger ε never departs later), and no curve departs while ε is negligible
    against the gradient: at the departure step, max|∇L| is already below 10⁴·ε.
    """
    df = _metrics(art, "main")
    base = {m: _table(df, "adam_eps0", m) for m in EPS_METRICS}
    measured, criteria = {}, []
    departures = {}
    for run, eps in EPS_RUNS.items():
        diffs = np.max([np.abs(_table(df, run, m).to_numpy() - base[m].to_numpy()) for m in EPS_METRICS], axis=0)
        steps = base["gap_inf"].index.to_numpy()
        lg = _table(df, run, "log_grad_max")
        dep, grad_at = [], []
        for j, seed in enumerate(base["gap_inf"].columns):
            hit = np.nonzero(diffs[:, j] >= DEPART)[0]
            if hit.size:
                dep.append(int(steps[hit[0]]))
                grad_at.append(float(np.exp(lg[seed].to_numpy()[hit[0]])))
            else:
                dep.append(None)
                grad_at.append(None)
        departures[eps] = dep
        measured[f"eps={eps:g}: departure step (per seed; None = overlaps to T)"] = dep
        measured[f"eps={eps:g}: max|grad L| at departure (per seed)"] = grad_at
        measured[f"eps={eps:g}: max |delta| over t <= T (per seed)"] = diffs.max(axis=0).tolist()
        departed = [g for g in grad_at if g is not None]
        key = f"eps={eps:g}: largest max|grad L| at departure over seeds that departed (0 if none)"
        measured[key] = float(np.max(departed)) if departed else 0.0
        criteria.append(
            Criterion(
                key,
                "<",
                EPS_SCALE * eps,
                "spec C7: curves overlap while max|grad L| >> eps; '>>' read as >= 10^4 eps (a convention, not the"
                " paper's number)",
            )
        )
    T = int(base["gap_inf"].index[-1])
    eps_sorted = sorted(departures)
    ordered = True
    for small, large in itertools.pairwise(eps_sorted):
        for a, b in zip(departures[small], departures[large]):
            ordered &= (a if a is not None else T + 1) >= (b if b is not None else T + 1)
    measured["departure step non-increasing in eps (every seed)"] = bool(ordered)
    criteria.append(
        Criterion(
            "departure step non-increasing in eps (every seed)",
            "==",
            True,
            "spec C7: a larger eps reaches the gradient's scale earlier, so it never departs later",
        )
    )
    return measured, criteria


# ---------------------------------------------------------------------------------------------------- C8
def c8_nsd(art: Artifacts) -> Verdict:
    """NSD with p ∈ {1, 2, 3, ∞}: at T each method's own-norm gap is the smallest of the four, and it decreased
    (below its value at T/10); every seed."""
    df = _metrics(art, "nsd")
    norms = sorted(c[len("gap_") :] for c in df.columns if c.startswith("gap_"))
    measured, criteria = {}, []
    # how the reference solutions were obtained, where it is anything but "optimal" (fan2025 experiments)
    notes = {}
    for key in _keys(art, "nsd"):
        refs = art.refs(_ds_name(key))
        for name in (k for k in refs if k.startswith("solver_")):
            if str(refs[name]) != "optimal":
                notes[f"{_ds_name(key)} p={name[len('solver_') :]}"] = str(refs[name])
    measured["reference solutions not optimal at the default tolerance"] = notes or "none"
    for run in df["run"].unique():
        p = art.run_settings("nsd", run)["p"]
        own = norm_name(float(p) if not isinstance(p, str) else p)
        gaps = {nm: _table(df, run, f"gap_{nm}") for nm in norms}
        T = gaps[own].index[-1]
        final = {nm: gaps[nm].iloc[-1] for nm in norms}
        smallest = [bool(b) for b in np.all([final[own] <= final[nm] for nm in norms], axis=0)]
        decreasing = [bool(b) for b in final[own] < _nearest(gaps[own], T / 10)]
        measured[f"{run}: own ({own}) gap at T (seed mean)"] = float(final[own].mean())
        measured[f"{run}: gaps at T in norms {norms} (seed mean)"] = [float(final[nm].mean()) for nm in norms]
        measured[f"{run}: own gap smallest of the four at T (per seed)"] = smallest
        measured[f"{run}: own gap at T < own gap at T/10 (per seed)"] = decreasing
        criteria += [
            Criterion(
                f"{run}: own gap smallest of the four at T (per seed)",
                "==",
                True,
                "spec C8 / Remark 5.5: NSD in a p-norm goes to the p-norm margin, so its own gap is the smallest",
                each=True,
            ),
            Criterion(
                f"{run}: own gap at T < own gap at T/10 (per seed)",
                "==",
                True,
                "spec C8: the own-norm gap is decreasing",
                each=True,
            ),
        ]
    return measured, criteria


# ---------------------------------------------------------------------------------------------------- C9
RATE_RUNS = (("signgd", "gap_inf", 0.5), ("ngd", "gap_2", 0.5), ("adam_eps0", "gap_inf", 1 / 3))
SLOPE_SLACK = 0.05  # the (log t + n) and (d log t + nd) factors change a log-log slope by < 0.01 at n = 500


def _rate_window(tab: pd.Series, r: float, lo: float, hi: float):
    """gap·t^r/log t at half-decade points of [lo, hi] and the fitted slope over [lo, hi] (seed mean)."""
    steps = tab.index.to_numpy()
    points = np.geomspace(lo, hi, round(2 * np.log10(hi / lo)) + 1)
    vals = []
    for t in points:
        j = np.argmin(np.abs(np.log(steps) - np.log(t)))
        vals.append(float(tab.iloc[j] * steps[j] ** r / np.log(steps[j])))
    slope, ci, _ = loglog_slope(steps, tab.to_numpy(), lo, hi)
    mono = all(b <= a * (1 + 1e-12) for a, b in itertools.pairwise(vals))
    return vals, slope, ci, mono


def c9_rates(art: Artifacts) -> Verdict:
    """Rates (the issue's criterion): the log-log slope of the seed-mean gap fitted over the last decade [T/10, T]
    of the T = 10⁵ runs (95% CI recorded) must not be shallower than the theory's −r + 0.05 (r = 1/2 SignGD and NGD
    in their own norms, 1/3 Adam in the max-norm).

    Reported, not asserted: the spec's proxy "gap·t^r/log t non-increasing" at half-decade points, on [T/10, T]
    and on the spec's window [10², 10⁴]. The bounds hold after t_1 (SignGD/NSD) and t_0 (Adam, growing with d);
    on [10², 10⁴] NGD's and Adam's gaps are still pre-asymptotic, and NGD's gap·√t/log t stays flat to ±3% on
    [10⁴, 10^4.5] before falling, so the proxy is not monotone on every seed (README notes)."""
    df = _metrics(art, "long")
    measured, criteria = {}, []
    T = float(df["step"].max())
    for run, metric, r in RATE_RUNS:
        tab = _table(df, run, metric).mean(axis=1)
        vals, slope, ci, mono = _rate_window(tab, r, T / 10, T)
        _, sslope, sci, smono = _rate_window(tab, r, 1e2, 1e4)
        key = f"{run} {metric} fitted slope over [T/10, T] (seed-mean gap; theory -{r:.3g})"
        measured[key] = slope
        measured[f"{run} {metric} fitted slope over [T/10, T] 95% CI"] = ci
        measured[f"{run} {metric}*t^{r:.3g}/log t at half decades of [T/10, T]"] = vals
        measured[f"{run} proxy non-increasing on [T/10, T] / on [1e2, 1e4] (reported)"] = [mono, smono]
        measured[f"{run} fitted slope over [1e2, 1e4] (95% CI, reported)"] = [sslope, sci]
        criteria.append(
            Criterion(
                key,
                "<=",
                -r + SLOPE_SLACK,
                f"the theory's rate t^(-{r:.3g}) (Cor. 5.4 / 6.4), slack {SLOPE_SLACK} for the log t factors"
                " (they change the slope by < 0.01 at n = 500)",
            )
        )
    return measured, criteria


# ---------------------------------------------------------------------------------------------------- C10
def c10_classes(art: Artifacts) -> Verdict:
    """Class-independence (exploratory): at n = 500 the max-norm gap at T = 10⁴ grows much more slowly than k.

    Per k the gap is averaged over the data seeds (one seed is not enough: at k = 2 Adam's gap ranges over
    0.02–0.12 across seeds). The bounds carry 1/γ_∞, and γ_∞ falls with k, so the assertion is on the seed mean of
    γ_∞·gap: its log-log slope in k must be ≤ 0.5 (k itself has slope 1). Raw gaps and their slope are reported."""
    df = _metrics(art, "classes")
    keys = _keys(art, "classes")
    gam = {key: float(art.refs(_ds_name(key))["gamma_inf"]) for key in keys}
    ks = sorted({k for k, _ in keys})
    measured = {
        "k": ks,
        "gamma_inf (seed mean)": [float(np.mean([g for (k, _), g in gam.items() if k == kk])) for kk in ks],
    }
    criteria = []
    for run in ("signgd", "adam_eps0"):
        sub = df[df["run"] == run]
        last = sub[sub["step"] == sub["step"].max()].copy()
        last["gamma"] = [gam[(int(k), int(s))] for k, s in zip(last["classes"], last["seed"])]
        last["adj"] = last["gap_inf"] * last["gamma"]
        per_k = last.groupby("classes")[["gap_inf", "adj"]].mean().loc[ks]
        slope_raw = float(np.polyfit(np.log(ks), np.log(per_k["gap_inf"]), 1)[0])
        slope_adj = float(np.polyfit(np.log(ks), np.log(per_k["adj"]), 1)[0])
        measured[f"{run}: max-gap at T={int(sub['step'].max())} per k (seed mean)"] = per_k["gap_inf"].tolist()
        measured[f"{run}: slope of log gap vs log k"] = slope_raw
        measured[f"{run}: slope of log(gamma*gap) vs log k"] = slope_adj
        criteria.append(
            Criterion(
                f"{run}: slope of log(gamma*gap) vs log k",
                "<=",
                0.5,
                "spec C10 'grows much more slowly than k' (k has slope 1); 0.5 is this repo's reading (README notes)",
            )
        )
    return measured, criteria


# ---------------------------------------------------------------------------------------------------- C11
def c11_adam_beta0(art: Artifacts) -> Verdict:
    """Adam with β1 = β2 = 0 (0/0 := 0) reproduces the SignGD iterates exactly (same schedule)."""
    runs = art.runs("main")
    sa, sb = art.run_settings("main", "adam_beta0"), art.run_settings("main", "signgd")
    same_schedule = sa["lr"] == sb["lr"] and sa["decay"] == sb["decay"]
    diff = max(
        float(np.max(np.abs(runs[f"adam_beta0__w__{j}"] - runs[f"signgd__w__{j}"])))
        for j in range(len(_keys(art, "main")))
    )
    measured = {"max |W_adam - W_signgd| over logged steps and seeds": diff, "same schedule": bool(same_schedule)}
    criteria = [
        Criterion(
            "max |W_adam - W_signgd| over logged steps and seeds",
            "==",
            0.0,
            "an identity: with beta = 0, m/sqrt(v) = g/|g| = sign(g) exactly (0/0 := 0)",
        ),
        Criterion("same schedule", "==", True, "the identity needs the same step sizes"),
    ]
    return measured, criteria


CHECKS = {
    "c1_lemmas": Check(
        "Lemmas 4.1/E.1, 4.2, 4.3, B.4 hold on random and near-V_inf matrices (CE, exp, PairLog)",
        ("main",),
        (),
        c1_lemmas,
        kind="consistency",
    ),
    "c2_descent": Check(
        "Descent (8) holds at every SignGD step and the loss never increases", ("main",), (), c2_descent
    ),
    "c3_signgd_linf": Check(
        "SignGD converges to the max-norm margin (Thm 5.3)", ("main",), (), c3_signgd_linf, figure="Fig. 1b"
    ),
    "c4_ngd_l2": Check(
        "NGD converges to the l2 margin, not the max-norm one", ("main",), (), c4_ngd_l2, figure="Fig. 1a-b"
    ),
    "c5_adam_linf": Check(
        "Adam (eps = 0, a = 2/3) converges to the max-norm margin (Thm 6.3)",
        ("long",),
        (),
        c5_adam_linf,
        figure="Fig. 1a-b",
    ),
    "c6_correlations": Check(
        "SignGD and Adam correlate best with V_inf, NGD with V_2 (Fig. 1c-d)",
        ("main",),
        (),
        c6_correlations,
        figure="Fig. 1c-d",
    ),
    "c7_eps_robustness": Check(
        "Adam curves for small eps overlap until the gradient reaches eps's scale",
        ("main",),
        (),
        c7_eps_robustness,
        figure="Fig. 1",
    ),
    "c8_nsd": Check("NSD for an entry-wise p-norm converges to the p-norm margin (Remark 5.5)", ("nsd",), (), c8_nsd),
    "c9_rates": Check(
        "Gap rates: SignGD/NGD (log t + n)/t^(1/2), Adam (d log t + nd)/t^(1/3)", ("long",), (), c9_rates
    ),
    "c10_classes": Check(
        "The gap does not grow with the number of classes k (exploratory)", ("classes",), (), c10_classes
    ),
    "c11_adam_beta0": Check(
        "Adam with beta1 = beta2 = 0 reproduces SignGD exactly", ("main",), (), c11_adam_beta0, kind="consistency"
    ),
}
