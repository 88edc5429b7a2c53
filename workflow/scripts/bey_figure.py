"""Draw one `beyond` figure from its study's metric table (never re-runs an optimizer)."""

from _common import setup

from implicit_bias.artifacts import load_csv
from implicit_bias.papers.beyond import study_module
from implicit_bias.plots import save_figure

setup(snakemake)
(df, record) = load_csv(snakemake.input.metrics[0])
fig = study_module(snakemake.params.study, "plots").figure(df, snakemake.params.config)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, config=record.get("config"))
print(f"wrote {snakemake.output.png}")
