"""Render results/report.html from the checks' JSON verdicts and the figures (reads only; re-runs nothing)."""

from _common import setup

from implicit_bias.artifacts import atomic_path, load_json
from implicit_bias.report import render, report_context, report_provenance

setup(snakemake)
verdicts = [load_json(p) for p in snakemake.input.checks]
context = report_context(verdicts, snakemake.input.figures, snakemake.params.expected, snakemake.params.papers)
context["provenance"] = report_provenance(snakemake.config, root=snakemake.scriptdir)
html = render(context, snakemake.input.template)
with atomic_path(snakemake.output[0], suffix=".html") as tmp:
    tmp.write_text(html, encoding="utf-8")
print(f"{context['headline']}; report: {snakemake.output[0]} ({len(html) / 1e6:.1f} MB)")
