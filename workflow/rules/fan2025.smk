# fan2025 (multiclass SignGD, NSD and Adam): data -> references -> optimizer runs -> metrics -> figures and checks
# (the check rule fan_check is generated in checks.smk).


localrules:
    fan2025,


rule fan2025:
    input:
        paper_targets("fan2025"),


rule fan_dataset:
    input:
        lib=package_inputs("../scripts/fan_dataset.py"),
    output:
        "results/data/fan2025/k{classes}_s{seed}.npz",
    log:
        "logs/fan2025/dataset/k{classes}_s{seed}.log",
    conda:
        PYENV
    params:
        spec=fan_dataset_params,
        sparse_lp=fan_sparse_lp,
    script:
        "../scripts/fan_dataset.py"


rule fan_reference:
    input:
        data="results/data/fan2025/k{classes}_s{seed}.npz",
        lib=package_inputs("../scripts/fan_reference.py"),
    output:
        "results/references/fan2025/k{classes}_s{seed}.npz",
    log:
        "logs/fan2025/reference/k{classes}_s{seed}.log",
    benchmark:
        "results/benchmarks/fan2025/reference/k{classes}_s{seed}.tsv"
    conda:
        PYENV
    threads: 1
    resources:
        runtime=30,
        mem_mb=2000,
    params:
        norms=fan_reference_norms,
    script:
        "../scripts/fan_reference.py"


rule fan_run:
    input:
        data=fan_run_data,
        lib=package_inputs("../scripts/fan_run.py"),
    output:
        "results/runs/fan2025/{experiment}.npz",
    log:
        "logs/fan2025/run/{experiment}.log",
    benchmark:
        "results/benchmarks/fan2025/run/{experiment}.tsv"
    conda:
        PYENV
    threads: 1
    resources:
        runtime=120,
        mem_mb=4000,
    params:
        experiment=fan_experiment,
        datasets=fan_experiment_keys,
        num_log=FAN["num_log"],
    script:
        "../scripts/fan_run.py"


rule fan_metrics:
    input:
        unpack(fan_experiment_data),
        runs="results/runs/fan2025/{experiment}.npz",
        lib=package_inputs("../scripts/fan_metrics.py"),
    output:
        "results/metrics/fan2025/{experiment}.csv",
    log:
        "logs/fan2025/metrics/{experiment}.log",
    conda:
        PYENV
    params:
        experiment=fan_experiment,
        datasets=fan_experiment_keys,
    script:
        "../scripts/fan_metrics.py"


rule fan_figure:
    input:
        metrics=fan_figure_metrics,
        lib=package_inputs("../scripts/fan_figure.py"),
    output:
        png="results/figures/fan2025/{fig}.png",
        pdf="results/figures/fan2025/{fig}.pdf",
    log:
        "logs/fan2025/figure/{fig}.log",
    conda:
        PYENV
    script:
        "../scripts/fan_figure.py"
