"""Small float64 models for cattaneo2024 with analytic gradients and Hessian-vector products (numpy only).

* `ToyProblem`: E(θ) = ½(2θ1θ2 − 1.5)², the 2-D problem of Figure 2 (level sets 4θ1θ2 − 3 = c).
* `TanhMLP`: one-hidden-layer tanh MLP with softmax cross-entropy (mean over samples). Parameters are a flat vector
  θ of shape (..., p): a leading batch axis runs several networks (seeds) at once with the same code. The
  Hessian-vector product is Pearlmutter's R-operator (exact), so the second-order modified flow needs no autodiff.
* `MLPBuffers`: `TanhMLP.loss_and_grad` for one network with preallocated buffers (the sweeps' fast path).
* `digits_data`: scikit-learn's bundled 8×8 digits (no download), standardised, as the CPU substitute for MNIST.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["MLPBuffers", "TanhMLP", "ToyProblem", "central_hvp", "digits_data"]


@dataclass(frozen=True)
class ToyProblem:
    """E(θ) = ½(xθ1θ2 − y)² with (x, y) = (2, 1.5): level sets {4θ1θ2 − 3 = c}, minimisers θ1θ2 = 3/4."""

    x: float = 2.0
    y: float = 1.5

    def loss(self, theta: ArrayLike) -> np.ndarray | float:
        theta = np.asarray(theta, dtype=np.float64)
        r = self.x * theta[..., 0] * theta[..., 1] - self.y
        return 0.5 * r * r

    def grad(self, theta: ArrayLike) -> np.ndarray:
        theta = np.asarray(theta, dtype=np.float64)
        r = self.x * theta[..., 0] * theta[..., 1] - self.y
        return self.x * r[..., None] * np.stack([theta[..., 1], theta[..., 0]], axis=-1)

    def hessian(self, theta: np.ndarray) -> np.ndarray:
        t1, t2 = float(theta[0]), float(theta[1])
        x, r = self.x, self.x * t1 * t2 - self.y
        off = x * r + x * x * t1 * t2
        return np.array([[x * x * t2 * t2, off], [off, x * x * t1 * t1]])

    def hvp(self, theta: np.ndarray, v: ArrayLike) -> np.ndarray:
        return self.hessian(theta) @ np.asarray(v, dtype=np.float64)

    @property
    def one_norm_limit(self) -> np.ndarray:
        """Limit point of the gradient-one-norm minimisers on the level sets: θ1 = θ2 = sqrt(y/x)."""
        return np.full(2, np.sqrt(self.y / self.x))


def central_hvp(
    grad: Callable[[np.ndarray], ArrayLike], theta: ArrayLike, v: ArrayLike, rel: float = 1e-5
) -> np.ndarray:
    """H(θ)·v by central differences of the gradient, δ = rel·(1+‖θ‖)/‖v‖ (O(δ²) error)."""
    theta = np.asarray(theta, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    nv = np.linalg.norm(v)
    if nv == 0:
        return np.zeros_like(theta)
    delta = rel * (1.0 + np.linalg.norm(theta)) / nv
    return (np.asarray(grad(theta + delta * v)) - np.asarray(grad(theta - delta * v))) / (2.0 * delta)


def digits_data(
    n_train: int | None = None, seed: int = 0, test_fraction: float = 0.5
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """sklearn's digits (1797 × 64, bundled): stratified train/test split, features standardised on the train set.

    n_train, if given, truncates the training set (first n_train of the shuffled split). Returns
    (X_train, y_train, X_test, y_test) with integer labels 0..9.
    """
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    X = X.astype(np.float64)
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=test_fraction, stratify=y, random_state=seed)
    if n_train is not None:
        Xtr, ytr = Xtr[:n_train], ytr[:n_train]
    mu, sd = Xtr.mean(axis=0), Xtr.std(axis=0)
    sd = np.where(sd > 0, sd, 1.0)
    return (Xtr - mu) / sd, ytr.astype(np.int64), (Xte - mu) / sd, yte.astype(np.int64)


class TanhMLP:
    """x ↦ W2ᵀ tanh(W1ᵀx + b1) + b2 with softmax cross-entropy averaged over the samples of (X, y)."""

    def __init__(self, X: ArrayLike, y: ArrayLike, hidden: int, classes: int = 10) -> None:
        self.X = np.asarray(X, dtype=np.float64)
        self.y = np.asarray(y, dtype=np.int64)
        self.n, self.d = self.X.shape
        self.h, self.k = int(hidden), int(classes)
        self.Y = np.eye(self.k)[self.y]
        d, h, k = self.d, self.h, self.k
        self._sizes = [d * h, h, h * k, k]
        self._shapes = [(d, h), (1, h), (h, k), (1, k)]
        self.p = sum(self._sizes)

    # parameter vector <-> weights (views; a leading batch axis is kept)
    def unpack(self, theta: ArrayLike) -> list[np.ndarray]:
        theta = np.asarray(theta, dtype=np.float64)
        out, i = [], 0
        for size, shape in zip(self._sizes, self._shapes):
            out.append(theta[..., i : i + size].reshape(theta.shape[:-1] + shape))
            i += size
        return out

    def pack(self, parts: Sequence[np.ndarray]) -> np.ndarray:
        lead = parts[0].shape[:-2]
        return np.concatenate([p.reshape((*lead, -1)) for p in parts], axis=-1)

    def init(self, seed: int) -> np.ndarray:
        """Glorot-normal weights, zero biases, from np.random.default_rng(seed)."""
        rng = np.random.default_rng(seed)
        W1 = rng.normal(0.0, np.sqrt(2.0 / (self.d + self.h)), (self.d, self.h))
        W2 = rng.normal(0.0, np.sqrt(2.0 / (self.h + self.k)), (self.h, self.k))
        return self.pack([W1, np.zeros((1, self.h)), W2, np.zeros((1, self.k))])

    def _forward(self, theta, X):
        W1, b1, W2, b2 = self.unpack(theta)
        A = np.tanh(X @ W1 + b1)
        Z = A @ W2 + b2
        Z = Z - Z.max(axis=-1, keepdims=True)
        P = np.exp(Z)
        P /= P.sum(axis=-1, keepdims=True)
        return A, Z, P

    def loss(self, theta: ArrayLike, X: np.ndarray | None = None, y: ArrayLike | None = None) -> np.ndarray | float:
        X = self.X if X is None else X
        Y = self.Y if y is None else np.eye(self.k)[y]  # type: ignore[index]  # integer labels
        _, Z, _P = self._forward(theta, X)
        logp = Z - np.log(np.exp(Z).sum(axis=-1, keepdims=True))
        return -np.mean(np.sum(Y * logp, axis=-1), axis=-1)

    def accuracy(self, theta: ArrayLike, X: np.ndarray | None = None, y: ArrayLike | None = None) -> np.ndarray | float:
        X = self.X if X is None else X
        y = self.y if y is None else y
        _, Z, _ = self._forward(theta, X)
        return np.mean(np.argmax(Z, axis=-1) == y, axis=-1)

    def loss_and_grad(self, theta: ArrayLike) -> tuple[np.ndarray | float, np.ndarray]:
        """(E(θ), ∇E(θ)) on the training set; batched over any leading axes of θ."""
        _W1, _b1, W2, _b2 = self.unpack(theta)
        A, Z, P = self._forward(theta, self.X)
        logp = Z - np.log(np.exp(Z).sum(axis=-1, keepdims=True))
        loss = -np.mean(np.sum(self.Y * logp, axis=-1), axis=-1)
        D2 = (P - self.Y) / self.n
        DA = D2 @ np.swapaxes(W2, -1, -2)
        D1 = DA * (1.0 - A * A)
        XT = self.X.T
        g = [XT @ D1, D1.sum(axis=-2, keepdims=True), np.swapaxes(A, -1, -2) @ D2, D2.sum(axis=-2, keepdims=True)]
        return loss, self.pack(g)

    def grad(self, theta: ArrayLike) -> np.ndarray:
        return self.loss_and_grad(theta)[1]

    def hvp(self, theta: ArrayLike, v: ArrayLike) -> np.ndarray:
        """H(θ)·v exactly (Pearlmutter's R-operator applied to the backward pass)."""
        _W1, _b1, W2, _b2 = self.unpack(theta)
        V1, c1, V2, c2 = self.unpack(v)
        A, _Z, P = self._forward(theta, self.X)
        S = 1.0 - A * A
        RZ1 = self.X @ V1 + c1
        RA = S * RZ1
        RZ2 = RA @ W2 + A @ V2 + c2
        RP = P * (RZ2 - np.sum(P * RZ2, axis=-1, keepdims=True))
        D2 = (P - self.Y) / self.n
        RD2 = RP / self.n
        W2T, V2T = np.swapaxes(W2, -1, -2), np.swapaxes(V2, -1, -2)
        DA = D2 @ W2T
        RDA = RD2 @ W2T + D2 @ V2T
        RD1 = RDA * S - 2.0 * DA * A * RA
        AT, RAT = np.swapaxes(A, -1, -2), np.swapaxes(RA, -1, -2)
        XT = self.X.T
        parts = [XT @ RD1, RD1.sum(axis=-2, keepdims=True), RAT @ D2 + AT @ RD2, RD2.sum(axis=-2, keepdims=True)]
        return self.pack(parts)


class MLPBuffers:
    """`TanhMLP.loss_and_grad` for one network (θ of shape (p,)) on the training set, into preallocated buffers.

    The fast path of the Adam sweeps: the same floating-point operations in the same order as the reference, so
    the results are bit-identical (tested), but no (n, hidden) array is allocated per call (~10% less CPU time; the
    matrix products, already at the BLAS kernel's peak, are 60% of it). The one-hot products of the reference are
    gathers here: Σ_j Y_ij·logp_ij adds only zeros to logp_{i,y_i}, and P − Y only changes the label entries. The
    returned gradient is a view of an internal buffer, overwritten by the next call.
    """

    def __init__(self, mlp: TanhMLP) -> None:
        self.mlp = mlp
        n, h, k = mlp.n, mlp.h, mlp.k
        self.rows = np.arange(n)
        self.A = np.empty((n, h))  # tanh(X W1 + b1)
        self.S = np.empty((n, h))  # 1 − A², then the hidden-layer backprop D1
        self.DA = np.empty((n, h))
        self.Z = np.empty((n, k))  # logits, shifted by their row maximum
        self.P = np.empty((n, k))  # softmax, then D2 = (P − Y)/n
        self.col = np.empty((n, 1))  # row maximum, then the row sum of e^Z, then its log
        self.logp = np.empty(n)  # log-probability of each sample's label
        self.g = np.empty(mlp.p)
        self.g_parts = mlp.unpack(self.g)  # views: filling them fills g

    def loss_and_grad(self, theta: np.ndarray) -> tuple[float, np.ndarray]:
        """(E(θ), ∇E(θ)) as `TanhMLP.loss_and_grad`; ∇E is the buffer `self.g` (overwritten by the next call)."""
        mlp = self.mlp
        W1, b1, W2, b2 = mlp.unpack(theta)
        A, S, DA, Z, P, col = self.A, self.S, self.DA, self.Z, self.P, self.col
        gW1, gb1, gW2, gb2 = self.g_parts
        # forward (`TanhMLP._forward`)
        np.matmul(mlp.X, W1, out=A)
        np.add(A, b1, out=A)
        np.tanh(A, out=A)
        np.matmul(A, W2, out=Z)
        np.add(Z, b2, out=Z)
        np.max(Z, axis=-1, keepdims=True, out=col)
        np.subtract(Z, col, out=Z)
        np.exp(Z, out=P)
        np.sum(P, axis=-1, keepdims=True, out=col)
        np.divide(P, col, out=P)
        # loss: −mean_i logp_{i,y_i}, logp = Z − log Σ_j e^{Z_j} (the same sum as the softmax's)
        np.log(col, out=col)
        np.subtract(Z[self.rows, mlp.y], col[:, 0], out=self.logp)
        loss = -np.mean(self.logp, axis=-1)
        # backward: D2 = (P − Y)/n, D1 = D2 W2ᵀ ⊙ (1 − A²)
        P[self.rows, mlp.y] -= 1.0
        np.divide(P, mlp.n, out=P)
        np.matmul(P, W2.T, out=DA)
        np.multiply(A, A, out=S)
        np.subtract(1.0, S, out=S)
        np.multiply(DA, S, out=S)
        np.matmul(mlp.X.T, S, out=gW1)
        np.sum(S, axis=-2, keepdims=True, out=gb1)
        np.matmul(A.T, P, out=gW2)
        np.sum(P, axis=-2, keepdims=True, out=gb2)
        return loss, self.g
