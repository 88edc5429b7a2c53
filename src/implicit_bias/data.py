"""Data sets of baek2025 (§4 of the spec): Gaussian, GR ("scaled Rademacher") and shifted-diagonal.

Binary data are returned *label-absorbed*: row i is y_i·x_i, so separability means there is a w with
X w > 0 (Assumption 2.1) and every loss is a function of the margins X w only.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import ArrayLike

__all__ = [
    "as_design_matrix",
    "gaussian",
    "gr",
    "make_dataset",
    "shifted_diagonal",
]


def as_design_matrix(X: ArrayLike, name: str = "X") -> np.ndarray:
    """Validate data: a real, finite, non-empty, 2-D array, returned as a float64 copy.

    Raises ValueError naming `name` otherwise.
    """
    arr = np.asarray(X)
    if np.iscomplexobj(arr):
        # float64 conversion would silently drop the imaginary part.
        raise ValueError(f"{name} must be real-valued, got complex dtype {arr.dtype}")
    try:
        arr = np.array(arr, dtype=np.float64, copy=True)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric: {exc}") from exc
    if arr.ndim != 2:
        raise ValueError(f"{name} must be a 2-D array (n samples, d features); got shape {arr.shape}")
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"{name} must be non-empty (at least one sample and one feature); got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{name} contains NaN or infinite (inf) entries")
    return arr


def gaussian(n: int = 10, d: int = 50, seed: int = 0) -> np.ndarray:
    """x_i ~ N(0, I_d), label-absorbed (labels +1; random ±1 labels give the same law after absorption).

    With n <= d the data are separable almost surely and in general position (Assumption 4.7).
    """
    if n < 1 or d < 1:
        raise ValueError(f"gaussian data need n >= 1 and d >= 1; got n={n}, d={d}")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    return rng.standard_normal((n, d))


def gr() -> np.ndarray:
    """The GR data of Fig. 2 / Fig. 9: constant magnitude within each sample, |x_i[k]| = a_i (Cor. 3.2)."""
    return np.array(
        [
            [1.0, 1.0, 1.0, 1.0],
            [2.0, 2.0, 2.0, -2.0],
            [3.0, 3.0, -3.0, -3.0],
            [4.0, -4.0, 4.0, -4.0],
        ]
    )


def shifted_diagonal(delta: float = 0.1, diag: ArrayLike = (1.0, 2.0, 4.0, 8.0)) -> np.ndarray:
    """Example 4.11: x_i = δ·1 + (a_i − δ)·e_i, so the ℓ∞ max-margin direction is 𝟙 with x_0 the only support vector."""
    diag = np.asarray(diag, dtype=np.float64)
    if diag.ndim != 1 or diag.size < 2:
        raise ValueError("shifted_diagonal needs at least two diagonal entries")
    if not delta > 0:
        raise ValueError(f"shifted_diagonal needs delta > 0; got {delta}")
    if np.argmin(diag) != 0 or np.sum(diag == diag.min()) != 1:
        raise ValueError("shifted_diagonal needs a_0 to be the strictly smallest diagonal entry")
    n = diag.size
    return delta * np.ones((n, n)) + np.diag(diag - delta)


def make_dataset(kind: str, seed: int = 0, **params: Any) -> np.ndarray:
    """Build a data set by name, as referenced from `config.yaml`."""
    if kind == "gaussian":
        return gaussian(n=params.get("n", 10), d=params.get("d", 50), seed=seed)
    if kind == "gr":
        return gr()
    if kind == "shifted_diagonal":
        return shifted_diagonal(delta=params.get("delta", 0.1), diag=params.get("diag", (1.0, 2.0, 4.0, 8.0)))
    raise ValueError(f"unknown dataset kind {kind!r}; expected 'gaussian', 'gr' or 'shifted_diagonal'")
