# implicit-bias: reproduce every figure and theorem check of every paper (the homes of implicit_bias.papers.HOMES).
#   snakemake --cores all                    every figure and check, and results/checks/summary.md
#   snakemake --cores all report             results/report.html: every claim beside its figure, the criteria, the
#                                            verdicts and the provenance, in one self-contained page (in `all` too)
#   snakemake --cores all verify             the gate: fails on any unexpected verdict (config.yaml's expected_failures)
#   snakemake --cores all baek2025           one paper: its figures, checks and results/checks/baek2025/summary.md,
#                                            and no job of another paper (likewise every home of
#                                            implicit_bias.papers.PAPERS)
#   snakemake --cores all beyond             the studies beyond the papers (docs/papers/beyond.md):
#                                            results/figures/beyond/, results/checks/beyond/
#   snakemake --cores all results/figures/baek2025/fig2.png   one figure, and only what it needs
#   snakemake --cores all benchmark          the peer benchmark, results/benchmark/benchmark.md (not part of the
#                                            default target: timings are machine-specific)
from snakemake.utils import min_version

from implicit_bias.papers import PAPERS, home
from implicit_bias.report import show_status_at_exit

min_version("9.2")


configfile: "config.yaml"


include: "workflow/rules/common.smk"


# Each paper's own rule files, as its home declares them (implicit_bias.papers): every paper's helpers first
# (<paper>_common.smk), then every paper's rules (<paper>.smk), so a rule file may use any paper's helpers.
for _stage in (0, 1):
    for _paper in PAPERS:
        for _file in home(_paper).rule_files[_stage : _stage + 1]:

            include: f"workflow/rules/{_file}"


# The generic rule set (data set -> references -> runs -> metrics -> figures) of every home declared generic.
include: "workflow/rules/generic_common.smk"
include: "workflow/rules/generic.smk"
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
