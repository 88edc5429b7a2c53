"""The peer benchmark (benchmarks/suite.py, `snakemake benchmark`): its record's schema on tiny sizes, its peers
running the same algorithm as the fast path, skipped peers carrying a reason, and the target resolving. No timings
are asserted (performance is measured by the benchmark itself, never in tests)."""

from __future__ import annotations

import json
import math
import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import suite  # noqa: E402 (benchmarks/ is not a package)

TINY = dict(
    repeats=1,
    solver_repeats=1,
    binary=dict(sizes=[[4, 6]], steps=30, loop_steps=10),
    multiclass=dict(steps=6, loop_steps=3),
    sweep=dict(runs=3, steps=5),
)


@pytest.fixture(scope="module")
def record():
    return suite.run_benchmark(TINY, log=lambda line: None)


def _ran(case):
    return [impl for impl in suite.IMPLEMENTATIONS if impl in case and not case[impl]["skipped"]]


def test_every_case_is_recorded_with_fast_and_reference_timings(record):
    names = [(c["name"], c["kind"]) for c in record["cases"]]
    expected_binary = [(name, "binary") for name in suite.BINARY]
    assert names[: len(expected_binary)] == expected_binary
    assert [n for n, kind in names if kind == "multiclass"] == list(suite.MULTICLASS)
    assert [n for n, kind in names if kind in ("solver", "sweep")] == [
        "Inc-Adam sweep",
        "proxy_fixed_point",
        "max-norm margin LP",
    ]
    for case in record["cases"]:
        assert not case.get("skipped"), case["name"]
        for impl in suite.IMPLEMENTATIONS:
            entry = case[impl]
            if entry["skipped"]:
                assert impl not in ("fast", "ref") and entry["reason"].strip(), (case["name"], impl)
            else:
                assert entry["seconds"] > 0 and math.isfinite(entry["seconds"]), (case["name"], impl)
                assert len(entry["repeats_s"]) == (TINY["solver_repeats"] if case["kind"] == "solver" else 1)


def test_peers_run_the_same_algorithm_as_the_fast_path(record):
    """At these few steps every implementation's final iterate matches the fast path's (a peer implementing a
    different update would differ at O(1))."""
    for case in record["cases"]:
        if case["kind"] not in ("binary", "multiclass"):
            continue
        assert set(_ran(case)) >= {"fast", "ref", "numpy"}
        for impl in _ran(case):
            assert case[impl]["finite"], (case["name"], impl)
            assert case[impl]["max_rel_diff"] < 1e-9, (case["name"], impl, case[impl]["max_rel_diff"])


def test_floors_follow_the_shapes(record):
    """The arithmetic floor is counted from (b, d) / (n, k, d): doubling d doubles Inc-Adam's count."""
    one = suite._floor_binary("adam", 1, 50)
    two = suite._floor_binary("adam", 1, 100)
    assert two["flops"] - 1 == 2 * (one["flops"] - 1) and two["bytes"] == 2 * one["bytes"]
    for case in record["cases"]:
        if case["kind"] in ("binary", "multiclass"):
            assert case["floor"]["flops"] > 0 and case["fast"]["gflops"] > 0


def test_record_is_json_and_the_table_has_a_row_per_case(record):
    assert json.loads(json.dumps(record))["machine"]["cpu"]
    for key in ("cores", "versions", "date", "python"):
        assert record["machine"][key]
    table = suite.markdown_table(record).splitlines()
    start = table.index(next(line for line in table if line.startswith("| case")))
    rows = table[start + 2 : table.index("", start)]
    assert len(rows) == len(record["cases"]) and all(row.startswith("| ") for row in rows)
    assert record["machine"]["cpu"] in table[0]
    # the microarchitecture the kernels were compiled for (ratios to JAX move with the vector width)
    assert record["machine"]["microarchitecture"] and record["machine"]["microarchitecture"] in table[0]


def test_a_missing_peer_is_skipped_with_its_reason(monkeypatch):
    monkeypatch.setattr(suite, "_peer_available", lambda name: f"{name} hidden by the test")
    X = np.random.default_rng(0).standard_normal((4, 3))
    case = suite._step_case(
        "Inc-Adam", "binary", X, suite.BINARY["Inc-Adam"], 4, 2, 1, suite._floor_binary("adam", 1, 3), {}, (X,)
    )
    for peer in ("jax", "torch"):
        assert case[peer] == {"skipped": True, "reason": f"{peer} hidden by the test"}
    assert "—" in suite.markdown_table(
        {"machine": suite.machine_info(), "protocol": TINY, "cases": [case], "implementations": suite.LABELS}
    )


def test_benchmark_target_resolves_and_is_not_in_the_default_target(workflow_copy, dry_run_jobs):
    shutil.copytree(ROOT / "benchmarks", workflow_copy / "benchmarks")
    assert dry_run_jobs(workflow_copy, "benchmark") == {"bench_run": 1, "bench_fixed_point": 1, "benchmark": 1}
    assert dry_run_jobs(workflow_copy, "bench_fixed_point") == {"bench_fixed_point": 1}  # runnable alone
    default = dry_run_jobs(workflow_copy)
    assert "bench_run" not in default and "bench_fixed_point" not in default and "profile" not in default
    # the profile times the reproduction: from an empty results/ it plans every job of the default target, then itself
    assert dry_run_jobs(workflow_copy, "profile") == {**{r: n for r, n in default.items() if r != "all"}, "profile": 1}


def test_fixed_point_scaling_curve_record_and_table():
    """The scaling curve's record on tiny sizes: both solvers up to clarabel_max_n, the Clarabel path skipped with
    its reason beyond; the two fixed points agree; one table row per size."""
    import bench_fixed_point

    protocol = dict(sizes=[[6, 12], [30, 8]], clarabel_max_n=6, tol=1e-6, max_iter=50, seed=0)
    record = json.loads(json.dumps(bench_fixed_point.scaling_curve(protocol, log=lambda line: None)))
    small, large = record["rows"]
    assert (small["N"], small["d"], large["N"], large["d"]) == (6, 12, 30, 8)
    for row in record["rows"]:
        a = row["active_set"]
        assert a["seconds"] > 0 and a["converged"] and a["kkt_residual"] < 1e-9 and a["fallbacks"] == 0
        assert 1 <= a["support"] <= row["N"]
    assert small["clarabel"]["converged"] and small["c_l1_diff"] < 1e-6 and small["w_max_diff"] < 1e-6
    assert large["clarabel"] == {"skipped": True, "reason": "N > clarabel_max_n = 6"}
    X = bench_fixed_point.separable_gaussian(30, 8)
    assert X.shape == (30, 8) and max_margin_positive(X)
    table = bench_fixed_point.scaling_table(record)
    assert table.count("\n| 6 | 12 |") == 1 and table.count("\n| 30 | 8 |") == 1 and "—" in table


def max_margin_positive(X):
    from implicit_bias.margins import max_margin

    return max_margin(X, norm=2).gamma > 0


def test_sweep_case_times_train_many_against_separate_runs():
    """The sweep case times one `train_many` call against separate `train` calls and the batched peers, which all
    agree with it."""
    case = suite._sweep_case(dict(runs=3, steps=5), 1)
    assert not case["skipped"]
    for impl in _ran(case):
        assert case[impl]["finite"] and case[impl]["max_rel_diff"] < 1e-9, (impl, case[impl])


@pytest.mark.parametrize("name", ["Spectral-GD (CE)", "Muon (CE)"])
def test_spectral_peer_matches_the_fast_path_after_100_steps(name):
    """The plain numpy loop (CE gradient, `np.linalg.svd`, truncation at SPECTRAL_RTOL·σ_1 per step) reaches the fast
    path's iterate after 100 Spectral-GD / Muon steps: a peer dropping the truncation (the CE gradient's rounding σ_k
    kept) or Muon's momentum would differ at O(1)."""
    from implicit_bias.optimizers import POLAR_RTOL

    assert suite.SPECTRAL_RTOL == POLAR_RTOL
    H, y, _, _ = suite.make_multiclass(10, 25, 50, 0.1, 0)
    case = suite.MULTICLASS[name]
    s = suite._settings(case, H.shape[0])
    step, batches, shape = suite._peer_problem("multiclass", (H, y), s)
    W_peer = suite.numpy_loop(step, batches, shape, 100, s)
    W_fast = suite.train(H, y, steps=100, num_log=2, **case).w_final
    assert np.max(np.abs(W_peer - W_fast)) < 1e-10 * np.max(np.abs(W_fast))


def test_spectral_floor_parts_and_the_gram_route_precision(record):
    """The floor record times the gradient and the SVD alone, as shares of the fast step, and shows why eigh of GGᵀ
    is not used: the CE gradient's rank is k − 1, which the SVD sees and the Gram route does not, and on a matrix
    with σ down to 1e-9 the Gram route's UVᵀ is wrong at O(0.1) where the SVD's is exact to 1e-7."""
    floor = record["spectral_floor"]
    spectral = next(c for c in record["cases"] if c["name"] == "Spectral-GD (CE)")
    assert floor["step_seconds"] == spectral["fast"]["seconds"]
    assert floor["step_min_seconds"] == min(spectral["fast"]["repeats_s"]) / spectral["fast"]["steps"]
    assert set(floor["parts"]) == set(suite.FLOOR_PARTS)
    for part in floor["parts"].values():
        assert 0 < part["min_seconds"] <= part["seconds"]
        assert part["share"] == pytest.approx(part["min_seconds"] / floor["step_min_seconds"])
    parts = floor["parts"]
    floor_seconds = parts["gradient"]["min_seconds"] + parts["svd_numba"]["min_seconds"]
    assert floor["floor_seconds"] == pytest.approx(floor_seconds)
    g = floor["gram_precision"]
    k = floor["size"]["k"]
    assert g["rank_svd"] == k - 1 and g["sigma_k_over_sigma_1_svd"] < 1e-14
    assert g["rank_gram"] == k and g["sigma_k_over_sigma_1_gram"] > g["rtol"]
    assert g["synthetic_err_svd"] < 1e-7 < 1e-2 < g["synthetic_err_gram"]
    assert "The floor of a Spectral-GD step" in suite.markdown_table(record)


def test_spectral_floor_counts_the_svd():
    """The CE Spectral-GD count is SignGD's plus the SVD (6dk² + 11k³), UVᵀ (2k²d), less the sign (kd)."""
    k, d = 10, 25
    extra = suite._floor_ce("spectral", 500, k, d)["flops"] - suite._floor_ce("signgd", 500, k, d)["flops"]
    assert extra == 8 * k * k * d + 11 * k**3 - k * d
    assert suite._floor_ce("muon", 500, k, d)["bytes"] - suite._floor_ce("spectral", 500, k, d)["bytes"] == 16 * k * d
