"""References of one data set of a generic home (its experiments' `references`): max-margin directions, fixed
points."""

from _common import setup
from _generic import npz_artifact, step

from implicit_bias.artifacts import save_npz

setup(snakemake)
paper, experiments, level, settings = step(snakemake)
name = snakemake.wildcards.dataset
data = npz_artifact(snakemake.input.data)
if level:
    refs = experiments.references(settings, name, data)
    arrays, meta = refs.content, refs.record
else:
    arrays = experiments.references(settings, name, data.content)
    meta = {"dataset": data.record["dataset"], "config": settings}
print(f"{paper.name}/{name}: {len(arrays)} reference arrays")
save_npz(snakemake.output[0], arrays, meta)
