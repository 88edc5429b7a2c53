"""Study `eps`: ε in per-sample Adam — when do the iterates leave the AdamProxy fixed point for ℓ2?

baek2025 prove that per-sample (batch size 1, cyclic) Adam with ε = 0 converges in direction to the fixed point of
its proxy problem P(c) (Algorithm 3); fan2025 (full batch) find that Adam with ε > 0 behaves like Adam until the
gradient reaches ε's scale and like GD afterwards (GD → the ℓ2 max margin). Together they predict: per-sample Adam
with ε > 0 follows ε = 0 towards the fixed point until its per-sample gradients reach ε, then drifts towards ℓ2;
so the departure should come when log |g| ≈ log ε, i.e. log |g| at the departure has slope 1 on log ε.

Data: baek2025's Gaussian experiment (`gaussian(n, d, seed)`, labels absorbed), one data set per seed. Runs: one
batched kernel (`train_many`) per data set over the ε list, baek2025's Inc-Adam settings otherwise (config.yaml
baek2025.gaussian_adam.inc_adam: the package defaults lr 0.1, decay 0.5, β1 0.9, β2 0.95, no bias correction).

The departure (`departure_step`), read directly off the runs: the first logged step from which the ε run stays
apart from the ε = 0 run, 1 − cos(w_ε(t), w_0(t)) > δ until the end, with δ = `departure_fraction` × (1 − cos(fp,
ℓ2)), a stated fraction (default 1%) of the distance between the two candidate limits. Before ε matters the two runs
are the same computation (1 − cos at rounding level); ε nudges the small-gradient coordinates in the first steps
(up to 2e-4 at ε = 1e-4, and back down), which "stays above until the end" skips; the peak of cos(w_t, fp) is no
detector: it mixes the approach to fp with the departure from it.

The gradient scale: log g_t = log max_i ‖∇ℓ_i(w_t)‖_∞ = max_i (−⟨x_i, w_t⟩ + log ‖x_i‖_∞) for the exponential loss
ℓ_i(w) = exp(−⟨x_i, w⟩): the largest entry of the per-sample gradients whose squares Adam's v averages, to be
compared with ε in m / (√v + ε). log L differs from it by O(log N + log max|x|) and is reported too.

The study's modules, as a home's: `experiments` (config -> data, references, the runs at every ε, the metric table),
`checks` (`eps_per_sample`, and the departure read off the metric table, which the figure marks too), `plots` (the
figure). This package holds what they share: the study's name and its figure's.
"""

from __future__ import annotations

__all__ = ["FIGURE", "STUDY"]

STUDY = "eps"
FIGURE = "eps_per_sample"
