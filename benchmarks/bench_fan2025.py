"""Cost of one multiclass step (fan2025): numba fast path vs the plain-numpy reference.

Data: spec §3 (k = 10, d = 25, 50 points per class, n = 500), seed 0. For each case, µs per step of
`implicit_bias.train(H, y, ...)`: numba after a warm-up call, best of `--repeats` runs of `--steps` steps; numpy best
of `--numpy-repeats` runs of `--numpy-steps` steps. Logging is kept to two steps so that the loop itself is timed.
The issue's target is ≤ 50 µs for a CE step (a plain numpy loop costs ~100–180 µs). Writes
`benchmarks/results_fan2025.json`.

    python benchmarks/bench_fan2025.py [--steps 20000] [--repeats 5] [--numpy-steps 2000] [--numpy-repeats 3]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import platform
import time
from pathlib import Path

import numba
import numpy as np

import implicit_bias
from implicit_bias import train
from implicit_bias.multiclass import make_multiclass

CASES = {
    "SignGD, CE": dict(optimizer="signgd", loss="ce"),
    "NGD, CE": dict(optimizer="ngd", loss="ce"),
    "Adam (eps=0), CE": dict(optimizer="adam", beta2=0.99, decay=2 / 3, loss="ce"),
    "NSD p=3, CE": dict(optimizer="nsd", p=3.0, loss="ce"),
    "SignGD, exp": dict(optimizer="signgd", loss="exp"),
    "SignGD, PairLogLoss": dict(optimizer="signgd", loss="pairlog"),
    # mini-batches (one batch's gradient per step: the per-step cost scales with b, not n)
    "Adam b=1, CE": dict(optimizer="adam", beta2=0.99, batch_size=1, loss="ce"),
    "Adam b=50 reshuffle, CE": dict(optimizer="adam", beta2=0.99, batch_size=50, sampling="reshuffle", loss="ce"),
}


def _best(H, y, steps, repeats, **kw):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        train(H, y, steps=steps, num_log=2, **kw)
        times.append(time.perf_counter() - t0)
    return min(times) / steps * 1e6


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=20_000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--numpy-steps", type=int, default=2_000)
    ap.add_argument("--numpy-repeats", type=int, default=3)
    ap.add_argument("--out", default=str(Path(__file__).with_name("results_fan2025.json")))
    args = ap.parse_args()
    H, y, _, _ = make_multiclass(seed=0)
    rows = {}
    for name, kw in CASES.items():
        train(H, y, steps=10, num_log=2, **kw)  # compile / warm up
        fast = _best(H, y, args.steps, args.repeats, **kw)
        ref = _best(H, y, args.numpy_steps, args.numpy_repeats, backend="numpy", **kw)
        rows[name] = {"numba_us": fast, "numpy_us": ref, "ratio": ref / fast}
        print(f"{name:<22s} numba {fast:7.1f} µs/step   numpy {ref:7.1f} µs/step   {ref / fast:5.1f}x", flush=True)
    record = {
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor(),
            "python": platform.python_version(),
        },
        "versions": {"implicit-bias": implicit_bias.__version__, "numpy": np.__version__, "numba": numba.__version__},
        "setting": {"k": 10, "d": 25, "n": int(H.shape[0]), "steps": args.steps, "numpy_steps": args.numpy_steps},
        "results": rows,
    }
    Path(args.out).write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
