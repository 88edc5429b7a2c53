# implicit-bias: reproduce every figure and theorem check of the three papers.
#   snakemake --cores all                    every figure and check, and results/checks/summary.md
#   snakemake --cores all report             results/report.html: every claim beside its figure, the criteria, the
#                                            verdicts and the provenance, in one self-contained page (in `all` too)
#   snakemake --cores all verify             the gate: fails if any theorem check failed
#   snakemake --cores all baek2025           one paper: its figures, checks and results/checks/baek2025/summary.md,
#                                            and no job of another paper (likewise fan2025, cattaneo2024)
#   snakemake --cores all beyond             the studies beyond the papers (docs/papers/beyond.md):
#                                            results/figures/beyond/, results/checks/beyond/
#   snakemake --cores all results/figures/baek2025/fig2.png   one figure, and only what it needs
#   snakemake --cores all benchmark          the peer benchmark, results/benchmark/benchmark.md (not part of the
#                                            default target: timings are machine-specific)
from snakemake.utils import min_version

from implicit_bias.report import show_status_at_exit

min_version("9.2")


configfile: "config.yaml"


include: "workflow/rules/common.smk"
include: "workflow/rules/baek2025_common.smk"
include: "workflow/rules/fan2025_common.smk"
include: "workflow/rules/cattaneo2024_common.smk"
include: "workflow/rules/beyond_common.smk"
include: "workflow/rules/baek2025.smk"
include: "workflow/rules/fan2025.smk"
include: "workflow/rules/cattaneo2024.smk"
include: "workflow/rules/beyond.smk"
include: "workflow/rules/checks.smk"
include: "workflow/rules/benchmark.smk"


localrules:
    all,


rule all:
    default_target: True
    input:
        all_targets(),
        "results/checks/summary.md",
        "results/report.html",


# The console's last lines: the verdict summary and where the report is (nothing when a partial target ran).
onsuccess:
    show_status_at_exit(all_checks(), "results/report.html", EXPECTED)
