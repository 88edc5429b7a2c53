"""Run every optimizer of one experiment on every seed's data set (the expensive step)."""

import time

from _common import setup

from implicit_bias.artifacts import load_npz, save_npz
from implicit_bias.papers.baek2025.experiments import run_experiment, run_specs

setup(snakemake)
data, record = load_npz(snakemake.input.data)
experiment = snakemake.params.experiment
started = time.perf_counter()
print(f"experiment {snakemake.wildcards.experiment} on {experiment['dataset']}:")
runs = run_experiment(data["X"], data["seeds"], experiment, num_log=snakemake.params.num_log)
print(f"done in {time.perf_counter() - started:.1f} s")
meta = {"experiment": experiment, "runs": run_specs(experiment), "dataset": record["meta"]}
save_npz(snakemake.output[0], runs, meta)
