"""Study `newton_schulz`: the interface on a tiny cfg, the step's spectrum, the figure, and both checks on real tiny
artifacts and on doctored metric tables where their statements are false."""

from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from implicit_bias.artifacts import save_csv, save_npz
from implicit_bias.checks import Artifacts, verdict_of
from implicit_bias.config import check_section
from implicit_bias.optimizers import newton_schulz, polar_factor
from implicit_bias.papers.beyond import newton_schulz as study
from implicit_bias.papers.beyond import study_module
from implicit_bias.papers.beyond.experiments import run_study
from implicit_bias.papers.beyond.newton_schulz import checks as study_checks
from implicit_bias.papers.beyond.newton_schulz import experiments as study_exp
from implicit_bias.papers.beyond.newton_schulz import plots as study_plots

RUNS = {
    "exact": {"label": "exact", "polar": "svd"},
    "ns5": {"label": "NS5", "polar": "newton_schulz", "polar_steps": 5},
    "cubic": {"label": "cubic 40", "polar": "cubic", "polar_steps": 40},
}
TINY = dict(
    seeds=[0, 1],
    data=dict(classes=3, dim=6, per_class=4, sigma=0.1),
    steps=2000,
    num_log=30,
    lr=0.05,
    decay=0.5,
    beta1=0.9,
    runs=RUNS,
)
CUBIC_KEY = "max over logged steps of |spectral gap (cubic) - spectral gap (exact)| (metric table: 10 digits)"
LEAD_KEY = "ns5: lead of the spectral gap at T minus its motion over the last decade"
FALL_KEY = "ns5: spectral-gap fall over the last decade / exact Muon's on the same data"


@pytest.fixture(scope="module")
def tiny():
    """Every data set of the tiny cfg through the interface: {name: (data, refs, runs)} and the metric table."""
    return run_study("newton_schulz", TINY, log=lambda line: None)


def test_the_modules_are_the_registered_study():
    assert study_module("newton_schulz") is study
    assert [study_module("newton_schulz", layer) for layer in ("experiments", "checks", "plots")] == [
        study_exp,
        study_checks,
        study_plots,
    ]
    assert study.FIGURE == "newton_schulz_muon"
    assert set(study_checks.CHECKS) == {"muon_cubic_matches_exact", "muon_ns5_keeps_spectral_bias"}
    assert study_checks.CHECKS["muon_cubic_matches_exact"].kind == "consistency"
    assert study_checks.CHECKS["muon_ns5_keeps_spectral_bias"].kind == "claim"
    # the claim is named as ours, not the paper's
    assert study_checks.CHECKS["muon_ns5_keeps_spectral_bias"].claim.startswith("Ours, not the paper's")


def test_interface_shapes_and_references(tiny):
    inputs, df = tiny
    assert list(inputs) == ["s0", "s1"]
    _, refs, runs = inputs["s0"]
    k, d = 3, 6
    for key in ("V_inf", "V_2", "V_spec"):
        assert refs[key].shape == (k, d) and np.isfinite(refs[key]).all()
    # each reference has relative gap 0 in its own norm (it is the max margin there)
    for key in ("inf", "2", "spec"):
        assert df[f"gap_{key}"].min() > -1e-6
    assert np.linalg.norm(refs["V_spec"], 2) == pytest.approx(1.0, rel=1e-9)
    n_log = runs["steps"].size
    assert {2000 // 100, 2000 // 10, 2000} <= set(runs["steps"].tolist())  # the checks' T/100, T/10, T
    for run in RUNS:
        assert runs[f"{run}__w"].shape == (n_log, k, d)
        assert runs[f"{run}__direction"].shape == (n_log, k, d)
    assert all(np.asarray(v).dtype.kind in "fiuU" for v in runs.values())  # npz-able plain arrays
    assert len(df) == 2 * len(RUNS) * n_log
    cols = {"gap_inf", "gap_2", "gap_spec", "corr_2", "corr_spec", "dir_sv_min", "dir_sv_max", "dir_residual"}
    assert cols <= set(df.columns)


def test_the_exact_steps_have_unit_singular_values_and_ns5_does_not(tiny):
    _, df = tiny
    exact = df[(df["run"] == "exact") & df["dir_residual"].notna()]
    assert exact["dir_residual"].max() < 1e-12
    ns5 = df[(df["run"] == "ns5") & df["dir_residual"].notna()]
    assert ns5["dir_residual"].max() > 0.05  # Muon's quintic leaves the singular values spread around 1


def test_direction_spectrum_is_the_distance_from_the_polar_factor():
    """For an odd-polynomial iteration (same singular vectors) max|σ(Δ) − 1| = ‖Δ − UVᵀ‖_spec; the rank-deficient
    CE direction (1ᵀM = 0) has its rounding-level singular value left out."""
    rng = np.random.default_rng(3)
    M = rng.standard_normal((5, 9))
    M -= M.mean(axis=0)  # 1ᵀM = 0: rank 4, as every CE gradient and momentum
    D = newton_schulz(M, 5, (3.4445, -4.7750, 2.0315))
    lo, hi, res = study_exp.direction_spectrum(D[None])
    assert res[0] == pytest.approx(np.linalg.norm(D - polar_factor(M), 2), rel=1e-9)
    assert 0 < lo[0] <= hi[0]
    # the cubic iteration amplifies the null direction's rounding (×1.5 per step): still not a singular value
    C = newton_schulz(M, 60, (1.5, -0.5, 0.0))
    lo, hi, res = study_exp.direction_spectrum(np.stack([C, np.full_like(C, np.nan)]))
    assert res[0] < 1e-12 and lo[0] == pytest.approx(1.0) and np.isnan(res[1])


def test_figure_draws(tiny):
    _, df = tiny
    fig = study_plots.figure(df, TINY)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == len(RUNS) + 2
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in visible)
    assert all(ax.get_xscale() == "log" for ax in visible)
    assert all(ax.get_yscale() == "log" for ax in visible[: len(RUNS) + 1])  # the gap panels
    assert "band" in fig._suptitle.get_text()
    import matplotlib.pyplot as plt

    plt.close(fig)


def _artifacts(tmp_path, inputs, df, cfg=TINY) -> Artifacts:
    runs, data, refs = {}, {}, {}
    for name, (d, r, ru) in inputs.items():
        for kind, arrays, paths in (("data", d, data), ("refs", r, refs), ("runs", ru, runs)):
            path = tmp_path / f"{kind}_{name}.npz"
            save_npz(path, arrays, {"study": "newton_schulz"})
            paths[f"newton_schulz/{name}"] = path
    save_csv(tmp_path / "metrics.csv", df, cfg)
    return Artifacts(runs=runs, metrics={"newton_schulz": tmp_path / "metrics.csv"}, data=data, refs=refs)


def _verdict(name, art):
    return verdict_of(study_checks.CHECKS[name], art, "beyond", name)


def test_cubic_check_passes_on_real_artifacts_and_fails_when_stopped_short(tiny, tmp_path):
    inputs, df = tiny
    v = _verdict("muon_cubic_matches_exact", _artifacts(tmp_path, inputs, df))
    assert v["passed"] is True, v["criteria"]
    assert max(v["measured"][CUBIC_KEY]) < 1e-9
    # the same study with the cubic iteration stopped after 2 steps: not the exact polar factor any more
    short = {**TINY, "runs": {**RUNS, "cubic": {"polar": "cubic", "polar_steps": 2}}}
    bad_inputs, bad_df = run_study("newton_schulz", short, log=lambda line: None)
    (tmp_path / "short").mkdir()
    v = _verdict("muon_cubic_matches_exact", _artifacts(tmp_path / "short", bad_inputs, bad_df, short))
    assert v["passed"] is False
    assert max(v["measured"][CUBIC_KEY]) > study_checks.CUBIC_FLOOR


class Stub:
    """The part of `Artifacts` the checks read: the study's metric table."""

    def __init__(self, df):
        self._df = df

    def metrics(self, exp):
        assert exp == "newton_schulz"
        return self._df


def _synthetic(ns5_spec_end=0.03, ns5_2_end=0.2, ns5_plateau=False, seeds=(0, 1, 2)) -> pd.DataFrame:
    """exact Muon: spectral gap 0.1·(t/100)^(−0.3), 2-gap 0.3 → 0.2, max-gap 0.6; ns5: its own spectral and 2-gap
    ends (power laws from the same start), or a spectral gap that stops falling at T/10 (a plateau)."""
    T = 10_000
    steps = np.array([0, 1, 10, 100, 300, 1000, 3000, T])
    rows = []
    for seed in seeds:
        for run in ("exact", "ns5", "ns10", "cubic"):
            for t in steps:
                if run == "ns5":
                    # a power law from 0.1 at t = 100 to ns5_spec_end at T (flat before t = 100)
                    beta = np.log(0.1 / ns5_spec_end) / np.log(100)
                    at = min(T // 10, t) if ns5_plateau else t
                    spec = ns5_spec_end * (max(at, 100) / T) ** -beta * (0.999 if ns5_plateau and t == T else 1.0)
                    two = 0.3 * (ns5_2_end / 0.3) ** (np.log10(max(t, 1)) / 4)
                else:
                    spec = 0.1 * (max(t, 100) / 100) ** -0.3
                    two = 0.3 * (0.2 / 0.3) ** (np.log10(max(t, 1)) / 4)
                rows.append(
                    dict(
                        dataset=f"s{seed}",
                        seed=seed,
                        run=run,
                        label=run,
                        step=t,
                        gap_inf=np.nan if t == 0 else 0.6,
                        gap_2=np.nan if t == 0 else two,
                        gap_spec=np.nan if t == 0 else spec,
                        corr_inf=0.8,
                        corr_2=0.95,
                        corr_spec=0.94,
                        dir_sv_min=np.nan if t == T else 1.0,
                        dir_sv_max=np.nan if t == T else 1.0,
                        dir_residual=np.nan if t == T else 1e-15,
                        log_loss=-float(t) / 100,
                        steps=T,
                        v2_gap_spec=0.12,
                        vspec_gap_2=0.12,
                    )
                )
    return pd.DataFrame(rows)


def _ns5(df):
    return verdict_of(study_checks.CHECKS["muon_ns5_keeps_spectral_bias"], Stub(df), "beyond", "x")


def test_ns5_check_passes_when_ns5_behaves_like_exact_muon():
    df = _synthetic()
    ns5 = df["run"] == "ns5"
    exact = df[df["run"] == "exact"].set_index(["seed", "step"])
    df.loc[ns5, ["gap_spec", "gap_2"]] = exact.loc[
        list(zip(df.loc[ns5, "seed"], df.loc[ns5, "step"], strict=True)), ["gap_spec", "gap_2"]
    ].to_numpy()
    v = _ns5(df)
    assert v["passed"] is True, v["criteria"]
    assert v["measured"][FALL_KEY] == pytest.approx([1.0, 1.0, 1.0])


@pytest.mark.parametrize(
    ("kwargs", "key"),
    [
        (dict(ns5_spec_end=0.13, ns5_2_end=0.08), LEAD_KEY),  # NS5 on seed 0 of the default config: ℓ2 ahead at T
        (dict(ns5_plateau=True), FALL_KEY),  # spectral gap stalls over the last decade
    ],
)
def test_ns5_check_fails_where_the_spectral_bias_is_lost(kwargs, key):
    v = _ns5(_synthetic(**kwargs))
    assert v["passed"] is False
    crit = {c["key"]: c for c in v["criteria"]}
    assert crit[key]["passed"] is False and crit[key]["holds_on"] == "0 of 3"


def test_ns5_check_asserts_every_seed():
    """One seed where NS5's 2-gap ends below its spectral gap fails the check (per run, not a seed mean)."""
    good = _synthetic(ns5_spec_end=0.005, seeds=(0, 1))
    bad = _synthetic(ns5_spec_end=0.13, ns5_2_end=0.08, seeds=(2,))
    v = _ns5(pd.concat([good, bad], ignore_index=True))
    crit = {c["key"]: c for c in v["criteria"]}
    assert crit[LEAD_KEY]["passed"] is False and crit[LEAD_KEY]["holds_on"] == "2 of 3"


def test_a_lead_inside_its_motion_is_a_tie():
    """NS5's spectral gap below its 2-gap at T by less than the lead moved over the last decade: not decided."""
    df = _synthetic(ns5_spec_end=0.005)
    sel = (df["run"] == "ns5") & (df["step"] == 1000)
    df.loc[sel, "gap_2"] = df.loc[sel, "gap_spec"] - 0.5  # the lead was -0.5 at T/10
    v = _ns5(df)
    assert min(v["measured"]["ns5: lead min(2-gap, max-gap) - spectral gap at T"]) > 0
    assert {c["key"]: c for c in v["criteria"]}[LEAD_KEY]["passed"] is False


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (dict(runs={"exact": RUNS["exact"], "ns5": RUNS["ns5"]}), "newton_schulz.runs"),
        (
            dict(runs={**RUNS, "ns5": {"polar": "newton_schulz", "polar_steps": 10}}),
            "newton_schulz.runs.ns5.polar_steps",
        ),
        (dict(runs={**RUNS, "exact": {"polar": "cubic"}}), "newton_schulz.runs.exact.polar"),
        (dict(runs={**RUNS, "ns10": {"polar": "qr"}}), "newton_schulz.runs.ns10.polar"),
        (dict(seeds=[]), "newton_schulz.seeds"),
        (dict(steps=5), "newton_schulz.steps"),
        (dict(beta1=1.0), "newton_schulz.beta1"),
        (dict(stepz=10), "newton_schulz: Additional properties are not allowed ('stepz' was unexpected)"),
    ],
)
def test_bad_cfg_raises_naming_the_key(change, key):
    """Refused by the Snakefile's function (the schema, then the study's `check_config`), naming the key."""
    with pytest.raises(ValueError, match=r"^config error: beyond\." + re.escape(key)):
        check_section("beyond.newton_schulz", {**TINY, **change})
