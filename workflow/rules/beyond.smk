# beyond: per study, data -> references -> optimizer runs (one job per data set) -> one metric table ->
# its figure and checks (the check rule bey_check is generated in checks.smk).


localrules:
    beyond,


rule beyond:
    input:
        paper_targets("beyond"),


rule bey_dataset:
    input:
        lib=bey_lib("../scripts/bey_dataset.py", "experiments"),
    output:
        "results/data/beyond/{study}/{dataset}.npz",
    log:
        "logs/beyond/dataset/{study}/{dataset}.log",
    benchmark:
        "results/benchmarks/bey_dataset/{study}/{dataset}.tsv"
    conda:
        PYENV
    params:
        config=bey_config,
    script:
        "../scripts/bey_dataset.py"


rule bey_reference:
    input:
        data="results/data/beyond/{study}/{dataset}.npz",
        lib=bey_lib("../scripts/bey_reference.py", "experiments"),
    output:
        "results/references/beyond/{study}/{dataset}.npz",
    log:
        "logs/beyond/reference/{study}/{dataset}.log",
    benchmark:
        "results/benchmarks/bey_reference/{study}/{dataset}.tsv"
    conda:
        PYENV
    threads: 1
    resources:
        runtime=30,
        mem_mb=2000,
    params:
        config=bey_config,
    script:
        "../scripts/bey_reference.py"


rule bey_run:
    input:
        data="results/data/beyond/{study}/{dataset}.npz",
        lib=bey_lib("../scripts/bey_run.py", "experiments"),
    output:
        "results/runs/beyond/{study}/{dataset}.npz",
    log:
        "logs/beyond/run/{study}/{dataset}.log",
    benchmark:
        "results/benchmarks/bey_run/{study}/{dataset}.tsv"
    conda:
        PYENV
    threads: 1
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        config=bey_config,
    script:
        "../scripts/bey_run.py"


rule bey_metrics:
    input:
        unpack(bey_metrics_inputs),
        lib=bey_lib("../scripts/bey_metrics.py", "experiments"),
    output:
        "results/metrics/beyond/{study}.csv",
    log:
        "logs/beyond/metrics/{study}.log",
    benchmark:
        "results/benchmarks/bey_metrics/{study}.tsv"
    conda:
        PYENV
    params:
        config=bey_config,
        datasets=bey_dataset_names,
    script:
        "../scripts/bey_metrics.py"


rule bey_figure:
    input:
        metrics=bey_figure_metrics,
        lib=bey_lib("../scripts/bey_figure.py", "plots"),
    output:
        png="results/figures/beyond/{fig}.png",
        pdf="results/figures/beyond/{fig}.pdf",
    log:
        "logs/beyond/figure/{fig}.log",
    benchmark:
        "results/benchmarks/bey_figure/{fig}.tsv"
    conda:
        PYENV
    params:
        study=bey_study,
        config=bey_config,
    script:
        "../scripts/bey_figure.py"
