"""Draw one figure of a generic home from its metric table (its plots' `figure`; never re-runs an optimizer)."""

from importlib import import_module

from _common import setup

from implicit_bias.artifacts import load_csv
from implicit_bias.papers import home
from implicit_bias.plots import save_figure

setup(snakemake)
paper, name = snakemake.params.paper, snakemake.wildcards.fig
df, record = load_csv(snakemake.input.metrics)
fig = import_module(home(paper).plots_module).figure(name, df, snakemake.params.config)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, config=record.get("config"))
print(f"wrote {snakemake.output.png}")
