"""References of one data set of a generic home (its experiments' `references`): max-margin directions, fixed
points."""

from importlib import import_module

from _common import setup

from implicit_bias.artifacts import load_npz, save_npz
from implicit_bias.papers import home

setup(snakemake)
paper, name = snakemake.params.paper, snakemake.wildcards.dataset
data, record = load_npz(snakemake.input.data)
refs = import_module(home(paper).experiments_module).references(snakemake.params.config, name, data)
print(f"{paper}/{name}: {len(refs)} reference arrays")
save_npz(snakemake.output[0], refs, {"dataset": record["meta"]["dataset"], "config": snakemake.params.config})
