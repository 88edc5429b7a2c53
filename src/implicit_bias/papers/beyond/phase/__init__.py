"""Study `phase`: the batch size × β phase diagram of Adam's implicit bias on binary data, and the batch fixed point.

baek2025 characterises two ends: full-batch Adam (b = N) converges in direction to the ℓ∞ max margin, per-sample
Adam (b = 1) to the fixed point of its data-adaptive problem P(c) (Definition 4.6, Algorithm 3). In between it says
nothing. The natural generalisation (implicit_bias.fixed_point, `batch_size`/`sampling`): Adam with β2 near 1
averages the squared *batch* gradients over the batches it visits, so the preconditioner of P(c) becomes
D_b(c)² = mean over batches of (Σ_{i∈B} c_i x_i)², averaged over the cycle (cyclic) or over random partitions
(reshuffle); its fixed point fp_b is the candidate limit for every b, equal to the paper's for b = 1 and to the ℓ∞
max margin for b = N.

Grid: batch size × sampling × β1 × β2 (β1 ≤ β2), on baek2025's Gaussian data (one data set per seed), all runs of a
data set in one batched kernel call (`train_many`). Measured per run: the final cosine of w_T with fp_b, with fp_1
(the paper's per-sample fixed point), with the ℓ∞ and the ℓ2 max margins; the cosine with fp_b at the logged step
nearest T/10 (the trend over the last decade); the lead of fp_b over its rivals one logged step before T (the lead's
residual motion); and how far apart the run's candidate limits are (whether the run is near enough to one of them
for the trend to tell which it approaches).

The study's modules, as a home's: `experiments` (config -> data, references, runs, the metric table), `checks`
(`batch_fixed_point`), `plots` (the phase diagram, which marks each cell with the check's verdict). This package holds
what they share: the study's name and its figure's.
"""

from __future__ import annotations

__all__ = ["FIGURE", "STUDY"]

FIGURE = "phase_diagram"
STUDY = "phase"
