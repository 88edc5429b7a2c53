"""fan2025's lemma checks (lemma_checks.py): the traced quantities are the lemmas' ones, and each check passes on a
real (tiny) run where its premise holds and fails on artifacts doctored so that its statement is false, or its
premise is never reached (not testable at this T)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from implicit_bias.checks import verdict_of
from implicit_bias.multiclass import class_proxies, gradient, trace_log_loss_and_proxy
from implicit_bias.papers.fan2025.checks import CHECKS
from implicit_bias.papers.fan2025.experiments import MOMENT_TRACE_KEYS, RUN_DEFAULTS, adam_moment_trace
from implicit_bias.papers.fan2025.lemma_checks import (
    LEMMA_CHECKS,
    ass34_log_sums,
    premise_estimate,
    premise_start,
)
from implicit_bias.training import train

STEPS = 600
SETTINGS = dict(lr=0.1, decay=2 / 3, beta1=0.9, beta2=0.99)


def tiny_data(seed: int, scale: float = 0.05):
    """3 classes, 4 features, 12 points, small B (= max ‖h‖₁ ≈ 0.2): Ass. 3.4's t_0 is reached within a few hundred
    steps."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), 4)
    mu = 3.0 * np.eye(3, 4)
    H = scale * (mu[y] + 0.1 * rng.standard_normal((12, 4)))
    return H, y


class Fake:
    """The part of `Artifacts` the lemma checks read: the `main` run's arrays and settings (one dict for every run,
    or {run: settings}), the data sets (H, y) and their B and γ_∞."""

    def __init__(self, arrays, settings, B, data=None, gamma=None):
        self.arrays, self.settings, self.B, self.data_, self.gamma = arrays, settings, B, data, gamma

    def record(self, kind, name):
        return {"meta": {"datasets": [[3, s] for s in range(len(self.B))]}}

    def run_settings(self, exp, run):
        return self.settings.get(run, self.settings)

    def runs(self, exp):
        return self.arrays

    def refs(self, ds):
        j = int(ds.split("_s")[1])
        return {"B": self.B[j], "gamma_inf": None if self.gamma is None else self.gamma[j]}

    def metrics(self, exp):
        return self.tables[exp]

    def data(self, ds):
        H, y = self.data_[int(ds.split("_s")[1])]
        return {"H": H, "y": y}


@pytest.fixture(scope="module")
def real():
    """Traces of the pipeline's own functions on two tiny data sets, as `run_experiment` stores them."""
    arrays, B = {}, []
    traces = []
    for seed in (0, 1):
        H, y = tiny_data(seed)
        tr = adam_moment_trace(H, y, steps=STEPS, **SETTINGS)
        run = train(H, y, optimizer="adam", steps=STEPS, num_log=5, **SETTINGS)
        tr["dev"] = float(np.max(np.abs(tr.pop("w_final") - run.w[-1])) / np.max(np.abs(run.w[-1])))
        traces.append(tr)
        B.append(float(np.max(np.abs(H).sum(axis=1))))
        arrays["adam_eps0__w__0"] = run.w
    for key in (*MOMENT_TRACE_KEYS, "dev"):
        arrays[f"adam_eps0__moments_{key}"] = np.stack([tr[key] for tr in traces])
    settings = {**RUN_DEFAULTS, **SETTINGS, "optimizer": "adam", "steps": STEPS, "moments": True}
    return arrays, settings, B


def verdict(name, arrays, settings, B, data=None, gamma=None):
    return verdict_of(LEMMA_CHECKS[name], Fake(arrays, settings, B, data, gamma), "fan2025", name)


@pytest.fixture(scope="module")
def signgd():
    """SignGD (per-step trace) and Adam (moment trace) on two tiny data sets with B ≈ 0.8, where L ≤ log2/n is
    reached within the run and the right-hand side of (9) is positive (α_s2 ≈ 1.4)."""
    arrays, B, data, traces = {}, [], [], []
    kw = dict(lr=0.1, decay=0.5)
    for seed in (0, 1):
        H, y = tiny_data(seed, scale=0.2)
        run = train(H, y, optimizer="signgd", steps=STEPS, num_log=20, **kw)
        full = train(H, y, optimizer="signgd", steps=STEPS, num_log=2, log_steps=np.arange(STEPS + 1), **kw)
        logL, logG = trace_log_loss_and_proxy(full.w, H, y)
        arrays.setdefault("signgd__trace_log_loss", []).append(logL)
        arrays.setdefault("signgd__trace_log_proxy", []).append(logG)
        arrays[f"signgd__w__{seed}"] = run.w
        arrays["signgd__steps"] = run.steps
        tr = adam_moment_trace(H, y, steps=STEPS, **SETTINGS)
        tr["dev"] = 0.0
        traces.append(tr)
        B.append(float(np.max(np.abs(H).sum(axis=1))))
        data.append((H, y))
    arrays = {k: np.stack(v) if isinstance(v, list) else v for k, v in arrays.items()}
    for key in (*MOMENT_TRACE_KEYS, "dev"):
        arrays[f"adam_eps0__moments_{key}"] = np.stack([tr[key] for tr in traces])
    settings = {
        "signgd": {**RUN_DEFAULTS, **kw, "optimizer": "signgd", "steps": STEPS, "trace": True},
        "adam_eps0": {**RUN_DEFAULTS, **SETTINGS, "optimizer": "adam", "steps": STEPS, "moments": True},
    }
    return arrays, settings, B, data, [0.6, 0.6]


def test_trace_is_adams_moments():
    """The traced errors equal those of a naive float64 Adam (plain gradients, m and v as in eqs 3a-3b)."""
    H, y = tiny_data(0, scale=1.0)
    T = 40
    tr = adam_moment_trace(H, y, steps=T, **SETTINGS)
    W, m, v = np.zeros((3, 4)), np.zeros((3, 4)), np.zeros((3, 4))
    b1, b2 = SETTINGS["beta1"], SETTINGS["beta2"]
    for t in range(T):
        g = gradient(W, H, y)
        G_c, Q_c = class_proxies(W, H, y)
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        per_class = (G_c + Q_c)[:, None]
        assert tr["m_err"][t] == pytest.approx(np.max(np.abs(m - (1 - b1 ** (t + 1)) * g) / per_class), rel=1e-8)
        err_v = np.abs(np.sqrt(v) - np.sqrt(1 - b2 ** (t + 1)) * np.abs(g))
        assert tr["v_err"][t] == pytest.approx(np.max(err_v / per_class), rel=1e-6, abs=1e-15)
        step = m / np.sqrt(v)
        term = (1 - b1 ** (t + 1)) / np.sqrt(1 - b2 ** (t + 1)) * np.abs(g).sum() - np.sum(g * step)
        assert tr["adam_term"][t] == pytest.approx(term / G_c.sum(), rel=1e-8, abs=1e-12)
        W = W - SETTINGS["lr"] * (t + 2.0) ** (-SETTINGS["decay"]) * step
    assert np.max(np.abs(tr["w_final"] - W)) <= 1e-12 * np.max(np.abs(W))


def test_ass34_sum_and_premise():
    """log S_t against the sum written out, and the premise estimate against the premise found on the schedule."""
    eta = 0.1 * (np.arange(1000) + 2.0) ** (-2 / 3)
    log_s = ass34_log_sums(eta, 0.9, 15.0)
    t = 250
    direct = sum(0.9**s * np.expm1(15.0 * eta[t - s : t].sum()) for s in range(t + 1))
    assert log_s[t] == pytest.approx(np.log(direct), rel=1e-12)
    c2 = 2 * 15.0 * 0.9 / 0.1**2
    t0 = premise_start(log_s, eta, c2)
    assert 0 < t0 < 1000
    assert premise_estimate(0.1, 2 / 3, 0.9, 15.0) == pytest.approx(t0, rel=0.5)


def test_first_moment_passes_on_a_run_and_fails_when_false(real):
    arrays, settings, B = real
    v = verdict("l6_1_first_moment", arrays, settings, B)
    assert v["passed"], v["criteria"]
    # a first moment off by 10·α_m η_t (G_c + Q_c) at the last step: Lemma 6.1 is false there
    bad = {k: a.copy() for k, a in arrays.items()}
    const = v["measured"]["alpha_m (per seed)"][1]
    bad["adam_eps0__moments_m_err"][1, -1] = 10 * const * 0.1 * (STEPS + 1.0) ** (-2 / 3)
    failed = verdict("l6_1_first_moment", bad, settings, B)
    assert not failed["passed"]
    assert failed["measured"]["violations of Lemma 6.1 on t >= t_0 (per seed)"] == [0, 1]


def test_second_moment_fails_where_the_premise_is_not_reached(real):
    """B ten times larger (c_1 ∝ B) pushes t_0 beyond the run: not testable at this T."""
    arrays, settings, B = real
    assert verdict("l6_2_second_moment", arrays, settings, B)["passed"]
    v = verdict("l6_2_second_moment", arrays, settings, [40 * b for b in B])
    assert not v["passed"]
    assert next(c for c in v["criteria"] if c["key"].startswith("steps t >= t_0"))["holds_on"] == "0 of 2"


def test_trace_not_the_runs_fails(real):
    arrays, settings, B = real
    bad = {k: a.copy() for k, a in arrays.items()}
    bad["adam_eps0__moments_dev"][0] = 1e-2
    assert not verdict("l6_1_first_moment", bad, settings, B)["passed"]


def test_proxy_ratio_passes_on_runs_and_fails_on_a_jump(signgd):
    arrays, settings, B, data, gamma = signgd
    assert verdict("l5_1_proxy_ratio", arrays, settings, B, data, gamma)["passed"]
    bad = {k: a.copy() for k, a in arrays.items()}
    bad["signgd__trace_log_proxy"][1, 100:] += 5 * B[1] * 0.1 * 101**-0.5  # G jumps by e^{5B eta_t}
    failed = verdict("l5_1_proxy_ratio", bad, settings, B, data, gamma)
    assert not failed["passed"]
    assert failed["measured"]["violations (per seed; SignGD and Adam steps)"] == [0, 1]


def test_margin_lemma_passes_on_runs_and_fails_below_the_bound(signgd):
    arrays, settings, B, data, gamma = signgd
    v = verdict("l5_2_margin", arrays, settings, B, data, gamma)
    assert v["passed"], v["criteria"]
    assert min(v["measured"]["logged steps where the right-hand side of (9) is positive (per seed)"]) > 0
    # B forty times larger: alpha_s2 makes the right-hand side negative at every step, the bound vacuous
    vacuous = verdict("l5_2_margin", arrays, settings, [40 * b for b in B], data, gamma)
    assert not vacuous["passed"]
    assert vacuous["measured"]["violations of (9) (per seed)"] == [0] * len(B)
    bad = {k: a.copy() for k, a in arrays.items()}
    bad["signgd__w__0"][-1] *= 0.05  # the last iterate's margin shrunk far below the lemma's lower bound
    failed = verdict("l5_2_margin", bad, settings, B, data, gamma)
    assert not failed["passed"]
    assert failed["measured"]["violations of (9) (per seed)"][0] >= 1
    # no step below log2/n: the premise is never reached
    high = {k: a.copy() for k, a in arrays.items()}
    high["signgd__trace_log_loss"][:, -1] = 0.0
    assert not verdict("l5_2_margin", high, settings, B, data, gamma)["passed"]


def rate_tables(gaps: dict[str, callable], T: int = 100_000) -> pd.DataFrame:
    """A metrics table: run -> gap(t) (the same on three seeds, with a seed-dependent level) on a log grid to T."""
    steps = np.unique(np.geomspace(1, T, 121).astype(int))
    frames = []
    for run, (norm, f) in gaps.items():
        for seed in (0, 1, 2):
            frames.append(pd.DataFrame({"run": run, "seed": seed, "step": steps, f"gap_{norm}": (1 + seed) * f(steps)}))
    return pd.concat(frames, ignore_index=True).fillna(1.0)


def fake_rates(exp, gaps, settings):
    fake = Fake({}, settings, [1.0])
    fake.tables = {exp: rate_tables(gaps)}
    return fake


@pytest.mark.parametrize("slow", ["a13", "a23"])
def test_decay_rates_pass_at_the_rate_and_fail_slower(slow):
    settings = {"a13": {"decay": 1 / 3}, "a23": {"decay": 2 / 3}}
    # the bound for a < 1/2: t^-a + n t^-(1-a); for a > 1/2: n / sum_{s<t} eta_s ~ n / (t^(1-a) - c)
    good = {
        "a13": ("inf", lambda t: t ** (-1 / 3) + 50 * t ** (-2 / 3)),
        "a23": ("inf", lambda t: 5 / ((t + 2) ** (1 / 3) - 1)),
    }
    check = CHECKS["cor5_4_decay_rates"]
    assert verdict_of(check, fake_rates("decay", good, settings), "fan2025", "x")["passed"]
    bad = {**good, slow: ("inf", lambda t: t ** (-0.25))}  # t^-1/4: slower than t^-1/3
    v = verdict_of(check, fake_rates("decay", bad, settings), "fan2025", "x")
    assert not v["passed"]
    per_run = [all(c["passed"] for c in v["criteria"] if c["key"].startswith(run)) for run in ("a13", "a23")]
    assert per_run == [slow != "a13", slow != "a23"]
