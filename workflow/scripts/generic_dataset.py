"""Make one data set of a generic home (its experiments' `make_dataset`; workflow/rules/generic.smk)."""

from _common import setup
from _generic import step

from implicit_bias.artifacts import save_npz

setup(snakemake)
paper, experiments, level, settings = step(snakemake)
name = snakemake.wildcards.dataset
if level:
    made = experiments.make_dataset(settings, name)
    arrays, meta = made.content, made.record
else:
    arrays = experiments.make_dataset(settings, name)
    meta = {"dataset": {"paper": paper.name, "name": name}, "config": settings}
print(f"{paper.name}/{name}: " + ", ".join(f"{k} {getattr(v, 'shape', ())}" for k, v in arrays.items()))
save_npz(snakemake.output[0], arrays, meta)
