"""The optimizer runs of one data set of a `beyond` study (the expensive step)."""

import os
import time

from _common import setup

from implicit_bias.artifacts import load_npz, save_npz
from implicit_bias.papers.beyond import study_module

setup(snakemake)
# the batched kernels (train_many) run on numba's threads: as many as the rule declares, so a study's code stays free
# of the job's resources (in a notebook it uses every core). Read by numba when the study first imports it.
os.environ["NUMBA_NUM_THREADS"] = str(snakemake.threads)
study, name = snakemake.wildcards.study, snakemake.wildcards.dataset
data, record = load_npz(snakemake.input.data)
started = time.perf_counter()
runs = study_module(study, "experiments").run(snakemake.params.config, name, data, print)
print(f"{study}/{name}: done in {time.perf_counter() - started:.1f} s")
save_npz(snakemake.output[0], runs, {"dataset": record["meta"]["dataset"], "config": snakemake.params.config})
