"""Study `newton_schulz`: does Muon as practised keep the spectral implicit bias that fan2025 prove for exact Muon?

fan2025 (v4, Theorem 2) prove that Muon — normalised momentum steepest descent in the spectral norm, the step
Δ_t = U_tV_tᵀ of the momentum M_t = U_tΣ_tV_tᵀ — converges in direction to the spectral-norm max margin V_spec, and
their experiments compute Δ_t by a truncated SVD ("We apply truncated SVD on the gradient and momentum for
Spectral-GD and Muon"). Muon as used in practice computes Δ_t with five quintic Newton-Schulz steps (Keller Jordan's
reference code, `optimizers.NEWTON_SCHULZ_COEFFICIENTS`), which return U f(Σ) Vᵀ with f(σ) spread around 1, not UVᵀ:
the step's singular values leave the spectral-norm ball of the NMD constraint |||Δ|||_∞ ≤ 1 and are not all equal,
so the step sits between the spectral direction (flat spectrum) and the Frobenius one (Δ ∝ M). Whether the limit
survives that is a question the paper does not ask; this study asks it.

Data: fan2025's synthetic data (`multiclass.make_multiclass`: k = 10 centres in d = 25, 50 points each, σ = 0.1),
one data set per seed. References: the max-margin directions and margins in the max-, 2- and spectral norms
(`margins.max_margin` with norm "inf", 2, "spectral"). Runs: Muon (β1 = 0.9, η_t = lr (t+2)^(−decay), lr 0.05 as
the paper's Muon, decay 1/2 as its theorems) with each orthogonalisation of the config's `runs`: the exact polar
factor (`polar="svd"`), Newton-Schulz with 5 and 10 steps, and the cubic iteration X ← (3X − XXᵀX)/2 run to
convergence (its step count is the config's, chosen from the measured residual of its steps, reported by the
consistency check).

Metrics per (data set, run, logged step): the relative margin gaps (γ − γ̄(W_t))/γ in the three norms, the cosines
of W_t with V_∞, V_2 and V_spec, and the spectrum of the step direction Δ_t: its smallest and largest nonzero
singular value (`direction_spectrum`). For the iterations, Δ = U f(Σ) Vᵀ keeps M's singular vectors, so
max |σ_i(Δ) − 1| is exactly ‖Δ − UVᵀ‖_spec, the distance from the exact step.

The study's modules, as a home's: `experiments` (config -> data, references, runs, the metric table), `checks`
(`muon_cubic_matches_exact`, consistency; `muon_ns5_keeps_spectral_bias`, our claim), `plots` (the figure). This
package holds what they share: the study's name, its figure's, and the names of the runs the checks read.
"""

from __future__ import annotations

__all__ = ["CUBIC", "EXACT", "FIGURE", "NS5", "REQUIRED_RUNS", "STUDY"]

STUDY = "newton_schulz"
FIGURE = "newton_schulz_muon"

# the runs the checks read, and the orthogonalisation each must be (experiments.check_config refuses others)
EXACT = "exact"
NS5 = "ns5"
CUBIC = "cubic"
REQUIRED_RUNS: dict[str, dict[str, str | int]] = {
    EXACT: {"polar": "svd"},
    NS5: {"polar": "newton_schulz", "polar_steps": 5},
    CUBIC: {"polar": "cubic"},
}
