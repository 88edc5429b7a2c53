"""Plot one baek2025 figure from its metrics table (never re-runs an optimizer)."""

from _common import setup

from implicit_bias.artifacts import load_csv
from implicit_bias.papers.baek2025.plots import plot_figure
from implicit_bias.plots import save_figure

setup(snakemake)
spec = snakemake.params.figure
df, record = load_csv(snakemake.input.metrics)
title = f"baek2025 {snakemake.wildcards.fig.replace('fig', 'Fig. ')}: {spec.get('title', spec['experiment'])}"
fig = plot_figure(df, spec, title, record.get("config"))
save_figure(fig, snakemake.output.png, snakemake.output.pdf, config={"figure": spec, "metrics": record.get("config")})
print(f"wrote {snakemake.output.png}")
