# Helpers shared by the workflow: config validation, wildcard constraints, target lists, library inputs.
import os
from pathlib import Path

from implicit_bias._imports import local_modules, package_modules
from implicit_bias.artifacts import COMMIT_ENV, git_commit
from implicit_bias.checks import (
    ALL_EXPERIMENTS,
    PAPERS,
    checks_module,
    checks_of,
    expected_failures,
)
from implicit_bias.config import NAME as CONFIG_NAME
from implicit_bias.config import ConfigError, validate_config
from implicit_bias.papers import home
from implicit_bias.targets import figure_path, figures_of

# Refuse a bad config before any job runs, in one line naming the dotted key path, then fill in the schemas'
# defaults (implicit_bias.config: duplicated keys in the config files, the schemas shipped in the package, the
# cross-references; the CLI and tests/test_config_refusals.py run the same function).
try:
    validate_config(config, configfiles=workflow.configfiles)
except ConfigError as err:
    raise SystemExit(str(err))
# checks known not to reproduce on this configuration: {"<paper>/<check>": reason}
EXPECTED = expected_failures(config.get("expected_failures", []))

# The commit every artifact records (implicit_bias.artifacts.provenance): looked up once per run, from the
# workflow's checkout ("unknown" outside one; a value already in the environment wins), and passed to the jobs in
# the environment they inherit; not as a parameter of the jobs, since a new commit must not re-run finished ones.
os.environ.setdefault(COMMIT_ENV, git_commit(workflow.basedir))

PYENV = "../envs/python.yaml"
RULES_DIR = Path(workflow.basedir) / "workflow" / "rules"
# rule-name prefix of each paper (baek_run, fan_run, cat_order, ...), as its home declares it
PREFIX = {paper: home(paper).prefix for paper in PAPERS}
NAME = CONFIG_NAME  # a config key used in a path (implicit_bias.config.NAME)


wildcard_constraints:
    paper="|".join(PAPERS),
    check=NAME,
    dataset=NAME,
    experiment=NAME,
    fig=NAME,
    problem="toy|rmsprop|mlp|long",
    sweep="rho|beta",
    beta=r"[0-9][0-9.e+-]*",
    rho=r"[0-9][0-9.e+-]*",


def package_inputs(script, extra=()):
    """The package files `script` (a path relative to workflow/rules, as in `script:`) imports, transitively, and
    the helper modules it imports from its own folder (workflow/scripts/_common.py).

    Declared as a rule input so that an edit to the package re-runs the jobs it affects (Snakemake tracks the
    script, not its imports). Derived from the import graph (implicit_bias._imports), not listed by hand; a
    dynamically imported module is passed in `extra`.
    """
    path = RULES_DIR / script
    # the workflow's own helpers relative to the working directory, so that a copied workflow and its results
    # (tests copy both) keep the same recorded inputs and stay up to date
    local = [os.path.relpath(p) for p in local_modules(path)]
    return package_modules(path, extra=tuple(extra)) + local


def paper_checks(paper):
    return expand(f"results/checks/{paper}/{{check}}.json", check=checks_of(paper))


def paper_summary_path(paper):
    return f"results/checks/{paper}/summary.md"


def paper_figures(paper):
    """The paper's figures (PNG), as its home declares them (implicit_bias.targets.figures_of)."""
    return [figure_path(paper, fig) for fig in figures_of(paper, config)]


def paper_targets(paper):
    """What `snakemake <paper>` builds: the paper's figures, its checks and its summary table (nothing else)."""
    return paper_figures(paper) + paper_checks(paper) + [paper_summary_path(paper)]


def paper_function(paper, what):
    """The workflow helper `<paper>_<what>` its rule files define (e.g. `fan2025_check_spec`); the check rules
    read a paper's `check_spec` and `check_inputs` this way. One namespace holds every included rule file.
    """
    name = f"{paper}_{what}"
    if name not in globals():
        raise SystemExit(
            f"workflow error: {paper} defines no {name}(wildcards) (its rule files, or workflow/rules/generic.smk)"
        )
    return globals()[name]


def summary_checks(wildcards):
    return paper_checks(wildcards.paper)


# Every check of every paper: the aggregate summary table and the `verify` gate read them all.
def all_checks():
    return [path for paper in PAPERS for path in paper_checks(paper)]


def all_figures():
    """Every figure (PNG) of every paper: the report shows them all."""
    return [
        path
        for paper in PAPERS
        for path in paper_targets(paper)
        if path.endswith(".png")
    ]


def all_targets():
    return [path for paper in PAPERS for path in paper_targets(paper)]


# The peer benchmark (workflow/rules/benchmark.smk; benchmarks/suite.py).
BENCH_SUITE = Path(workflow.basedir) / "benchmarks" / "suite.py"


def bench_inputs(wildcards):
    """The suite, the package modules it imports and the bench_*.py files whose CASES it uses. An input function
    (read when the target is planned), so that a workflow copied without benchmarks/ still parses.
    """
    return {
        "suite": os.path.relpath(BENCH_SUITE),
        "suite_lib": package_inputs(os.path.relpath(BENCH_SUITE, RULES_DIR)),
    }


def bench_fixed_point_inputs(wildcards):
    """The scaling script, its suite (load_protocol) and the package modules it imports (an input function, as
    `bench_inputs`)."""
    script = os.path.join(os.path.dirname(BENCH_SUITE), "bench_fixed_point.py")
    return {
        "script": os.path.relpath(script),
        "script_lib": package_inputs(os.path.relpath(script, RULES_DIR)),
    }
