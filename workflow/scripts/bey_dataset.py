"""Make one data set of a `beyond` study (implicit_bias.papers.beyond.<study>.experiments.make_dataset)."""

from _common import setup

from implicit_bias.artifacts import save_npz
from implicit_bias.papers.beyond import study_module

setup(snakemake)
study, name = snakemake.wildcards.study, snakemake.wildcards.dataset
arrays = study_module(study, "experiments").make_dataset(snakemake.params.config, name)
print(f"{study}/{name}: " + ", ".join(f"{k} {getattr(v, 'shape', ())}" for k, v in arrays.items()))
save_npz(snakemake.output[0], arrays, {"dataset": {"study": study, "name": name}, "config": snakemake.params.config})
