"""Run every optimizer of one fan2025 experiment on each of its data sets (the expensive step)."""

import time

from _common import setup

from implicit_bias.artifacts import load_npz, save_npz
from implicit_bias.papers.fan2025.experiments import run_experiment, run_specs

setup(snakemake)
datasets = []
for path in snakemake.input.data:
    arrays, _ = load_npz(path)
    datasets.append((arrays["H"], arrays["y"]))
experiment = snakemake.params.experiment
started = time.perf_counter()
print(f"experiment {snakemake.wildcards.experiment} on {snakemake.params.datasets}:")
runs = run_experiment(datasets, experiment, num_log=snakemake.params.num_log)
print(f"done in {time.perf_counter() - started:.1f} s")
meta = {"experiment": experiment, "runs": run_specs(experiment), "datasets": snakemake.params.datasets}
save_npz(snakemake.output[0], runs, meta)
