# Input functions and target lists of baek2025 (per-sample Adam).
BAEK = config["baek2025"]
BAEK_CHECKS = checks_of("baek2025")


def baek_dataset_params(wildcards):
    spec = dict(BAEK["datasets"][wildcards.dataset])
    seeds = BAEK["seeds"] if spec["kind"] == "gaussian" else [0]
    return {"spec": spec, "seeds": seeds}


def baek_experiment(wildcards):
    return BAEK["experiments"][wildcards.experiment]


def baek_experiment_data(wildcards):
    ds = BAEK["experiments"][wildcards.experiment]["dataset"]
    return {
        "data": f"results/data/baek2025/{ds}.npz",
        "refs": f"results/references/baek2025/{ds}.npz",
    }


def baek_run_data(wildcards):
    return baek_experiment_data(wildcards)["data"]


def baek_figure_spec(wildcards):
    return BAEK["figures"][wildcards.fig]


def baek_figure_metrics(wildcards):
    exp = BAEK["figures"][wildcards.fig]["experiment"]
    return f"results/metrics/baek2025/{exp}.csv"


def baek2025_check_spec(wildcards):
    """Experiments and data sets a check reads (declared in implicit_bias.papers.baek2025.checks)."""
    check = BAEK_CHECKS[wildcards.check]
    exps = (
        list(BAEK["experiments"])
        if check.experiments == ALL_EXPERIMENTS
        else list(check.experiments)
    )
    datasets = sorted(
        set(check.datasets) | {BAEK["experiments"][e]["dataset"] for e in exps}
    )
    return {"experiments": exps, "datasets": datasets}


def baek2025_check_inputs(wildcards):
    spec = baek2025_check_spec(wildcards)
    return {
        "runs": expand("results/runs/baek2025/{e}.npz", e=spec["experiments"]),
        "metrics": expand("results/metrics/baek2025/{e}.csv", e=spec["experiments"]),
        "data": expand("results/data/baek2025/{d}.npz", d=spec["datasets"]),
        "refs": expand("results/references/baek2025/{d}.npz", d=spec["datasets"]),
    }
