"""Study `eps` (issue 13): the interface on a tiny cfg, the departure rule, the figure, and the check on real tiny
artifacts and on synthetic metric tables that pass and that fail."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd
import pytest

from implicit_bias.artifacts import save_csv, save_npz
from implicit_bias.checks import Artifacts, verdict_of
from implicit_bias.papers.beyond import eps as study
from implicit_bias.papers.beyond import study_module
from implicit_bias.papers.beyond.experiments import run_study

TINY = dict(seeds=[0, 1], n=4, d=8, eps=[0.0, 1e-8, 1e-4], steps=3000, num_log=60)


@pytest.fixture(scope="module")
def tiny():
    """Every data set of the tiny cfg through the interface: {name: (data, refs, runs)} and the metric table."""
    return run_study("eps", TINY, log=lambda line: None)


def test_the_module_is_the_registered_study():
    assert study_module("eps") is study
    assert study.FIGURE == "eps_per_sample"
    assert set(study.CHECKS) == {"eps_per_sample"}
    assert study.CHECKS["eps_per_sample"].experiments == ("eps",)


def test_interface_shapes(tiny):
    inputs, df = tiny
    assert list(inputs) == ["s0", "s1"]
    data, refs, runs = inputs["s0"]
    assert data["X"].shape == (4, 8)
    for key in ("fp", "l2", "linf"):
        assert refs[key].shape == (8,)
        assert np.isfinite(refs[key]).all()
    names = [study.run_name(e) for e in TINY["eps"]]
    assert list(runs["runs"]) == names and np.array_equal(runs["eps"], TINY["eps"])
    n_log = runs["steps"].size
    for name in names:
        assert runs[f"{name}__w"].shape == (n_log, 8)
        assert runs[f"{name}__log_loss"].shape == (n_log,)
    assert all(np.asarray(v).dtype.kind in "fiuU" for v in runs.values())  # npz-able plain arrays
    for col in ("dataset", "run", "label", "step", "eps", "cos_fp", "cos_l2", "cos_linf", "log_grad", "departure"):
        assert col in df.columns
    assert len(df) == 2 * len(names) * n_log
    assert df.groupby(["dataset", "run"])["departure"].sum().max() <= 1
    # the ε = 0 run is its own ε = 0 run (cos 1 wherever w_t != 0)
    zero = df[df["eps"] == 0]
    assert np.allclose(zero.loc[zero["step"] > 0, "cos_eps0"], 1.0)


def test_the_data_are_the_seeds_gaussian_data_and_deterministic():
    a, b = study.make_dataset(TINY, "s1"), study.make_dataset(TINY, "s1")
    assert np.array_equal(a["X"], b["X"])
    assert not np.array_equal(a["X"], study.make_dataset(TINY, "s0")["X"])


def test_log_grad_is_the_largest_per_sample_gradient_entry(tiny):
    inputs, df = tiny
    data, _, runs = inputs["s0"]
    X = data["X"]
    w = runs[f"{study.run_name(1e-4)}__w"][10]
    direct = max(np.max(np.abs(np.exp(-X[i] @ w) * X[i])) for i in range(X.shape[0]))
    row = df[(df["dataset"] == "s0") & (df["run"] == study.run_name(1e-4))].iloc[10]
    assert row["log_grad"] == pytest.approx(np.log(direct), rel=1e-12)


def test_departure_is_the_peak_when_the_run_ends_below_it():
    steps = np.arange(7)
    assert study.departure_step(steps, np.array([np.nan, 0.5, 0.9, 0.99, 0.98, 0.97, 0.96]), 1e-2) == 3
    assert study.departure_step(steps, np.array([np.nan, 0.5, 0.9, 0.99, 0.995, 0.999, 0.9999]), 1e-4) is None
    # a drop smaller than `drop` is no departure; an early wobble is not the peak
    assert study.departure_step(steps, np.array([np.nan, 0.5, 0.4, 0.99, 0.995, 0.99499, 0.9949]), 1e-3) is None
    assert study.departure_step(steps, np.array([np.nan, 0.5, 0.4, 0.99, 0.995, 0.99, 0.98]), 1e-3) == 4
    assert study.departure_step(steps, np.full(7, np.nan), 1e-3) is None


def test_figure_draws(tiny):
    _, df = tiny
    fig = study.figure(df, TINY)
    assert len(fig.axes) == 3
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in fig.axes)
    assert "band" in fig._suptitle.get_text()
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
    check = study.CHECKS["eps_per_sample"]
    v = verdict_of(check, _artifacts(tmp_path, inputs, df), "beyond", "eps_per_sample")
    assert {c["key"] for c in v["criteria"]} == {
        "slope_log_grad_on_log_eps",
        "eps0_end_cos_fp",
        "min_gain_cos_l2_departure_to_end",
    }
    assert len(v["measured"]["eps0_end_cos_fp"]) == 2
    # the ℓ2 max margin in place of the fixed point: ε = 0 does not end at "fp" any more
    swapped = {n: (d, {**r, "fp": r["l2"], "l2": r["fp"]}, ru) for n, (d, r, ru) in inputs.items()}
    bad = study.metrics(TINY, swapped)
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


def _synthetic(slope=1.0, end_fp0=0.999, drift=0.01, depart=True) -> pd.DataFrame:
    """Three seeds; ε > 0 runs peak in cos(fp) at a step where log g = slope·log ε + offset, then drift to ℓ2."""
    steps = np.arange(0, 10)
    rows = []
    for seed in (0, 1, 2):
        for k, e in enumerate((0.0, 1e-16, 1e-8, 1e-4)):
            peak = 3 + k
            for t in steps:
                cos_fp = 0.999 if e == 0 else (0.999 if t <= peak else 0.999 - (0.001 if depart else 0.0))
                if e == 0 and t == steps[-1]:
                    cos_fp = end_fp0
                g = slope * np.log(e) + seed if e > 0 and t == peak else -t
                rows.append(
                    dict(
                        dataset=f"s{seed}",
                        seed=seed,
                        run=study.run_name(e),
                        label=f"ε = {e:g}",
                        eps=e,
                        step=t,
                        cos_fp=cos_fp,
                        cos_l2=0.97 + (drift if t > peak else 0.0),
                        log_loss=g - 1.0,
                        log_grad=g,
                        departure=int(e > 0 and t == peak and depart),
                    )
                )
    return pd.DataFrame(rows)


def _verdict(df):
    return verdict_of(study.CHECKS["eps_per_sample"], Stub(df), "beyond", "eps_per_sample")


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
    ):
        v = _verdict(df)
        assert v["passed"] is False
        assert not all(c["passed"] for c in v["criteria"] if c["key"] == key), key


def test_one_bad_seed_fails_the_check():
    df = _synthetic()
    one = (df["seed"] == 2) & (df["departure"] == 1) & (df["eps"] == 1e-4)
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
        (dict(drop=0.0), "eps.drop"),
        (dict(step=10), "eps.step"),
        (dict(fixed_point={"tolerance": 1e-6}), "eps.fixed_point"),
    ],
)
def test_bad_cfg_raises_naming_the_key(change, key):
    with pytest.raises(ValueError, match=key.replace(".", r"\.")):
        study.datasets({**TINY, **change})


def test_non_separable_data_raise_naming_the_keys():
    cfg = {**TINY, "n": 60, "d": 2}
    data = study.make_dataset(cfg, "s0")
    with pytest.raises(ValueError, match=r"eps\.n = 60, eps\.d = 2.*not linearly separable"):
        study.references(cfg, "s0", data)
