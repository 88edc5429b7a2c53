"""The optimizer runs of a generic home (its experiments' `run`; the expensive step): of one data set, or of one
experiment on each of its data sets."""

import os

# one BLAS thread per job (before numpy loads OpenBLAS): the jobs run side by side, and the two-layer network's
# batched products oversubscribe the cores otherwise (10x slower measured under a parallel build)
os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import time

from _common import setup
from _generic import npz_artifact, stem, step

from implicit_bias.artifacts import save_npz

setup(snakemake)
# batched kernels run on numba's threads: as many as the rule declares (read when numba is first imported)
os.environ["NUMBA_NUM_THREADS"] = str(snakemake.threads)
paper, experiments, level, settings = step(snakemake)
started = time.perf_counter()
if level:
    name = snakemake.wildcards.experiment
    data = {stem(path): npz_artifact(path) for path in snakemake.input.data}
    print(f"experiment {name} on {list(data)}:")
    runs = experiments.run(settings, name, data, print)
    arrays, meta = runs.content, runs.record
else:
    name = snakemake.wildcards.dataset
    data = npz_artifact(snakemake.input.data)
    arrays = experiments.run(settings, name, data.content, print)
    meta = {"dataset": data.record["dataset"], "config": settings}
print(f"{paper.name}/{name}: done in {time.perf_counter() - started:.1f} s")
save_npz(snakemake.output[0], arrays, meta)
