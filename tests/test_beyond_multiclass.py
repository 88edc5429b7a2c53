"""The `multiclass` study (papers/beyond/multiclass.py): interface, references with their convergence
record, the check (which must be able to fail, and refuse a fixed point that did not converge), the figure."""

from __future__ import annotations

import copy

import numpy as np
import pytest

from implicit_bias.artifacts import save_csv, save_npz
from implicit_bias.checks import Artifacts, verdict_of
from implicit_bias.margins import cosine
from implicit_bias.papers.beyond import study_module
from implicit_bias.papers.beyond.experiments import run_study

m = study_module("multiclass")
CHECK = "multiclass_fixed_point"

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
    "fixed_point": {"tol": 1e-6, "max_iter": 200, "plain_iter": 10, "direction_tol": 1e-8},
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


def _verdict(tmp_path, inputs, df) -> dict:
    return verdict_of(m.CHECKS[CHECK], _artifacts(tmp_path, inputs, df), "beyond", CHECK)


def _criterion(verdict: dict, start: str) -> dict:
    return next(c for c in verdict["criteria"] if c["key"].startswith(start))


def test_interface_shapes(built):
    inputs, df = built
    assert m.FIGURE == "multiclass_per_sample" and set(m.CHECKS) == {CHECK}
    assert m.datasets(TINY) == ["s0", "s1"]
    data, refs, runs = inputs["s0"]
    assert data["H"].shape == (12, 6) and data["V_inf"].shape == (3, 6)
    # b = 1 cyclic and reshuffled share one fixed point (D_1(c) has no batches); b = N is compared with V_inf
    assert {"V_inf", "V_2", "fp_b1", "fp_b4_cyclic"} <= set(refs)
    assert not any(k.startswith("fp_b12") for k in refs)
    for key in ("fp_b1", "fp_b4_cyclic"):
        assert refs[key].shape == (3, 6)
        assert int(refs[f"{key}__converged"]) == 1
        assert float(refs[f"{key}__residual"]) < TINY["fixed_point"]["tol"]
        assert float(refs[f"{key}__direction_change"]) <= TINY["fixed_point"]["direction_tol"]
    assert runs["b1_cyclic__w"].shape == (runs["b1_cyclic__steps"].size, 3, 6)
    assert np.all(np.isfinite(runs["full__log_loss"]))
    for column in ("dataset", "run", "label", "step", "cos_own", "cos_V_inf", "cos_V_2", "cos_fp_b1", "gap_inf"):
        assert column in df.columns
    assert set(df["own_ref"]) == {"fp_b1", "fp_b4_cyclic", "V_inf"}
    assert len(df) == sum(runs[f"{r}__steps"].size for _, _, runs in inputs.values() for r in TINY["runs"])


def test_make_dataset_is_deterministic_and_carries_the_lp_certificate():
    a, b = m.make_dataset(TINY, "s1"), m.make_dataset(TINY, "s1")
    assert np.array_equal(a["H"], b["H"]) and np.array_equal(a["V_inf"], b["V_inf"])
    assert not np.array_equal(a["H"], m.make_dataset(TINY, "s0")["H"])
    assert float(a["gamma_inf"]) > 0


def test_check_evaluates_on_tiny_artifacts(tmp_path, built):
    verdict = _verdict(tmp_path, *built)
    assert verdict["kind"] == "claim" and len(verdict["criteria"]) == 7
    assert verdict["measured"]["number of fixed points not converged"] == 0
    # the ordering and departure criteria see every mini-batch (6) and per-sample (4) run of the two data sets
    assert _criterion(verdict, "cos(W_T, fp_b) - max")["holds_on"].endswith("of 6")
    assert _criterion(verdict, "cos(W_T, V_inf) - (1")["holds_on"] == "4 of 4"


def test_check_fails_when_the_references_are_swapped(tmp_path, built):
    """Doctored metrics: the run's fixed point and V_inf trade places; ordering and departure must fail."""
    inputs, df = built
    bad = df.copy()
    mini = bad["own_ref"] != "V_inf"
    bad.loc[mini, ["cos_own", "cos_V_inf"]] = bad.loc[mini, ["cos_V_inf", "cos_own"]].to_numpy()
    verdict = _verdict(tmp_path, inputs, bad)
    assert not verdict["passed"]
    assert not _criterion(verdict, "cos(W_T, fp_b) - max")["passed"]
    assert _criterion(verdict, "cos(W_T, fp_b) - max")["holds_on"].startswith("0 of")


def test_check_fails_when_full_batch_does_not_reach_v_inf(tmp_path, built):
    inputs, df = built
    bad = df.copy()
    full = bad["own_ref"] == "V_inf"
    bad.loc[full, ["cos_V_inf", "cos_V_2"]] = bad.loc[full, ["cos_V_2", "cos_V_inf"]].to_numpy()
    bad.loc[full, ["gap_inf", "gap_2"]] = bad.loc[full, ["gap_2", "gap_inf"]].to_numpy()
    verdict = _verdict(tmp_path, inputs, bad)
    assert not _criterion(verdict, "full batch: cos(W_T, V_inf) - cos")["passed"]
    assert not _criterion(verdict, "full batch: 2-norm gap")["passed"]


def test_a_fixed_point_that_did_not_converge_is_recorded_and_refused(tmp_path, built):
    inputs, _ = built
    data = inputs["s0"][0]
    settings = {**TINY["fixed_point"], "max_iter": 1, "plain_iter": 0}
    record = m.fixed_point_reference(data["H"], data["y"], 4, "cyclic", settings)
    assert int(record["converged"]) == 0 and int(record["accelerated_iterations"]) == 1
    assert float(record["residual"]) >= settings["tol"]
    # a table built on it: the check names it, fails on it, and leaves the run compared with it out of the rest
    doctored = {name: (d, dict(r), runs) for name, (d, r, runs) in inputs.items()}
    doctored["s0"][1]["fp_b4_cyclic__converged"] = record["converged"]
    verdict = _verdict(tmp_path, doctored, m.metrics(TINY, doctored))
    assert not verdict["passed"] and not verdict["criteria"][0]["passed"]
    assert verdict["measured"]["fixed points not converged"] == ["s0/fp_b4_cyclic"]
    assert verdict["measured"]["mini-batch runs left out (a reference not converged)"] == ["s0/b4_cyclic"]
    compared = verdict["measured"]["mini-batch runs (data set/run)"]
    assert "s0/b4_cyclic" not in compared and "s1/b4_cyclic" in compared and len(compared) == 5
    # an unconverged per-sample fixed point takes its runs out, and the b > 1 runs that use it as a rival
    doctored["s0"][1]["fp_b4_cyclic__converged"] = np.int64(1)
    doctored["s0"][1]["fp_b1__converged"] = np.int64(0)
    verdict = _verdict(tmp_path, doctored, m.metrics(TINY, doctored))
    assert verdict["measured"]["mini-batch runs left out (a reference not converged)"] == [
        "s0/b1_cyclic",
        "s0/b1_reshuffle",
        "s0/b4_cyclic",
    ]
    assert verdict["measured"]["per-sample runs (data set/run)"] == ["s1/b1_cyclic", "s1/b1_reshuffle"]


def test_plain_fallback_finishes_what_the_accelerated_iteration_left(built):
    """Stopped after 3 accelerated steps, the plain steps from there reach the same fixed point as a full run."""
    data, refs, _ = built[0]["s0"]
    settings = {**TINY["fixed_point"], "max_iter": 3, "plain_iter": 200}
    record = m.fixed_point_reference(data["H"], data["y"], 1, "cyclic", settings)
    assert int(record["converged"]) == 1 and int(record["plain_iterations"]) > 0
    assert cosine(record["w"], refs["fp_b1"]) > 1 - 1e-8


def test_figure_draws(built):
    import matplotlib.pyplot as plt

    fig = m.figure(built[1], TINY)
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
    with pytest.raises(ValueError, match=f"multiclass.{names}"):
        m.datasets(_with(path, value))


def test_inseparable_data_name_the_data_section():
    cfg = _with("data", {"classes": 3, "dim": 1, "per_class": 4, "sigma": 100.0})
    with pytest.raises(ValueError, match=r"multiclass\.data: no separable draw"):
        m.make_dataset(cfg, "s0")


def test_unknown_dataset_name():
    with pytest.raises(ValueError, match="unknown data set 's7'"):
        m.make_dataset(TINY, "s7")
