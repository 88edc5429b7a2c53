"""Step costs of cattaneo2024 (python benchmarks/bench_cattaneo2024.py): ms per Adam step / per modified-flow step.

Single-threaded BLAS (as in the pipeline, which runs two jobs on two cores). Best of 3 repeats.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import json
import time

import numpy as np

import implicit_bias as ib
from implicit_bias.nets import MLPBuffers, TanhMLP, ToyProblem, digits_data
from implicit_bias.papers.cattaneo2024.experiments import run_sweep


def best(fn, repeats=3):
    out = []
    for _ in range(repeats):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return min(out)


def main():
    rows = {}
    toy = ToyProblem()
    kw = dict(h=0.01, beta=0.9, rho=0.99, eps=1e-8)
    n = 2000
    rows["toy: Adam step (adam_iterates)"] = best(lambda: ib.adam_iterates(toy.grad, [2.8, 3.5], steps=n, **kw)) / n
    rows["toy: 2nd-order flow step (RK4, sub=10)"] = (
        best(lambda: ib.modified_flow(toy.grad, toy.hvp, [2.8, 3.5], steps=200, order=2, sub=10, **kw)) / 200
    )
    Xtr, ytr, Xte, yte = digits_data(256)
    mlp = TanhMLP(Xtr, ytr, 32)
    th = mlp.init(0)
    kw = dict(h=1e-4, beta=0.9, rho=0.95, eps=1e-6)
    rows["digits MLP (p=2410): Adam step"] = best(lambda: ib.adam_iterates(mlp.grad, th, steps=200, **kw)) / 200
    rows["digits MLP: 1st-order flow step (RK4, sub=4)"] = (
        best(lambda: ib.modified_flow(mlp.grad, mlp.hvp, th, steps=50, order=1, sub=4, **kw)) / 50
    )
    rows["digits MLP: 2nd-order flow step (RK4, sub=4)"] = (
        best(lambda: ib.modified_flow(mlp.grad, mlp.hvp, th, steps=50, order=2, sub=4, **kw)) / 50
    )
    Xtr, ytr, Xte, yte = digits_data(None)
    mlp = TanhMLP(Xtr, ytr, 64)
    th5 = np.stack([mlp.init(s) for s in range(5)])
    one = (
        best(
            lambda: run_sweep(mlp, Xte, yte, th5[:1], h=1e-3, beta=0.99, rho=0.999, eps=1e-8, steps=100, eval_every=10)
        )
        / 100
    )
    five = (
        best(lambda: run_sweep(mlp, Xte, yte, th5, h=1e-3, beta=0.99, rho=0.999, eps=1e-8, steps=100, eval_every=10))
        / 100
    )
    rows["sweep MLP 64-64-10, 898 samples: step, 1 seed"] = one
    rows["sweep MLP: 5 seeds, per seed and step"] = five / 5
    buffers = MLPBuffers(mlp)
    rows["sweep MLP: TanhMLP.loss_and_grad (reference)"] = (
        best(lambda: [mlp.loss_and_grad(th5[:1]) for _ in range(100)]) / 100
    )
    rows["sweep MLP: MLPBuffers.loss_and_grad (fast path)"] = (
        best(lambda: [buffers.loss_and_grad(th5[0]) for _ in range(100)]) / 100
    )
    for k, v in rows.items():
        print(f"{k:55s} {1e3 * v:8.3f} ms")
    return {k: 1e3 * v for k, v in rows.items()}


if __name__ == "__main__":
    res = main()
    print(json.dumps(res, indent=1))
