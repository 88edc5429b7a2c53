"""numba kernel of the two-layer network's fast path (`two_layer.train_batch`): the sigmoid and its slope.

The elementwise pass over the hidden pre-activations X (runs × n × width) is the one part of a step that numpy does
in many passes (abs, exp, add, reciprocal, products, a masked select); here it is one vectorised loop with the
branch-free exponential of `_fast_multiclass` (within 1 ulp of np.exp). Both tails are exact: with E = e^{−|x|},
σ(|x|) = 1/(1+E), σ(−|x|) = E/(1+E) and σ'(x) = σ(x)σ(−x) = E/(1+E)², so 1 − σ(x) is never formed.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from ._fast_multiclass import vector_exp


@njit(cache=True, fastmath={"contract"}, error_model="numpy")  # no ZeroDivisionError check: it blocks vectorisation
def sigmoid_and_slope(X: np.ndarray, A: np.ndarray, S: np.ndarray) -> None:
    """A = σ(X), S = σ'(X) for C-contiguous arrays of equal shape (flat loop)."""
    x = X.reshape(-1)
    a = A.reshape(-1)
    s = S.reshape(-1)
    for i in range(x.size):
        xi = x[i]
        e = vector_exp(-abs(xi))
        d = 1.0 / (1.0 + e)
        a[i] = d if xi >= 0.0 else e * d
        s[i] = e * d * d
