"""Fail (non-zero exit) if any theorem check failed; otherwise write the verified marker."""

import sys

from _common import setup

from implicit_bias.artifacts import atomic_path, load_json

log = setup(snakemake)
verdicts = [load_json(p) for p in snakemake.input.checks]
failed = [f"{v['paper']}/{v['check']}" for v in verdicts if not v["passed"]]
if failed:
    message = (
        f"{len(failed)} of {len(verdicts)} theorem checks failed: {', '.join(failed)} (see {snakemake.input.summary})"
    )
    print(message)
    sys.__stderr__.write(message + "\n")
    sys.exit(1)
with atomic_path(snakemake.output[0], suffix=".txt") as tmp:
    tmp.write_text(f"all {len(verdicts)} theorem checks passed\n")
print(f"all {len(verdicts)} theorem checks passed")
