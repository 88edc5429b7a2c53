# baek2025 (per-sample Adam): data -> optimizer runs -> references -> metrics -> figures and theorem checks.


rule baek2025:
    input:
        baek2025_targets(),
        "results/checks/summary.md",


rule baek_dataset:
    input:
        lib=LIB_DATA,
    output:
        "results/data/baek2025/{dataset}.npz",
    log:
        "logs/baek2025/dataset/{dataset}.log",
    conda:
        PYENV
    params:
        dataset=baek_dataset_params,
    script:
        "../scripts/baek_dataset.py"


rule baek_reference:
    input:
        data="results/data/baek2025/{dataset}.npz",
        lib=LIB_REF,
    output:
        "results/references/baek2025/{dataset}.npz",
    log:
        "logs/baek2025/reference/{dataset}.log",
    conda:
        PYENV
    params:
        fixed_point=BAEK["fixed_point"],
    script:
        "../scripts/baek_reference.py"


rule baek_run:
    input:
        data=baek_run_data,
        lib=LIB_RUN,
    output:
        "results/runs/baek2025/{experiment}.npz",
    log:
        "logs/baek2025/run/{experiment}.log",
    conda:
        PYENV
    params:
        experiment=baek_experiment,
        num_log=BAEK["num_log"],
    script:
        "../scripts/baek_run.py"


rule baek_metrics:
    input:
        unpack(baek_experiment_data),
        runs="results/runs/baek2025/{experiment}.npz",
        lib=LIB_METRICS,
    output:
        "results/metrics/baek2025/{experiment}.csv",
    log:
        "logs/baek2025/metrics/{experiment}.log",
    conda:
        PYENV
    script:
        "../scripts/baek_metrics.py"


rule baek_figure:
    input:
        metrics=baek_figure_metrics,
        lib=LIB_PLOT,
    output:
        png="results/figures/baek2025/{fig}.png",
        pdf="results/figures/baek2025/{fig}.pdf",
    log:
        "logs/baek2025/figure/{fig}.log",
    conda:
        PYENV
    params:
        figure=baek_figure_spec,
    script:
        "../scripts/baek_figure.py"


rule baek_check:
    input:
        unpack(baek_check_inputs),
        lib=LIB_CHECK,
    output:
        "results/checks/baek2025/{check}.json",
    log:
        "logs/baek2025/check/{check}.log",
    conda:
        PYENV
    params:
        paper="baek2025",
        spec=baek_check_spec,
    script:
        "../scripts/check.py"
