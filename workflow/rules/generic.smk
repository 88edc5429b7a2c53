# The generic rule set (helpers, paths and the contract: workflow/rules/generic_common.smk): per generic home,
# data set -> references -> runs (one job per data set, or per experiment) -> metric tables -> figures; its check
# rule is in checks.smk. Rule names carry the home's prefix, like every other rule's; a step script learns its home
# from its rule's name (implicit_bias.papers.home_of_rule), so a job's params are its settings alone.


for _paper in GENERIC:
    _prefix = home(_paper).prefix
    _unit = generic_unit(_paper)  # the wildcard of the run and metric jobs
    _resources = home(_paper).resources

    rule:
        name:
            _paper
        input:
            paper_targets(_paper),
        localrule: True

    rule:
        name:
            f"{_prefix}_dataset"
        input:
            lib=generic_lib(
                _paper, "../scripts/generic_dataset.py", "experiments_module"
            ),
        output:
            f"results/data/{_paper}/{{dataset}}.npz",
        log:
            f"logs/{_paper}/dataset/{{dataset}}.log",
        benchmark:
            f"results/benchmarks/{_prefix}_dataset/{{dataset}}.tsv"
        conda:
            PYENV
        resources:
            **_resources.get("dataset", {}),
        params:
            **generic_params(_paper, "dataset", "dataset"),
        script:
            "../scripts/generic_dataset.py"

    rule:
        name:
            f"{_prefix}_reference"
        input:
            data=f"results/data/{_paper}/{{dataset}}.npz",
            lib=generic_lib(
                _paper, "../scripts/generic_reference.py", "experiments_module"
            ),
        output:
            f"results/references/{_paper}/{{dataset}}.npz",
        log:
            f"logs/{_paper}/reference/{{dataset}}.log",
        benchmark:
            f"results/benchmarks/{_prefix}_reference/{{dataset}}.tsv"
        conda:
            PYENV
        threads: 1
        resources:
            **_resources.get("reference", {}),
        params:
            **generic_params(_paper, "reference", "dataset"),
        script:
            "../scripts/generic_reference.py"

    rule:
        name:
            f"{_prefix}_run"
        input:
            data=generic_run_data(_paper),
            lib=generic_lib(_paper, "../scripts/generic_run.py", "experiments_module"),
        output:
            f"results/runs/{_paper}/{{{_unit}}}.npz",
        log:
            f"logs/{_paper}/run/{{{_unit}}}.log",
        benchmark:
            f"results/benchmarks/{_prefix}_run/{{{_unit}}}.tsv"
        conda:
            PYENV
        threads: 1
        resources:
            **_resources.get("run", {}),
        params:
            **generic_params(_paper, "run", _unit),
        script:
            "../scripts/generic_run.py"

    rule:
        name:
            f"{_prefix}_metrics"
        input:
            unpack(generic_metrics_inputs(_paper)),
            lib=generic_lib(
                _paper, "../scripts/generic_metrics.py", "experiments_module"
            ),
        output:
            generic_metrics_path(_paper),
        log:
            (
                f"logs/{_paper}/metrics/{{experiment}}.log"
                if _unit == "experiment"
                else f"logs/{_paper}/metrics.log"
            ),
        benchmark:
            (
                f"results/benchmarks/{_prefix}_metrics/{{experiment}}.tsv"
                if _unit == "experiment"
                else f"results/benchmarks/{_prefix}_metrics.tsv"
            )
        conda:
            PYENV
        resources:
            **_resources.get("metrics", {}),
        params:
            **generic_params(_paper, "metrics", _unit),
        script:
            "../scripts/generic_metrics.py"

    rule:
        name:
            f"{_prefix}_figure"
        input:
            metrics=generic_figure_metrics(_paper),
            lib=generic_lib(_paper, "../scripts/generic_figure.py", "plots_module"),
        output:
            png=f"results/figures/{_paper}/{{fig}}.png",
            pdf=f"results/figures/{_paper}/{{fig}}.pdf",
        log:
            f"logs/{_paper}/figure/{{fig}}.log",
        benchmark:
            f"results/benchmarks/{_prefix}_figure/{{fig}}.tsv"
        conda:
            PYENV
        resources:
            **_resources.get("figure", {}),
        params:
            **generic_params(_paper, "figure", "fig"),
        script:
            "../scripts/generic_figure.py"
