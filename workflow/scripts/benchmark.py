"""Run the peer benchmark (benchmarks/suite.py) with config.yaml's `benchmark:` protocol: JSON record and table,
the fixed point's scaling table (bench_fixed_point's record) appended."""

import json
import sys
from pathlib import Path

from _common import setup

from implicit_bias.artifacts import atomic_path

setup(snakemake)
sys.path.insert(0, str(Path(snakemake.input.suite).resolve().parent))
from bench_fixed_point import scaling_table  # noqa: E402
from suite import markdown_table, run_benchmark  # noqa: E402 (benchmarks/ is not a package)

record = run_benchmark(dict(snakemake.params.protocol))
scaling = json.loads(Path(snakemake.input.fixed_point).read_text())
table = markdown_table(record) + "\n" + scaling_table(scaling)
with atomic_path(snakemake.output.json, suffix=".json") as tmp:
    tmp.write_text(json.dumps(record, indent=1) + "\n")
with atomic_path(snakemake.output.table, suffix=".md") as tmp:
    tmp.write_text(table)
print(table)
