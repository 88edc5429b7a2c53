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

    python benchmarks/bench_steps.py [--steps 1000000] [--repeats 5] [--numpy-steps 20000] [--numpy-repeats 3]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import sys
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


def _time_per_step(X, case, backend, steps, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        train(X, steps=steps, backend=backend, num_log=5, **case)
        times.append(time.perf_counter() - t0)
    return min(times) / steps * 1e6, [t / steps * 1e6 for t in times]


def _cpu_model():
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1_000_000, help="steps per numba run")
    parser.add_argument("--repeats", type=int, default=5, help="numba repeats (best is reported)")
    parser.add_argument("--numpy-steps", type=int, default=20_000, help="steps per numpy run")
    parser.add_argument("--numpy-repeats", type=int, default=3, help="numpy repeats (best is reported)")
    parser.add_argument("--output", type=Path, default=Path(__file__).resolve().parent / "results.json")
    args = parser.parse_args(argv)

    X = gaussian(10, 50, 0)
    rows = []
    for name, case in CASES.items():
        t0 = time.perf_counter()
        train(X, steps=1000, backend="numba", **case)  # warm-up: load the cached compiled loop (or compile it)
        warmup = time.perf_counter() - t0
        fast, fast_all = _time_per_step(X, case, "numba", args.steps, args.repeats)
        ref, ref_all = _time_per_step(X, case, "numpy", args.numpy_steps, args.numpy_repeats)
        rows.append(
            dict(
                case=name,
                settings=case,
                numba_us_per_step=fast,
                numpy_us_per_step=ref,
                speedup=ref / fast,
                numba_runs_us=fast_all,
                numpy_runs_us=ref_all,
                warmup_s=warmup,
            )
        )

    header = f"{'case':<26}{'numba µs/step':>15}{'numpy µs/step':>15}{'numpy/numba':>13}{'1e6 steps (numba)':>19}"
    print(
        f"N=10, d=50; numba: best of {args.repeats} × {args.steps:.0e} steps; "
        f"numpy: best of {args.numpy_repeats} × {args.numpy_steps:.0e} steps"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['case']:<26}{r['numba_us_per_step']:>15.3f}{r['numpy_us_per_step']:>15.2f}"
            f"{r['speedup']:>12.0f}×{r['numba_us_per_step']:>17.2f} s"
        )

    result = dict(
        benchmark="bench_steps",
        created=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        data=dict(kind="gaussian", n=10, d=50, seed=0),
        protocol=dict(
            numba_steps=args.steps,
            numba_repeats=args.repeats,
            numpy_steps=args.numpy_steps,
            numpy_repeats=args.numpy_repeats,
            statistic="min over repeats",
            num_log=5,
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
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.output}")
    return result


if __name__ == "__main__":
    main()
