# cattaneo2024 (backward error analysis of Adam): runs -> figures and theorem checks
# (the check rule cat_check is generated in checks.smk).


localrules:
    cattaneo2024,


rule cattaneo2024:
    input:
        paper_targets("cattaneo2024"),


rule cat_fcurve:
    input:
        lib=package_inputs("../scripts/cat_fcurve.py"),
    output:
        "results/runs/cattaneo2024/fcurve.npz",
    log:
        "logs/cattaneo2024/run/fcurve.log",
    benchmark:
        "results/benchmarks/cat_fcurve.tsv"
    conda:
        PYENV
    threads: 1
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        spec=CAT["fig1"],
    script:
        "../scripts/cat_fcurve.py"


rule cat_toy:
    input:
        lib=package_inputs("../scripts/cat_toy.py"),
    output:
        "results/runs/cattaneo2024/toy.npz",
    log:
        "logs/cattaneo2024/run/toy.log",
    benchmark:
        "results/benchmarks/cat_toy.tsv"
    conda:
        PYENV
    threads: 1
    resources:
        runtime=30,
        mem_mb=1000,
    params:
        spec=CAT["fig2"],
    script:
        "../scripts/cat_toy.py"


rule cat_order:
    input:
        lib=package_inputs("../scripts/cat_order.py"),
    output:
        "results/runs/cattaneo2024/order_{problem}.npz",
    log:
        "logs/cattaneo2024/run/order_{problem}.log",
    benchmark:
        "results/benchmarks/cat_order/{problem}.tsv"
    conda:
        PYENV
    threads: 1
    resources:
        runtime=60,
        mem_mb=2000,
    params:
        spec=cat_order_spec,
    script:
        "../scripts/cat_order.py"


rule cat_momentum:
    input:
        lib=package_inputs("../scripts/cat_momentum.py"),
    output:
        "results/runs/cattaneo2024/momentum.npz",
    log:
        "logs/cattaneo2024/run/momentum.log",
    benchmark:
        "results/benchmarks/cat_momentum.tsv"
    conda:
        PYENV
    threads: 1
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        spec=CAT["momentum"],
    script:
        "../scripts/cat_momentum.py"


rule cat_sweep_point:
    input:
        lib=package_inputs("../scripts/cat_sweep_point.py"),
    output:
        "results/runs/cattaneo2024/sweep/beta{beta}_rho{rho}.npz",
    log:
        "logs/cattaneo2024/run/sweep/beta{beta}_rho{rho}.log",
    benchmark:
        "results/benchmarks/cat_sweep_point/beta{beta}_rho{rho}.tsv"
    conda:
        PYENV
    threads: 1
    resources:
        runtime=120,
        mem_mb=4000,
    params:
        spec=cat_sweep_point_spec,
    script:
        "../scripts/cat_sweep_point.py"


rule cat_sweep:
    input:
        points=cat_sweep_point_paths,
        lib=package_inputs("../scripts/cat_sweep.py"),
    output:
        "results/runs/cattaneo2024/sweep_{sweep}.npz",
    log:
        "logs/cattaneo2024/run/sweep_{sweep}.log",
    benchmark:
        "results/benchmarks/cat_sweep/{sweep}.tsv"
    conda:
        PYENV
    params:
        spec=cat_sweep_spec,
    script:
        "../scripts/cat_sweep.py"


rule cat_mech:
    input:
        lib=package_inputs("../scripts/cat_mech.py"),
    output:
        "results/runs/cattaneo2024/{mech}.npz",
    log:
        "logs/cattaneo2024/run/{mech}.log",
    benchmark:
        "results/benchmarks/cat_mech/{mech}.tsv"
    wildcard_constraints:
        mech="|".join(CAT_MECHANISM),
    conda:
        PYENV
    threads: 1
    resources:
        runtime=10,
        mem_mb=1000,
    params:
        spec=cat_mech_spec,
    script:
        "../scripts/cat_mech.py"


rule cat_figure:
    input:
        runs=cat_figure_inputs,
        lib=package_inputs("../scripts/cat_figure.py"),
    output:
        png="results/figures/cattaneo2024/{fig}.png",
        pdf="results/figures/cattaneo2024/{fig}.pdf",
    log:
        "logs/cattaneo2024/figure/{fig}.log",
    benchmark:
        "results/benchmarks/cat_figure/{fig}.tsv"
    conda:
        PYENV
    params:
        names=cat_figure_names,
    script:
        "../scripts/cat_figure.py"
