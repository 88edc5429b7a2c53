"""Gather every check verdict into results/checks/summary.md (paper, claim, measured, threshold, verdict)."""

from _common import setup

from implicit_bias.artifacts import atomic_path, load_json
from implicit_bias.checks import summary_table

setup(snakemake)
verdicts = [load_json(p) for p in snakemake.input.checks]
with atomic_path(snakemake.output[0], suffix=".md") as tmp:
    tmp.write_text(summary_table(verdicts))
print(f"{sum(v['passed'] for v in verdicts)}/{len(verdicts)} checks passed")
