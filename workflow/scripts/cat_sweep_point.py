"""One (beta, rho) point of the Figures 4-5 sweeps: full-batch Adam at that point, every seed.

scale cpu: tanh MLP on sklearn digits (CPU substitute); scale full: ResNet/CIFAR-10 through PyTorch. The artifact is
a one-value sweep ({vary: rho, beta, values: [rho]}); rule cat_sweep joins the points of a sweep.
"""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from _common import setup

from implicit_bias.artifacts import save_npz
from implicit_bias.papers.cattaneo2024.experiments import adam_sweep

setup(snakemake)
spec = snakemake.params.spec
point = {"vary": "rho", "beta": spec["beta"], "values": [spec["rho"]]}
if spec["scale"] == "full":
    from implicit_bias.papers.cattaneo2024.full_scale import torch_sweep

    out = torch_sweep(spec["sweeps"], point, spec["full"])
else:
    out = adam_sweep(spec["sweeps"], point)
meta = {**spec["sweeps"], "beta": spec["beta"], "rho": spec["rho"], "scale": spec["scale"]}
if spec["scale"] == "full":
    meta["full"] = spec["full"]
save_npz(snakemake.output[0], out, {"experiment": meta})
