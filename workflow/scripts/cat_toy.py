"""Figure 2 data: Adam trajectories on the 2-D toy problem over (beta, rho) and over h."""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from _common import setup

from implicit_bias.artifacts import save_npz
from implicit_bias.papers.cattaneo2024.experiments import toy_trajectories

setup(snakemake)
spec = snakemake.params.spec
save_npz(snakemake.output[0], toy_trajectories(spec), {"experiment": spec})
