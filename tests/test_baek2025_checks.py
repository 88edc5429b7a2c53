"""baek2025's per-run checks on synthetic metrics: each criterion can fail, and one failing seed or cell fails it."""

from __future__ import annotations

import numpy as np
import pandas as pd

from implicit_bias.checks import verdict_of
from implicit_bias.papers.baek2025.checks import CHECKS

STEPS = np.unique(np.geomspace(1, 200_000, 80).astype(int))


class Stub:
    """The part of `Artifacts` the checks read: one experiment's metrics, run settings and data shape."""

    def __init__(self, exp: str, frames: dict[str, pd.DataFrame], settings: dict[str, dict], n: int = 10):
        self._exp, self._settings, self._n = exp, settings, n
        self._df = pd.concat([f.assign(run=r) for r, f in frames.items()], ignore_index=True)

    def metrics(self, exp):
        assert exp == self._exp
        return self._df

    def experiment(self, exp):
        return {"runs": {r: {} for r in self._settings}}

    def run_settings(self, exp, run):
        return self._settings[run]

    def data(self, ds):
        return {"X": np.zeros((1, self._n, 3))}


def _frame(values_by_seed: dict[int, np.ndarray], metric: str) -> pd.DataFrame:
    return pd.concat(
        [pd.DataFrame({"seed": s, "step": STEPS, metric: v}) for s, v in values_by_seed.items()], ignore_index=True
    )


def _fig10_stub(stalled_seeds=(0, 1, 2)) -> Stub:
    """Gaps c/sqrt(t) (converging), except beta = 0.9 at b = 1 and 2, which stall at a floor on `stalled_seeds`."""
    frames, settings = {}, {}
    for b in (1, 2, 5, 10):
        for beta in (0.9, 0.99):
            run = f"b{b}_beta{beta}"
            floor = {1: 0.05, 2: 0.01}.get(b, 0.0) if beta == 0.9 else 0.0
            gaps = {s: 1 / np.sqrt(STEPS + 1) + (floor if s in stalled_seeds else 0.0) for s in (0, 1, 2)}
            frames[run] = _frame(gaps, "gap_linf")
            settings[run] = {"batch_size": None if b == 10 else b, "beta1": beta}
    return Stub("gaussian_signum_grid", frames, settings)


def test_fig10_passes_when_beta_09_stalls_at_small_batches_only():
    v = verdict_of(CHECKS["fig10"], _fig10_stub(), "baek2025", "fig10")
    assert v["passed"] is True, v["criteria"]


def test_fig10_fails_on_the_one_seed_where_beta_09_converges_at_b1():
    v = verdict_of(CHECKS["fig10"], _fig10_stub(stalled_seeds=(0, 1)), "baek2025", "fig10")
    assert v["passed"] is False
    failed = {c["key"]: c["holds_on"] for c in v["criteria"] if not c["passed"]}
    assert failed["b=1 gap ratio beta=0.9 / beta=0.99 at T (per seed)"] == "2 of 3"
    assert failed["b=1 beta=0.9 gap(T/10) / gap(T) (per seed)"] == "2 of 3"
