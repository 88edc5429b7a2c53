# Input functions and target lists of fan2025 (multiclass SignGD, NSD and Adam).
from implicit_bias.papers.fan2025 import experiments as fan_exp
from implicit_bias.papers.fan2025 import (
    FIGURES as FAN_FIGURES,
)  # figure -> the experiments it reads

FAN = config["fan2025"]
FAN_CHECKS = checks_of("fan2025")


def _fan_keys(experiment):
    return fan_exp.experiment_datasets(FAN, FAN["experiments"][experiment])


def fan_data_path(classes, seed):
    return f"results/data/fan2025/k{classes}_s{seed}.npz"


def fan_ref_path(classes, seed):
    """A class sweep's other data sets need only the max-norm margin, stored with the data (no reference job)."""
    if int(classes) != FAN["data"]["classes"]:
        return fan_data_path(classes, seed)
    return f"results/references/fan2025/k{classes}_s{seed}.npz"


def fan_dataset_params(wildcards):
    """A class sweep keeps n = data.classes * data.per_class samples (spec C10: fixed n, varying k)."""
    n = FAN["data"]["classes"] * FAN["data"]["per_class"]
    k = int(wildcards.classes)
    return {
        **FAN["data"],
        "classes": k,
        "per_class": n // k,
        "seed": int(wildcards.seed),
    }


def fan_sparse_lp(wildcards):
    """The class sweep's extra data sets need only gamma_inf: solved by the sparse LP (k = 50 in seconds); the main
    data sets keep max_margin's V_inf (the LP optimum can be non-unique)."""
    return int(wildcards.classes) != FAN["data"]["classes"]


def fan_reference_norms(wildcards):
    return [fan_exp.norm_name(n) for n in FAN["norms"]]


def fan_experiment(wildcards):
    return FAN["experiments"][wildcards.experiment]


def fan_experiment_keys(wildcards):
    return _fan_keys(wildcards.experiment)


def fan_experiment_data(wildcards):
    keys = _fan_keys(wildcards.experiment)
    return {
        "data": [fan_data_path(k, s) for k, s in keys],
        "refs": [fan_ref_path(k, s) for k, s in keys],
    }


def fan_run_data(wildcards):
    return fan_experiment_data(wildcards)["data"]


def fan_figure_metrics(wildcards):
    return expand("results/metrics/fan2025/{e}.csv", e=FAN_FIGURES[wildcards.fig])


def fan2025_check_spec(wildcards):
    check = FAN_CHECKS[wildcards.check]
    exps = list(check.experiments)
    keys = sorted({key for e in exps for key in _fan_keys(e)})
    return {
        "experiments": exps,
        "datasets": [f"k{k}_s{s}" for k, s in keys],
        "keys": [list(key) for key in keys],
    }


def fan2025_check_inputs(wildcards):
    spec = fan2025_check_spec(wildcards)
    keys = [tuple(key) for key in spec["keys"]]
    return {
        "runs": expand("results/runs/fan2025/{e}.npz", e=spec["experiments"]),
        "metrics": expand("results/metrics/fan2025/{e}.csv", e=spec["experiments"]),
        "data": [fan_data_path(k, s) for k, s in keys],
        "refs": [fan_ref_path(k, s) for k, s in keys],
    }
