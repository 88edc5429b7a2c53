"""The `multiclass` study (papers/beyond/multiclass/): interface, references with their convergence
record and lexicographic completion, the two checks (the references exist; the runs follow them: each must be able to
fail, and the claim must leave out a reference not established), the figure."""

from __future__ import annotations

import copy
import re

import numpy as np
import pytest

from implicit_bias.artifacts import save_csv, save_npz
from implicit_bias.checks import Artifacts, verdict_of
from implicit_bias.config import check_section
from implicit_bias.margins import cosine
from implicit_bias.papers.beyond import study_module
from implicit_bias.papers.beyond.experiments import run_study

m = study_module("multiclass")
m_checks = study_module("multiclass", "checks")
m_exp = study_module("multiclass", "experiments")
m_plots = study_module("multiclass", "plots")
CHECK = "multiclass_fixed_point"
EXISTS = "multiclass_fixed_point_exists"
TREND = "(1 - cos(W_T/10, fp_b)) / (1 - cos(W_T, fp_b))"
RANK = "lead of fp_b over the rival at T minus"
LEAVES = "multiclass_leaves_v_inf"
LEVEL = "cos(W_T, V_inf) - (1"
AWAY = "(1 - cos(W_T/10, V_inf))"

TINY = {
    "seeds": [0, 1],
    "data": {"classes": 3, "dim": 6, "per_class": 4, "sigma": 0.1},
    "num_log": 30,
    "adam": {"lr": 0.1, "decay": 0.5, "beta1": 0.9, "beta2": 0.999, "eps": 0.0},
    "runs": {
        "b1_cyclic": {"label": "b = 1, cyclic", "batch_size": 1, "sampling": "cyclic", "steps": 20000},
        "b1_reshuffle": {"label": "b = 1, reshuffled", "batch_size": 1, "sampling": "reshuffle", "steps": 20000},
        "b4_cyclic": {"label": "b = 4, cyclic", "batch_size": 4, "sampling": "cyclic", "steps": 20000},
        "full": {"label": "full batch", "steps": 5000, "decay": 2 / 3, "beta2": 0.99},
    },
    "fixed_point": {"tol": 1e-6, "max_iter": 200, "plain_iter": 10},
}


@pytest.fixture(scope="module")
def built():
    """data, references and runs of every tiny data set, and the metric table."""
    return run_study("multiclass", TINY, log=lambda line: None)


def _artifacts(tmp_path, inputs, df) -> Artifacts:
    paths = {"runs": {}, "data": {}, "refs": {}}
    for name, (data, refs, runs) in inputs.items():
        for kind, arrays in (("data", data), ("refs", refs), ("runs", runs)):
            path = tmp_path / f"{kind}_{name}.npz"
            save_npz(path, arrays, {"study": "multiclass", "name": name})
            paths[kind][f"multiclass/{name}"] = path
    save_csv(tmp_path / "metrics.csv", df, TINY)
    return Artifacts(paths["runs"], {"multiclass": tmp_path / "metrics.csv"}, paths["data"], paths["refs"])


def _verdict(tmp_path, inputs, df, check: str = CHECK) -> dict:
    return verdict_of(m_checks.CHECKS[check], _artifacts(tmp_path, inputs, df), "beyond", check)


def _criterion(verdict: dict, start: str) -> dict:
    return next(c for c in verdict["criteria"] if c["key"].startswith(start))


def test_interface_shapes(built):
    inputs, df = built
    assert m.FIGURE == "multiclass_per_sample" and set(m_checks.CHECKS) == {CHECK, EXISTS, LEAVES}
    assert m_exp.datasets(TINY) == ["s0", "s1"]
    data, refs, runs = inputs["s0"]
    assert data["H"].shape == (12, 6) and data["V_inf"].shape == (3, 6)
    # b = 1 cyclic and reshuffled share one fixed point (D_1(c) has no batches); b = N is compared with V_inf
    assert {"V_inf", "V_2", "fp_b1", "fp_b4_cyclic"} <= set(refs)
    assert not any(k.startswith("fp_b12") for k in refs)
    for key in ("fp_b1", "fp_b4_cyclic"):
        assert refs[key].shape == (3, 6)
        assert int(refs[f"{key}__converged"]) == 1 and int(refs[f"{key}__plain_converged"]) == 1
        assert refs[f"{key}__stage"].tolist() == [1, 1, 1]  # no class lost: the plain fixed point
        assert float(refs[f"{key}__residual"]) < TINY["fixed_point"]["tol"]
        assert float(refs[f"{key}__remaining_turn"]) <= 1e-8  # located far below any distance judged
    assert runs["b1_cyclic__w"].shape == (runs["b1_cyclic__steps"].size, 3, 6)
    assert np.all(np.isfinite(runs["full__log_loss"]))
    for column in ("dataset", "run", "label", "step", "cos_own", "cos_V_inf", "cos_V_2", "cos_fp_b1", "gap_inf"):
        assert column in df.columns
    assert set(df["own_ref"]) == {"fp_b1", "fp_b4_cyclic", "V_inf"}
    assert len(df) == sum(runs[f"{r}__steps"].size for _, _, runs in inputs.values() for r in TINY["runs"])


def test_make_dataset_is_deterministic_and_carries_the_lp_certificate():
    a, b = m_exp.make_dataset(TINY, "s1"), m_exp.make_dataset(TINY, "s1")
    assert np.array_equal(a["H"], b["H"]) and np.array_equal(a["V_inf"], b["V_inf"])
    assert not np.array_equal(a["H"], m_exp.make_dataset(TINY, "s0")["H"])
    assert float(a["gamma_inf"]) > 0


def _converging(df):
    """The tiny table (20,000 steps: too short for the trend) turned into runs that converge: from T/100 on, each
    mini-batch run's 1 - cos to its fixed point falls like 1/t and the full-batch max-norm gap like t^(-1/2)."""
    out = df.copy()
    for _, group in out[out["step"] > 0].groupby(["dataset", "run"]):
        start = group["step"].max() / 100
        late = group.index[group["step"] >= start]
        scale = (group.loc[late, "step"] / start).to_numpy()
        if group["own_ref"].iloc[0] == "V_inf":
            out.loc[late, "gap_inf"] = group.loc[late[0], "gap_inf"] / np.sqrt(scale)
        else:
            out.loc[late, "cos_own"] = 1.0 - (1.0 - group.loc[late[0], "cos_own"]) / scale
    return out


def _leaving(df, converge: bool = False):
    """The per-sample runs' distance to V_inf held at its T/100 value from there on (they do not approach it), or,
    with `converge`, falling like 1/t from there (they go to it)."""
    out = df.copy()
    for _, group in out[(out["step"] > 0) & (out["batch_size"] == 1)].groupby(["dataset", "run"]):
        start = group["step"].max() / 100
        late = group.index[group["step"] >= start]
        scale = (group.loc[late, "step"] / start).to_numpy() if converge else 1.0
        out.loc[late, "cos_V_inf"] = 1.0 - (1.0 - group.loc[late[0], "cos_V_inf"]) / scale
    return out


def test_leaves_v_inf_passes_and_fails(tmp_path, built):
    """Pass: per-sample runs held away from V_inf. Fail (trend): the same runs closing on V_inf like 1/t from a
    distance still below the midpoint. Fail (level): fp_1 and V_inf trade places."""
    inputs, df = built
    verdict = _verdict(tmp_path, inputs, _leaving(df), check=LEAVES)
    assert verdict["kind"] == "claim" and verdict["passed"]
    assert _criterion(verdict, LEVEL)["holds_on"] == "4 of 4" and _criterion(verdict, AWAY)["holds_on"] == "4 of 4"
    verdict = _verdict(tmp_path, inputs, _leaving(df, converge=True), check=LEAVES)
    assert not verdict["passed"] and _criterion(verdict, AWAY)["holds_on"] == "0 of 4"
    bad = _leaving(df)
    ones = bad["batch_size"] == 1
    bad.loc[ones, "cos_V_inf"] = 1.0 - (1.0 - bad.loc[ones, "cos_V_inf"]) * 1e-6
    verdict = _verdict(tmp_path, inputs, bad, check=LEAVES)
    assert not verdict["passed"] and not _criterion(verdict, LEVEL)["passed"]


def test_checks_pass_on_converging_runs(tmp_path, built):
    """The pass case: both checks hold, every run judged."""
    inputs, df = built
    exists = _verdict(tmp_path, inputs, df, check=EXISTS)
    assert exists["kind"] == "consistency" and exists["passed"]
    assert exists["measured"]["number of fixed points not established (solver did not converge)"] == 0
    verdict = _verdict(tmp_path, inputs, _converging(df))
    assert verdict["kind"] == "claim" and verdict["passed"] and len(verdict["criteria"]) == 2
    # the trend criterion sees every mini-batch run (6), at the rate of a converging run (a = 1/2: sqrt(10))
    trend = _criterion(verdict, TREND)
    assert trend["holds_on"] == "6 of 6" and trend["threshold"] == pytest.approx(np.sqrt(10))


def test_claim_fails_when_the_runs_converge_elsewhere(tmp_path, built):
    """Doctored metrics: the run's fixed point and V_inf trade places (the runs go to V_inf); trend and ranking
    must fail."""
    inputs, df = built
    bad = _converging(df)
    mini = bad["own_ref"] != "V_inf"
    bad.loc[mini, ["cos_own", "cos_V_inf"]] = bad.loc[mini, ["cos_V_inf", "cos_own"]].to_numpy()
    verdict = _verdict(tmp_path, inputs, bad)
    assert not verdict["passed"]
    assert _criterion(verdict, TREND)["holds_on"].startswith("0 of")
    assert not _criterion(verdict, RANK)["passed"]


def test_claim_fails_on_a_plateau(tmp_path, built):
    """Doctored metrics: every mini-batch run stops over the last decade at its T/10 distance to fp_b, which is still
    the nearest reference; the level and ranking hold, the trend must fail."""
    inputs, df = built
    bad = _converging(df)
    for _, group in bad[bad["own_ref"] != "V_inf"].groupby(["dataset", "run"]):
        late = group.index[group["step"] >= group["step"].max() / 20]
        bad.loc[late, "cos_own"] = group.loc[late[0], "cos_own"]
    verdict = _verdict(tmp_path, inputs, bad)
    assert not verdict["passed"] and _criterion(verdict, TREND)["holds_on"].startswith("0 of")
    assert _criterion(verdict, RANK)["passed"]


def test_close_references_are_not_ranked(tmp_path, built):
    """A rival nearer to fp_b than the run is at T is listed as undecided, not ranked (it cannot decide it)."""
    inputs, df = built
    near = _converging(df)
    b4 = near["own_ref"] == "fp_b4_cyclic"
    near.loc[b4, "own_cos_fp_b1"] = 1.0 - 1e-12
    near.loc[b4, "cos_fp_b1"] = near.loc[b4, "cos_own"] + 1e-3  # nearer to fp_b1 than to its own, by less than noise
    verdict = _verdict(tmp_path, inputs, near)
    assert verdict["passed"]
    assert verdict["measured"]["rankings not decided (references nearer than the run's distance to fp_b at T)"] == [
        "s0/b4_cyclic vs fp_b1",
        "s1/b4_cyclic vs fp_b1",
    ]


def test_ranking_fails_when_the_lead_is_below_its_motion(tmp_path, built):
    """A lead over V_inf smaller than its motion over the last logged interval is noise: the ranking fails."""
    inputs, df = built
    bad = _converging(df)
    mini = bad["own_ref"] != "V_inf"
    for _, group in bad[mini].groupby(["dataset", "run"]):
        rows = group.sort_values("step").index
        bad.loc[rows[-1], "cos_V_inf"] = bad.loc[rows[-1], "cos_own"] - 1e-9  # lead 1e-9 at T
        bad.loc[rows[-2], "cos_V_inf"] = bad.loc[rows[-2], "cos_own"] + 1e-3  # behind by 1e-3 one step before
    bad.loc[mini, "own_cos_V_inf"] = 0.5  # V_inf apart from fp_b: ranked
    verdict = _verdict(tmp_path, inputs, bad)
    assert not _criterion(verdict, RANK)["passed"]


def test_a_reference_that_does_not_exist_fails_the_existence_check_not_the_claim(tmp_path, built):
    inputs, _ = built
    data = inputs["s0"][0]
    settings = {**TINY["fixed_point"], "max_iter": 1, "plain_iter": 0}
    record = m_exp.fixed_point_reference(data["H"], data["y"], 4, "cyclic", settings)
    assert int(record["converged"]) == 0 and record["stage_iterations"].tolist() == [1]
    assert float(record["residual"]) >= settings["tol"]
    # a table built on it: the existence check names it and fails; the claim leaves the run out and holds on the rest
    doctored = {name: (d, dict(r), runs) for name, (d, r, runs) in inputs.items()}
    doctored["s0"][1]["fp_b4_cyclic__converged"] = record["converged"]
    df = _converging(m_exp.metrics(TINY, doctored))
    exists = _verdict(tmp_path, doctored, df, check=EXISTS)
    assert not exists["passed"] and exists["measured"]["fixed points not established (solver did not converge)"] == [
        "s0/fp_b4_cyclic"
    ]
    verdict = _verdict(tmp_path, doctored, df)
    assert verdict["passed"]
    assert verdict["measured"][
        "mini-batch runs left out (their reference is not established: solver did not converge)"
    ] == ["s0/b4_cyclic"]
    compared = verdict["measured"]["mini-batch runs (data set/run)"]
    assert "s0/b4_cyclic" not in compared and "s1/b4_cyclic" in compared and len(compared) == 5
    # fp_b1 not established takes its runs out, and is no rival of the b > 1 runs
    doctored["s0"][1]["fp_b4_cyclic__converged"] = np.int64(1)
    doctored["s0"][1]["fp_b1__converged"] = np.int64(0)
    verdict = _verdict(tmp_path, doctored, _converging(m_exp.metrics(TINY, doctored)))
    assert verdict["measured"][
        "mini-batch runs left out (their reference is not established: solver did not converge)"
    ] == [
        "s0/b1_cyclic",
        "s0/b1_reshuffle",
    ]
    leaves = _verdict(tmp_path, doctored, _converging(m_exp.metrics(TINY, doctored)), check=LEAVES)
    assert leaves["measured"]["per-sample runs (data set/run)"] == ["s1/b1_cyclic", "s1/b1_reshuffle"]


def test_plain_fallback_finishes_what_the_accelerated_iteration_left(built):
    """Stopped after 3 accelerated steps, the plain steps from there reach the same fixed point as a full run."""
    data, refs, _ = built[0]["s0"]
    settings = {**TINY["fixed_point"], "max_iter": 3, "plain_iter": 200}
    record = m_exp.fixed_point_reference(data["H"], data["y"], 1, "cyclic", settings)
    assert int(record["converged"]) == 1 and int(record["stage_iterations"][0]) > 3
    assert cosine(record["w"], refs["fp_b1"]) > 1 - 1e-8


def test_lost_class_stops_the_plain_iteration_and_per_sample_adam_follows_the_lexicographic_fixed_point():
    """fan2025-type data (3 classes, seed 37) on which P_1(c) loses class 1: the plain iteration stops at the
    absorbing boundary, the lexicographic fixed point sets row 1 in a second stage at a higher margin level, and
    per-sample Adam (the study's settings) heads for it: its distance falls by more than sqrt(10) per decade while it
    moves away from the plain fixed point, and ||W_1||/||W|| stays of order 1."""
    from implicit_bias.fixed_point import lexicographic_fixed_point, proxy_fixed_point
    from implicit_bias.multiclass import make_multiclass
    from implicit_bias.training import train

    H, y, _, _ = make_multiclass(3, 6, 4, 0.1, 37)
    plain = proxy_fixed_point(H, y=y, tol=1e-6, max_iter=200, accelerate=True, boundary_tol=1e-6)
    assert plain.absorbed == (1,) and not plain.converged and plain.iterations < 200
    lex = lexicographic_fixed_point(H, y, tol=1e-6, max_iter=200)
    assert lex.stage.tolist() == [1, 2, 1] and lex.converged and lex.consistent and lex.levels[1] > 1
    run = train(
        H,
        y,
        optimizer="adam",
        loss="ce",
        steps=1_000_000,
        lr=0.1,
        decay=0.5,
        beta1=0.9,
        beta2=0.999,
        eps=0.0,
        batch_size=1,
        sampling="cyclic",
        seed=0,
        num_log=30,
    )
    at = [int(np.argmin(np.abs(np.log(run.steps.clip(1)) - np.log(t)))) for t in (1e5, 1e6)]
    to_lex = [1 - cosine(run.w[i], lex.w) for i in at]
    to_plain = [1 - cosine(run.w[i], plain.w) for i in at]
    assert to_lex[0] / to_lex[1] > np.sqrt(10) and to_plain[1] > to_plain[0] and to_plain[1] > 3 * to_lex[1]
    rows = np.linalg.norm(run.w[-1], axis=1) / np.linalg.norm(run.w[-1])
    assert rows[1] > 0.5


def test_lexicographic_equals_the_plain_fixed_point_where_no_class_is_lost(built):
    from implicit_bias import fixed_point
    from implicit_bias.fixed_point import lexicographic_fixed_point

    data, refs, _ = built[0]["s1"]
    # the solver the study's references are built with, so that equal means equal to rounding
    lex = lexicographic_fixed_point(
        data["H"], data["y"], batch_size=4, tol=1e-6, max_iter=200, solver=fixed_point.PIPELINE_SOLVER
    )
    assert lex.stage.tolist() == [1, 1, 1] and lex.levels.tolist() == [1.0]
    assert cosine(lex.w, refs["fp_b4_cyclic"]) > 1 - 1e-10


def test_figure_draws(built):
    import matplotlib.pyplot as plt

    fig = m_plots.figure(built[1], TINY)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert len(visible) == len(TINY["runs"]) + 1
    assert all(ax.get_xlabel() and ax.get_ylabel() for ax in visible)
    assert "min–max band over 2 data sets" in fig._suptitle.get_text()
    plt.close(fig)


def _with(path: str, value) -> dict:
    cfg = copy.deepcopy(TINY)
    *parents, last = path.split(".")
    node = cfg
    for key in parents:
        node = node[key]
    node[last] = value
    return cfg


@pytest.mark.parametrize(
    ("path", "value", "names"),
    [
        ("runs.b4_cyclic.batch_size", 5, "runs.b4_cyclic.batch_size"),
        ("runs.b4_cyclic.batch_size", 0, "runs.b4_cyclic.batch_size"),
        ("runs.b4_cyclic.sampling", "replacement", "runs.b4_cyclic.sampling"),
        ("runs.b4_cyclic.beta1", 0.9999, "runs.b4_cyclic"),
        ("runs.b4_cyclic.steps", 0, "runs.b4_cyclic.steps"),
        ("runs.b4_cyclic.momentum", 0.9, "runs.b4_cyclic"),
        ("seeds", [0, 0], "seeds"),
        ("seeds", [], "seeds"),
        ("fixed_point.tol", 0.0, "fixed_point.tol"),
        ("data.sigma", -1.0, "data.sigma"),
    ],
)
def test_bad_config_names_the_key(path, value, names):
    """Refused by the Snakefile's function (the schema, then the study's `check_config`), naming the key."""
    with pytest.raises(ValueError, match=rf"^config error: beyond\.multiclass\.{re.escape(names)}"):
        check_section("beyond.multiclass", _with(path, value))


def test_inseparable_data_name_the_data_section():
    cfg = _with("data", {"classes": 3, "dim": 1, "per_class": 4, "sigma": 100.0})
    with pytest.raises(ValueError, match=r"multiclass\.data: no separable draw"):
        m_exp.make_dataset(cfg, "s0")


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="unknown data set 's7'"):
        m_exp.make_dataset(TINY, "s7")


def test_boundary_stop_is_multiclass_only_and_checked():
    from implicit_bias.fixed_point import proxy_fixed_point

    X = np.array([[1.0, 0.5], [0.5, 1.0]])
    with pytest.raises(ValueError, match="multiclass problems"):
        proxy_fixed_point(X, boundary_tol=1e-6)
    H, y = np.eye(3), np.array([0, 1, 2])
    with pytest.raises(ValueError, match="boundary_tol must be a number in"):
        proxy_fixed_point(H, y=y, boundary_tol=0.0)


def test_linked_groups_split_classes_joined_only_by_negligible_weight():
    """Pending classes whose shared pairs carry < tol of the weight get their own later stages (own levels t)."""
    from types import SimpleNamespace

    from implicit_bias.fixed_point import _linked_groups

    # pairs (rows) x classes: pair 0 touches 1 only, pair 1 touches 1 and 2, pair 2 touches 2 only, pair 3 touches 3
    touching = np.zeros((4, 4), dtype=bool)
    touching[0, 1] = touching[1, [1, 2]] = touching[2, 2] = touching[3, 3] = True
    weak = SimpleNamespace(c=np.array([0.5, 1e-13, 0.5, 0.2]))
    assert _linked_groups([1, 2, 3], touching, weak, 4, 1e-6) == [[1], [2], [3]]
    strong = SimpleNamespace(c=np.array([0.5, 0.1, 0.5, 0.2]))
    assert _linked_groups([1, 2, 3], touching, strong, 4, 1e-6) == [[1, 2], [3]]
    assert _linked_groups([1, 2], touching, SimpleNamespace(c=np.zeros(2)), 4, 1e-6) == [[1, 2]]


def test_existence_fails_on_decreasing_levels_or_an_unlocated_reference(tmp_path, built):
    """Doctored metrics: a fixed point whose stage levels decrease, then one whose estimated remaining turn is a
    sizeable part of the distance the runs are judged at; each must fail its criterion (pass otherwise)."""
    inputs, df = built
    LEVELS = "smallest increase of the margin level between stages"
    MOTION = "estimated remaining turn of w"
    verdict = _verdict(tmp_path, inputs, df, check=EXISTS)
    assert _criterion(verdict, LEVELS)["passed"] and _criterion(verdict, MOTION)["passed"]
    bad = df.copy()
    b4 = (bad["own_ref"] == "fp_b4_cyclic") & (bad["dataset"] == "s0")
    bad.loc[b4, "own_levels"] = "1 1.3 1.2"
    verdict = _verdict(tmp_path, inputs, bad, check=EXISTS)
    assert not verdict["passed"] and _criterion(verdict, LEVELS)["holds_on"].startswith(
        f"{len(verdict['measured']['fixed points (data set/reference)']) - 1} of"
    )
    bad = df.copy()
    last = bad.loc[b4].sort_values("step").iloc[-1]
    bad.loc[b4, "own_remaining_turn"] = 0.05 * (1.0 - last["cos_own"])  # 5% of the judged distance left
    verdict = _verdict(tmp_path, inputs, bad, check=EXISTS)
    assert not verdict["passed"] and not _criterion(verdict, MOTION)["passed"]


def test_contraction_rate_of_the_last_residuals():
    from implicit_bias.fixed_point import _contraction

    assert _contraction([1e-2, 1e-3, 1e-4]) == pytest.approx(0.1)
    assert _contraction([1e-3]) == 0.0 and _contraction([1e-3, 2e-3]) == 1.0
