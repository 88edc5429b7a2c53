"""numba's on-disk cache works across processes: a second process loads the compiled kernels and compiles nothing.

Every Snakemake job is its own process, so a kernel compiled anew in each job would cost seconds per job.
The first process below compiles into an empty cache directory; the second must hit that cache for every kernel.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

_PROBE = r"""
import json
import numpy as np
from implicit_bias import _fast, _fast_multiclass, gaussian, train

train(gaussian(5, 4, 0), optimizer="adam", batch_size=1, steps=10)
H = np.random.default_rng(0).normal(size=(6, 3))
train(H, np.array([0, 1, 2, 0, 1, 2]), optimizer="signgd", steps=10)
stats = {name: kernel.stats for name, kernel in (("binary", _fast.run), ("multiclass", _fast_multiclass.run))}
print(json.dumps({name: [sum(s.cache_hits.values()), sum(s.cache_misses.values())] for name, s in stats.items()}))
"""


def _probe(cache_dir) -> dict[str, list[int]]:
    env = {**os.environ, "NUMBA_CACHE_DIR": str(cache_dir)}
    proc = subprocess.run([sys.executable, "-c", _PROBE], env=env, capture_output=True, text=True, check=True)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_second_process_compiles_nothing(tmp_path):
    first = _probe(tmp_path)
    # the empty cache: every kernel compiled (a miss), so the probe does measure compilation
    assert all(misses >= 1 for _, misses in first.values()), first
    second = _probe(tmp_path)
    for name, (hits, misses) in second.items():
        assert misses == 0, f"{name} kernel recompiled in a second process: {second}"
        assert hits >= 1, f"{name} kernel not loaded from the cache: {second}"
