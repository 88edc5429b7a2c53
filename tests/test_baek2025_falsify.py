"""Every baek2025 claim check fails on artifacts where its claim is false.

Each test builds the artifacts a check reads twice: once where the claim holds (the check must pass, so the test
is not vacuous) and once doctored where it is false — a run that settles elsewhere (a plateau), converges to the
wrong reference, falls at a slower rate (t^(-1/4)), or an ordering decided inside the runs' own noise — and asserts
the check fails. Metric tables are synthetic distances on a log grid; checks that read iterates get real runs of the
pipeline's own functions on a small data set.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from implicit_bias.checks import verdict_of
from implicit_bias.papers.baek2025.checks import CHECKS
from implicit_bias.papers.baek2025.experiments import (
    RUN_DEFAULTS,
    build_datasets,
    reference_solutions,
    run_experiment,
    run_specs,
    trajectory_metrics,
)

T = 1_000_000
STEPS = np.unique(np.geomspace(1, T, 121).astype(int))
SEEDS = (0, 1, 2)


def converging(scale=0.1, rate=1.0):
    """1 − cos of a run converging like t^(−rate): 10^rate per decade."""
    return lambda t: scale * (10.0 / (t + 10.0)) ** rate


def plateau(level=1e-3):
    """1 − cos of a run settling at `level` (its transient gone by the last decade)."""
    return lambda t: level + 0.1 * 10.0 / (t + 10.0)


SLOW = converging(rate=0.25)  # a rate of t^(-1/4): 1.8 per decade, slower than any converging run here


class Fake:
    """The part of `Artifacts` the baek2025 checks read, held in memory."""

    def __init__(self):
        self.tables, self.arrays, self.settings, self.datasets, self.references, self.specs = {}, {}, {}, {}, {}, {}

    def add(self, exp: str, runs: dict[str, dict], **settings) -> Fake:
        """Runs of `exp`: {run: {metric: f(t) or value, "settings": {...}}}; cos_* metrics are given as 1 − cos."""
        frames = []
        self.settings.setdefault(exp, {})
        for run, spec in runs.items():
            spec = dict(spec)
            self.settings[exp][run] = {**RUN_DEFAULTS, "steps": T, **settings, **spec.pop("settings", {})}
            for s in SEEDS:
                cols = {"run": run, "label": run, "seed": s, "step": STEPS}
                for metric, f in spec.items():
                    v = f(STEPS) if callable(f) else np.full(STEPS.shape, float(f))
                    cols[metric] = 1.0 - v if metric.startswith("cos_") else v
                frames.append(pd.DataFrame(cols))
        kept = self.tables.get(exp, pd.DataFrame({"run": []}))
        kept = kept[~kept["run"].isin(list(runs))]  # a run given again replaces its rows
        self.tables[exp] = pd.concat([kept, *frames], ignore_index=True)
        return self

    # the Artifacts interface
    @property
    def experiments(self):
        return list(self.tables)

    def metrics(self, exp):
        return self.tables[exp]

    def runs(self, exp):
        return self.arrays[exp]

    def experiment(self, exp):
        return {"runs": {r: {} for r in self.settings[exp]}}

    def run_settings(self, exp, run):
        return self.settings[exp][run]

    def data(self, ds):
        return self.datasets[ds]

    def refs(self, ds):
        return self.references[ds]

    def dataset_spec(self, ds):
        return self.specs[ds]


def passed(name: str, art) -> bool:
    return verdict_of(CHECKS[name], art, "baek2025", name)["passed"]


def test_every_claim_check_has_a_falsification_test():
    """This module (or test_baek2025_checks.py) names every claim check of baek2025: a new claim check needs one."""
    here = Path(__file__).parent
    source = "".join((here / name).read_text() for name in ("test_baek2025_falsify.py", "test_baek2025_checks.py"))
    claims = [name for name, check in CHECKS.items() if check.kind == "claim"]
    assert claims and all(f'"{name}"' in source for name in claims), [n for n in claims if f'"{n}"' not in source]


# ------------------------------------------------------------------------------------------- metric-table checks
def _gr(**override):
    runs = {
        "inc_adam": {"cos_l2": converging(), "cos_linf": plateau(0.02), "log_loss": lambda t: -np.sqrt(t)},
        "adam_replacement": {"cos_l2": converging(), "cos_linf": plateau(0.02), "log_loss": lambda t: -np.sqrt(t)},
        "adam_reshuffle": {"cos_l2": converging(), "cos_linf": plateau(0.02), "log_loss": lambda t: -np.sqrt(t)},
        "det_adam": {"cos_l2": plateau(0.02), "cos_linf": converging(), "log_loss": lambda t: -np.sqrt(t)},
        "adam_proxy": {
            "cos_l2": converging(),
            "cos_linf": plateau(0.02),
            "log_loss": lambda t: -np.sqrt(t),
            "settings": {"optimizer": "adam_proxy"},
        },
    }
    for run, metrics in override.items():
        runs[run] = {**runs[run], **metrics}
    return Fake().add("gr_adam", runs)


def test_thm_3_3_fails_on_a_plateau_and_on_a_slow_rate():
    assert passed("thm_3_3", _gr())
    assert not passed("thm_3_3", _gr(adam_replacement={"cos_l2": plateau()}))
    assert not passed("thm_3_3", _gr(det_adam={"cos_linf": SLOW}))


def test_ex_4_9_dynamics_fails_when_adam_proxy_settles_away_from_l2():
    assert passed("ex_4_9_dynamics", _gr())
    assert not passed("ex_4_9_dynamics", _gr(adam_proxy={"cos_l2": plateau(1e-4)}))


def test_prop_4_3_fails_when_the_loss_settles():
    fake = _gr()
    for exp in ("gaussian_adam", "shifted_diagonal_adam"):
        fake.add(exp, {"adam_proxy": {"log_loss": lambda t: -np.sqrt(t), "settings": {"optimizer": "adam_proxy"}}})
    assert passed("prop_4_3", fake)
    settles = {"log_loss": lambda t: -5.0 + 1.0 / np.sqrt(t), "settings": {"optimizer": "adam_proxy"}}
    fake.add("shifted_diagonal_adam", {"adam_proxy": settles})
    assert not passed("prop_4_3", fake)


def _shifted(**override):
    runs = {r: {"cos_linf": converging(), "cos_l2": plateau(0.2)} for r in ("adam_proxy", "inc_adam")}
    runs |= {r: {"cos_linf": converging(), "cos_l2": plateau(0.2)} for r in ("adam_replacement", "adam_reshuffle")}
    runs["gd"] = {"cos_l2": lambda t: 1.0 / np.log(t + 2.0) ** 2, "cos_linf": plateau(0.2), "settings": {"decay": 0.0}}
    for run, metrics in override.items():
        runs[run] = {**runs[run], **metrics}
    return Fake().add("shifted_diagonal_adam", runs)


def test_fig4_fails_when_a_run_converges_to_l2_or_gd_stalls():
    assert passed("fig4", _shifted())
    assert not passed("fig4", _shifted(inc_adam={"cos_linf": plateau(0.2), "cos_l2": converging()}))
    assert not passed("fig4", _shifted(gd={"cos_l2": plateau(0.05)}))


def _gaussian_adam(**override):
    runs = {
        "det_adam": {"cos_linf": converging(), "cos_l2": plateau(0.2), "cos_fp": plateau(0.2)},
        "adam_proxy": {"cos_fp": converging(1e-3), "cos_l2": plateau(0.03), "cos_linf": plateau(0.2)},
    }
    for r in ("inc_adam", "adam_replacement", "adam_reshuffle"):
        runs[r] = {"cos_fp": converging(1e-3), "cos_l2": plateau(0.03), "cos_linf": plateau(0.2)}
    for run, metrics in override.items():
        runs[run] = {**runs[run], **metrics}
    fake = Fake().add("gaussian_adam", runs)
    rng = np.random.default_rng(0)
    fake.references["gaussian"] = {k: rng.normal(size=(len(SEEDS), 5)) for k in ("w_fp", "w_l2", "w_linf")}
    return fake


def test_thm_4_8_fails_when_adam_proxy_settles_near_but_not_at_the_fixed_point():
    assert passed("thm_4_8", _gaussian_adam())
    assert not passed("thm_4_8", _gaussian_adam(adam_proxy={"cos_fp": plateau(1e-5)}))


def test_fig3_fails_on_the_plateau_the_runs_show_and_passes_when_they_converge():
    assert passed("fig3", _gaussian_adam())
    assert not passed("fig3", _gaussian_adam(adam_replacement={"cos_fp": plateau(4e-4)}))
    assert not passed("fig3", _gaussian_adam(inc_adam={"cos_fp": SLOW}))


def test_fig1_fails_when_batch_size_1_reaches_l2_or_sits_nearer_linf_or_full_batch_stalls():
    assert passed("fig1", _gaussian_adam())
    assert not passed("fig1", _gaussian_adam(inc_adam={"cos_l2": converging()}))  # reaches l2
    assert not passed("fig1", _gaussian_adam(adam_reshuffle={"cos_l2": plateau(0.3)}))  # nearer linf than l2
    assert not passed("fig1", _gaussian_adam(det_adam={"cos_linf": plateau(1e-4)}))


def _batch(gains=(0.01, 0.05, None)):
    """Inc-Adam at b = 1, 2, 5, 10: cos(linf) rising by `gains` from 0.75; b = 10 converges (None)."""
    level, runs = 0.25, {}
    for b, gain in zip((1, 2, 5), (0.0, *gains[:2])):
        level -= gain
        runs[f"b{b}"] = {
            "cos_linf": (lambda lv: lambda t: lv + 0.0 * t)(level),
            "settings": {"batch_size": b},
        }
    runs["b10"] = {"cos_linf": converging(), "settings": {"batch_size": None}}
    fake = Fake().add("gaussian_adam_batch", runs)
    fake.datasets["gaussian"] = {"X": np.zeros((len(SEEDS), 10, 5))}
    return fake


def test_fig6_fails_on_an_ordering_inside_the_noise_floor():
    assert passed("fig6", _batch())
    assert not passed("fig6", _batch(gains=(-0.01, 0.05, None)))


def test_fig6_fails_on_an_order_that_flipped_within_the_last_decade():
    """b = 1 goes 0.800 -> 0.799 while b = 2 goes 0.7995 -> 0.8005 over [T/10, T]: b = 2 ahead at T by 1.5e-3, behind
    at T/10; each run moved by only 1e-3, so a floor from the runs' own motion would let it pass."""
    fake = _batch()
    decade = lambda start, end: lambda t: 1 - np.interp(np.log10(t + 1.0), [5.0, 6.0], [start, end])  # noqa: E731
    fake.add("gaussian_adam_batch", {"b1": {"cos_linf": decade(0.800, 0.799), "settings": {"batch_size": 1}}})
    fake.add("gaussian_adam_batch", {"b2": {"cos_linf": decade(0.7995, 0.8005), "settings": {"batch_size": 2}}})
    v = verdict_of(CHECKS["fig6"], fake, "baek2025", "fig6")
    assert not v["passed"]
    assert [c["key"] for c in v["criteria"] if not c["passed"]] == ["b=2 minus b=1: cos(linf) gain margin (per seed)"]


def _signum(**override):
    runs = {
        r: {"gap_linf": lambda t: 1.0 / np.sqrt(t + 1.0), "cos_linf": converging(), "cos_l2": plateau(0.2)}
        for r in ("signum_b10", "signum_b5", "signum_b2", "signum_b1")
    }
    for run, metrics in override.items():
        runs[run] = {**runs[run], **metrics}
    return Fake().add("gaussian_signum", runs)


def test_thm_5_1_fails_on_a_stalled_or_slow_margin_gap():
    assert passed("thm_5_1", _signum())
    assert not passed("thm_5_1", _signum(signum_b1={"gap_linf": lambda t: 0.01 + 1.0 / np.sqrt(t + 1.0)}))
    assert not passed("thm_5_1", _signum(signum_b2={"gap_linf": lambda t: 0.02 * (t + 1.0) ** -0.25}))


def test_fig5_fails_when_the_direction_plateaus_while_the_margin_converges():
    assert passed("fig5", _signum())
    assert not passed("fig5", _signum(signum_b1={"cos_linf": plateau(1e-2)}))


def _beta2_sweep(levels=(3e-2, 1e-2, 1.4e-3, 3.5e-4)):
    runs = {
        f"beta2_{i}": {
            "cos_fp": (lambda lv: lambda t: lv + 0.0 * t)(level),
            "settings": {"beta1": 0.5, "beta2": b2, "batch_size": 1},
        }
        for i, (b2, level) in enumerate(zip((0.5, 0.7, 0.9, 0.95), levels))
    }
    return Fake().add("gaussian_beta2_sweep", runs)


def test_direction_rate_refuses_a_schedule_without_a_power_law_rate():
    from implicit_bias.papers.baek2025.checks import direction_rate

    assert direction_rate(0.5) == pytest.approx(np.sqrt(10))
    assert direction_rate(0.25) == direction_rate(0.75) == pytest.approx(10**0.25)  # min(a, 1 - a)
    for a in (0.0, 1.0):  # at a = 1 a plateau and a log-rate convergence both fall by ~1: nothing to decide
        with pytest.raises(ValueError, match="no power-law rate"):
            direction_rate(a)


def test_fig8_fails_when_the_distance_does_not_fall_with_beta2_beyond_noise():
    assert passed("fig8", _beta2_sweep())
    assert not passed("fig8", _beta2_sweep(levels=(3e-2, 1e-2, 3.5e-4, 1.4e-3)))  # reversed at the top
    # a tie: beta2 = 0.9 ends 1e-5 above 0.95 while it still falls by 3e-4 over the last decade
    tie = _beta2_sweep(levels=(3e-2, 1e-2, 1.40e-3, 1.39e-3))
    still_falling = {"cos_fp": lambda t: 1.4e-3 + 1e-3 * 10.0 / np.log10(t + 10.0) - 1e-3 * 10.0 / 6.0}
    tie.add("gaussian_beta2_sweep", {"beta2_2": {**still_falling, "settings": {"beta1": 0.5, "beta2": 0.9}}})
    assert not passed("fig8", tie)


def _variants(**override):
    gaussian = {
        "det_adam_logistic": {"cos_linf": converging(), "settings": {"loss": "logistic"}},
        "adam_proxy_logistic": {"cos_fp": converging(), "settings": {"loss": "logistic", "optimizer": "adam_proxy"}},
        "det_adam_a23": {"cos_linf": converging(rate=2 / 3), "settings": {"decay": 2 / 3}},
        "adam_proxy_a23": {"cos_fp": converging(rate=2 / 3), "settings": {"decay": 2 / 3, "optimizer": "adam_proxy"}},
    }
    gr = {
        "inc_adam_logistic": {"cos_l2": converging(), "settings": {"loss": "logistic", "batch_size": 1}},
        "inc_adam_a23": {"cos_l2": converging(rate=2 / 3), "settings": {"decay": 2 / 3, "batch_size": 1}},
    }
    for run, metrics in override.items():
        target = gaussian if run in gaussian else gr
        target[run] = {**target[run], **metrics}
    return Fake().add("gaussian_variants", gaussian).add("gr_variants", gr)


def test_logistic_loss_and_decay_a_fail_when_one_limit_is_not_reached():
    assert passed("logistic_loss", _variants()) and passed("decay_a", _variants())
    assert not passed("logistic_loss", _variants(adam_proxy_logistic={"cos_fp": plateau(1e-4)}))
    assert not passed("logistic_loss", _variants(inc_adam_logistic={"cos_l2": SLOW}))
    # at a = 2/3 a converging run falls by 10^(2/3) per decade; one at t^(-1/4) does not
    assert not passed("decay_a", _variants(det_adam_a23={"cos_linf": SLOW}))
    assert not passed("decay_a", _variants(inc_adam_a23={"cos_l2": plateau(1e-4)}))


def _grid(**override):
    runs = {
        f"b1_{b1}_b2_{b2}": {"cos_l2": converging(), "cos_linf": plateau(0.025), "settings": {"beta1": b1, "beta2": b2}}
        for b1, b2 in ((0.0, 0.9), (0.5, 0.999), (0.9, 0.95))
    }
    for run, metrics in override.items():
        runs[run] = {**runs[run], **metrics}
    return Fake().add("gr_beta_grid", runs)


def test_fig9_fails_on_one_cell_that_settles():
    assert passed("fig9", _grid())
    assert not passed("fig9", _grid(**{"b1_0.5_b2_0.999": {"cos_l2": plateau(3.5e-3)}}))


def test_alg_3_fails_on_a_slow_or_unconverged_fixed_point():
    def fake(iterations, converged):
        art = Fake()
        for ds, n in (("gaussian", 3), ("gr", 1), ("shifted_diagonal", 1)):
            art.references[ds] = {"fp_iterations": np.full(n, 5), "fp_converged": np.full(n, True)}
        art.references["gaussian"] = {"fp_iterations": np.array(iterations), "fp_converged": np.array(converged)}
        return art

    assert passed("alg_3", fake([12, 8, 20], [True, True, True]))
    assert not passed("alg_3", fake([12, 21, 9], [True, True, True]))
    assert not passed("alg_3", fake([12, 8, 20], [True, False, True]))


# ------------------------------------------------------------------------------------- checks that read iterates
N_SMALL = {"kind": "gaussian", "n": 6, "d": 12}


@pytest.fixture(scope="module")
def small():
    """Real pipeline artifacts on a small Gaussian data set (2 seeds): data, references, the runs the iterate checks
    read (Inc-Adam over beta1 at beta2 = 0.999 and over beta2 at beta1 = 0.5, AdamProxy, Det-Adam, Inc-Adam)."""
    X, seeds = build_datasets(N_SMALL, (0, 1))
    refs = reference_solutions(X)
    experiments = {
        "gaussian_adam": {
            "dataset": "gaussian",
            "steps": 60_006,
            "runs": {
                "det_adam": {"label": "Det-Adam"},
                "inc_adam": {"label": "Inc-Adam", "batch_size": 1, "log_epochs": [100, 1000, 10000]},
                "adam_proxy": {"label": "AdamProxy", "optimizer": "adam_proxy"},
            },
        },
        "gaussian_beta1_sweep": {
            "dataset": "gaussian",
            "steps": 1_000_000,
            "lr": 0.03,  # the small data set leaves its transient sooner at this rate than at the pipeline's 0.01
            "beta2": 0.999,
            "batch_size": 1,
            "runs": {"beta1_0": {"label": "0", "beta1": 0.0}, "beta1_09": {"label": "0.9", "beta1": 0.9}},
        },
        "gaussian_beta2_sweep": {
            "dataset": "gaussian",
            "steps": 200_000,
            "beta1": 0.5,
            "batch_size": 1,
            "runs": {"beta2_05": {"label": "0.5", "beta2": 0.5}, "beta2_09": {"label": "0.9", "beta2": 0.9}},
        },
    }
    art = Fake()
    art.datasets["gaussian"], art.references["gaussian"] = {"X": X}, refs
    for exp, spec in experiments.items():
        runs = run_experiment(X, seeds, spec, num_log=60, log=lambda _: None)
        specs = run_specs(spec)
        art.arrays[exp] = runs
        art.tables[exp] = trajectory_metrics(X, seeds, runs, refs, specs)
        art.settings[exp] = dict(specs)
    return art


def _doctored(art: Fake, exp: str, **arrays) -> Fake:
    """A copy of `art` whose run arrays of `exp` named in `arrays` ('<run>__w', ...) are replaced."""
    out = Fake()
    for attr in ("tables", "settings", "datasets", "references", "specs"):
        setattr(out, attr, dict(getattr(art, attr)))
    out.arrays = {e: dict(a) for e, a in art.arrays.items()}
    out.arrays[exp].update(arrays)
    return out


def _along(art: Fake, exp: str, run: str, directions: np.ndarray) -> np.ndarray:
    """Iterates of `run` replaced by sqrt(t)·directions[seed] at every logged step t (a fixed direction)."""
    steps = art.runs(exp)[f"{run}__steps"]
    return np.sqrt(steps + 1.0)[None, :, None] * directions[:, None, :]


def test_lemma_4_5_fails_when_adam_proxy_moves_along_the_l2_direction(small):
    assert passed("lemma_4_5", small)
    l2 = small.refs("gaussian")["w_l2"]
    bad = _doctored(small, "gaussian_adam", adam_proxy__w=_along(small, "gaussian_adam", "adam_proxy", l2))
    assert not passed("lemma_4_5", bad)


def test_lemma_a1_fails_when_inc_adam_moves_along_a_fixed_other_direction(small):
    assert passed("lemma_a1", small)
    l2 = small.refs("gaussian")["w_l2"]
    bad = _doctored(small, "gaussian_beta2_sweep", beta2_05__w=_along(small, "gaussian_beta2_sweep", "beta2_05", l2))
    assert not passed("lemma_a1", bad)


def test_prop_4_1_fails_when_one_beta1_settles_at_another_direction(small):
    assert passed("prop_4_1", small)
    w = small.runs("gaussian_beta1_sweep")["beta1_09__w"][:, -1]
    l2 = small.refs("gaussian")["w_l2"]
    # beta1 = 0.9 heads to a fixed direction pulled from its own limit towards l2: the pair never meets
    off = w / np.linalg.norm(w, axis=1, keepdims=True) + 0.2 * l2 / np.linalg.norm(l2, axis=1, keepdims=True)
    bad = _doctored(small, "gaussian_beta1_sweep", beta1_09__w=_along(small, "gaussian_beta1_sweep", "beta1_09", off))
    assert not passed("prop_4_1", bad)


def test_prop_2_5_fails_when_the_epoch_error_does_not_shrink(small):
    assert passed("prop_2_5", small)
    W = small.runs("gaussian_adam")["inc_adam__w"]
    # every other logged iterate displaced by a fixed vector: the epoch updates stop following Prop. 2.5's formula
    noise = np.random.default_rng(1).normal(size=(W.shape[0], W.shape[2]))
    odd = (np.arange(W.shape[1]) % 2)[None, :, None]
    bad = _doctored(small, "gaussian_adam", inc_adam__w=W + 0.05 * odd * noise[:, None, :])
    assert not passed("prop_2_5", bad)


def test_prop_2_4_fails_when_the_deviation_from_sign_gd_does_not_shrink(small):
    assert passed("prop_2_4", small)
    D = small.runs("gaussian_adam")["det_adam__direction"]
    bad = _doctored(small, "gaussian_adam", det_adam__direction=0.7 * D)  # 30% off the sign step, forever
    assert not passed("prop_2_4", bad)
