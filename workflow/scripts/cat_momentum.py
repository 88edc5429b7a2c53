"""Spec §2.4(b) / Example 2.1: Adam at large eps against GD with momentum and its modified flows (toy problem)."""

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from _common import setup

from implicit_bias.artifacts import save_npz
from implicit_bias.papers.cattaneo2024.experiments import momentum_limit

setup(snakemake)
spec = snakemake.params.spec
save_npz(snakemake.output[0], momentum_limit(spec), {"experiment": spec})
