"""The optimizer runs of one data set of a generic home (its experiments' `run`; the expensive step)."""

import os
import time
from importlib import import_module

from _common import setup

from implicit_bias.artifacts import load_npz, save_npz
from implicit_bias.papers import home

setup(snakemake)
# batched kernels run on numba's threads: as many as the rule declares (read when numba is first imported)
os.environ["NUMBA_NUM_THREADS"] = str(snakemake.threads)
paper, name = snakemake.params.paper, snakemake.wildcards.dataset
data, record = load_npz(snakemake.input.data)
started = time.perf_counter()
runs = import_module(home(paper).experiments_module).run(snakemake.params.config, name, data, print)
print(f"{paper}/{name}: done in {time.perf_counter() - started:.1f} s")
save_npz(snakemake.output[0], runs, {"dataset": record["meta"]["dataset"], "config": snakemake.params.config})
