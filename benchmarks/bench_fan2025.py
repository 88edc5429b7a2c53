"""Cost of one multiclass step (fan2025): numba fast path vs the plain-numpy reference vs a JAX `lax.scan` loop.

Data: spec §3 (k = 10, d = 25, 50 points per class, n = 500), seed 0. For each case, the three implementations are
timed interleaved in one process (kernel chunk, JAX chunk, numpy chunk, repeated), so that a machine shared with
other jobs slows them alike; the report gives µs per step (minimum and median over the repeats) and the ratios.

- numba: `implicit_bias.train(H, y, ...)` (the fast path), `steps` steps per chunk, logging kept to two steps;
- numpy: the same call with backend="numpy" (the package's reference loop, the fast path's test oracle),
  `numpy_steps` steps per chunk;
- JAX (only for the CE cases that have a peer in `_JAX_PEERS`, and only if jax is installed): the loop a JAX user
  writes, float64 (`jax_enable_x64`), `jit` of a `lax.scan` over `steps` steps, gradient (softmax(H Wᵀ) − Y)ᵀ H / n.
  That textbook softmax forms 1 − p_iy as p_iy − 1 and so loses the true-class term once margins pass ≈ 37; the
  package's log-scale CE keeps it exact at any margin (tests/test_fan2025_multiclass.py checks this at 1e3).

`measure(...) -> dict` is the importable entry point (the `snakemake benchmark` target calls it); run as a script it
prints a table and writes `benchmarks/results_fan2025.json`:

    python benchmarks/bench_fan2025.py [--steps 2000] [--numpy-steps 200] [--repeats 15] [--cases "SignGD, CE" ...]
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import platform
import time
from pathlib import Path

import numpy as np

CASES = {
    "SignGD, CE": dict(optimizer="signgd", loss="ce"),
    "Adam (eps=0), CE": dict(optimizer="adam", beta2=0.99, decay=2 / 3, loss="ce"),
    "NGD, CE": dict(optimizer="ngd", loss="ce"),
    # fan2025 v4's matrix rules at its step size: UVᵀ of the gradient (Spectral-GD) or of the EMA momentum (Muon)
    "Spectral-GD, CE": dict(optimizer="spectral", lr=0.05, loss="ce"),
    "Muon, CE": dict(optimizer="muon", lr=0.05, loss="ce"),
    "NSD p=3, CE": dict(optimizer="nsd", p=3.0, loss="ce"),
    "SignGD, exp": dict(optimizer="signgd", loss="exp"),
    "SignGD, PairLogLoss": dict(optimizer="signgd", loss="pairlog"),
    # mini-batches (one batch's gradient per step: the per-step cost scales with b, not n)
    "Adam b=1, CE": dict(optimizer="adam", beta2=0.99, batch_size=1, loss="ce"),
    "Adam b=50 reshuffle, CE": dict(optimizer="adam", beta2=0.99, batch_size=50, sampling="reshuffle", loss="ce"),
}
# cases with a JAX peer: full-batch CE with an update rule written below
_JAX_PEERS = ("SignGD, CE", "Adam (eps=0), CE")
_TRAIN_DEFAULTS = dict(lr=0.1, decay=0.5, beta1=0.9, beta2=0.95)  # `train`'s defaults, which the peer must share


def jax_scan(H, y, num_classes, steps, optimizer, lr, decay, beta1, beta2):
    """A jitted float64 `lax.scan` of `steps` full-batch CE steps from W = 0 (SignGD or Adam with ε = 0, no bias
    correction, η_t = lr (t+2)^(−decay), as the package's rules), returning a thunk that runs it to completion and
    gives W; None if jax is not installed."""
    try:
        import jax
        import jax.numpy as jnp
    except ImportError:
        return None
    jax.config.update("jax_enable_x64", True)
    Hj = jnp.asarray(H, dtype=jnp.float64)
    Y = jax.nn.one_hot(jnp.asarray(y), num_classes, dtype=jnp.float64)
    n = H.shape[0]

    def body(carry, t):
        W, m, v = carry
        P = jax.nn.softmax(Hj @ W.T, axis=1)  # the textbook softmax
        g = (P - Y).T @ Hj / n
        if optimizer == "signgd":
            d = jnp.sign(g)
        else:
            m = beta1 * m + (1.0 - beta1) * g
            v = beta2 * v + (1.0 - beta2) * g * g
            d = jnp.where(v > 0, m / jnp.sqrt(v), 0.0)
        return (W - lr * (t + 2.0) ** (-decay) * d, m, v), None

    @jax.jit
    def run(ts):
        W0 = jnp.zeros((num_classes, H.shape[1]), dtype=jnp.float64)
        (W, _, _), _ = jax.lax.scan(body, (W0, W0, W0), ts)
        return W

    ts = jnp.arange(steps, dtype=jnp.float64)
    return lambda: np.asarray(run(ts).block_until_ready())


def _host_cpu():
    import llvmlite.binding as llvm

    return llvm.get_host_cpu_name()


def _stats(per_step_us):
    return {"min": float(np.min(per_step_us)), "median": float(np.median(per_step_us))}


def measure(
    cases: dict | None = None,
    steps: int = 2000,
    numpy_steps: int = 200,
    repeats: int = 15,
    seed: int = 0,
    jax: bool = True,
) -> dict:
    """Interleaved timings of the multiclass step; returns a JSON-ready record (machine, versions, setting, and per
    case µs/step of each implementation with ratios to the numba kernel).

    `cases` maps a name to `train` keyword arguments (default `CASES`). Each repeat times one chunk of each
    implementation back to back; ratios are taken between the minima (best case of each under a shared load) and
    between the medians. `agreement` is max|W_numba − W_numpy| / max|W_numpy| after `numpy_steps` steps (and the
    same for JAX after `steps` steps, where the textbook softmax and sign's discontinuity may make it larger).
    """
    import numba

    import implicit_bias
    from implicit_bias import train
    from implicit_bias.multiclass import make_multiclass

    cases = CASES if cases is None else cases
    H, y, _, _ = make_multiclass(seed=seed)
    k = int(y.max()) + 1
    rows = {}
    notes = []
    for name, kw in cases.items():

        def kernel(kw=kw):
            return train(H, y, steps=steps, num_log=2, **kw).w_final

        def reference(kw=kw):
            return train(H, y, steps=numpy_steps, num_log=2, backend="numpy", **kw).w_final

        runners = {"numba": (kernel, steps), "numpy": (reference, numpy_steps)}
        peer = None
        if jax and name in _JAX_PEERS:
            rule = {**_TRAIN_DEFAULTS, **{key: kw[key] for key in _TRAIN_DEFAULTS if key in kw}}
            peer = jax_scan(H, y, k, steps, kw["optimizer"], **rule)
            if peer is None and "jax not installed: JAX columns skipped" not in notes:
                notes.append("jax not installed: JAX columns skipped")
            if peer is not None:
                runners["jax"] = (peer, steps)
        for fn, _ in runners.values():  # compile / warm up
            fn()
        times = {key: [] for key in runners}
        for _ in range(repeats):
            for key, (fn, n_steps) in runners.items():
                t0 = time.perf_counter()
                fn()
                times[key].append((time.perf_counter() - t0) / n_steps * 1e6)
        row = {f"{key}_us": _stats(v) for key, v in times.items()}
        for key in runners:
            if key != "numba":
                row[f"{key}/numba"] = {q: row[f"{key}_us"][q] / row["numba_us"][q] for q in ("min", "median")}
        W_ref = reference()
        W_fast = train(H, y, steps=numpy_steps, num_log=2, **kw).w_final
        row["agreement"] = {"numpy": float(np.abs(W_fast - W_ref).max() / np.abs(W_ref).max())}
        if peer is not None:
            W_peer, W_fast = peer(), kernel()
            row["agreement"]["jax"] = float(np.abs(W_fast - W_peer).max() / np.abs(W_fast).max())
        rows[name] = row
    versions = {"implicit-bias": implicit_bias.__version__, "numpy": np.__version__, "numba": numba.__version__}
    try:
        import jax as _jax

        versions["jax"] = _jax.__version__
    except ImportError:
        pass
    return {
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "machine": {
            "platform": platform.platform(),
            "machine": platform.machine(),
            "cpu": _host_cpu(),  # the micro-architecture numba compiles the kernels for
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "versions": versions,
        "setting": {
            "k": k,
            "d": int(H.shape[1]),
            "n": int(H.shape[0]),
            "steps": steps,
            "numpy_steps": numpy_steps,
            "repeats": repeats,
        },
        "notes": notes,
        "results": rows,
    }


def format_table(record: dict) -> str:
    """A Markdown table of a `measure` record (µs per step, min / median, and ratios to the numba kernel)."""
    lines = [
        "| case | numba µs | numpy µs | JAX µs | numpy/numba | JAX/numba |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, row in record["results"].items():

        def cell(key, row=row):
            v = row.get(key)
            return "–" if v is None else f"{v['min']:.1f} / {v['median']:.1f}"

        def ratio(key, row=row):
            v = row.get(key)
            return "–" if v is None else f"{v['min']:.2f} / {v['median']:.2f}"

        lines.append(
            f"| {name} | {cell('numba_us')} | {cell('numpy_us')} | {cell('jax_us')} | "
            f"{ratio('numpy/numba')} | {ratio('jax/numba')} |"
        )
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2000)
    ap.add_argument("--numpy-steps", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--cases", nargs="*", help=f"a subset of {list(CASES)}")
    ap.add_argument("--no-jax", action="store_true")
    ap.add_argument("--out", default=str(Path(__file__).with_name("results_fan2025.json")))
    args = ap.parse_args()
    cases = {name: CASES[name] for name in args.cases} if args.cases else None
    record = measure(cases, args.steps, args.numpy_steps, args.repeats, jax=not args.no_jax)
    print(format_table(record))
    print("(µs per step: min / median over interleaved repeats; ratios > 1 mean the numba kernel is faster)")
    for note in record["notes"]:
        print("note:", note)
    Path(args.out).write_text(json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    main()
