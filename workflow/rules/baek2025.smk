# baek2025 (per-sample Adam): data -> optimizer runs -> references -> metrics -> figures and theorem checks
# (the check rule baek_check is generated in checks.smk).


localrules:
    baek2025,


rule baek2025:
    input:
        paper_targets("baek2025"),


rule baek_dataset:
    input:
        lib=package_inputs("../scripts/baek_dataset.py"),
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
        lib=package_inputs("../scripts/baek_reference.py"),
    output:
        "results/references/baek2025/{dataset}.npz",
    log:
        "logs/baek2025/reference/{dataset}.log",
    benchmark:
        "results/benchmarks/baek2025/reference/{dataset}.tsv"
    conda:
        PYENV
    threads: 1
    resources:
        runtime=30,
        mem_mb=2000,
    params:
        fixed_point=BAEK["fixed_point"],
    script:
        "../scripts/baek_reference.py"


rule baek_run:
    input:
        data=baek_run_data,
        lib=package_inputs("../scripts/baek_run.py"),
    output:
        "results/runs/baek2025/{experiment}.npz",
    log:
        "logs/baek2025/run/{experiment}.log",
    benchmark:
        "results/benchmarks/baek2025/run/{experiment}.tsv"
    conda:
        PYENV
    threads: 1
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        experiment=baek_experiment,
        num_log=BAEK["num_log"],
    script:
        "../scripts/baek_run.py"


rule baek_metrics:
    input:
        unpack(baek_experiment_data),
        runs="results/runs/baek2025/{experiment}.npz",
        lib=package_inputs("../scripts/baek_metrics.py"),
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
        lib=package_inputs("../scripts/baek_figure.py"),
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
