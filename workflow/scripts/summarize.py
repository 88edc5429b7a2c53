"""Gather check verdicts into a summary table (paper, claim, measured, threshold, verdict): one paper's or all."""

import sys

from _common import setup

from implicit_bias.artifacts import atomic_path, load_json
from implicit_bias.checks import reconcile, summary_table

setup(snakemake)
verdicts = [load_json(p) for p in snakemake.input.checks]
with atomic_path(snakemake.output[0], suffix=".md") as tmp:
    tmp.write_text(summary_table(verdicts, title=snakemake.params.title, expected=snakemake.params.expected))
failed = [f"{v['paper']}/{v['check']}" for v in verdicts if not v["passed"]]
unexpected_fail, unexpected_pass = reconcile(verdicts, snakemake.params.expected)
line = f"theorem checks: {len(verdicts) - len(failed)} of {len(verdicts)} passed"
line += f"; FAILED: {', '.join(failed)}" if failed else ""
expected = [name for name in failed if name not in unexpected_fail]
line += f" ({len(expected)} expected: {', '.join(expected)})" if expected else ""
line += f"; UNEXPECTED PASS: {', '.join(unexpected_pass)}" if unexpected_pass else ""
print(line)
sys.__stderr__.write(f"{line} (table: {snakemake.output[0]})\n")
