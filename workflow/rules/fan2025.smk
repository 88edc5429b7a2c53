# fan2025 (multiclass SignGD, NSD and Adam): data -> references -> optimizer runs -> metrics -> figures and checks.


rule fan2025:
    input:
        fan2025_targets(),
        "results/checks/summary.md",


rule fan_dataset:
    input:
        lib=LIB_FAN_DATA,
    output:
        "results/data/fan2025/k{classes}_s{seed}.npz",
    log:
        "logs/fan2025/dataset/k{classes}_s{seed}.log",
    wildcard_constraints:
        classes=r"\d+",
        seed=r"\d+",
    conda:
        PYENV
    params:
        spec=fan_dataset_params,
    script:
        "../scripts/fan_dataset.py"


rule fan_reference:
    input:
        data="results/data/fan2025/k{classes}_s{seed}.npz",
        lib=LIB_FAN_DATA,
    output:
        "results/references/fan2025/k{classes}_s{seed}.npz",
    log:
        "logs/fan2025/reference/k{classes}_s{seed}.log",
    wildcard_constraints:
        classes=r"\d+",
        seed=r"\d+",
    conda:
        PYENV
    params:
        norms=fan_reference_norms,
    script:
        "../scripts/fan_reference.py"


rule fan_run:
    input:
        data=fan_run_data,
        lib=LIB_FAN_RUN,
    output:
        "results/runs/fan2025/{experiment}.npz",
    log:
        "logs/fan2025/run/{experiment}.log",
    conda:
        PYENV
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
        lib=LIB_FAN_RUN,
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
        lib=LIB_FAN_PLOT,
    output:
        png="results/figures/fan2025/{fig}.png",
        pdf="results/figures/fan2025/{fig}.pdf",
    log:
        "logs/fan2025/figure/{fig}.log",
    conda:
        PYENV
    script:
        "../scripts/fan_figure.py"


rule fan_check:
    input:
        unpack(fan_check_inputs),
        lib=LIB_FAN_CHECK,
    output:
        "results/checks/fan2025/{check}.json",
    log:
        "logs/fan2025/check/{check}.log",
    conda:
        PYENV
    params:
        paper="fan2025",
        spec=fan_check_spec,
    script:
        "../scripts/check.py"
