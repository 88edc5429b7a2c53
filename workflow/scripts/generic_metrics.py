"""The metric table of a generic home (its experiments' `metrics`), from every data set's data, references, runs."""

from importlib import import_module

from _common import setup

from implicit_bias.artifacts import load_npz, save_csv
from implicit_bias.papers import home

setup(snakemake)
paper = snakemake.params.paper
inputs = {
    name: tuple(load_npz(path)[0] for path in paths)
    for name, *paths in zip(
        snakemake.params.datasets, snakemake.input.data, snakemake.input.references, snakemake.input.runs, strict=True
    )
}
df = import_module(home(paper).experiments_module).metrics(snakemake.params.config, inputs)
save_csv(snakemake.output[0], df, {"paper": paper, "config": snakemake.params.config})
print(f"{paper}: {len(df)} rows")
