"""Run the fixed point's scaling curve (benchmarks/bench_fixed_point.py) with config.yaml's `benchmark.fixed_point`
protocol: JSON record and table."""

import json
import sys
from pathlib import Path

from _common import setup

from implicit_bias.artifacts import atomic_path

setup(snakemake)
sys.path.insert(0, str(Path(snakemake.input.script).resolve().parent))
from bench_fixed_point import scaling_curve, scaling_table  # noqa: E402 (benchmarks/ is not a package)

record = scaling_curve(dict(snakemake.params.protocol))
with atomic_path(snakemake.output.json, suffix=".json") as tmp:
    tmp.write_text(json.dumps(record, indent=1) + "\n")
with atomic_path(snakemake.output.table, suffix=".md") as tmp:
    tmp.write_text(scaling_table(record))
print(scaling_table(record))
