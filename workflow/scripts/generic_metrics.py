"""The metric table of a generic home (its experiments' `metrics`): from every data set's data, references and runs,
or, at the experiment level, from one experiment's runs and its data sets' data and references."""

from _common import setup
from _generic import npz_artifact, stem, step

from implicit_bias.artifacts import save_csv

setup(snakemake)
paper, experiments, level, settings = step(snakemake)
names = [stem(path) for path in snakemake.input.data]
data = [npz_artifact(path) for path in snakemake.input.data]
# a data set without a reference job has its data file as its references: its own name is the data set's
refs = [npz_artifact(path) for path in snakemake.input.refs]
if level:
    runs = npz_artifact(snakemake.input.runs)
    table = experiments.metrics(
        settings, snakemake.wildcards.experiment, dict(zip(names, data)), dict(zip(names, refs, strict=True)), runs
    )
    df, config = table.content, table.record
else:
    runs = [npz_artifact(path) for path in snakemake.input.runs]
    inputs = {name: (d.content, r.content, u.content) for name, d, r, u in zip(names, data, refs, runs, strict=True)}
    df, config = experiments.metrics(settings, inputs), {"paper": paper.name, "config": settings}
save_csv(snakemake.output[0], df, config)
print(f"{paper.name}: {len(df)} rows")
