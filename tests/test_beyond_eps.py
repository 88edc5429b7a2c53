"""Study `eps`: the interface on a tiny cfg, the departure rule, the figure, and the check on real tiny
artifacts and on synthetic metric tables that pass and that fail."""

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
from implicit_bias.papers.beyond import eps as study
from implicit_bias.papers.beyond import study_module
from implicit_bias.papers.beyond.eps import checks as study_checks
from implicit_bias.papers.beyond.eps import experiments as study_exp
from implicit_bias.papers.beyond.eps import plots as study_plots
from implicit_bias.papers.beyond.experiments import run_study

TINY = dict(seeds=[0, 1], n=4, d=8, eps=[0.0, 1e-8, 1e-4], steps=3000, num_log=60)


@pytest.fixture(scope="module")
def tiny():
    """Every data set of the tiny cfg through the interface: {name: (data, refs, runs)} and the metric table."""
    return run_study("eps", TINY, log=lambda line: None)


def test_the_modules_are_the_registered_study():
    assert study_module("eps") is study
    assert [study_module("eps", layer) for layer in ("experiments", "checks", "plots")] == [
        study_exp,
        study_checks,
        study_plots,
    ]
    with pytest.raises(ValueError, match="unknown layer 'figure'"):
        study_module("eps", "figure")
    assert study.FIGURE == "eps_per_sample"
    assert set(study_checks.CHECKS) == {"eps_per_sample"}
    assert study_checks.CHECKS["eps_per_sample"].experiments == ("eps",)


def test_interface_shapes(tiny):
    inputs, df = tiny
    assert list(inputs) == ["s0", "s1"]
    data, refs, runs = inputs["s0"]
    assert data["X"].shape == (4, 8)
    for key in ("fp", "l2", "linf"):
        assert refs[key].shape == (8,)
        assert np.isfinite(refs[key]).all()
    names = [study_exp.run_name(e) for e in TINY["eps"]]
    assert list(runs["runs"]) == names and np.array_equal(runs["eps"], TINY["eps"])
    n_log = runs["steps"].size
    for name in names:
        assert runs[f"{name}__w"].shape == (n_log, 8)
        assert runs[f"{name}__log_loss"].shape == (n_log,)
    assert all(np.asarray(v).dtype.kind in "fiuU" for v in runs.values())  # npz-able plain arrays
    cols = ("dataset", "run", "label", "step", "eps", "cos_fp", "cos_l2", "cos_linf", "cos_eps0", "log_grad")
    assert set(cols) <= set(df.columns)
    assert len(df) == 2 * len(names) * n_log
    # the threshold: 1% of the distance between the two candidate limits, per data set
    from implicit_bias.margins import cosine

    _, refs0, _ = inputs["s0"]
    thr = df.loc[df["dataset"] == "s0", "departure_threshold"]
    assert np.allclose(thr, 0.01 * (1 - cosine(refs0["fp"], refs0["l2"])))
    # the ε = 0 run is its own ε = 0 run (cos 1 wherever w_t != 0)
    zero = df[df["eps"] == 0]
    assert np.allclose(zero.loc[zero["step"] > 0, "cos_eps0"], 1.0)


def test_the_data_are_the_seeds_gaussian_data_and_deterministic():
    a, b = study_exp.make_dataset(TINY, "s1"), study_exp.make_dataset(TINY, "s1")
    assert np.array_equal(a["X"], b["X"])
    assert not np.array_equal(a["X"], study_exp.make_dataset(TINY, "s0")["X"])


def test_log_grad_is_the_largest_per_sample_gradient_entry(tiny):
    inputs, df = tiny
    data, _, runs = inputs["s0"]
    X = data["X"]
    w = runs[f"{study_exp.run_name(1e-4)}__w"][10]
    direct = max(np.max(np.abs(np.exp(-X[i] @ w) * X[i])) for i in range(X.shape[0]))
    row = df[(df["dataset"] == "s0") & (df["run"] == study_exp.run_name(1e-4))].iloc[10]
    assert row["log_grad"] == pytest.approx(np.log(direct), rel=1e-12)


def test_departure_is_where_the_run_leaves_eps_0_for_good():
    """The first logged step from which 1 - cos(w_eps, w_0) stays above the threshold to the end."""
    dev = lambda *d: 1.0 - np.array(d)  # noqa: E731 (cos from distances)
    assert study_checks.departure_step(dev(0, 0, 1e-5, 1e-3, 2e-3, 3e-3), 1e-4) == 3
    assert study_checks.departure_step(dev(0, 0, 1e-5, 5e-5, 8e-5, 9e-5), 1e-4) is None  # never apart: no departure
    # an early blip above the threshold (ε on the small-gradient coordinates in the first steps) is not the departure
    assert study_checks.departure_step(dev(2e-4, 1e-6, 1e-7, 1e-3, 2e-3), 1e-4) == 3
    # a run that rejoins ε = 0 at the end has not departed
    assert study_checks.departure_step(dev(0, 1e-3, 2e-3, 1e-5), 1e-4) is None
    assert study_checks.departure_step(np.array([np.nan, 1.0, 0.99, 0.98]), 1e-3) == 2


def test_figure_draws(tiny):
    _, df = tiny
    fig = study_plots.figure(df, TINY)
    assert len(fig.axes) == 4
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)
    assert "band" in fig._suptitle.get_text()
    # the ε legend is the figure's, below the panels, not over the data of (a)
    assert fig.axes[0].get_legend() is None and len(fig.legends) == 1
    import matplotlib.pyplot as plt

    plt.close(fig)


def _artifacts(tmp_path, inputs, df) -> Artifacts:
    runs, data, refs = {}, {}, {}
    for name, (d, r, ru) in inputs.items():
        for kind, arrays, paths in (("data", d, data), ("refs", r, refs), ("runs", ru, runs)):
            path = tmp_path / f"{kind}_{name}.npz"
            save_npz(path, arrays, {"study": "eps"})
            paths[f"eps/{name}"] = path
    save_csv(tmp_path / "metrics.csv", df, TINY)
    return Artifacts(runs=runs, metrics={"eps": tmp_path / "metrics.csv"}, data=data, refs=refs)


def test_check_evaluates_on_tiny_artifacts_and_fails_on_swapped_references(tiny, tmp_path):
    inputs, df = tiny
    check = study_checks.CHECKS["eps_per_sample"]
    v = verdict_of(check, _artifacts(tmp_path, inputs, df), "beyond", "eps_per_sample")
    assert {c["key"] for c in v["criteria"]} == {
        "slope_log_grad_on_log_eps",
        "eps0_end_cos_fp",
        "min_gain_cos_l2_departure_to_end",
    }
    assert len(v["measured"]["eps0_end_cos_fp"]) == 2
    # the ℓ2 max margin in place of the fixed point: ε = 0 does not end at "fp" any more
    swapped = {n: (d, {**r, "fp": r["l2"], "l2": r["fp"]}, ru) for n, (d, r, ru) in inputs.items()}
    bad = study_exp.metrics(TINY, swapped)
    (tmp_path / "bad").mkdir()
    v = verdict_of(check, _artifacts(tmp_path / "bad", swapped, bad), "beyond", "eps_per_sample")
    assert v["passed"] is False
    crit = {c["key"]: c for c in v["criteria"]}
    assert crit["eps0_end_cos_fp"]["passed"] is False


class Stub:
    """The part of `Artifacts` the check reads: the study's metric table."""

    def __init__(self, df):
        self._df = df

    def metrics(self, exp):
        assert exp == "eps"
        return self._df


def _synthetic(slope=1.0, end_fp0=0.999, drift=0.01, depart=True, same_step=False) -> pd.DataFrame:
    """Three seeds; each ε > 0 run leaves the ε = 0 run (1 - cos(w_ε, w_0) from 0 to 1e-2, threshold 1e-4) at a
    step where log g = slope·log ε + offset (or, with same_step, at one step for every ε), then drifts to ℓ2."""
    steps = np.arange(0, 12)
    rows = []
    for seed in (0, 1, 2):
        for k, e in enumerate((0.0, 1e-16, 1e-8, 1e-4)):
            leave = 7 if same_step else 3 + k
            for t in steps:
                apart = e > 0 and depart and t >= leave
                cos_fp = 0.999 if e == 0 else (0.998 if apart else 0.999)
                if e == 0 and t == steps[-1]:
                    cos_fp = end_fp0
                # log g falls with t; the ε run's departure step carries log g = slope·log ε + seed
                g = slope * np.log(e) + seed if e > 0 and t == leave and not same_step else -float(t)
                rows.append(
                    dict(
                        dataset=f"s{seed}",
                        seed=seed,
                        run=study_exp.run_name(e),
                        label=f"ε = {e:g}",
                        eps=e,
                        step=t,
                        cos_fp=cos_fp,
                        cos_l2=0.97 + (drift if e > 0 and t > leave else 0.0),
                        cos_eps0=1.0 - (1e-2 if apart else 0.0),
                        log_loss=g - 1.0,
                        log_grad=g,
                        departure_threshold=1e-4,
                    )
                )
    return pd.DataFrame(rows)


def _verdict(df):
    return verdict_of(study_checks.CHECKS["eps_per_sample"], Stub(df), "beyond", "eps_per_sample")


def test_check_passes_on_slope_one_and_each_criterion_can_fail():
    v = _verdict(_synthetic())
    assert v["passed"] is True, v["criteria"]
    assert v["measured"]["slope_log_grad_on_log_eps"] == pytest.approx([1.0, 1.0, 1.0])
    for df, key in (
        (_synthetic(slope=0.5), "slope_log_grad_on_log_eps"),
        (_synthetic(slope=1.5), "slope_log_grad_on_log_eps"),
        (_synthetic(end_fp0=0.99), "eps0_end_cos_fp"),
        (_synthetic(drift=-0.01), "min_gain_cos_l2_departure_to_end"),
        (_synthetic(depart=False), "slope_log_grad_on_log_eps"),  # no departure: NaN slope
        (_synthetic(same_step=True), "slope_log_grad_on_log_eps"),  # departure at a fixed time, not at |g| = ε
    ):
        v = _verdict(df)
        assert v["passed"] is False
        assert not all(c["passed"] for c in v["criteria"] if c["key"] == key), key


def test_one_bad_seed_fails_the_check():
    df = _synthetic()
    one = (df["seed"] == 2) & (df["eps"] == 1e-4) & (df["step"] == 6)  # its departure step
    df.loc[one, "log_grad"] -= 10.0  # seed 2 alone: slope well below 0.8
    v = _verdict(df)
    crit = next(c for c in v["criteria"] if c["key"] == "slope_log_grad_on_log_eps" and c["op"] == ">=")
    assert crit["passed"] is False and crit["holds_on"] == "2 of 3"


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (dict(batch_size=3), "eps.batch_size"),
        (dict(batch_size=4), "eps.batch_size"),
        (dict(eps=[0.0, 1e-8]), "eps.eps"),
        (dict(eps=[1e-8, -1e-4]), "eps.eps"),
        (dict(seeds=[]), "eps.seeds"),
        (dict(steps=0), "eps.steps"),
        (dict(departure_fraction=0.0), "eps.departure_fraction"),
        (dict(eps=[1e-12, 1e-8, 1e-4]), "eps.eps"),  # no ε = 0 run to read the departure against
        (dict(step=10), "eps: Additional properties are not allowed ('step' was unexpected)"),
        (dict(fixed_point={"tolerance": 1e-6}), "eps.fixed_point"),
    ],
)
def test_bad_cfg_raises_naming_the_key(change, key):
    """Refused by the Snakefile's function (the schema, then the study's `check_config`), naming the key."""
    with pytest.raises(ValueError, match=r"^config error: beyond\." + re.escape(key)):
        check_section("beyond.eps", {**TINY, **change})


def test_non_separable_data_raise_naming_the_keys():
    cfg = {**TINY, "n": 60, "d": 2}
    data = study_exp.make_dataset(cfg, "s0")
    with pytest.raises(ValueError, match=r"eps\.n = 60, eps\.d = 2.*not linearly separable"):
        study_exp.references(cfg, "s0", data)
