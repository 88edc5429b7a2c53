# The peer benchmark: `snakemake --cores all benchmark` times the fast paths against the package's numpy reference,
# a plain numpy loop, JAX and PyTorch (benchmarks/suite.py; the peers are skipped with a note when not installed,
# `pip install -e ".[bench]"`) and writes results/benchmark/benchmark.json and benchmark.md (a Markdown table, with
# the fixed point's scaling table appended). The scaling curve of `proxy_fixed_point` (benchmarks/bench_fixed_point.py,
# ~15 minutes: the Clarabel path alone takes minutes at N = 1000) is its own job, runnable alone:
# `snakemake --cores 1 bench_fixed_point`, results/benchmark/fixed_point.{json,md}.
# Not part of the default target: timings are machine-specific. Protocol: config.yaml's `benchmark:` section.
# The reproduction's per-rule profile is its own target, `snakemake --cores all profile`: results/benchmark/profile.md,
# CPU and wall seconds per rule from every job's `benchmark:` record under results/benchmarks/ (it needs the default
# target, so from an empty results/ it runs the whole reproduction first, and then times that run).


localrules:
    benchmark,
    profile,


rule benchmark:
    input:
        "results/benchmark/benchmark.json",
        "results/benchmark/benchmark.md",
        "results/benchmark/fixed_point.md",


rule bench_fixed_point:
    input:
        unpack(bench_fixed_point_inputs),
        lib=package_inputs("../scripts/bench_fixed_point.py"),
    output:
        json="results/benchmark/fixed_point.json",
        table="results/benchmark/fixed_point.md",
    log:
        "logs/bench_fixed_point.log",
    benchmark:
        "results/benchmarks/bench_fixed_point.tsv"
    conda:
        PYENV
    threads: 1
    params:
        protocol=config["benchmark"]["fixed_point"],
    script:
        "../scripts/bench_fixed_point.py"


rule bench_run:
    input:
        unpack(bench_inputs),
        unpack(bench_fixed_point_inputs),
        lib=package_inputs("../scripts/benchmark.py"),
        fixed_point="results/benchmark/fixed_point.json",
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
