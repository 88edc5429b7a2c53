"""The parameters of `train`, declared once: name, type, default and allowed values or range.

`train`'s signature takes its defaults from `TRAIN_DEFAULTS`, the CLI's `fit` options its choices and defaults from
`TRAIN_PARAMETERS`, and tests/test_train_parameters.py checks the config schemas' run keys against the table (same
names, same bounds). A light module (no numpy), so that `implicit-bias --help` answers at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["NORMS", "OPTIMIZERS", "POLARS", "SAMPLINGS", "TRAIN_DEFAULTS", "TRAIN_PARAMETERS", "Parameter"]

# The one table of optimizers; the numba kernels use the position in this tuple as the optimizer's code.
OPTIMIZERS = ("gd", "ngd", "signgd", "signum", "adam", "adam_proxy", "nsd", "nmd", "spectral", "muon")
SAMPLINGS = ("cyclic", "replacement", "reshuffle")
# the norm families of nsd and nmd (fan2025 v4 §2): entry-wise p-norms, or Schatten p-norms of the singular values
NORMS = ("entrywise", "schatten")
# how spectral and muon orthogonalise: the exact polar factor from a truncated SVD (the paper's experiments),
# Newton-Schulz with the quintic coefficients of Muon's reference code, or the convergent cubic iteration
POLARS = ("svd", "newton_schulz", "cubic")


@dataclass(frozen=True)
class Parameter:
    """One parameter of `train`. `default` is `REQUIRED` for one `train` has no default for; the bounds are JSON
    Schema's (`minimum`, `exclusive_minimum`, `exclusive_maximum`; None = unbounded), the values a config or the
    CLI may give (`train` itself also runs 0 steps); `nullable`: None is allowed (and means what the doc says)."""

    name: str
    type: type
    default: Any
    doc: str
    choices: tuple = ()
    minimum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    nullable: bool = False

    def range_problem(self, value: float) -> str | None:
        """What is wrong with the number `value` for this parameter's bounds ("beta1 must lie in [0, 1)"), or None.
        A NaN fails every bound."""
        low = self.minimum if self.minimum is not None else self.exclusive_minimum
        if low is None and self.exclusive_maximum is None:
            return None
        above = value >= self.minimum if self.minimum is not None else True
        above = above and (value > self.exclusive_minimum if self.exclusive_minimum is not None else True)
        below = value < self.exclusive_maximum if self.exclusive_maximum is not None else True
        if above and below and value == value:
            return None
        if self.exclusive_maximum is None:
            op = ">=" if self.minimum is not None else ">"
            return f"{self.name} must be {op} {_number(low)}"
        opening = "[" if self.minimum is not None else "("
        return f"{self.name} must lie in {opening}{_number(low)}, {_number(self.exclusive_maximum)})"


def _number(x: float | None) -> str:
    return "-inf" if x is None else f"{x:g}"


REQUIRED = object()  # the `default` of a parameter `train` requires

TRAIN_PARAMETERS: dict[str, Parameter] = {
    p.name: p
    for p in (
        Parameter(
            "optimizer",
            str,
            REQUIRED,
            "the update rule (adam_proxy: binary data only; spectral, muon: multiclass only)",
            choices=OPTIMIZERS,
        ),
        Parameter("steps", int, REQUIRED, "number of steps T", minimum=1),
        Parameter("lr", float, 0.1, "eta_0 of eta_t = lr (t+2)^-decay", exclusive_minimum=0),
        Parameter("decay", float, 0.5, "the exponent a of eta_t = lr (t+2)^-a", minimum=0),
        # (0.9, 0.95) and eps = 0 without bias correction: baek2025's Adam (§2), the package's reference setting
        Parameter("beta1", float, 0.9, "Adam's first-moment decay; Signum's momentum", minimum=0, exclusive_maximum=1),
        Parameter("beta2", float, 0.95, "Adam's second-moment decay", minimum=0, exclusive_maximum=1),
        Parameter("eps", float, 0.0, "Adam's epsilon (outside the square root unless eps_inside)", minimum=0),
        Parameter("eps_inside", bool, False, "eps inside the square root (cattaneo2024) instead of outside"),
        Parameter("bias_correction", bool, False, "Adam's bias correction"),
        Parameter("batch_size", int, None, "samples per step (None: full batch)", minimum=1, nullable=True),
        Parameter("sampling", str, "cyclic", "how mini-batches are drawn", choices=SAMPLINGS),
        Parameter("seed", int, 0, "seed of the mini-batch sampling", minimum=0),
        Parameter("p", float, 2.0, "the norm of nsd and nmd (entry-wise inf: SignGD, Signum)", minimum=1),
        Parameter(
            "norm", str, "entrywise", "the norm family of nsd and nmd's p (schatten: multiclass only)", choices=NORMS
        ),
        Parameter("polar", str, "svd", "how spectral and muon orthogonalise their direction", choices=POLARS),
        Parameter("polar_steps", int, 5, "iterations of newton_schulz or cubic orthogonalisation", minimum=1),
    )
}

# `train`'s defaults (the parameters it does not require)
TRAIN_DEFAULTS: dict[str, Any] = {n: p.default for n, p in TRAIN_PARAMETERS.items() if p.default is not REQUIRED}
