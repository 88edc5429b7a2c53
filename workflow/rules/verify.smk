# Gather every theorem check into one table; `verify` fails if any check failed.


rule summary:
    input:
        checks=all_checks(),
        lib=lib("artifacts"),
    output:
        "results/checks/summary.md",
    log:
        "logs/summary.log",
    conda:
        PYENV
    script:
        "../scripts/summarize.py"


rule verify:
    input:
        summary="results/checks/summary.md",
        checks=all_checks(),
    output:
        "results/checks/verified.txt",
    log:
        "logs/verify.log",
    conda:
        PYENV
    script:
        "../scripts/verify.py"
