"""fan2025's metric tables as the checks and the figures read them: light (pandas only), so a figure job loads no
solver and no kernel."""

from __future__ import annotations

import pandas as pd

__all__ = ["DEPART", "EPS_FROM", "EPS_METRICS", "EPS_RUNS", "departure_steps", "eps_distances", "metric_table"]


def metric_table(df: pd.DataFrame, run: str, metric: str) -> pd.DataFrame:
    """step × seed table of a metric (step > 0)."""
    sub = df[(df["run"] == run) & (df["step"] > 0)]
    return sub.pivot_table(index="step", columns="seed", values=metric)


EPS_RUNS = {"adam_eps1e-16": 1e-16, "adam_eps1e-12": 1e-12, "adam_eps1e-8": 1e-8}
# The figure's dotted verticals: the first t at which an ε > 0 curve is this far from ε = 0 (reported; the ε = 0
# curves' own spread across seeds at T is 0.02-0.07, so no distance is a criterion).
DEPART = 0.01
EPS_METRICS = ("gap_inf", "gap_2", "corr_inf", "corr_2")
EPS_FROM = 10  # Fig. 1's curves are compared from t = 10 on, as in c6 (the first steps from W_0 = 0 are left out)


def eps_distances(df: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """Per ε run of `EPS_RUNS`: steps × seeds max |Δ| over `EPS_METRICS` against the ε = 0 run (t ≥ EPS_FROM)."""
    base = {m: metric_table(df, "adam_eps0", m) for m in EPS_METRICS}
    out = {}
    for run in EPS_RUNS:
        if run not in set(df["run"]):
            continue
        d = pd.concat([(metric_table(df, run, m) - base[m]).abs() for m in EPS_METRICS]).groupby(level=0).max()
        out[run] = d[d.index >= EPS_FROM]
    return out


def departure_steps(dist: pd.DataFrame, depart: float = DEPART) -> list[int | None]:
    """Per seed, the first logged step at which a distance table (steps × seeds) reaches `depart` (None: never)."""
    return [int(dist.index[dist[c] >= depart][0]) if (dist[c] >= depart).any() else None for c in dist.columns]
