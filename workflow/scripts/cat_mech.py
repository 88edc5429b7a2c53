"""The matched-loss mechanism experiments on the small digits MLP (one artifact per experiment)."""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from _common import setup

from implicit_bias.artifacts import save_npz
from implicit_bias.papers.cattaneo2024.experiments import MECHANISM

setup(snakemake)
spec = snakemake.params.spec
run = MECHANISM[snakemake.wildcards.mech]
save_npz(snakemake.output[0], run(spec), {"experiment": spec})
