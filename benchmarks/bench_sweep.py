"""Cost per run of a sweep: one batched `train_many` call against separate `train` calls and separate processes.

The sweep is `n_runs` Inc-Adam runs (batch size 1, cyclic) of `steps` steps on gaussian(10, 50, 0), one per
(β1, β2) of a grid (β1 ∈ [0, 0.9], β2 ∈ [0.9, 0.999]), the kind of sweep that shares one data set. Timed,
interleaved (one repeat of every case, then the next), best of `repeats`:

    train_many              one call, numba's threads (all cores unless NUMBA_NUM_THREADS says otherwise)
    train_many, 1 thread    one call on one thread (the batching alone, without the parallelism)
    train loop              `train` once per run, in this process

(wall time; the process's CPU time, summed over threads, is reported too: on a busy machine it shows the batching's
own cost when the wall time cannot show the parallel speed-up) and, once, the wall time of a fresh process that
imports the package and runs one 1-step `train` (interpreter start-up + import + loading the cached kernel):
100 separate jobs cost ≈ n_runs × (that + one run's steps), an estimate that leaves out the job scheduler's own
overhead. Every batched run is checked to be bit-for-bit the run of `train`. `measure()` returns the numbers as a
dict; the command line also writes them to `benchmarks/sweep.json`.

    python benchmarks/bench_sweep.py [--runs 100] [--steps 100000] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numba
import numpy as np

from implicit_bias import gaussian, train, train_many

COMMON = dict(optimizer="adam", batch_size=1, num_log=50)
_PROCESS = (
    "from implicit_bias import gaussian, train; train(gaussian(10, 50, 0), optimizer='adam', batch_size=1, steps=1)"
)


def beta_grid(n_runs: int) -> list[dict]:
    """`n_runs` (β1, β2) pairs: a ⌈√n⌉ × ⌈√n⌉ grid, cut to n_runs."""
    side = int(np.ceil(np.sqrt(n_runs)))
    pairs = [(b1, b2) for b1 in np.linspace(0.0, 0.9, side) for b2 in np.linspace(0.9, 0.999, side)]
    return [dict(beta1=float(b1), beta2=float(b2)) for b1, b2 in pairs[:n_runs]]


def _process_seconds(repeats: int) -> float:
    """Best wall time of a fresh `python -c` that imports the package and runs a 1-step `train`."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", _PROCESS], check=True, env=os.environ.copy())
        times.append(time.perf_counter() - t0)
    return min(times)


def measure(n_runs: int = 100, steps: int = 100_000, repeats: int = 3) -> dict:
    """Time the sweep three ways (seconds per run, best of `repeats`, interleaved) and a fresh process."""
    X = gaussian(10, 50, 0)
    runs = beta_grid(n_runs)
    kw = dict(COMMON, steps=steps)
    # warm-up: load (or compile) both kernels
    train_many(X, runs[:2], **dict(kw, steps=10))
    train(X, **dict(kw, steps=10))

    cases = {
        "train_many": lambda: train_many(X, runs, **kw),
        "train_many, 1 thread": lambda: train_many(X, runs, threads=1, **kw),
        "train loop": lambda: [train(X, **kw, **run) for run in runs],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    outputs = {}
    for _ in range(repeats):
        for name, call in cases.items():
            t0, c0 = time.perf_counter(), time.process_time()
            outputs[name] = call()
            times[name].append(time.perf_counter() - t0)
            cpu[name].append(time.process_time() - c0)
    identical = all(
        np.array_equal(a.w, b.w) and np.array_equal(a.direction, b.direction, equal_nan=True)
        for a, b in zip(outputs["train_many"], outputs["train loop"], strict=True)
    )
    per_run = {name: min(t) / n_runs for name, t in times.items()}
    process = _process_seconds(repeats)
    per_run["separate processes (estimate)"] = process + per_run["train loop"]
    base = per_run["train_many"]
    return dict(
        benchmark="bench_sweep",
        sweep=dict(data="gaussian(10, 50, 0)", runs=n_runs, steps=steps, **COMMON, varied="(beta1, beta2) grid"),
        threads=numba.get_num_threads(),
        cpu_count=os.cpu_count(),
        repeats=repeats,
        statistic="min over repeats, interleaved",
        seconds_per_run=per_run,
        ns_per_step=({name: s / steps * 1e9 for name, s in per_run.items()}),
        ratio_to_train_many={name: s / base for name, s in per_run.items()},
        process_start_import_kernel_load_s=process,
        bit_identical=identical,
        cpu_seconds_per_run={name: min(t) / n_runs for name, t in cpu.items()},
        all_runs_s=times,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parent / "sweep.json")
    args = parser.parse_args(argv)
    result = measure(args.runs, args.steps, args.repeats)
    print(f"{args.runs} runs × {args.steps:.0e} steps, {result['threads']} threads")
    print(f"batched runs bit-identical to train: {result['bit_identical']}")
    for name, s in result["seconds_per_run"].items():
        cpu = result["cpu_seconds_per_run"].get(name)
        cpu_text = "" if cpu is None else f"{cpu * 1e3:10.2f} ms CPU/run"
        print(f"{name:<32}{s * 1e3:10.2f} ms/run{result['ratio_to_train_many'][name]:8.2f}×{cpu_text}")
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")
    return result


if __name__ == "__main__":
    main()
