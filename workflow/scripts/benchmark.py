"""Run the peer benchmark (benchmarks/suite.py) with config.yaml's `benchmark:` protocol: JSON record and table."""

import json
import sys
from pathlib import Path

from _common import setup

from implicit_bias.artifacts import atomic_path

setup(snakemake)
sys.path.insert(0, str(Path(snakemake.input.suite).resolve().parent))
from suite import markdown_table, run_benchmark  # noqa: E402 (benchmarks/ is not a package)

record = run_benchmark(dict(snakemake.params.protocol))
with atomic_path(snakemake.output.json, suffix=".json") as tmp:
    tmp.write_text(json.dumps(record, indent=1) + "\n")
with atomic_path(snakemake.output.table, suffix=".md") as tmp:
    tmp.write_text(markdown_table(record))
print(markdown_table(record))
