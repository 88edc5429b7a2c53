"""Per-step metrics of one fan2025 experiment: margin gaps in every norm, correlations, log L, log max|grad|."""

from _common import setup

from implicit_bias.artifacts import load_npz, save_csv
from implicit_bias.papers.fan2025.experiments import run_specs, trajectory_metrics

setup(snakemake)
datasets = []
for path in snakemake.input.data:
    arrays, _ = load_npz(path)
    datasets.append((arrays["H"], arrays["y"]))
refs = [load_npz(p)[0] for p in snakemake.input.refs]
runs, record = load_npz(snakemake.input.runs)
df = trajectory_metrics(datasets, snakemake.params.datasets, runs, refs, run_specs(snakemake.params.experiment))
save_csv(snakemake.output[0], df, record["meta"])
print(f"{len(df)} rows")
