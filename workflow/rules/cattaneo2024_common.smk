# Input functions and target lists of cattaneo2024 (backward error analysis of Adam).
from implicit_bias.papers.cattaneo2024 import experiments as cat_exp
from implicit_bias.papers.cattaneo2024 import (
    FIGURES as CAT_FIGURE_RUNS,
)  # the run artifacts each figure reads

CAT = config["cattaneo2024"]
CAT_CHECKS = checks_of("cattaneo2024")
CAT_FIGURES = list(CAT_FIGURE_RUNS)


# the mechanism experiments (config cattaneo2024.mechanism): artifact name -> its config key
CAT_MECHANISM = {f"mech_{key}": key for key in cat_exp.MECHANISM_KEYS}


def cat_mech_spec(wildcards):
    """One mechanism experiment's settings: the shared keys of `mechanism` and the experiment's own."""
    mech = CAT["mechanism"]
    shared = {k: v for k, v in mech.items() if k not in cat_exp.MECHANISM_KEYS}
    return {**shared, **mech[CAT_MECHANISM[wildcards.mech]]}


def cat_order_spec(wildcards):
    return CAT["order"][wildcards.problem]


def _sweep_job_spec(**varying):
    """What a sweep job gets: the sweep settings (without the grids), what varies per job, the scale."""
    return {
        "sweeps": {k: v for k, v in CAT["sweeps"].items() if k != "grids"},
        **varying,
        "scale": CAT["scale"],
        "full": CAT["full"],
    }


def cat_sweep_spec(wildcards):
    return _sweep_job_spec(grid=CAT["sweeps"]["grids"][wildcards.sweep])


def _sweep_number(x):
    # one spelling per float in a path (repr: 0.99, 0.998, 1e-05), so that two sweeps sharing a (beta, rho) point
    # ask for the same file and run it once
    return repr(float(x))


def cat_sweep_point_paths(wildcards):
    """The (beta, rho) points of one sweep, in its order: one job each (finer scheduling, shared points run once)."""
    grid = CAT["sweeps"]["grids"][wildcards.sweep]
    return [
        f"results/runs/cattaneo2024/sweep/beta{_sweep_number(b)}_rho{_sweep_number(r)}.npz"
        for b, r in cat_exp.sweep_points(grid)
    ]


def cat_sweep_point_spec(wildcards):
    return _sweep_job_spec(beta=float(wildcards.beta), rho=float(wildcards.rho))


def cat_figure_inputs(wildcards):
    runs = CAT_FIGURE_RUNS[wildcards.fig]
    return expand("results/runs/cattaneo2024/{run}.npz", run=runs)


def cat_figure_names(wildcards):
    return CAT_FIGURE_RUNS[wildcards.fig]


def cattaneo2024_check_spec(wildcards):
    """The run artifacts a check reads (cattaneo2024 has no metric tables, data sets or references)."""
    return {
        "experiments": list(CAT_CHECKS[wildcards.check].experiments),
        "datasets": [],
    }


def cattaneo2024_check_inputs(wildcards):
    runs = cattaneo2024_check_spec(wildcards)["experiments"]
    return {
        "runs": expand("results/runs/cattaneo2024/{run}.npz", run=runs),
        "metrics": [],
        "data": [],
        "refs": [],
    }
