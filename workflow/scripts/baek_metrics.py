"""Per-step metrics of one experiment: cosines to the references, normalised margins, log-loss."""

from _common import setup

from implicit_bias.artifacts import load_npz, save_csv
from implicit_bias.papers.baek2025.experiments import trajectory_metrics

setup(snakemake)
data, _ = load_npz(snakemake.input.data)
refs, _ = load_npz(snakemake.input.refs)
runs, record = load_npz(snakemake.input.runs)
df = trajectory_metrics(data["X"], data["seeds"], runs, refs, record["meta"]["runs"])
save_csv(snakemake.output[0], df, record["meta"])
print(f"{len(df)} rows")
