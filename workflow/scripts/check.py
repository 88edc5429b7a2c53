"""Evaluate one theorem check of `params.paper` from the artifacts it declared; write its JSON verdict."""

from _common import setup

from implicit_bias.artifacts import provenance, save_json
from implicit_bias.checks import Artifacts, evaluate

setup(snakemake)
spec = snakemake.params.spec
# runs are keyed by experiment, or by the names the spec gives them (beyond: "<study>/<data set>", one file each)
art = Artifacts(
    runs=dict(zip(spec.get("runs", spec["experiments"]), snakemake.input.runs)),
    metrics=dict(zip(spec["experiments"], snakemake.input.metrics)),
    data=dict(zip(spec["datasets"], snakemake.input.data)),
    refs=dict(zip(spec["datasets"], snakemake.input.refs)),
)
verdict = evaluate(snakemake.params.paper, snakemake.wildcards.check, art)
verdict.update(provenance(art.config()))  # config subset, commit, versions
save_json(snakemake.output[0], verdict)
print(("PASS" if verdict["passed"] else "FAIL") + f" {verdict['check']}: {verdict['measured']}")
