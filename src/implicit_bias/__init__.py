"""implicit-bias: the implicit bias of Adam, Signum and SignGD on separable data (baek2025, cattaneo2024, fan2025)."""

from .data import gaussian, gr, make_dataset, shifted_diagonal
from .optimizers import OPTIMIZERS, UpdateRule, batch_schedule, learning_rate
from .training import Trajectory, log_grid, train

__all__ = [
    "OPTIMIZERS",
    "Trajectory",
    "UpdateRule",
    "batch_schedule",
    "gaussian",
    "gr",
    "learning_rate",
    "log_grid",
    "make_dataset",
    "shifted_diagonal",
    "train",
]
__version__ = "0.1.0"
