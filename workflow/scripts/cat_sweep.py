"""Figures 4-5 data: full-batch Adam sweep over rho or beta, all seeds.

scale cpu: tanh MLP on sklearn digits (CPU substitute), seeds batched; scale full: ResNet/CIFAR-10 through PyTorch.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from _common import setup

from implicit_bias.artifacts import save_npz
from implicit_bias.papers.cattaneo2024.experiments import adam_sweep

setup(snakemake)
spec = snakemake.params.spec
grid = spec["grid"]
if spec["scale"] == "full":
    from implicit_bias.torch_full import torch_sweep

    out = torch_sweep(spec["sweeps"], grid, spec["full"])
else:
    out = adam_sweep(spec["sweeps"], grid)
meta = {**spec["sweeps"], **grid, "scale": spec["scale"]}
if spec["scale"] == "full":
    meta["full"] = spec["full"]
save_npz(snakemake.output[0], out, {"experiment": meta})
