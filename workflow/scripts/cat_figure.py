"""Plot one cattaneo2024 figure from its run artifacts (never re-runs an optimizer)."""

from _common import setup

from implicit_bias.artifacts import load_npz
from implicit_bias.papers.cattaneo2024.plots import FIGURES
from implicit_bias.plots import save_figure

setup(snakemake)
runs = {name: load_npz(path) for name, path in zip(snakemake.params.names, snakemake.input.runs)}
fig = FIGURES[snakemake.wildcards.fig](runs)
save_figure(fig, snakemake.output.png, snakemake.output.pdf, config={n: r.get("meta") for n, (_, r) in runs.items()})
print(f"wrote {snakemake.output.png}")
