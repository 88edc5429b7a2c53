"""Write the per-rule profile of the reproduction's `benchmark:` records (implicit_bias.profile) as a Markdown table."""

from pathlib import Path

from _common import setup

from implicit_bias.artifacts import atomic_path
from implicit_bias.profile import job_records, markdown_profile

setup(snakemake)
records = job_records(Path(snakemake.params.records))
table = markdown_profile(records, snakemake.params.cores)
report = Path(snakemake.input.report)
table += f"\nThe report, {report}: {report.stat().st_size / 1e6:.2f} MB.\n"
with atomic_path(snakemake.output[0], suffix=".md") as tmp:
    tmp.write_text(table)
print(table)
