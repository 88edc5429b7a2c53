"""Study `real_data`: interface, data preparation, checks that can fail, refusals of bad cfg."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

from implicit_bias import cosine, max_margin, normalized_margin
from implicit_bias.artifacts import save_csv, save_npz
from implicit_bias.checks import Artifacts, verdict_of
from implicit_bias.config import check_section
from implicit_bias.papers.beyond import real_data as rd
from implicit_bias.papers.beyond.real_data import checks as rd_checks
from implicit_bias.papers.beyond.real_data import experiments as rd_exp
from implicit_bias.papers.beyond.real_data import plots as rd_plots

# A tiny cfg: 6 images per class (a pair: N = 12; ten classes: n = 60), short runs.
TINY = {
    "pairs": [[6, 7], [1, 7]],
    "ten_class": True,
    "per_class": 6,
    "num_log": 20,
    "fixed_point": {"tol": 1.0e-6, "max_iter": 200},
    "binary_runs": {
        "adam": {"label": "Adam", "optimizer": "adam", "steps": 2000},
        "signgd": {"label": "SignGD", "optimizer": "signgd", "steps": 2000},
        "ngd": {"label": "NGD", "optimizer": "ngd", "steps": 2000},
        "adam_b1": {"label": "Adam b=1", "optimizer": "adam", "batch_size": 1, "beta2": 0.999, "steps": 20000},
        "adam_b1_095": {"label": "Adam b=1 (0.95)", "optimizer": "adam", "batch_size": 1, "steps": 20000},
    },
    "ten_class_runs": {
        "adam": {"label": "Adam", "optimizer": "adam", "decay": 0.6666666666666666, "steps": 300},
        "signgd": {"label": "SignGD", "optimizer": "signgd", "steps": 300},
        "ngd": {"label": "NGD", "optimizer": "ngd", "steps": 300},
    },
}


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """Every data set of TINY through make_dataset / references / run, the metric table, and the `Artifacts` of a
    check (saved as the pipeline saves them)."""
    root = tmp_path_factory.mktemp("real_data")
    lines: list[str] = []
    inputs, paths = {}, {"runs": {}, "data": {}, "refs": {}, "metrics": {}}
    for name in rd_exp.datasets(TINY):
        data = rd_exp.make_dataset(TINY, name)
        refs = rd_exp.references(TINY, name, data)
        runs = rd_exp.run(TINY, name, data, lines.append)
        inputs[name] = (data, refs, runs)
        for kind, arrays in (("data", data), ("refs", refs), ("runs", runs)):
            path = root / f"{kind}_{name}.npz"
            save_npz(path, arrays, {"study": rd.STUDY, "dataset": name})
            paths[kind][f"{rd.STUDY}/{name}"] = path
    df = rd_exp.metrics(TINY, inputs)
    paths["metrics"][rd.STUDY] = root / "metrics.csv"
    save_csv(paths["metrics"][rd.STUDY], df, TINY)
    return dict(inputs=inputs, df=df, paths=paths, lines=lines, root=root)


def _artifacts_with(tiny, df: pd.DataFrame) -> Artifacts:
    path = tiny["root"] / f"metrics_{len(list(tiny['root'].glob('metrics_*')))}.csv"
    save_csv(path, df, TINY)
    return Artifacts(**{**tiny["paths"], "metrics": {rd.STUDY: path}})


# ------------------------------------------------------------------------------------------------ interface
def test_interface_names_and_shapes(tiny):
    assert rd.FIGURE == "real_data"
    assert rd_exp.datasets(TINY) == ["pair6v7", "pair1v7", "digits10"]
    data, refs, runs = tiny["inputs"]["pair6v7"]
    n, d = data["X"].shape
    assert n == 12 and d == data["pixel"].size <= 64
    assert refs["linf"].shape == refs["l2"].shape == refs["fp"].shape == (d,)
    assert list(runs["runs"]) == list(TINY["binary_runs"]) and runs["labels"].dtype.kind == "U"
    assert runs["adam_b1__w"].shape == (runs["adam_b1__steps"].size, d)
    assert runs["adam__steps"][-1] == 2000 and runs["adam_b1__steps"][-1] == 20000
    assert len(tiny["lines"]) >= 2 * len(TINY["binary_runs"]) + len(TINY["ten_class_runs"])  # a line per run
    data, refs, runs = tiny["inputs"]["digits10"]
    assert data["X"].shape[0] == 60 and sorted(np.unique(data["y"])) == list(range(10))
    assert refs["linf"].shape == refs["l2"].shape == (10, data["X"].shape[1]) and "fp" not in refs
    assert runs["signgd__w"].shape[1:] == (10, data["X"].shape[1])


def test_data_are_label_absorbed_standardised_and_the_lp_is_the_linf_reference(tiny):
    """Pair: rows y_i x_i with the first digit +1, features of mean 0 and std 1 over the data set's samples, no
    constant pixel; the stored gamma_inf is the margin of the stored direction; separable (margin > 0)."""
    data, refs, _ = tiny["inputs"]["pair6v7"]
    signs = np.where(data["digit"] == 6, 1.0, -1.0)
    features = data["X"] * signs[:, None]
    np.testing.assert_allclose(features.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(features.std(axis=0), 1.0, rtol=1e-12)
    assert set(np.unique(data["digit"])) == {6, 7}
    gamma = normalized_margin(data["linf"], data["X"], norm="inf")
    assert gamma > 0 and gamma == pytest.approx(float(data["gamma_inf"]), rel=1e-6)
    # the interior-point solution of the same LP has the same margin; uniqueness is their agreement
    assert normalized_margin(data["linf_interior"], data["X"], norm="inf") == pytest.approx(gamma, rel=1e-6)
    assert int(data["linf_unique"]) == int(cosine(data["linf"], data["linf_interior"]) >= rd_exp.UNIQUE_COS)
    assert cosine(refs["l2"], max_margin(data["X"]).w) == pytest.approx(1.0, abs=1e-9)
    ten, _, _ = tiny["inputs"]["digits10"]
    g10 = normalized_margin(ten["linf"], ten["X"], ten["y"], norm="inf")
    assert g10 > 0 and g10 == pytest.approx(float(ten["gamma_inf"]), rel=1e-6)


def test_metrics_table_columns_and_values(tiny):
    df = tiny["df"]
    for col in ("dataset", "run", "label", "step", "predicts", *rd_exp.METRIC_COLUMNS, "linf_unique", "window_epochs"):
        assert col in df.columns, col
    data, refs, runs = tiny["inputs"]["pair1v7"]
    row = df[(df["dataset"] == "pair1v7") & (df["run"] == "adam_b1")].iloc[-1]
    w = runs["adam_b1__w"][-1]
    assert row["cos_fp"] == pytest.approx(cosine(w, refs["fp"]))
    assert row["margin_inf"] == pytest.approx(normalized_margin(w, data["X"], norm="inf") / float(refs["gamma_inf"]))
    assert row["predicts"] == "fp" and row["window_epochs"] == pytest.approx(1000 / 12)
    ten = df[df["dataset"] == "digits10"]
    assert ten["cos_fp"].isna().all() and set(ten["predicts"]) == {"linf", "l2"}
    assert (df.loc[df["run"] == "adam_b1_095", "predicts"] == "").all()


def test_figure_draws(tiny):
    import matplotlib.pyplot as plt

    fig = rd_plots.figure(tiny["df"], TINY)
    assert len(fig.axes) >= 2 * 3 and fig._suptitle.get_text()
    assert all(ax.get_xlabel() for ax in fig.axes[:3])
    plt.close(fig)


# ------------------------------------------------------------------------------------------------ checks
def test_checks_evaluate_on_the_tiny_artifacts(tiny):
    art = Artifacts(**tiny["paths"])
    for name, check in rd_checks.CHECKS.items():
        assert check.kind == "claim" and check.experiments == (rd.STUDY,)
        v = verdict_of(check, art, "beyond", name)
        assert v["criteria"] and all(c["reason"] for c in v["criteria"])
    v = verdict_of(rd_checks.CHECKS["real_data_binary"], art, "beyond", "real_data_binary")
    assert v["measured"]["pairs"] == ["pair6v7", "pair1v7"]
    assert all(c.get("holds_on", "").endswith(" of 2") for c in v["criteria"] if "unique" not in c["key"])


def _ideal(df: pd.DataFrame) -> pd.DataFrame:
    """The metric table with every prediction made true at the last step (the checks must pass on it)."""
    df = df.copy()
    last = df.groupby(["dataset", "run"])["step"].transform("max") == df["step"]
    for ref, cos_col in (("linf", "cos_linf"), ("l2", "cos_l2"), ("fp", "cos_fp")):
        rows = (df["predicts"] == ref) & (df["kind"] == "binary")
        df.loc[rows & last, cos_col] = 0.9999
        if ref == "linf":
            df.loc[rows & last, "margin_inf"] = 0.999
    df.loc[df["kind"] == "binary", "fp_converged"] = 1
    ten = df["kind"] == "multiclass"
    for ref, good, bad in (("linf", "inf", "2"), ("l2", "2", "inf")):
        rows = ten & (df["predicts"] == ref) & (df["step"] > 0)
        t = df.loc[rows, "step"].to_numpy(float)
        df.loc[rows, f"margin_{good}"] = 1 - t**-0.6
        df.loc[rows, f"margin_{bad}"] = 0.5
        df.loc[rows, f"cos_l{good}"] = 0.99
        df.loc[rows, f"cos_l{bad}"] = 0.8
    return df


def test_checks_pass_on_ideal_metrics_and_fail_when_the_references_are_swapped(tiny):
    ideal = _ideal(tiny["df"])
    art = _artifacts_with(tiny, ideal)
    for name, check in rd_checks.CHECKS.items():
        v = verdict_of(check, art, "beyond", name)
        assert v["passed"], [c for c in v["criteria"] if not c["passed"]]
    swapped = ideal.copy()  # the l_inf and l2 references (cosines and margins) trade places
    swapped[["cos_linf", "cos_l2", "margin_inf", "margin_2"]] = ideal[["cos_l2", "cos_linf", "margin_2", "margin_inf"]]
    art = _artifacts_with(tiny, swapped)
    for name, check in rd_checks.CHECKS.items():
        v = verdict_of(check, art, "beyond", name)
        assert not v["passed"], name


def test_binary_check_fails_when_one_pair_misses_the_fixed_point(tiny):
    df = _ideal(tiny["df"])
    last = df.groupby(["dataset", "run"])["step"].transform("max") == df["step"]
    df.loc[last & (df["dataset"] == "pair1v7") & (df["run"] == "adam_b1"), "cos_fp"] = 0.99  # < 0.995
    v = verdict_of(rd_checks.CHECKS["real_data_binary"], _artifacts_with(tiny, df), "beyond", "real_data_binary")
    failed = [c for c in v["criteria"] if not c["passed"]]
    assert not v["passed"] and [c["key"] for c in failed] == ["adam_b1: cos(fp) at T"]
    assert failed[0]["holds_on"] == "1 of 2"


def test_multiclass_check_fails_when_signgd_stalls(tiny):
    df = _ideal(tiny["df"])
    rows = (df["dataset"] == rd.TEN_CLASS) & (df["run"] == "signgd") & (df["step"] > 0)
    df.loc[rows, "margin_inf"] = 0.9  # a flat gap: slope 0, not t^(-1/2)
    check = rd_checks.CHECKS["real_data_multiclass"]
    v = verdict_of(check, _artifacts_with(tiny, df), "beyond", "real_data_multiclass")
    failed = [c["key"] for c in v["criteria"] if not c["passed"]]
    assert failed == ["signgd: slope of log gap_inf on log t over [T/10, T]"]


# ------------------------------------------------------------------------------------------------ refusals
def _bad(**change) -> dict:
    cfg = copy.deepcopy(TINY)
    for key, value in change.items():
        section, _, sub = key.partition("__")
        if sub:
            run, _, field = sub.partition("__")
            cfg[section][run][field] = value
        else:
            cfg[section] = value
    return cfg


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"pairs": [[3, 3]]}, r"real_data\.pairs"),
        ({"pairs": [[3, 11]]}, r"real_data\.pairs"),
        ({"pairs": [[3, 8], [8, 3]]}, "listed twice"),
        ({"per_class": 0}, r"real_data\.per_class"),
        ({"binary_runs__adam_b1__batch_size": 0}, r"real_data\.binary_runs\.adam_b1\.batch_size"),
        ({"binary_runs__adam_b1__batch_size": 2}, r"real_data\.binary_runs\.adam_b1: is checked as adam"),
        ({"binary_runs__ngd__optimizer": "gd"}, r"real_data\.binary_runs\.ngd: is checked as ngd"),
        ({"binary_runs__adam__momentum": 0.9}, r"real_data\.binary_runs\.adam: .*'momentum' was unexpected"),
        (
            {"ten_class_runs": {"adam": TINY["ten_class_runs"]["adam"]}},
            r"real_data\.ten_class_runs: must include the run",
        ),
        ({"colour": "red"}, r"real_data: .*'colour' was unexpected"),
    ],
)
def test_bad_cfg_is_a_value_error_naming_the_key(change, match):
    """Refused by the Snakefile's function (the schema, then the study's `check_config`), naming the key."""
    with pytest.raises(ValueError, match=match) as info:
        check_section("beyond.real_data", _bad(**change))
    assert str(info.value).startswith("config error: beyond.real_data")


def test_a_batch_size_that_does_not_fit_the_data_is_refused_naming_the_run_section(tiny):
    cfg = copy.deepcopy(TINY)
    cfg["binary_runs"]["extra"] = {"optimizer": "adam", "batch_size": 5, "steps": 10}  # 5 does not divide N = 12
    data = tiny["inputs"]["pair6v7"][0]
    with pytest.raises(ValueError, match=r"real_data\.binary_runs on 'pair6v7'.*batch_size"):
        rd_exp.run(cfg, "pair6v7", data, print)


def test_a_non_separable_pair_is_a_value_error_naming_it(monkeypatch):
    """Digits pairs are all separable, so non-separability is simulated: images of one digit for both classes
    (identical rows with opposite labels cannot be separated): every "7" is a copy of a 6."""
    from sklearn import datasets as skd

    images, digits = skd.load_digits(return_X_y=True)
    both = np.concatenate([images[digits == 6], images[digits == 6]])
    labels = np.concatenate([np.full((digits == 6).sum(), 6), np.full((digits == 6).sum(), 7)])
    monkeypatch.setattr(skd, "load_digits", lambda return_X_y=True: (both, labels))
    with pytest.raises(ValueError, match=r"pair6v7.*digits 6 \(\+1\) vs 7 \(-1\).*separable"):
        rd_exp.make_dataset({**TINY, "pairs": [[6, 7]], "ten_class": False}, "pair6v7")


def test_unknown_dataset_name_is_refused():
    with pytest.raises(ValueError, match="unknown data set 'pair2v9'"):
        rd_exp.make_dataset(TINY, "pair2v9")
