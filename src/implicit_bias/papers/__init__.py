"""One home per paper: `papers/<paper>/` holds everything that is specific to one paper's reproduction.

* `experiments.py`  config → runs, references, metric tables, and `check_config` (the config's cross-references);
* `checks.py`       its theorem checks, `CHECKS` (name → `implicit_bias.checks.Check`);
* `plots.py`        its figures.

The maths the papers share (data, losses, optimizers, training, margins, fixed points, backward error analysis,
networks) lives in the package's concept modules, the generic check framework in `implicit_bias.checks`, the
generic plotting helpers in `implicit_bias.plots`. This module holds what the papers' orchestration shares.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["PAPERS", "run_specs"]

# the three papers, and `beyond`: questions they raise together, a fourth home built the same way
PAPERS = ("baek2025", "fan2025", "cattaneo2024", "beyond")


def run_specs(experiment: dict, defaults: dict, structural: Iterable[str] = ("runs", "dataset")) -> dict[str, dict]:
    """Each run's full settings: `defaults` < the experiment's keys (less its `structural` ones) < the run's keys."""
    shared = {k: v for k, v in experiment.items() if k not in structural}
    specs = {}
    for run_id, run in experiment["runs"].items():
        spec = {**defaults, **shared, **run}
        spec.setdefault("label", run_id)
        specs[run_id] = spec
    return specs
