# cattaneo2024 (backward error analysis of Adam): runs -> figures and theorem checks.


rule cattaneo2024:
    input:
        cattaneo2024_targets(),


rule cat_fcurve:
    input:
        lib=LIB_CAT_RUN,
    output:
        "results/runs/cattaneo2024/fcurve.npz",
    log:
        "logs/cattaneo2024/run/fcurve.log",
    conda:
        PYENV
    params:
        spec=CAT["fig1"],
    script:
        "../scripts/cat_fcurve.py"


rule cat_toy:
    input:
        lib=LIB_CAT_RUN,
    output:
        "results/runs/cattaneo2024/toy.npz",
    log:
        "logs/cattaneo2024/run/toy.log",
    conda:
        PYENV
    params:
        spec=CAT["fig2"],
    script:
        "../scripts/cat_toy.py"


rule cat_order:
    input:
        lib=LIB_CAT_RUN,
    output:
        "results/runs/cattaneo2024/order_{problem}.npz",
    log:
        "logs/cattaneo2024/run/order_{problem}.log",
    wildcard_constraints:
        problem="toy|rmsprop|mlp",
    conda:
        PYENV
    params:
        spec=cat_order_spec,
    script:
        "../scripts/cat_order.py"


rule cat_sweep:
    input:
        lib=LIB_CAT_RUN,
    output:
        "results/runs/cattaneo2024/sweep_{sweep}.npz",
    log:
        "logs/cattaneo2024/run/sweep_{sweep}.log",
    wildcard_constraints:
        sweep="rho|beta",
    conda:
        PYENV
    params:
        spec=cat_sweep_spec,
    script:
        "../scripts/cat_sweep.py"


rule cat_figure:
    input:
        runs=cat_figure_inputs,
        lib=LIB_CAT_PLOT,
    output:
        png="results/figures/cattaneo2024/{fig}.png",
        pdf="results/figures/cattaneo2024/{fig}.pdf",
    log:
        "logs/cattaneo2024/figure/{fig}.log",
    wildcard_constraints:
        fig="fig[1-5]",
    conda:
        PYENV
    params:
        names=cat_figure_names,
    script:
        "../scripts/cat_figure.py"


rule cat_check:
    input:
        runs=cat_check_inputs,
        lib=LIB_CAT_CHECK,
    output:
        "results/checks/cattaneo2024/{check}.json",
    log:
        "logs/cattaneo2024/check/{check}.log",
    conda:
        PYENV
    params:
        names=cat_check_runs,
    script:
        "../scripts/cat_check.py"
