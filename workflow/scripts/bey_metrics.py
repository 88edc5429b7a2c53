"""The metric table of one `beyond` study, from every data set's data, references and runs."""

from _common import setup

from implicit_bias.artifacts import load_npz, save_csv
from implicit_bias.papers.beyond import study_module

setup(snakemake)
study = snakemake.wildcards.study
inputs = {
    name: tuple(load_npz(path)[0] for path in paths)
    for name, *paths in zip(
        snakemake.params.datasets, snakemake.input.data, snakemake.input.references, snakemake.input.runs, strict=True
    )
}
df = study_module(study, "experiments").metrics(snakemake.params.config, inputs)
save_csv(snakemake.output[0], df, {"study": study, "config": snakemake.params.config})
print(f"{study}: {len(df)} rows")
