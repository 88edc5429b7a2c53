# Input functions and target lists of `beyond` (questions beyond the three papers). One study per subpackage
# of implicit_bias.papers.beyond, one layer per module (experiments, checks, plots); the rules of beyond.smk are
# generic over {study}, each job declaring as inputs only the layer of its own study it runs and what that imports
# (an edit to one study's experiments re-runs that study's runs alone, an edit to its plots its figure alone).
from implicit_bias.papers.beyond import experiments as bey_exp
from implicit_bias.papers.beyond import STUDIES as BEY_STUDIES
from implicit_bias.papers.beyond import figure_studies as bey_figure_studies
from implicit_bias.papers.beyond import study_module_name as bey_study_module_name

BEY = config["beyond"]
BEY_CHECKS = checks_of("beyond")
BEY_FIGURES = bey_figure_studies()  # figure -> [the study that draws it]


wildcard_constraints:
    study="|".join(BEY_STUDIES),


def _bey_datasets(study):
    return bey_exp.datasets(BEY, study)


def bey_study(wildcards):
    """The job's study: its {study} wildcard, or the study that draws its {fig}."""
    if "study" in wildcards.keys():
        return wildcards.study
    return BEY_FIGURES[wildcards.fig][0]


def bey_config(wildcards):
    """The job's own study's section of the config (a parameter: editing it re-runs that study's jobs alone)."""
    return BEY[bey_study(wildcards)]


def bey_lib(script, layer):
    """Input function: the package files `script` imports plus the study's `layer` module ("experiments" or
    "plots", which the script imports by name) and what that imports."""

    def lib(wildcards):
        return package_inputs(
            script, extra=[bey_study_module_name(bey_study(wildcards), layer)]
        )

    return lib


def bey_paths(kind, study):
    """results/<kind>/beyond/<study>/<data set>.npz for every data set of the study."""
    return expand(
        f"results/{kind}/beyond/{study}/{{name}}.npz", name=_bey_datasets(study)
    )


def bey_metrics_inputs(wildcards):
    return {
        kind: bey_paths(kind, wildcards.study)
        for kind in ("data", "references", "runs")
    }


def bey_dataset_names(wildcards):
    return _bey_datasets(wildcards.study)


def bey_figure_metrics(wildcards):
    return expand(
        "results/metrics/beyond/{study}.csv", study=BEY_FIGURES[wildcards.fig]
    )


def beyond_check_spec(wildcards):
    """The check's studies; its runs, data and references keyed "<study>/<data set>" (Artifacts)."""
    studies = list(BEY_CHECKS[wildcards.check].experiments)
    names = [f"{s}/{name}" for s in studies for name in _bey_datasets(s)]
    return {"experiments": studies, "runs": names, "datasets": names}


def beyond_check_inputs(wildcards):
    studies = BEY_CHECKS[wildcards.check].experiments
    return {
        "runs": [p for s in studies for p in bey_paths("runs", s)],
        "metrics": expand("results/metrics/beyond/{study}.csv", study=studies),
        "data": [p for s in studies for p in bey_paths("data", s)],
        "refs": [p for s in studies for p in bey_paths("references", s)],
    }
