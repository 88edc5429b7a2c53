"""Update rules and batching schedules: an optimizer is one of each (plain numpy; this is the test oracle).

Every rule consumes the scaled batch gradient ∇L_B(w_t) = e^{c_t} ĝ_t of `losses.scaled_gradient` and returns the
direction d_t of the step w_{t+1} = w_t − η_t d_t.

Stateful rules (Signum, Adam) keep their moments in the same log-scale: m = e^{s} m̂ and v = e^{2s} v̂ with one scalar
s per run. Folding a new gradient in only multiplies by e^{s_old − s_new} and e^{c − s_new}, so the recursion is
the paper's one, exact up to rounding (baek2025 spec §7, engineering notes §4). Normalising each step's gradient
instead would change the algorithm, because the EMAs mix gradients of different scales.
s is moved to max(c, s_old + log ρ) with ρ the decay of the state that must not underflow (β for Signum, √β2 for
Adam), so that state never shrinks below O(1) and the newest gradient is never below it by more than its true ratio.

The rule is composed from small parts, in the style of optax's transformations: `step_size` (η_t), `new_log_scale`
(the log-scale bookkeeping), `moment_ema` and `second_moment_ema`, `bias_corrections`, `adam_eps` and
`adam_denominator` (the preconditioner √v̂ + ε), `nsd_direction` (normalised steepest descent in an entry-wise norm:
sign, NGD, ...) and, for matrix parameters (fan2025 v4), `schatten_direction`, `polar_factor` and `newton_schulz`
(Spectral-GD and Muon: the steepest direction in the spectral norm, exact or as Muon's code computes it).
`step_direction` strings them together per optimizer. The scalar parts are written so that they work on numpy
arrays and on scalars alike: the numba kernels (`_core`) compile these very functions and call them per coordinate,
so the formulas exist once. The naive float64 oracle of the tests (tests/conftest.py) is written independently.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import TypeVar

import numpy as np
from numpy.typing import ArrayLike

from .hyperparameters import NORMS, OPTIMIZERS, POLARS, SAMPLINGS, TRAIN_DEFAULTS, TRAIN_PARAMETERS

__all__ = [
    "CUBIC_COEFFICIENTS",
    "NEWTON_SCHULZ_COEFFICIENTS",
    "OPTIMIZERS",
    "POLAR_RTOL",
    "SAMPLINGS",
    "RuleState",
    "UpdateRule",
    "adam_denominator",
    "adam_eps",
    "batch_schedule",
    "bias_corrections",
    "init_state",
    "learning_rate",
    "matrix_direction",
    "moment_ema",
    "new_log_scale",
    "newton_schulz",
    "nsd_direction",
    "polar_factor",
    "schatten_direction",
    "second_moment_ema",
    "step_direction",
    "step_size",
]


# the scalar parts take numpy arrays (the reference) or floats (compiled into the kernels), and return the same kind
ArrayOrFloat = TypeVar("ArrayOrFloat", np.ndarray, float)

# exp() overflows at 709.78; an ε-term beyond e^{700} makes the Adam step ≤ e^{-700}·|m̂|, i.e. zero in any sum with w.
MAX_LOG = 700.0
# beyond e^{100}, adding v̂ = O(‖x‖²) to ε·e^{−2s} changes nothing in float64
BIG_LOG = 100.0


@dataclass(frozen=True)
class UpdateRule:
    """The optimizer's update rule. For Signum the momentum parameter is `beta1`."""

    name: str
    beta1: float = TRAIN_DEFAULTS["beta1"]
    beta2: float = TRAIN_DEFAULTS["beta2"]
    eps: float = TRAIN_DEFAULTS["eps"]
    # ε inside the square root (Cattaneo et al.) instead of outside (PyTorch)
    eps_inside: bool = TRAIN_DEFAULTS["eps_inside"]
    bias_correction: bool = TRAIN_DEFAULTS["bias_correction"]
    # the norm of NSD and NMD (fan2025 eqs 3-5): entry-wise 1 = steepest coordinate, 2 = NGD, inf = SignGD/Signum;
    # Schatten (`norm`) 1 = nuclear, 2 = Frobenius (= NGD), inf = spectral (Spectral-GD, Muon)
    p: float = TRAIN_DEFAULTS["p"]
    norm: str = TRAIN_DEFAULTS["norm"]
    # the orthogonalisation of the spectral direction (Spectral-GD, Muon) and its iteration count
    polar: str = TRAIN_DEFAULTS["polar"]
    polar_steps: int = TRAIN_DEFAULTS["polar_steps"]

    def __post_init__(self) -> None:
        if self.name not in OPTIMIZERS:
            raise ValueError(f"unknown optimizer {self.name!r}; expected one of {OPTIMIZERS}")
        if self.norm not in NORMS:
            raise ValueError(f"unknown norm {self.norm!r}; expected one of {NORMS}")
        if self.polar not in POLARS:
            raise ValueError(f"unknown polar {self.polar!r}; expected one of {POLARS}")
        if isinstance(self.polar_steps, bool) or not float(self.polar_steps).is_integer() or self.polar_steps < 1:
            raise ValueError(f"polar_steps must be a whole number >= 1; got {self.polar_steps!r}")
        if self.polar != "svd" and not (self.schatten and self.norm_p == math.inf):
            raise ValueError(
                f"polar={self.polar!r} orthogonalises the spectral direction: it applies to spectral, muon and "
                f"nsd/nmd with norm='schatten', p=inf only (optimizer {self.name!r}, norm {self.norm!r}, p={self.p})"
            )
        # the bounds of `train`'s parameter table, the same the config schemas and the CLI apply
        for key in ("beta1", "beta2", "eps", "p"):
            value = float(getattr(self, key))
            problem = TRAIN_PARAMETERS[key].range_problem(value)
            if problem is not None:
                raise ValueError(f"{problem}; got {value}")

    @property
    def code(self) -> int:
        """The optimizer's position in `OPTIMIZERS` (the numba kernels' code)."""
        return OPTIMIZERS.index(self.name)

    @property
    def norm_p(self) -> float:
        """The p of the steepest-descent direction's norm: NGD is NSD with p = 2, SignGD and Signum entry-wise p = ∞,
        Spectral-GD and Muon Schatten p = ∞."""
        fixed = {"ngd": 2.0, "signgd": math.inf, "signum": math.inf, "spectral": math.inf, "muon": math.inf}
        return fixed.get(self.name, float(self.p))

    @property
    def schatten(self) -> bool:
        """Whether the direction is taken in a Schatten norm (of the parameter matrix's singular values)."""
        return self.name in ("spectral", "muon") or (self.name in ("nsd", "nmd") and self.norm == "schatten")

    @property
    def momentum(self) -> bool:
        """NMD (fan2025 v4 eqs 4-5): the direction of the EMA momentum M_t instead of the gradient."""
        return self.name in ("signum", "nmd", "muon")

    @property
    def needs_second_moment(self) -> bool:
        return self.name == "adam_proxy"

    @property
    def state_decay(self) -> float:
        """ρ: the per-step decay of the slowest state entry (sets how fast the log-scale s may fall)."""
        if self.momentum:
            return self.beta1
        if self.name == "adam":
            # v̂ must not underflow: with β1² > β2 the true |m/√v| grows geometrically, and it is m̂ that should
            # (and then overflows into a FloatingPointError) rather than v̂ sinking into subnormals.
            return float(np.sqrt(self.beta2))
        return 0.0

    @property
    def log_state_decay(self) -> float:
        """log ρ (−∞ for stateless rules: the scale then simply follows the newest gradient)."""
        rho = self.state_decay
        return math.log(rho) if rho > 0.0 else -math.inf

    @property
    def log_eps(self) -> float:
        return math.log(self.eps) if self.eps > 0.0 else -math.inf


@dataclass(frozen=True)
class RuleState:
    m: np.ndarray  # m̂ (first moment, scaled)
    v: np.ndarray  # v̂ (second moment, scaled by e^{2s})
    s: float  # log-scale; −inf before the first step (m_{−1} = v_{−1} = 0)


def init_state(rule: UpdateRule, d: int | tuple[int, ...]) -> RuleState:
    """The state before the first step, shaped like the parameters (m_{−1} = v_{−1} = 0)."""
    return RuleState(m=np.zeros(d), v=np.zeros(d), s=-np.inf)


# ------------------------------------------------------------------------------------------------------------------
# The parts. Scalar-or-array, numpy and numba alike (no numpy-only calls in the first five).
# ------------------------------------------------------------------------------------------------------------------
def step_size(t: ArrayOrFloat, lr: float, decay: float) -> ArrayOrFloat:
    """η_t = lr·(t+2)^(−decay) (baek2025 Lemma I.6 form; decay = 0 gives a constant step)."""
    return lr * (t + 2.0) ** (-decay)


def new_log_scale(s_old: float, c: float, log_rho: float) -> float:
    """The state's new log-scale s = max(c, s_old + log ρ): never below the newest gradient's scale c, and falling
    no faster than the state decays (−∞ + anything stays −∞, so the first step and stateless rules give s = c)."""
    return max(c, s_old + log_rho)


def moment_ema(m: ArrayOrFloat, x: ArrayOrFloat, beta: float, decay: float) -> ArrayOrFloat:
    """One EMA step β·m + (1−β)·x in the scaled frame: the old state m̂ is first rescaled by decay = e^{s_old−s}
    and x is the new input already scaled by e^{−s} (ĝ·e^{c−s} for the first moment, its square for the second)."""
    return beta * decay * m + (1.0 - beta) * x


def second_moment_ema(v: ArrayOrFloat, g: ArrayOrFloat, beta: float, decay: float) -> ArrayOrFloat:
    """`moment_ema` of the squared gradient, whose scale is e^{2s}: the old v̂ is rescaled by decay², and g is the
    new gradient (not squared) in the state's frame."""
    return beta * decay * decay * v + (1.0 - beta) * g * g


def bias_corrections(t: int, beta1: float, beta2: float) -> tuple[float, float]:
    """(1/(1−β1^{t+1}), 1/(1−β2^{t+1})): Adam's optional bias-correction factors at step t (0-based)."""
    return 1.0 / (1.0 - beta1 ** (t + 1)), 1.0 / (1.0 - beta2 ** (t + 1))


def adam_eps(log_eps: float, eps_inside: bool, s: float) -> tuple[float, float]:
    """ε in the scaled frame of the moments, once per step: (e_add, floor).

    Outside the root (PyTorch): den = √v̂ + ε·e^{−s}. Inside (Cattaneo et al.): den = √(v̂ + ε·e^{−2s}); once
    ε·e^{−2s} > e^{100} ≫ v̂ = O(‖x‖²) the root is e^{L/2} whatever v̂ is, returned as `floor` (capped so that it
    cannot overflow). ε = 0 (log_eps = −∞) gives (0, 0).
    """
    if log_eps == -math.inf:
        return 0.0, 0.0
    if not eps_inside:
        return math.exp(min(log_eps - s, MAX_LOG)), 0.0
    e_log = log_eps - 2.0 * s
    if e_log > BIG_LOG:
        return 0.0, math.exp(min(0.5 * e_log, MAX_LOG))
    return math.exp(e_log), 0.0


def adam_denominator(v: ArrayOrFloat, e_add: float, floor: float, eps_inside: bool) -> ArrayOrFloat:
    """Adam's preconditioner √(c2·v̂) + ε (or √(c2·v̂ + ε)) from `adam_eps`'s (e_add, floor); v = c2·v̂."""
    if floor > 0.0:
        return floor + 0.0 * v
    if eps_inside:
        return np.sqrt(v + e_add)
    return np.sqrt(v) + e_add


# ------------------------------------------------------------------------------------------------------------------
# Array-only parts (the kernels write these as loops).
# ------------------------------------------------------------------------------------------------------------------
def _safe_divide(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num/den with 0/0 := 0 (a coordinate whose gradient history is exactly zero does not move)."""
    out = np.zeros_like(num)
    np.divide(num, den, out=out, where=den > 0)
    return out


def nsd_direction(g: np.ndarray, p: float) -> np.ndarray:
    """Δ = argmax_{‖Δ‖_p ≤ 1} ⟨g, Δ⟩ for the entry-wise p-norm (fan2025 spec §2 closed forms), any array shape.

    p = ∞: sign(g); p = 2: g/‖g‖₂; p = 1: ±1 on the first entry of largest |g| (Gauss–Southwell);
    1 < p < ∞: sign(g)|g|^{q−1}/‖g‖_q^{q−1}, q = p/(p−1). Scale-free, so the scaled gradient ĝ can be passed.
    g = 0 gives Δ = 0.
    """
    g = np.asarray(g, dtype=np.float64)
    p = float(p)
    top = float(np.max(np.abs(g), initial=0.0))
    if top == 0.0:
        return np.zeros_like(g)
    if np.isinf(p):
        return np.sign(g)
    a = g / top  # |a| ≤ 1: no overflow in the powers below
    if p == 1.0:
        out = np.zeros(g.size)
        j = int(np.argmax(np.abs(a).ravel()))
        out[j] = np.sign(a.ravel()[j])
        return out.reshape(g.shape)
    if p == 2.0:
        return a / np.sqrt(np.sum(a * a))
    q = p / (p - 1.0)
    mag = np.abs(a)
    return np.sign(a) * mag ** (q - 1.0) / np.sum(mag**q) ** ((q - 1.0) / q)


# Singular values below POLAR_RTOL·σ_1 are rounding, not directions: the CE gradient satisfies 1ᵀ∇L = 0 exactly
# (each softmax row minus its one-hot sums to zero), so its rank is at most k − 1 and a thin SVD returns a singular
# value of order 1e-17·σ_1 with u ∝ 1 and an arbitrary v. Kept, it would add a unit-norm term 1vᵀ to every step
# (fan2025 v4 spec §2): margins are blind to it, but W and its norms are not. Genuine singular values of the late,
# ill-conditioned momenta are orders of magnitude above this cut.
POLAR_RTOL = 1e-10

# Muon's reference code (Keller Jordan): five quintic Newton-Schulz steps X ← aX + (bA + cA²)X, A = XXᵀ, tuned to
# push every singular value into roughly (0.5, 1.5) fast rather than to converge to UVᵀ
NEWTON_SCHULZ_COEFFICIENTS = (3.4445, -4.7750, 2.0315)
# the classical cubic Newton-Schulz iteration X ← (3X − XXᵀX)/2: converges to UVᵀ for singular values in (0, √3)
CUBIC_COEFFICIENTS = (1.5, -0.5, 0.0)


def _truncated_svd(g: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(U, σ, Vᵀ) of the matrix g restricted to its singular values above POLAR_RTOL·σ_1 (empty for g = 0)."""
    U, sigma, Vt = np.linalg.svd(g, full_matrices=False)
    r = int(np.sum(sigma > POLAR_RTOL * sigma[0])) if sigma.size and sigma[0] > 0 else 0
    return U[:, :r], sigma[:r], Vt[:r]


def polar_factor(g: np.ndarray) -> np.ndarray:
    """UVᵀ from the truncated SVD g = UΣVᵀ (Σ > 0): the spectral-norm steepest direction argmax_{|||Δ|||_∞ ≤ 1}
    ⟨g, Δ⟩, with ⟨g, UVᵀ⟩ = |||g|||_nuc (fan2025 v4 Table, Spectral-GD and Muon). g = 0 gives 0."""
    U, _sigma, Vt = _truncated_svd(np.asarray(g, dtype=np.float64))
    return U @ Vt if U.shape[1] else np.zeros_like(g, dtype=np.float64)


def schatten_direction(g: np.ndarray, p: float) -> np.ndarray:
    """Δ = argmax_{|||Δ|||_p ≤ 1} ⟨g, Δ⟩ for the Schatten p-norm of a matrix g = UΣVᵀ (truncated SVD).

    p = ∞: UVᵀ (spectral); p = 1: u_1v_1ᵀ (nuclear: the top singular pair); p = 2: g/‖g‖_F (Frobenius = NGD);
    1 < p < ∞: U diag(σ^{q−1}) Vᵀ / ‖σ‖_q^{q−1}, q = p/(p−1), so that ⟨g, Δ⟩ = ‖σ‖_q (the dual Schatten norm) and
    |||Δ|||_p = 1. Scale-free (σ is divided by σ_1 before the powers). g = 0 gives 0.
    """
    g = np.asarray(g, dtype=np.float64)
    if g.ndim != 2:
        raise ValueError(f"a Schatten-norm direction needs a matrix; got shape {g.shape}")
    U, sigma, Vt = _truncated_svd(g)
    if sigma.size == 0:
        return np.zeros_like(g)
    p = float(p)
    if np.isinf(p):
        return U @ Vt
    if p == 1.0:
        return np.outer(U[:, 0], Vt[0])
    a = sigma / sigma[0]
    q = p / (p - 1.0)
    weights = a ** (q - 1.0)
    weights /= np.sum(a**q) ** ((q - 1.0) / q)
    return (U * weights) @ Vt


def newton_schulz(g: np.ndarray, steps: int, coefficients: tuple[float, float, float]) -> np.ndarray:
    """An approximate polar factor of g by `steps` odd-polynomial iterations X ← aX + (bA + cA²)X, A = XXᵀ, from
    X_0 = g/‖g‖_F (on the wide orientation, as Muon's reference code; in float64 and without its 1e-7 guard,
    which would not be scale-free: a zero g gives 0). Singular vectors are kept; each singular value σ/‖g‖_F is
    mapped through the polynomial `steps` times, so the result is U f(Σ) Vᵀ, not exactly UVᵀ."""
    g = np.asarray(g, dtype=np.float64)
    fro = float(np.linalg.norm(g))
    if fro == 0.0:
        return np.zeros_like(g)
    tall = g.shape[0] > g.shape[1]
    X = (g.T if tall else g) / fro
    a, b, c = coefficients
    for _ in range(int(steps)):
        A = X @ X.T
        X = a * X + (b * A + c * (A @ A)) @ X
    return X.T if tall else X


def matrix_direction(rule: UpdateRule, g: np.ndarray) -> np.ndarray:
    """The Schatten-norm steepest direction of the matrix g for `rule` (its p, and for p = ∞ its `polar`)."""
    p = rule.norm_p
    if np.isinf(p) and rule.polar != "svd":
        coefficients = NEWTON_SCHULZ_COEFFICIENTS if rule.polar == "newton_schulz" else CUBIC_COEFFICIENTS
        return newton_schulz(g, rule.polar_steps, coefficients)
    return schatten_direction(g, p)


def _norm_direction(rule: UpdateRule, g: np.ndarray) -> np.ndarray:
    """NSD's (or NMD's, on the momentum) direction of g in the rule's norm, entry-wise or Schatten."""
    return matrix_direction(rule, g) if rule.schatten else nsd_direction(g, rule.norm_p)


def step_direction(
    rule: UpdateRule, state: RuleState, t: int, c: float, ghat: np.ndarray, g2hat: np.ndarray | None = None
) -> tuple[np.ndarray, RuleState]:
    """Direction d_t (w_{t+1} = w_t − η_t d_t) and the new state, from ∇L_B(w_t) = e^c ĝ."""
    name = rule.name
    if name == "gd":
        return np.exp(c) * ghat, state
    if name in ("ngd", "signgd", "nsd", "spectral"):
        return _norm_direction(rule, ghat), state
    if name == "adam_proxy":
        # Def. 4.2: P(w)^{-1}∇L with P = diag(sqrt((1/N)Σ_i ∇L_i²)); the common factor e^c cancels.
        return _safe_divide(ghat, np.sqrt(g2hat)), state  # type: ignore[arg-type]  # adam_proxy comes with g2hat

    s_new = new_log_scale(state.s, c, rule.log_state_decay)
    decay = math.exp(state.s - s_new)  # 0 on the first step
    g = math.exp(c - s_new) * ghat  # the new gradient in the state's frame
    if rule.momentum:
        # Signum, NMD-GD, Muon (fan2025 v4 eqs 4-5): the steepest direction of the EMA momentum; the direction is
        # scale-free, so neither the log-scale e^{s} nor a bias correction changes it
        m = moment_ema(state.m, g, rule.beta1, decay)
        return _norm_direction(rule, m), RuleState(m=m, v=state.v, s=s_new)

    # Adam (Alg. 1/2 of baek2025; eqs 3a-3c of fan2025), optionally bias-corrected and with ε.
    m = moment_ema(state.m, g, rule.beta1, decay)
    v = second_moment_ema(state.v, g, rule.beta2, decay)
    c1, c2 = bias_corrections(t, rule.beta1, rule.beta2) if rule.bias_correction else (1.0, 1.0)
    e_add, floor = adam_eps(rule.log_eps, rule.eps_inside, s_new)
    den = np.broadcast_to(adam_denominator(c2 * v, e_add, floor, rule.eps_inside), m.shape)
    return _safe_divide(c1 * m, den), replace(state, m=m, v=v, s=s_new)


def batch_schedule(
    n: int, steps: int, batch_size: int | None = None, sampling: str = "cyclic", seed: int = 0
) -> np.ndarray:
    """Index sets B_t as an array (L, b); step t uses row t mod L.

    - full batch (`batch_size` None or n): one row, all samples.
    - "cyclic": M = n/b fixed consecutive batches B_j = {jb, …, jb+b−1} visited in order (Inc-Adam, Inc-Signum).
    - "replacement": b indices drawn uniformly with replacement at every step.
    - "reshuffle": a fresh permutation each epoch, cut into M consecutive batches.
    """
    if sampling not in SAMPLINGS:
        raise ValueError(f"unknown sampling {sampling!r}; expected one of {SAMPLINGS}")
    b = n if batch_size is None else int(batch_size)
    if not 1 <= b <= n:
        raise ValueError(f"batch_size must lie in [1, {n}] (the number of samples); got {batch_size}")
    if b == n and sampling != "replacement":
        return np.arange(n, dtype=np.int64)[None, :]
    if sampling != "replacement" and n % b:
        raise ValueError(f"batch_size {b} must divide the number of samples {n} for {sampling!r} sampling")
    rng = np.random.default_rng(np.random.SeedSequence(seed))
    if sampling == "cyclic":
        return np.arange(n, dtype=np.int64).reshape(n // b, b)
    if sampling == "replacement":
        return rng.integers(0, n, size=(max(steps, 1), b), dtype=np.int64)
    epochs = -(-max(steps, 1) * b // n)
    return np.concatenate([rng.permutation(n).reshape(n // b, b) for _ in range(epochs)]).astype(np.int64)


def learning_rate(t: ArrayLike, lr: float = 0.1, decay: float = 0.5) -> np.ndarray:
    """η_t = lr·(t+2)^(−decay) for a step or an array of steps (`step_size` on float64)."""
    return step_size(np.asarray(t, dtype=np.float64), lr, decay)
