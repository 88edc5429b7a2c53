"""References of one data set of a `beyond` study: max-margin directions, fixed points."""

import time

from _common import setup

from implicit_bias.artifacts import load_npz, save_npz
from implicit_bias.papers.beyond import study_module

setup(snakemake)
study, name = snakemake.wildcards.study, snakemake.wildcards.dataset
data, record = load_npz(snakemake.input.data)
started = time.perf_counter()
refs = study_module(study, "experiments").references(snakemake.params.config, name, data)
print(f"{study}/{name}: {len(refs)} reference arrays in {time.perf_counter() - started:.1f} s")
save_npz(snakemake.output[0], refs, {"dataset": record["meta"]["dataset"], "config": snakemake.params.config})
