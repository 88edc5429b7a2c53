# Helpers of the generic rule set (workflow/rules/generic.smk). For every home declared `generic`
# (implicit_bias.papers.Paper.generic), the common shape of a reproduction, one job per step,
#   data set -> references -> runs -> metric tables -> figures -> checks,
# calling the home's `experiments` and `plots` modules by name. Its check rule is generated in checks.smk from the
# `<paper>_check_spec` / `<paper>_check_inputs` defined here. `snakemake <paper>` builds the home alone.
#
# Two levels (implicit_bias.papers): a home of `GenericExperiments` runs one job per data set and writes one table,
#   results/{data,references,runs}/<paper>/<data set>.npz, results/metrics/<paper>/metrics.csv;
# a home of `GenericExperimentLevel` (its experiments module has `experiments`) runs one job per experiment, on the
# experiment's data sets, and writes one table per experiment,
#   results/{data,references}/<paper>/<data set>.npz, results/{runs,metrics}/<paper>/<experiment>.{npz,csv};
# its jobs' params are its `PARAMS` (a step reads only its settings), and a data set without `has_reference` has
# no reference job: its data file stands in for its references. Figures: results/figures/<paper>/<figure>.png.
from importlib import import_module

from implicit_bias.papers import PAPERS as _HOMES

GENERIC = [paper for paper in _HOMES if home(paper).generic]


def generic_module(paper):
    """The home's experiments module (imported by name; its heavy imports are inside its functions)."""
    return import_module(home(paper).experiments_module)


def experiment_level(paper):
    """Whether the home groups its data sets into experiments (`GenericExperimentLevel`)."""
    return hasattr(generic_module(paper), "experiments")


def generic_unit(paper):
    """The wildcard of the home's run and metric jobs: one job per data set, or per experiment."""
    return "experiment" if experiment_level(paper) else "dataset"


def generic_datasets(paper):
    """The home's data-set names (its experiments' `datasets(cfg)`)."""
    return generic_module(paper).datasets(config[paper])


def generic_experiments(paper):
    """experiment -> its data sets (`experiments(cfg)`), at the experiment level."""
    return generic_module(paper).experiments(config[paper])


def generic_lib(paper, script, module):
    """The package files `script` imports plus the home's `module` (imported by name) and what it imports."""
    return package_inputs(script, extra=[getattr(home(paper), module)])


def generic_params(paper, step, wildcard):
    """The params of the home's `<prefix>_<step>` jobs: at the experiment level its `PARAMS[step]`, each a function
    of the job's `wildcard` (data set, experiment, figure); otherwise its whole section, `config`.
    """
    cfg = config[paper]
    if not experiment_level(paper):
        return {"config": cfg}
    return {
        key: (lambda wildcards, f=f: f(cfg, getattr(wildcards, wildcard)))
        for key, f in generic_module(paper).PARAMS.get(step, {}).items()
    }


def generic_data_path(paper, name):
    return f"results/data/{paper}/{name}.npz"


def generic_ref_path(paper, name):
    """A data set's references; its own data file when it has no reference job (`has_reference` False)."""
    if experiment_level(paper) and not generic_module(paper).has_reference(
        config[paper], name
    ):
        return generic_data_path(paper, name)
    return f"results/references/{paper}/{name}.npz"


def generic_paths(kind, paper):
    return expand(f"results/{kind}/{paper}/{{name}}.npz", name=generic_datasets(paper))


def generic_run_data(paper):
    """The data sets a run job reads: its own, or its experiment's."""
    if not experiment_level(paper):
        return f"results/data/{paper}/{{dataset}}.npz"
    return lambda wildcards: [
        generic_data_path(paper, name)
        for name in generic_experiments(paper)[wildcards.experiment]
    ]


def generic_metrics_inputs(paper):
    """A metric job's data sets, references and runs: every data set's, or its experiment's."""

    def inputs(wildcards):
        if not experiment_level(paper):
            return {
                "data": generic_paths("data", paper),
                "refs": generic_paths("references", paper),
                "runs": generic_paths("runs", paper),
            }
        names = generic_experiments(paper)[wildcards.experiment]
        return {
            "data": [generic_data_path(paper, name) for name in names],
            "refs": [generic_ref_path(paper, name) for name in names],
            "runs": f"results/runs/{paper}/{wildcards.experiment}.npz",
        }

    return inputs


def generic_metrics_path(paper):
    if not experiment_level(paper):
        return f"results/metrics/{paper}/metrics.csv"
    return f"results/metrics/{paper}/{{experiment}}.csv"


def generic_figure_metrics(paper):
    """The metric tables a figure draws: the one table, or those of its `figure_inputs`."""
    if not experiment_level(paper):
        return f"results/metrics/{paper}/metrics.csv"
    return lambda wildcards: [
        f"results/metrics/{paper}/{exp}.csv"
        for exp in generic_module(paper).figure_inputs(config[paper], wildcards.fig)
    ]


def generic_check_functions(paper):
    """The home's `check_spec` and `check_inputs`. One data set per run: every check reads the metric table and
    every data set's arrays (Artifacts: metrics "metrics"; runs, data and references by data-set name). At the
    experiment level: the experiments a check declares (`ALL_EXPERIMENTS`: every one), their runs and metric tables
    by experiment, and the data sets they run on with those the check declares, by data-set name.
    """

    def check_spec(wildcards):
        names = generic_datasets(paper)
        if not experiment_level(paper):
            return {"experiments": ["metrics"], "runs": names, "datasets": names}
        check = checks_of(paper)[wildcards.check]
        groups = generic_experiments(paper)
        exps = (
            list(groups)
            if check.experiments == ALL_EXPERIMENTS
            else list(check.experiments)
        )
        wanted = set(check.datasets) | {name for exp in exps for name in groups[exp]}
        unknown = sorted(wanted - set(names))
        if unknown:
            raise SystemExit(
                f"{paper} check {wildcards.check}: unknown data sets {unknown}"
            )
        return {"experiments": exps, "datasets": [n for n in names if n in wanted]}

    def check_inputs(wildcards):
        if not experiment_level(paper):
            return {
                "runs": generic_paths("runs", paper),
                "metrics": [f"results/metrics/{paper}/metrics.csv"],
                "data": generic_paths("data", paper),
                "refs": generic_paths("references", paper),
            }
        spec = check_spec(wildcards)
        return {
            "runs": expand(f"results/runs/{paper}/{{e}}.npz", e=spec["experiments"]),
            "metrics": expand(
                f"results/metrics/{paper}/{{e}}.csv", e=spec["experiments"]
            ),
            "data": [generic_data_path(paper, name) for name in spec["datasets"]],
            "refs": [generic_ref_path(paper, name) for name in spec["datasets"]],
        }

    return check_spec, check_inputs


# each generic home's check_spec and check_inputs, under the names its check rule reads (checks.smk)
for _paper in GENERIC:
    (
        globals()[f"{_paper}_check_spec"],
        globals()[f"{_paper}_check_inputs"],
    ) = generic_check_functions(_paper)
