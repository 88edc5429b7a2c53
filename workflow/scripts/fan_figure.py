"""Plot one fan2025 figure from metric tables (never re-runs an optimizer)."""

import pandas as pd
from _common import setup

from implicit_bias.papers.fan2025.plots import FIGURES
from implicit_bias.plots import save_figure

setup(snakemake)
frames = {path.split("/")[-1][: -len(".csv")]: pd.read_csv(path) for path in snakemake.input.metrics}
fig = FIGURES[snakemake.wildcards.fig](frames)
save_figure(fig, snakemake.output.png, snakemake.output.pdf)
print(f"wrote {snakemake.output.png}")
