"""Cost of one training step: numba fast path vs the plain-numpy reference (engineering notes §4).

Runs `implicit_bias.train` on gaussian(10, 50, 0) (the paper's N = 10, d = 50 setting) for

    Inc-Adam   adam, batch size 1, cyclic          (β1, β2) = (0.9, 0.95)
    Det-Adam   adam, full batch                    (β1, β2) = (0.9, 0.95)
    Signum b=2 signum, batch size 2, cyclic        β = 0.99
    AdamProxy  adam_proxy, full batch
    NSD        nsd, full batch, p = 3 and p = 1 (on the fast path since the shared update-rule core)

and reports µs per step: numba after a warm-up call, best of `--repeats` runs of `--steps` steps; numpy best of
fewer repeats of `--numpy-steps` steps. Logging is kept to a handful of steps so that the loop itself is timed.
Writes `benchmarks/results.json` (machine info and library versions included).

With `--baseline REF` (a git revision, e.g. main) the package's sources at REF are imported as a second package and
its fast path is timed interleaved with this one's (one repeat of each, then the next), so that the ratio of the two
is measured under the same machine load; the baseline's per-step times and the ratio baseline/current are added.
`measure()` returns the results as a dict (what `main` writes).

    python benchmarks/bench_steps.py [--steps 1000000] [--repeats 5] [--numpy-steps 20000] [--numpy-repeats 3]
                                     [--baseline main] [--clock cpu]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import importlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numba
import numpy as np

import implicit_bias
from implicit_bias import gaussian, train

CASES = {
    "Inc-Adam (b=1)": dict(optimizer="adam", batch_size=1),
    "Det-Adam (full batch)": dict(optimizer="adam"),
    "Signum (b=2, beta=0.99)": dict(optimizer="signum", batch_size=2, beta1=0.99),
    "AdamProxy (full batch)": dict(optimizer="adam_proxy"),
    "NSD p=3 (full batch)": dict(optimizer="nsd", p=3.0),
    "NSD p=1 (full batch)": dict(optimizer="nsd", p=1.0),
}


# wall time, or the process's CPU time (one thread runs the loop): on a shared machine the CPU time leaves out the
# time the process waits for a core, which makes interleaved ratios far less noisy
CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}


def _time_per_step(X, case, backend, steps, repeats, train=train, clock="wall"):
    times = []
    timer = CLOCKS[clock]
    for _ in range(repeats):
        t0 = timer()
        train(X, steps=steps, backend=backend, num_log=5, **case)
        times.append(timer() - t0)
    return min(times) / steps * 1e6, [t / steps * 1e6 for t in times]


def load_baseline(ref: str):
    """The package's sources at git revision `ref`, imported as the package `implicit_bias_baseline`."""
    root = Path(__file__).resolve().parents[1]
    tmp = Path(tempfile.mkdtemp(prefix="ib-baseline-"))
    archive = subprocess.run(
        ["git", "-C", str(root), "archive", ref, "src/implicit_bias"], check=True, capture_output=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tmp)], input=archive, check=True)
    (tmp / "src" / "implicit_bias").rename(tmp / "implicit_bias_baseline")
    sys.path.insert(0, str(tmp))
    return importlib.import_module("implicit_bias_baseline")


def _interleaved(X, case, steps, repeats, baseline, clock):
    """µs per step of this fast path and of the baseline's, timed alternately: (best, all runs) for each."""
    mine, theirs = [], []
    for _ in range(repeats):
        mine.append(_time_per_step(X, case, "numba", steps, 1, clock=clock)[0])
        theirs.append(_time_per_step(X, case, "numba", steps, 1, baseline.train, clock)[0])
    return (min(mine), mine), (min(theirs), theirs)


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def measure(steps=1_000_000, repeats=5, numpy_steps=20_000, numpy_repeats=3, baseline=None, clock="wall") -> dict:
    """Time every case (µs per step, best of the repeats); `baseline`: a git revision to time interleaved;
    `clock`: "wall" or "cpu" (the process's CPU time)."""
    X = gaussian(10, 50, 0)
    base = None if baseline is None else load_baseline(baseline)
    rows = []
    for name, case in CASES.items():
        t0 = time.perf_counter()
        train(X, steps=1000, backend="numba", **case)  # warm-up: load the cached compiled loop (or compile it)
        warmup = time.perf_counter() - t0
        if base is None:
            fast, fast_all = _time_per_step(X, case, "numba", steps, repeats, clock=clock)
        else:
            base.train(X, steps=1000, backend="numba", **case)
            (fast, fast_all), (old, old_all) = _interleaved(X, case, steps, repeats, base, clock)
        ref, ref_all = _time_per_step(X, case, "numpy", numpy_steps, numpy_repeats, clock=clock)
        row = dict(
            case=name,
            settings=case,
            numba_us_per_step=fast,
            numpy_us_per_step=ref,
            speedup=ref / fast,
            numba_runs_us=fast_all,
            numpy_runs_us=ref_all,
            warmup_s=warmup,
        )
        if base is not None:
            row.update(baseline_us_per_step=old, baseline_runs_us=old_all, speedup_over_baseline=old / fast)
        rows.append(row)
    return dict(
        benchmark="bench_steps",
        created=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        data=dict(kind="gaussian", n=10, d=50, seed=0),
        protocol=dict(
            numba_steps=steps,
            numba_repeats=repeats,
            numpy_steps=numpy_steps,
            numpy_repeats=numpy_repeats,
            statistic="min over repeats",
            num_log=5,
            baseline=baseline,
            clock=clock,
        ),
        machine=dict(
            platform=platform.platform(),
            machine=platform.machine(),
            cpu=_cpu_model(),
            cpu_count=os.cpu_count(),
            python=sys.version.split()[0],
        ),
        versions=dict(implicit_bias=implicit_bias.__version__, numba=numba.__version__, numpy=np.__version__),
        results=rows,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000, help="steps per numba run")
    parser.add_argument("--repeats", type=int, default=5, help="numba repeats (best is reported)")
    parser.add_argument("--numpy-steps", type=int, default=20_000, help="steps per numpy run")
    parser.add_argument("--numpy-repeats", type=int, default=3, help="numpy repeats (best is reported)")
    parser.add_argument("--baseline", help="a git revision whose fast path is timed interleaved with this one")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall", help="wall time or the process's CPU time")
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parent / "results.json")
    args = parser.parse_args(argv)
    result = measure(args.steps, args.repeats, args.numpy_steps, args.numpy_repeats, args.baseline, args.clock)
    rows = result["results"]

    header = f"{'case':<26}{'numba µs/step':>15}{'numpy µs/step':>15}{'numpy/numba':>13}{'1e6 steps (numba)':>19}"
    if args.baseline:
        header += f"{args.baseline + ' µs/step':>20}{'speed-up':>10}"
    print(
        f"N=10, d=50; numba: best of {args.repeats} × {args.steps:.0e} steps; "
        f"numpy: best of {args.numpy_repeats} × {args.numpy_steps:.0e} steps"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        line = (
            f"{r['case']:<26}{r['numba_us_per_step']:>15.3f}{r['numpy_us_per_step']:>15.2f}"
            f"{r['speedup']:>12.0f}×{r['numba_us_per_step']:>17.2f} s"
        )
        if args.baseline:
            line += f"{r['baseline_us_per_step']:>20.3f}{r['speedup_over_baseline']:>9.2f}×"
        print(line)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")
    return result


if __name__ == "__main__":
    main()
