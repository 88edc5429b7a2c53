"""implicit-bias: the implicit bias of Adam, Signum and SignGD on separable data (baek2025, cattaneo2024, fan2025).

The public names below are imported lazily (PEP 562): `import implicit_bias` costs nothing, and a module that
needs only `implicit_bias.artifacts` does not pull in cvxpy, numba or the optimizers. `from implicit_bias import
train` works as before.
"""

from __future__ import annotations

import importlib

# public name -> the module that defines it
_EXPORTS = {
    "gaussian": "data",
    "gr": "data",
    "make_dataset": "data",
    "shifted_diagonal": "data",
    "FixedPoint": "fixed_point",
    "proxy_fixed_point": "fixed_point",
    "solve_proxy_problem": "fixed_point",
    "MaxMarginSolution": "margins",
    "cosine": "margins",
    "max_margin": "margins",
    "normalized_margin": "margins",
    "OPTIMIZERS": "optimizers",
    "UpdateRule": "optimizers",
    "batch_schedule": "optimizers",
    "learning_rate": "optimizers",
    "Trajectory": "training",
    "log_grid": "training",
    "train": "training",
    "train_many": "training",
    # cattaneo2024: backward error analysis of Adam (F(x) of Figure 1, Adam iterates, modified flows)
    "adam_correction_1d": "backward_error",
    "adam_iterates": "backward_error",
    "modified_flow": "backward_error",
    "perturbed_one_norm": "backward_error",
}

__all__ = [
    "OPTIMIZERS",
    "FixedPoint",
    "MaxMarginSolution",
    "Trajectory",
    "UpdateRule",
    "adam_correction_1d",
    "adam_iterates",
    "batch_schedule",
    "cosine",
    "gaussian",
    "gr",
    "learning_rate",
    "log_grid",
    "make_dataset",
    "max_margin",
    "modified_flow",
    "normalized_margin",
    "perturbed_one_norm",
    "proxy_fixed_point",
    "shifted_diagonal",
    "solve_proxy_problem",
    "train",
    "train_many",
]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _EXPORTS:
        value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
        globals()[name] = value  # later lookups skip __getattr__
        return value
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
