"""Plot one fan2025 figure from metric tables (never re-runs an optimizer)."""

from _common import setup

from implicit_bias.artifacts import load_csv
from implicit_bias.papers.fan2025.plots import FIGURES
from implicit_bias.plots import save_figure

setup(snakemake)
tables = {path.split("/")[-1][: -len(".csv")]: load_csv(path) for path in snakemake.input.metrics}
fig = FIGURES[snakemake.wildcards.fig]({name: df for name, (df, _) in tables.items()})
config = {name: record.get("config") for name, (_, record) in tables.items()}
save_figure(fig, snakemake.output.png, snakemake.output.pdf, config=config)
print(f"wrote {snakemake.output.png}")
