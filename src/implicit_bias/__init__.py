"""implicit-bias: the implicit bias of Adam, Signum and SignGD on separable data (baek2025, cattaneo2024, fan2025)."""

from .data import gaussian, gr, make_dataset, shifted_diagonal
from .fixed_point import FixedPoint, proxy_fixed_point, solve_proxy_problem
from .margins import MaxMarginSolution, cosine, max_margin, normalized_margin
from .optimizers import OPTIMIZERS, UpdateRule, batch_schedule, learning_rate
from .training import Trajectory, log_grid, train

__all__ = [
    "OPTIMIZERS",
    "FixedPoint",
    "MaxMarginSolution",
    "Trajectory",
    "UpdateRule",
    "batch_schedule",
    "cosine",
    "gaussian",
    "gr",
    "learning_rate",
    "log_grid",
    "make_dataset",
    "max_margin",
    "normalized_margin",
    "proxy_fixed_point",
    "shifted_diagonal",
    "solve_proxy_problem",
    "train",
]
__version__ = "0.1.0"

# cattaneo2024: backward error analysis of Adam (F(x) of Figure 1, Adam iterates, modified flows)
from .backward_error import adam_correction_1d, adam_iterates, modified_flow, perturbed_one_norm

__all__ += ["adam_correction_1d", "adam_iterates", "modified_flow", "perturbed_one_norm"]
