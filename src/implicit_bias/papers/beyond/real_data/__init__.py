"""Study `real_data`: the three papers' predictions on data nobody constructed.

Data: scikit-learn's bundled 8×8 digits (1797 images, 64 pixel features, no download). Every data set is a subset of
it — a pair of digits (binary) or all ten classes — and is preprocessed on its own samples: pixels that are constant
on the data set are dropped (no information, and on a pair of digits a constant column would be a bias feature whose
ℓ∞ max-margin weight can be non-unique), and every remaining feature is standardised to mean 0 and variance 1
(population std) over ALL the data set's samples. There is no test split: the claims are about the training
iterates' direction, not about generalisation. `per_class`, if given, keeps the first `per_class` images of each
class in the bundled order (deterministic; for the smoke config).

Binary labels follow the package's label-absorbed convention (`train`, `max_margin`, `proxy_fixed_point` take rows
x_i ← y_i·x_i and no y): the first digit of a pair is +1, the second −1. The ten-class set goes in as features H and
labels y (fan2025's multiclass convention, `margins.as_labels`).

Separability is verified with the ℓ∞ max-margin LP when the data set is made (`max_margin(norm="inf")` for a pair,
the sparse LP `margins.max_norm_margin_sparse` for the ten classes, which is minutes faster at n(k−1) = 16173 rows);
a non-separable data set is a ValueError naming it. That LP's solution is the ℓ∞ reference. For a pair the LP is
solved twice, by HiGHS (a vertex of the optimal face) and by Clarabel (an interior point, so in the relative interior
of the face): the ℓ∞ max-margin direction is unique iff the two agree (`UNIQUE_COS`). On real data it need not be
(e.g. the pair 1-7), and then "cos with the ℓ∞ max-margin" is not a well-defined test; the normalised margin
γ̄_∞(w)/γ_∞ always is, and is what the theory's convergence statements bound.

Predictions tested (run name → reference; thresholds and reasons in `CHECKS`):
* binary: full-batch Adam → ℓ∞ (baek2025 Det-Adam, after Zhang et al. 2024), SignGD → ℓ∞ (fan2025 Thm 5.3 with
  k = 2; steepest descent w.r.t. ℓ∞), NGD → ℓ2 (fan2025 NSD with p = 2), per-sample Adam (b = 1, cyclic) → the
  AdamProxy fixed point (baek2025 Prop 4.1 / Thm 4.8). The fixed point is the β2 → 1 limit: the second-moment EMA
  must average over whole epochs, i.e. 1/(1 − β2) ≳ N. With N ≈ 360 images per pair the paper's default β2 = 0.95
  (a 20-step window) is outside that regime, so the tested run uses β2 = 0.999 (window ≈ 2.8 epochs) and a run at
  β2 = 0.95 is reported without a prediction.
* ten classes: Adam and SignGD favour the max-norm margin, NGD the ℓ2 margin (fan2025 claims (1), (2)), with the
  theory's rates. Per-sample Adam and its multiclass fixed point are not run on the ten-class set by default: the
  fixed point of P(c) at 16173 margin rows did not fit the study's CPU budget (64 s already at 30 images per class);
  the `multiclass` study covers per-sample multiclass Adam. A `ten_class_runs` entry with batch_size 1 adds it.

The study's modules, as a home's: `experiments` (config -> data, references, runs, the metric table), `checks`
(`real_data_binary`, `real_data_multiclass`), `plots` (the figure). This package holds what they share: the study's
name, its figure's, the ten-class data set's name and the predictions (which runs are checked against what).
"""

from __future__ import annotations

__all__ = ["FIGURE", "PREDICTIONS", "STUDY", "TEN_CLASS"]

STUDY = "real_data"
FIGURE = "real_data"
TEN_CLASS = "digits10"
# run name → the reference its iterates are predicted to approach (binary: ℓ∞ / ℓ2 max margin, fixed point; ten
# classes: the norm whose margin is favoured). Runs with other names are run and reported, not checked.
PREDICTIONS = {
    "binary": {"adam": "linf", "signgd": "linf", "ngd": "l2", "adam_b1": "fp"},
    "multiclass": {"adam": "linf", "signgd": "linf", "ngd": "l2"},
}
