"""Draw a baek2025 data set for every seed and check that it is separable."""

from _common import setup

from implicit_bias.artifacts import save_npz
from implicit_bias.papers.baek2025.experiments import build_datasets

setup(snakemake)
spec, seeds = snakemake.params.dataset["spec"], snakemake.params.dataset["seeds"]
X, seeds = build_datasets(spec, seeds)
print(f"{snakemake.wildcards.dataset}: {X.shape[0]} data set(s) of shape {X.shape[1:]}, separable")
save_npz(snakemake.output[0], {"X": X, "seeds": seeds}, {"dataset": spec, "seeds": seeds})
