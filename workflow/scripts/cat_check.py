"""Evaluate one cattaneo2024 check from the run artifacts it declared; write its JSON verdict."""

from _common import setup

from implicit_bias.artifacts import save_json, versions
from implicit_bias.checks import Artifacts, evaluate

setup(snakemake)
art = Artifacts(runs=dict(zip(snakemake.params.names, snakemake.input.runs)), metrics={}, data={}, refs={})
verdict = evaluate("cattaneo2024", snakemake.wildcards.check, art)
verdict["versions"] = versions()
save_json(snakemake.output[0], verdict)
print(("PASS" if verdict["passed"] else "FAIL") + f" {verdict['check']}: {verdict['measured']}")
