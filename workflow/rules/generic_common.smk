# Helpers of the generic rule set (workflow/rules/generic.smk). For every home declared `generic`
# (implicit_bias.papers.Paper.generic), the common shape of a reproduction, one job per step,
#   data set -> references -> runs (one job per data set) -> one metric table -> figures -> checks,
# calling the home's `experiments` (GenericExperiments) and `plots` (GenericPlots) modules by name. Its check rule
# is generated in checks.smk from the `<paper>_check_spec` / `<paper>_check_inputs` defined here. `snakemake
# <paper>` builds the home alone. Paths: results/{data,references,runs}/<paper>/<data set>.npz,
# results/metrics/<paper>/metrics.csv, results/figures/<paper>/<figure>.png.
from implicit_bias.papers import PAPERS as _HOMES

GENERIC = [paper for paper in _HOMES if home(paper).generic]


def generic_datasets(paper):
    """The home's data-set names (its experiments' `datasets(cfg)`)."""
    from importlib import import_module

    return import_module(home(paper).experiments_module).datasets(config[paper])


def generic_lib(paper, script, module):
    """The package files `script` imports plus the home's `module` (imported by name) and what it imports."""
    return package_inputs(script, extra=[getattr(home(paper), module)])


def generic_paths(kind, paper):
    return expand(f"results/{kind}/{paper}/{{name}}.npz", name=generic_datasets(paper))


def generic_check_functions(paper):
    """The home's `check_spec` and `check_inputs`: every check reads the metric table and every data set's
    arrays (Artifacts: metrics "metrics"; runs, data and references by data-set name).
    """

    def check_spec(wildcards):
        names = generic_datasets(paper)
        return {"experiments": ["metrics"], "runs": names, "datasets": names}

    def check_inputs(wildcards):
        return {
            "runs": generic_paths("runs", paper),
            "metrics": [f"results/metrics/{paper}/metrics.csv"],
            "data": generic_paths("data", paper),
            "refs": generic_paths("references", paper),
        }

    return check_spec, check_inputs


# each generic home's check_spec and check_inputs, under the names its check rule reads (checks.smk)
for _paper in GENERIC:
    (
        globals()[f"{_paper}_check_spec"],
        globals()[f"{_paper}_check_inputs"],
    ) = generic_check_functions(_paper)
