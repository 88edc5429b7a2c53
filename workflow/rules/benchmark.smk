# The peer benchmark: `snakemake --cores all benchmark` times the fast paths against the package's numpy reference,
# a plain numpy loop, JAX and PyTorch (benchmarks/suite.py; the peers are skipped with a note when not installed,
# `pip install -e ".[bench]"`) and writes results/benchmark/benchmark.json and benchmark.md (a Markdown table).
# Not part of the default target: timings are machine-specific. Protocol: config.yaml's `benchmark:` section.
# It also writes the reproduction's per-rule profile, results/benchmark/profile.md (`profile`: CPU and wall seconds
# per rule from every job's `benchmark:` record under results/benchmarks/; it needs the default target built first,
# so from an empty results/ `snakemake benchmark` runs the whole reproduction too).


localrules:
    benchmark,
    profile,


rule benchmark:
    input:
        "results/benchmark/benchmark.json",
        "results/benchmark/benchmark.md",
        "results/benchmark/profile.md",


rule bench_run:
    input:
        unpack(bench_inputs),
        lib=package_inputs("../scripts/benchmark.py"),
    output:
        json="results/benchmark/benchmark.json",
        table="results/benchmark/benchmark.md",
    log:
        "logs/benchmark.log",
    benchmark:
        "results/benchmarks/bench_run.tsv"
    conda:
        PYENV
    threads: 1
    params:
        protocol=config["benchmark"],
    script:
        "../scripts/benchmark.py"


rule profile:
    input:
        all_targets(),
        "results/checks/summary.md",
        report="results/report.html",
        lib=package_inputs("../scripts/profile.py"),
    output:
        "results/benchmark/profile.md",
    log:
        "logs/profile.log",
    conda:
        PYENV
    params:
        records="results/benchmarks",
        cores=workflow.cores,
    script:
        "../scripts/profile.py"
