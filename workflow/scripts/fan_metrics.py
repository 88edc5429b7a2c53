"""Per-step metrics of one fan2025 experiment: margin gaps in every norm, correlations, log L, log max|grad|."""

from _common import setup

from implicit_bias.artifacts import atomic_path, load_npz
from implicit_bias.papers.fan2025.experiments import run_specs, trajectory_metrics

setup(snakemake)
datasets = []
for path in snakemake.input.data:
    arrays, _ = load_npz(path)
    datasets.append((arrays["H"], arrays["y"]))
refs = [load_npz(p)[0] for p in snakemake.input.refs]
runs, _ = load_npz(snakemake.input.runs)
df = trajectory_metrics(datasets, snakemake.params.datasets, runs, refs, run_specs(snakemake.params.experiment))
with atomic_path(snakemake.output[0], suffix=".csv") as tmp:
    df.to_csv(tmp, index=False, float_format="%.10g")
print(f"{len(df)} rows")
