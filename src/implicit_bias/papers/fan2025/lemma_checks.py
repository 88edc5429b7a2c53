"""Checks of fan2025's lemmas and rates on the pipeline's own runs, merged into `checks.CHECKS`: Adam's per-class
moment bounds (Lemmas 6.1, 6.2, D.4) and descent (D.5), Lemmas 5.1 and 5.2 on SignGD's run, Cor. 5.4's rates for
a ≠ 1/2 and Remark 5.5's for NSD with p = 1, 3.

The seed text of v1 has its mathematics stripped; the statements below are the spec's reconstruction (§5), checked
against the proof sketches of v1 (§6, App. D: Lemmas D.2/D.3 are 6.1/6.2 with their constants) and against v4's
Lemma 7, whose text keeps its mathematics: for t ≥ t_0,

    |m_t[c,j] − (1−β1^{t+1}) ∇L(W_t)[c,j]| ≤ α_m η_t (G_c(W_t) + Q_c(W_t)),   α_m = B(1−β1)c_2      (Lemma 6.1)
    |√v_t[c,j] − √(1−β2^{t+1}) |∇L(W_t)[c,j]|| ≤ α_v √η_t (G_c(W_t) + Q_c(W_t))                        (Lemma 6.2)
    (1−β1^{t+1})/√(1−β2^{t+1}) ‖∇L‖_sum − ⟨∇L(W_t), m_t ⊘ √v_t⟩ ≤ α_D d √η_t G(W_t)                   (Lemma D.4)

with c_2 the constant of Assumption 3.4 for (β, c_1): Σ_{s=0}^t β^s (exp(c_1 Σ_{τ=1}^s η_{t−τ}) − 1) ≤ c_2 η_t for
t ≥ t_0. The proofs (D.2, D.3) fix the pair: each entry of ∇L changes between W and W' by at most
B(e^{2B‖W−W'‖_max} − 1)(G_c + Q_c) (every s_ic moves by a factor within e^{±2B‖W−W'‖_max}, |h_ij| ≤ B), and Adam's
steps are at most α = (1−β1)/√((1−β2)(1−β1²/β2)) in the max-norm (Lemma D.1), so ‖W_t − W_{t−τ}‖_max ≤ α Σ η:
c_1 = 2Bα, β = β1 for the first moment; the squares' difference |g'² − g²| ≤ B²(e^{4BΔ} − 1)(G_c + Q_c)² gives
c_1 = 4Bα, β = β2 and α_v = B√((1−β2)c_2) for the second (|√a − √b| ≤ √|a − b|, as in D.3's last step).

These inequalities follow from Adam's recursion and the softmax for any data: they are consistency checks
(evidence that the code computes what the paper analyses), not claims that a run could refute. Each is asserted
where its premise holds — t ≥ t_0 with c_2 = twice the limit c_1β/(1−β)² of S_t/η_t, a valid choice of Ass. 3.4's
(t_0, c_2) — and the number of such steps is required to be positive: where the run is shorter than t_0 the lemma
is not testable at this T, and the check says so by failing that criterion. Ass. 3.4 asks for S_t ≤ c_2 η_t at
every t ≥ t_0; beyond the run, S_t/η_t falls to its limit (the early, large steps drop out of the sum), so c_2 set
above that limit holds there too.

The rate check of Cor. 5.4 at a != 1/2 (cor5_4_decay_rates) lives with fan2025's rate rule in checks.py.
"""

from __future__ import annotations

import numpy as np

from ...checks import Artifacts, Check, Criterion, Source, Verdict

__all__ = [
    "LEMMA_CHECKS",
    "adam_step_bound",
    "ass34_log_sums",
    "premise_estimate",
    "premise_start",
]

EXP, RUN = "main", "adam_eps0"  # the paper's Adam run: ε = 0, a = 2/3, (β1, β2) = (0.9, 0.99), T = 10⁴
REL_TOL = 1e-9  # an inequality's relative tolerance (rounding)
TRACE_TOL = 1e-4  # traced vs logged iterates, relative to ‖W‖_max (engineering notes §4: kernels' summation order)
C2_FACTOR = 2.0  # c_2 = C2_FACTOR × lim S_t/η_t


def _keys(art, exp):
    return [tuple(k) for k in art.record("runs", exp)["meta"]["datasets"]]


def _ds_name(key) -> str:
    return f"k{key[0]}_s{key[1]}"


def adam_step_bound(beta1: float, beta2: float) -> float:
    """α of Lemma D.1 (Zhang et al. Lemma 6.5): |m_t/√v_t| ≤ (1−β1)/√((1−β2)(1−β1²/β2)) entry-wise, for β1² < β2."""
    return float((1 - beta1) / np.sqrt((1 - beta2) * (1 - beta1**2 / beta2)))


def ass34_log_sums(eta: np.ndarray, beta: float, c1: float) -> np.ndarray:
    """log S_t for t = 0, …, len(eta) − 1, S_t = Σ_{s=0}^t β^s (exp(c_1 Σ_{τ=1}^s η_{t−τ}) − 1) (Assumption 3.4).

    Computed in log form (S_t reaches e^{1000} early on): term s is s·log β + log(expm1(c_1·Σ_{u=t−s}^{t−1} η_u));
    the s = 0 term is 0.
    """
    eta = np.asarray(eta, dtype=np.float64)
    cum = np.concatenate([[0.0], np.cumsum(eta)])  # cum[t] = Σ_{u<t} η_u
    out = np.full(eta.size, -np.inf)
    log_beta = np.log(beta)
    for t in range(1, eta.size):
        s = np.arange(1, t + 1)
        x = c1 * (cum[t] - cum[t - s])
        small = np.log(np.expm1(np.minimum(x, 30.0)))
        log_em1 = np.where(x > 30.0, x + np.log1p(-np.exp(-np.minimum(x, 700.0))), small)
        terms = s * log_beta + log_em1
        top = terms.max()
        out[t] = top + np.log(np.exp(terms - top).sum())
    return out


def premise_start(log_s: np.ndarray, eta: np.ndarray, c2: float) -> int:
    """The first t from which S_t ≤ c_2 η_t holds at every later step of the run (len(eta) if at none): Ass. 3.4's
    t_0 for this c_2 within the run."""
    ok = log_s <= np.log(c2 * np.asarray(eta))
    bad = np.nonzero(~ok)[0]
    return int(bad[-1] + 1) if bad.size else 0


def premise_estimate(lr: float, decay: float, beta: float, c1: float) -> float:
    """Where Ass. 3.4's sum stops being dominated by its oldest terms: the first t with c_1 Σ_{u<t} η_u ≤ t·log(1/β)
    (the s = t term, β^t e^{c_1 Σ η}, falls below 1 from there on), Σ η by its integral; an estimate of t_0 for runs
    shorter than it (reported, not asserted)."""
    t = np.geomspace(1.0, 1e12, 2401)
    a = 1.0 - decay
    cum = lr * (np.log((t + 1.5) / 1.5) if a == 0 else ((t + 1.5) ** a - 1.5**a) / a)
    ok = c1 * cum <= t * np.log(1.0 / beta)
    return float(t[np.argmax(ok)]) if ok.any() else float("inf")


def _moment_setting(art: Artifacts):
    s = art.run_settings(EXP, RUN)
    if s["optimizer"] != "adam" or float(s["eps"]) != 0.0 or s.get("loss", "ce") != "ce":
        raise ValueError(f"{EXP}/{RUN}: Lemmas 6.1-D.4 are about Adam without eps on the CE loss; got {s}")
    if not s.get("moments"):
        raise ValueError(f"{EXP}/{RUN}: the run stores no moment trace (set moments: true in the config)")
    steps = int(s["steps"])
    eta = float(s["lr"]) * (np.arange(steps) + 2.0) ** (-float(s["decay"]))
    return s, eta


def _trace(art: Artifacts, key: str) -> np.ndarray:
    arr = np.asarray(art.runs(EXP)[f"{RUN}__moments_{key}"], dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise FloatingPointError(f"{EXP}/{RUN}: non-finite values in the moment trace {key!r}")
    return arr


def _decade_growth(ratio: np.ndarray) -> float:
    """max of a per-step ratio over the last decade [T/10, T) over its max on [T/100, T/10): > 1 while it rises."""
    T = ratio.size
    return float(ratio[T // 10 :].max() / ratio[T // 100 : T // 10].max())


def _moment_lemma(art: Artifacts, which: str) -> Verdict:
    """Lemma 6.1 (which = "m") or 6.2 ("v") on every data set of the paper's Adam run."""
    s, eta = _moment_setting(art)
    beta1, beta2 = float(s["beta1"]), float(s["beta2"])
    alpha = adam_step_bound(beta1, beta2)
    err, err_global = _trace(art, f"{which}_err"), _trace(art, f"{which}_err_global")
    dev = _trace(art, "dev")
    shape = eta if which == "m" else np.sqrt(eta)
    beta = beta1 if which == "m" else beta2
    name = "6.1" if which == "m" else "6.2"
    rate = "eta_t" if which == "m" else "sqrt(eta_t)"
    viol_lemma, viol_step, premise, t0s, consts, worst, slack = [], [], [], [], [], [], []
    growth, worst_global, c1s, t0_est = [], [], [], []
    for j, key in enumerate(_keys(art, EXP)):
        B = float(art.refs(_ds_name(key))["B"])
        c1 = (2.0 if which == "m" else 4.0) * B * alpha
        c1s.append(float(c1))
        log_s = ass34_log_sums(eta, beta, c1)
        c2 = C2_FACTOR * c1 * beta / (1 - beta) ** 2
        if which == "m":
            const = B * (1 - beta1) * c2  # α_m (v4 Lemma 7)
            per_step = B * (1 - beta1) * np.exp(log_s)  # the bound before Ass. 3.4 replaces S_t by c_2 η_t
        else:
            const = B * np.sqrt((1 - beta2) * c2)  # α_v
            per_step = B * np.sqrt((1 - beta2) * np.exp(np.minimum(log_s, 700.0)))
        t0 = premise_start(log_s, eta, c2)
        ratio = err[j] / shape
        on = slice(t0, None)
        viol_lemma.append(int(np.sum(err[j][on] > const * shape[on] * (1 + REL_TOL) + REL_TOL * B)))
        t0_est.append(premise_estimate(float(s["lr"]), float(s["decay"]), beta, c1))
        # rounding allowance: the errors are differences of O(B (G_c + Q_c)) numbers (|∇L[c,j]| ≤ B (G_c + Q_c))
        viol_step.append(int(np.sum(err[j] > per_step * (1 + REL_TOL) + REL_TOL * B)))
        premise.append(int(eta.size - t0))
        t0s.append(t0)
        consts.append(float(const))
        worst.append(float(ratio[on].max()) if t0 < eta.size else None)
        slack.append(float(const / ratio[on].max()) if t0 < eta.size else None)
        growth.append(_decade_growth(ratio))
        worst_global.append(float((err_global[j] / shape)[on].max()) if t0 < eta.size else None)
    lhs = "|m_t - (1-beta1^(t+1)) grad|" if which == "m" else "|sqrt(v_t) - sqrt(1-beta2^(t+1)) |grad||"
    steps_key = f"steps t >= t_0 (the premise; per seed, of T = {eta.size})"
    violations_key = f"violations of Lemma {name} on t >= t_0 (per seed)"
    early_violations_key = "violations of the per-step bound before Ass. 3.4, every t (per seed)"
    trace_key = "max |W_trace - W_run|_max / |W_run|_max (per seed)"
    measured = {
        steps_key: premise,
        "t_0 (Ass. 3.4 with c_2 = 2 lim S_t/eta_t; per seed)": t0s,
        "t_0 estimate, c_1 sum_{u<t} eta_u = t log(1/beta) (per seed; reported)": t0_est,
        violations_key: viol_lemma,
        early_violations_key: viol_step,
        trace_key: dev.tolist(),
        f"alpha_{which} (per seed)": consts,
        f"max over t >= t_0 of {lhs} / ((G_c+Q_c) {rate}) (per seed)": worst,
        f"alpha_{which} / that max (the bound's slack; per seed)": slack,
        "max of the ratio on [T/10, T) / on [T/100, T/10) (per seed; reported)": growth,
        "the same ratio over G instead of G_c+Q_c, max on t >= t_0 (per seed; reported)": worst_global,
    }
    measured["alpha (Lemma D.1)"] = alpha
    measured[f"c_1 = {2 if which == 'm' else 4} B alpha (per seed)"] = c1s
    criteria = [
        Criterion(
            steps_key,
            ">",
            0,
            f"Lemma {name} holds for t >= t_0 of Ass. 3.4 (c_1 = {2 if which == 'm' else 4} B alpha, beta ="
            f" beta{1 if which == 'm' else 2}); a run shorter than t_0 cannot test it (not testable at this T)",
            each=True,
        ),
        Criterion(
            violations_key,
            "==",
            0,
            f"Lemma {name} with the proof's constants (alpha_{which} from c_2 of Ass. 3.4), every step t >= t_0,"
            " relative tolerance 1e-9",
            each=True,
        ),
        Criterion(
            early_violations_key,
            "==",
            0,
            f"the proof of Lemma {name} (D.{2 if which == 'm' else 3}) bounds the error by the Ass. 3.4 sum S_t itself"
            " at every step, before S_t <= c_2 eta_t",
            each=True,
        ),
        Criterion(
            trace_key,
            "<=",
            TRACE_TOL,
            "the traced moments are the run's: the reference Adam loop ends at the run's iterate up to the kernels'"
            " rounding (engineering notes §4: ~1e-6 relative after 1e4 steps here)",
            each=True,
        ),
    ]
    return measured, criteria


def l6_1_first_moment(art: Artifacts) -> Verdict:
    """Lemma 6.1 on the paper's Adam run: the first moment tracks (1−β1^{t+1})∇L per class, error ≤ α_m η_t(G_c+Q_c)."""
    return _moment_lemma(art, "m")


def l6_2_second_moment(art: Artifacts) -> Verdict:
    """Lemma 6.2 on the paper's Adam run: √v_t tracks √(1−β2^{t+1})|∇L| per class, error ≤ α_v √η_t(G_c+Q_c)."""
    return _moment_lemma(art, "v")


def _signgd_trace(art: Artifacts):
    s = art.run_settings(EXP, "signgd")
    if s["optimizer"] != "signgd" or not s.get("trace") or s.get("loss", "ce") != "ce":
        raise ValueError(f"{EXP}/signgd: Lemmas 5.1/5.2 read the SignGD (CE) run's per-step trace; got {s}")
    runs = art.runs(EXP)
    logL, logG = (np.asarray(runs[f"signgd__trace_log_{k}"], dtype=np.float64) for k in ("loss", "proxy"))
    steps = logL.shape[1] - 1
    eta = float(s["lr"]) * (np.arange(steps) + 2.0) ** (-float(s["decay"]))
    return s, logL, logG, eta


def l5_1_proxy_ratio(art: Artifacts) -> Verdict:
    """Lemma 5.1, G(W + Δ)/G(W) ≤ e^{2B‖Δ‖_max}, on every step of the SignGD run (‖Δ‖_max = η_t: every entry of
    ∇L is non-zero) and of the Adam run (‖Δ‖_max = η_t ‖m_t ⊘ √v_t‖_max), in both directions (Δ and −Δ)."""
    _, _, logG, eta = _signgd_trace(art)
    _, eta_a = _moment_setting(art)
    logG_a, step_a = _trace(art, "log_proxy"), _trace(art, "step_max")
    measured: dict[str, list]
    measured, viol, cases, slack = {}, [], [], []
    for j, key in enumerate(_keys(art, EXP)):
        B = float(art.refs(_ds_name(key))["B"])
        n_viol, n_case, worst = 0, 0, -np.inf
        for lg, size in ((logG[j], eta), (logG_a[j], eta_a * step_a[j])):
            change = np.abs(np.diff(lg))  # |log G(W_{t+1}) − log G(W_t)|
            bound = 2 * B * size
            n_viol += int(np.sum(change > bound * (1 + REL_TOL) + REL_TOL))
            n_case += change.size
            worst = max(worst, float(np.max(change / bound)))
        viol.append(n_viol)
        cases.append(n_case)
        slack.append(worst)
    violations_key = "violations (per seed; SignGD and Adam steps)"
    measured[violations_key] = viol
    steps_key = "steps tested (per seed)"
    measured[steps_key] = cases
    measured["max |log G(W_t+1) - log G(W_t)| / (2B |Delta_t|_max) (per seed; reported)"] = slack
    criteria = [
        Criterion(
            violations_key,
            "==",
            0,
            "Lemma 5.1 holds for every W and Delta (each s_ic moves by a factor within exp(+-2B|Delta|_max));"
            " tolerance 1e-9 in log G",
            each=True,
        ),
        Criterion(steps_key, ">", 0, "a lemma tested on no case is not a pass", each=True),
    ]
    return measured, criteria


def l5_2_margin(art: Artifacts) -> Verdict:
    """Lemma 5.2 on the SignGD run: if L(W_s) ≤ log2/n for all s ≥ t̃, then at every logged t > t̃
    min-margin(W_t) ≥ γ Σ_{s=t̃}^{t−1} η_s G(W_s)/L(W_s) − α_s2 Σ_{s=t̃}^{t−1} η_s², α_s2 = 2B²e^{2Bη_0} (v4 Lemma 5).

    t̃ is the first step from which the run's loss stays below log2/n; the lemma is asserted at the logged steps
    after it. With α_s2 ~ 10⁵ the right-hand side is negative within 10⁴ steps (the bound is vacuous there); how
    many logged steps have a positive right-hand side is reported."""
    from ...multiclass import min_margin

    _, logL, logG, eta = _signgd_trace(art)
    runs = art.runs(EXP)
    logged = np.asarray(runs["signgd__steps"])
    viol, cases, informative, t_tilde, lowest = [], [], [], [], []
    for j, key in enumerate(_keys(art, EXP)):
        data, refs = art.data(_ds_name(key)), art.refs(_ds_name(key))
        H, y = data["H"], data["y"]
        n = H.shape[0]
        gamma, B = float(refs["gamma_inf"]), float(refs["B"])
        alpha_s2 = 2 * B**2 * np.exp(2 * B * eta[0])
        above = np.nonzero(logL[j] > np.log(np.log(2) / n))[0]
        tt = int(above[-1] + 1) if above.size else 0
        t_tilde.append(tt)
        ratio = np.exp(logG[j, :-1] - logL[j, :-1])  # G/L at s = 0, …, T−1
        first = np.concatenate([[0.0], np.cumsum(eta * ratio)])  # Σ_{s<t} η_s G_s/L_s
        second = np.concatenate([[0.0], np.cumsum(eta**2)])
        W = np.asarray(runs[f"signgd__w__{j}"])
        n_viol = n_case = n_info = 0
        worst = np.inf
        for t, Wt in zip(logged, W, strict=True):
            if t <= tt:
                continue
            rhs = gamma * (first[t] - first[tt]) - alpha_s2 * (second[t] - second[tt])
            margin = min_margin(Wt, H, y)
            n_case += 1
            n_info += int(rhs > 0)
            n_viol += int(margin < rhs - REL_TOL * abs(rhs))
            worst = min(worst, margin - rhs)
        viol.append(n_viol)
        cases.append(n_case)
        informative.append(n_info)
        lowest.append(float(worst))
    steps_key = "logged steps t > t~ (per seed)"
    violations_key = "violations of (9) (per seed)"
    positive_key = "logged steps where the right-hand side of (9) is positive (per seed)"
    measured = {
        "t~ (first step from which L <= log2/n; per seed)": t_tilde,
        steps_key: cases,
        violations_key: viol,
        positive_key: informative,
        "min over the tested steps of min-margin - right-hand side (per seed; reported)": lowest,
    }
    criteria = [
        Criterion(
            steps_key,
            ">",
            0,
            "the lemma's premise (L <= log2/n from t~ on) must hold somewhere in the run",
            each=True,
        ),
        Criterion(
            violations_key,
            "==",
            0,
            "Lemma 5.2 with the paper's constants (gamma_inf, alpha_s2 = 2B^2 e^(2B eta_0)), relative tolerance 1e-9",
            each=True,
        ),
        Criterion(
            positive_key,
            ">",
            0,
            "not testable unless met: once L <= log2/n the data are separated (Lemma B.4, c1), so the min-margin is "
            "positive and a bound that is not positive anywhere cannot fail on a real run",
            each=True,
        ),
    ]
    return measured, criteria


LEMMA_CHECKS = {
    "l5_1_proxy_ratio": Check(
        "G(W + Delta)/G(W) <= exp(2B |Delta|_max) on every SignGD and Adam step",
        (EXP,),
        (),
        l5_1_proxy_ratio,
        kind="consistency",
        sources=(Source("lemma", "5.1", "B.5"),),
    ),
    "l5_2_margin": Check(
        "Once L <= log2/n, SignGD's min-margin is at least gamma sum eta_s G/L - alpha_s2 sum eta_s^2",
        (EXP,),
        (),
        l5_2_margin,
        kind="consistency",
        sources=(Source("lemma", "5.2", "C.2"), Source("equation", "9")),
    ),
    "l6_1_first_moment": Check(
        "Adam's first moment tracks (1-beta1^(t+1)) grad L per class: error <= alpha_m eta_t (G_c + Q_c)",
        (EXP,),
        (),
        l6_1_first_moment,
        kind="consistency",
        sources=(Source("lemma", "6.1", "D.2"),),
    ),
    "l6_2_second_moment": Check(
        "Adam's second moment tracks sqrt(1-beta2^(t+1)) |grad L| per class: error <= alpha_v sqrt(eta_t) (G_c + Q_c)",
        (EXP,),
        (),
        l6_2_second_moment,
        kind="consistency",
        sources=(Source("lemma", "6.2", "D.3"),),
    ),
}
