"""The gate: fail (non-zero exit) on any unexpected verdict, otherwise write the verified marker.

A check listed in the config's `expected_failures` must fail (with its reason in the ledger); it passing is reported
as unexpected too, like pytest's strict xfail, so that the list cannot go stale.
"""

import sys

from _common import setup

from implicit_bias.artifacts import atomic_path, load_json
from implicit_bias.checks import reconcile

log = setup(snakemake)
verdicts = [load_json(p) for p in snakemake.input.checks]
expected = snakemake.params.expected
unexpected_fail, unexpected_pass = reconcile(verdicts, expected)
n_failed = sum(not v["passed"] for v in verdicts)
if unexpected_fail or unexpected_pass:
    parts = []
    if unexpected_fail:
        parts.append(f"{len(unexpected_fail)} theorem check(s) failed: {', '.join(unexpected_fail)}")
    if unexpected_pass:
        parts.append(f"expected to fail but passed: {', '.join(unexpected_pass)} (update expected_failures)")
    message = "; ".join(parts) + f" (see {snakemake.input.summary})"
    print(message)
    sys.__stderr__.write(message + "\n")
    sys.exit(1)
summary = f"all {len(verdicts)} theorem checks as expected: {len(verdicts) - n_failed} passed"
summary += f", {n_failed} failed as expected ({', '.join(sorted(expected))})" if n_failed else ""
with atomic_path(snakemake.output[0], suffix=".txt") as tmp:
    tmp.write_text(summary + "\n")
print(summary)
