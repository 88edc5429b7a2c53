"""Make one data set of a generic home (its experiments' `make_dataset`; workflow/rules/generic.smk)."""

from importlib import import_module

from _common import setup

from implicit_bias.artifacts import save_npz
from implicit_bias.papers import home

setup(snakemake)
paper, name = snakemake.params.paper, snakemake.wildcards.dataset
arrays = import_module(home(paper).experiments_module).make_dataset(snakemake.params.config, name)
print(f"{paper}/{name}: " + ", ".join(f"{k} {getattr(v, 'shape', ())}" for k, v in arrays.items()))
save_npz(snakemake.output[0], arrays, {"dataset": {"paper": paper, "name": name}, "config": snakemake.params.config})
