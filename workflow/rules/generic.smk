# The generic rule set (helpers, paths and the contract: workflow/rules/generic_common.smk): per generic home,
# data set -> references -> runs (one job per data set) -> one metric table -> figures; its check rule is in
# checks.smk. Rule names carry the home's prefix, like every other rule's.


for _paper in GENERIC:
    _prefix = home(_paper).prefix

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
        conda:
            PYENV
        params:
            paper=_paper,
            config=config[_paper],
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
        conda:
            PYENV
        threads: 1
        params:
            paper=_paper,
            config=config[_paper],
        script:
            "../scripts/generic_reference.py"

    rule:
        name:
            f"{_prefix}_run"
        input:
            data=f"results/data/{_paper}/{{dataset}}.npz",
            lib=generic_lib(_paper, "../scripts/generic_run.py", "experiments_module"),
        output:
            f"results/runs/{_paper}/{{dataset}}.npz",
        log:
            f"logs/{_paper}/run/{{dataset}}.log",
        benchmark:
            f"results/benchmarks/{_paper}/run/{{dataset}}.tsv"
        conda:
            PYENV
        threads: 1
        params:
            paper=_paper,
            config=config[_paper],
        script:
            "../scripts/generic_run.py"

    rule:
        name:
            f"{_prefix}_metrics"
        input:
            data=generic_paths("data", _paper),
            references=generic_paths("references", _paper),
            runs=generic_paths("runs", _paper),
            lib=generic_lib(
                _paper, "../scripts/generic_metrics.py", "experiments_module"
            ),
        output:
            f"results/metrics/{_paper}/metrics.csv",
        log:
            f"logs/{_paper}/metrics.log",
        conda:
            PYENV
        params:
            paper=_paper,
            config=config[_paper],
            datasets=generic_datasets(_paper),
        script:
            "../scripts/generic_metrics.py"

    rule:
        name:
            f"{_prefix}_figure"
        input:
            metrics=f"results/metrics/{_paper}/metrics.csv",
            lib=generic_lib(_paper, "../scripts/generic_figure.py", "plots_module"),
        output:
            png=f"results/figures/{_paper}/{{fig}}.png",
            pdf=f"results/figures/{_paper}/{{fig}}.pdf",
        log:
            f"logs/{_paper}/figure/{{fig}}.log",
        conda:
            PYENV
        params:
            paper=_paper,
            config=config[_paper],
        script:
            "../scripts/generic_figure.py"
