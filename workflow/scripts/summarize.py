"""Gather check verdicts into a summary table (paper, claim, measured, threshold, verdict): one paper's or all."""

import sys

from _common import setup

from implicit_bias.artifacts import atomic_path, load_json
from implicit_bias.checks import summary_table, verdict_line

setup(snakemake)
verdicts = [load_json(p) for p in snakemake.input.checks]
with atomic_path(snakemake.output[0], suffix=".md") as tmp:
    tmp.write_text(summary_table(verdicts, title=snakemake.params.title, expected=snakemake.params.expected))
line = verdict_line(verdicts, snakemake.params.expected)
print(line)
sys.__stderr__.write(f"{line} (table: {snakemake.output[0]})\n")
