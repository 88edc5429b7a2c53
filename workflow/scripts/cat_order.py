"""Order of accuracy (C1, C5, Figure 3): Adam vs the first- and second-order modified flows over an h grid."""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from _common import setup

from implicit_bias.artifacts import save_npz
from implicit_bias.papers.cattaneo2024.experiments import order_of_accuracy

setup(snakemake)
spec = snakemake.params.spec
save_npz(snakemake.output[0], order_of_accuracy(spec), {"experiment": spec})
