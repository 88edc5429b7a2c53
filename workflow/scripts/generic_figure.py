"""Draw one figure of a generic home from its metric tables (its plots' `figure`; never re-runs an optimizer)."""

from importlib import import_module

from _common import setup
from _generic import csv_artifact, stem, step

from implicit_bias.plots import save_figure

setup(snakemake)
paper, _, level, settings = step(snakemake)
plots, name = import_module(paper.plots_module), snakemake.wildcards.fig
if level:
    tables = {stem(path): csv_artifact(path) for path in snakemake.input.metrics}
    drawn = plots.figure(settings, name, tables)
    fig, config = drawn.content, drawn.record
else:
    table = csv_artifact(snakemake.input.metrics)
    fig, config = plots.figure(name, table.content, settings), table.record
save_figure(fig, snakemake.output.png, snakemake.output.pdf, config=config)
print(f"wrote {snakemake.output.png}")
