# Helpers shared by the workflow (config validation, target lists, input functions, library inputs).
from pathlib import Path

from snakemake.utils import validate

import implicit_bias
from implicit_bias.checks import ALL_EXPERIMENTS, checks_of
from implicit_bias.experiments import check_config

# The top level and the baek2025 section; the other papers validate their own section against
# workflow/schemas/<paper>.schema.yaml in their *_common.smk.
validate(config, "../schemas/config.schema.yaml")
check_config(config)

PYENV = "../envs/python.yaml"


def lib(*modules):
    """Package modules that a script imports, declared as inputs so that edits re-run the job (imports are untracked)."""
    return [str(Path(implicit_bias.__file__).parent / f"{m}.py") for m in modules]


LIB_DATA = lib("data", "margins", "experiments", "artifacts")
LIB_RUN = lib(
    "data", "losses", "optimizers", "_fast", "training", "experiments", "artifacts"
)
LIB_REF = lib("margins", "fixed_point", "experiments", "artifacts")
LIB_METRICS = lib("margins", "experiments", "artifacts")
LIB_PLOT = lib("plots/__init__", "artifacts")
LIB_CHECK = lib(
    "checks/__init__",
    "checks/baek2025",
    "theory",
    "margins",
    "fixed_point",
    "losses",
    "artifacts",
)


# Every check of every paper: the summary table and the `verify` gate read them all.
def all_checks():
    return baek2025_checks() + fan2025_checks() + cattaneo2024_checks()


def all_targets():
    return baek2025_targets() + fan2025_targets() + cattaneo2024_targets()
