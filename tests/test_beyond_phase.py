"""The `phase` study: its grid, references, metric table, figure and check, and the check on
synthetic metric tables where the claim holds and where it does not (a plateau, a run heading to fp_1)."""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest

from implicit_bias.artifacts import save_csv
from implicit_bias.checks import Artifacts, verdict_of
from implicit_bias.papers.beyond.experiments import run_study
from implicit_bias.papers.beyond.phase import checks as phase_checks
from implicit_bias.papers.beyond.phase import experiments as phase_exp
from implicit_bias.papers.beyond.phase import plots as phase_plots

CFG = dict(
    seeds=[0, 1],
    data=dict(n=4, d=12),
    batch_sizes=[1, 2, 4],
    samplings=["cyclic", "reshuffle"],
    beta1=[0.0, 0.9],
    beta2=[0.5, 0.99],
    lr=0.1,
    decay=0.5,
    steps=20_000,
    num_log=15,
    fixed_point=dict(tol=1e-8, max_iter=300),
)


@pytest.fixture(scope="module")
def table():
    return run_study("phase", CFG, log=lambda line: None)


def test_grid_skips_beta1_above_beta2_and_reshuffled_full_batch():
    grid = phase_exp.run_grid(CFG, n=4)
    assert all(g["beta1"] <= g["beta2"] for g in grid)
    assert not [g for g in grid if g["batch_size"] == 4 and g["sampling"] != "cyclic"]
    # b in {1, 2} x 2 samplings x 3 (beta1, beta2) pairs + full batch x 3
    assert len(grid) == 2 * 2 * 3 + 3


def test_batch_sizes_must_divide_n():
    with pytest.raises(ValueError, match=r"phase\.batch_sizes: 3 must divide data\.n = 4"):
        phase_exp.make_dataset({**CFG, "batch_sizes": [1, 3]}, "s0")


def test_references_are_the_fixed_points_of_each_batch_problem(table):
    from implicit_bias.fixed_point import proxy_fixed_point

    inputs, _ = table
    data, refs, _ = inputs["s0"]
    # b = N: the l_inf max margin; b < N: Algorithm 3 on the batch problem, recomputed here
    assert np.array_equal(refs["fp__b4_cyclic"], refs["w_linf"])
    fp = proxy_fixed_point(data["X"], tol=1e-8, max_iter=300, batch_size=2, sampling="reshuffle")
    assert np.allclose(refs["fp__b2_reshuffle"], fp.w)
    assert not np.allclose(refs["fp__b2_reshuffle"], refs["fp__b2_cyclic"])


def test_metrics_table_measures_the_final_iterate_and_the_decade_before(table):
    from implicit_bias.margins import cosine

    inputs, df = table
    assert len(df) == 2 * len(phase_exp.run_grid(CFG, 4))
    _, refs, runs = inputs["s1"]
    row = df[df["dataset"] == "s1"].iloc[3]
    assert row["cos_linf"] == pytest.approx(cosine(runs["w"][3, -1], refs["w_linf"]))
    # the decade column: the logged step nearest T/10 (in log t), and the cosine with the run's own fp_b there
    steps = runs["steps"]
    k = int(np.argmin(np.abs(np.log(np.maximum(steps, 1)) - np.log(steps[-1] / 10))))
    assert row["step_decade"] == steps[k]
    fp = refs[f"fp__b{row['batch_size']}_{row['sampling']}"]
    assert row["cos_fp_b_decade"] == pytest.approx(cosine(runs["w"][3, k], fp))
    # fp_1 at b = 1 and the l_inf max margin at b = N are fp_b itself, never its rival
    assert phase_exp._rivals(1, 4) == ("cos_linf", "cos_l2") and phase_exp._rivals(4, 4) == ("cos_fp_1", "cos_l2")


def _verdict(df: pd.DataFrame, tmp_path):
    path = tmp_path / "phase.csv"
    save_csv(path, df, {})
    art = Artifacts(runs={}, metrics={"phase": path}, data={}, refs={})
    return verdict_of(phase_checks.CHECKS["batch_fixed_point"], art, "beyond", "batch_fixed_point")


def _synthetic(fall=100.0, dist=1e-4, fp1_dist=None, beta2=(0.5, 0.99, 0.999), seeds=(0, 1, 2)) -> pd.DataFrame:
    """Metric rows of runs at b = 2 of N = 4, T = 1e6: 1 - cos(w_t, fp_b) = dist at T and fall * dist at T/10; the
    candidate limits are 1e-2 apart; the rivals sit at 1 - cos = 1e-2 (fp_1 at fp1_dist if given)."""
    rows = []
    for seed, b2 in itertools.product(seeds, beta2):
        d1 = 1e-2 if fp1_dist is None else fp1_dist
        lead = (1 - dist) - max(1 - d1, 1 - 1e-2)
        rows.append(
            dict(
                dataset=f"s{seed}",
                seed=seed,
                n=4,
                run=f"b2_cyclic_beta1=0_beta2={b2:g}",
                label="b=2 cyclic",
                step=1_000_000,
                batch_size=2,
                sampling="cyclic",
                beta1=0.0,
                beta2=b2,
                cos_fp_b=1 - dist,
                cos_fp_1=1 - d1,
                cos_linf=1 - 1e-2,
                cos_l2=1 - 2e-2,
                step_decade=100_000,
                cos_fp_b_decade=1 - min(fall * dist, 0.5),
                lead=lead,
                lead_previous_log=lead * 0.99,
                separation=1e-2,
                log_loss=-100.0,
                fp_converged=True,
            )
        )
    return pd.DataFrame(rows)


def test_check_passes_on_runs_converging_to_fp_b(tmp_path):
    v = _verdict(_synthetic(), tmp_path)
    assert v["passed"] is True, v["criteria"]
    assert v["measured"]["runs asserted (near a candidate limit at T)"] == 6  # beta2 = 0.5 is outside the claim
    assert "beta2=0.5 b=2 cyclic" in v["measured"][next(k for k in v["measured"] if k.startswith("beta2 < "))]


def test_a_run_that_plateaus_fails_the_check(tmp_path):
    """A run stopped at 1 - cos = 1e-4 from fp_b (the level is fine, the trend is flat): the trend criterion fails."""
    df = _synthetic()
    one = (df["seed"] == 1) & (df["beta2"] == 0.99)
    df.loc[one, "cos_fp_b_decade"] = df.loc[one, "cos_fp_b"] - 1e-6  # fell by 1.01x over the last decade
    v = _verdict(df, tmp_path)
    assert v["passed"] is False
    crit = {c["key"]: c for c in v["criteria"]}
    trend = crit["fall of 1 - cos(w_t, fp_b) per decade over [T/10, T], per asserted run"]
    assert trend["passed"] is False and trend["holds_on"] == "5 of 6"


def test_a_run_converging_to_fp_1_fails_the_check(tmp_path):
    """The run heads for the per-sample fixed point: nearer to fp_1 than to fp_b, and its distance to fp_b stops."""
    v = _verdict(_synthetic(dist=5e-3, fall=1.05, fp1_dist=1e-5), tmp_path)
    assert v["passed"] is False
    assert not any(c["passed"] for c in v["criteria"] if c["key"] != "all fixed points converged")


def test_a_lead_inside_its_own_motion_decides_nothing(tmp_path):
    df = _synthetic()
    df["lead_previous_log"] = -df["lead"]  # the lead moved by twice itself over the last logged interval
    v = _verdict(df, tmp_path)
    crit = {c["key"]: c for c in v["criteria"]}
    assert v["passed"] is False
    assert (
        crit["lead of fp_b over the nearest rival at T minus the lead's last-interval motion, per asserted run"][
            "holds_on"
        ]
        == "0 of 6"
    )


def test_runs_far_from_every_candidate_are_not_testable_and_reported(tmp_path):
    """beta2 = 0.999 runs still in their transient (farther from every candidate than the candidates are apart) are
    reported as not testable at this T, with their numbers; if no run is testable the check cannot pass."""
    df = _synthetic()
    far = df["beta2"] == 0.999
    df.loc[far, ["cos_fp_b", "cos_fp_1", "cos_linf", "cos_l2"]] = 0.7
    df.loc[far, "cos_fp_b_decade"] = 0.7
    v = _verdict(df, tmp_path)
    assert v["passed"] is True
    assert v["measured"]["runs asserted (near a candidate limit at T)"] == 3
    assert len(v["measured"]["runs not testable at this T (data set/run)"]) == 3
    # they did not move over the decade: reported as frozen, and as runs the criteria would fail, never as passes
    assert v["measured"]["not testable, frozen (far from every candidate, not falling at the rate): runs"] == 3
    assert len(v["measured"]["not testable runs the criteria would fail if asserted (data set/run)"]) == 3
    cells = v["measured"]["not testable at this T, per cell: [min, max] 1 - cos(w_T, fp_b), [min, max] fall per decade"]
    assert cells["beta2=0.999 b=2 cyclic"][0] == pytest.approx(0.3)
    df.loc[:, ["cos_fp_b", "cos_fp_1", "cos_linf", "cos_l2", "cos_fp_b_decade"]] = 0.7
    assert _verdict(df, tmp_path)["passed"] is False  # nothing asserted: no pass


def test_figure_draws_log_distance_to_every_reference_and_keeps_empty_columns(table):
    _, df = table
    fig = phase_plots.figure(df, CFG)
    titles = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert len(titles) == 4 * len(CFG["beta1"]) and all("β1" in t and "log10(1 − cos" in t for t in titles)
    assert any("fp_1" in t for t in titles)
    # beta1 = 0.9 > beta2 = 0.5: that column is drawn blank, not dropped
    heat = [ax for ax in fig.axes if ax.get_title().startswith("log10(1 − cos(w_T, batch") and "0.9" in ax.get_title()]
    assert [t.get_text() for t in heat[0].get_xticklabels()] == ["0.5", "0.99"]
    assert "Blank cells: β1 > β2" in fig._suptitle.get_text()
