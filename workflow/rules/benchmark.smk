# The peer benchmark: `snakemake --cores all benchmark` times the fast paths against the package's numpy reference,
# a plain numpy loop, JAX and PyTorch (benchmarks/suite.py; the peers are skipped with a note when not installed,
# `pip install -e ".[bench]"`) and writes results/benchmark/benchmark.json and benchmark.md (a Markdown table).
# Not part of the default target: timings are machine-specific. Protocol: config.yaml's `benchmark:` section.


localrules:
    benchmark,


rule benchmark:
    input:
        "results/benchmark/benchmark.json",
        "results/benchmark/benchmark.md",


rule bench_run:
    input:
        unpack(bench_inputs),
        lib=package_inputs("../scripts/benchmark.py"),
    output:
        json="results/benchmark/benchmark.json",
        table="results/benchmark/benchmark.md",
    log:
        "logs/benchmark.log",
    conda:
        PYENV
    threads: 1
    params:
        protocol=config["benchmark"],
    script:
        "../scripts/benchmark.py"
