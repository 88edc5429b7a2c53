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
    table = suite.markdown_table(record)
    rows = [line for line in table.splitlines() if line.startswith("| ") and not line.startswith("| case")]
    assert len(rows) == len(record["cases"])
    assert record["machine"]["cpu"] in table


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
    assert dry_run_jobs(workflow_copy, "benchmark") == {"bench_run": 1, "benchmark": 1}
    assert "bench_run" not in dry_run_jobs(workflow_copy)


def test_sweep_case_times_train_many_against_separate_runs():
    """The sweep case times one `train_many` call against separate `train` calls and the batched peers, which all
    agree with it."""
    case = suite._sweep_case(dict(runs=3, steps=5), 1)
    assert not case["skipped"]
    for impl in _ran(case):
        assert case[impl]["finite"] and case[impl]["max_rel_diff"] < 1e-9, (impl, case[impl])
