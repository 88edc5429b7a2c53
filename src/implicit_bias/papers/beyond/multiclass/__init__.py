"""Multiclass per-sample Adam and its fixed point: does Adam with small batches leave fan2025's
max-norm margin V_∞ on multiclass data, as per-sample Adam leaves the ℓ∞ margin in the binary case (baek2025), and
does its limit follow the multiclass analogue of baek2025's fixed point?

Data: fan2025's (spec §3, `implicit_bias.multiclass.make_multiclass`), one data set per seed. Runs: Adam (CE loss,
W_0 = 0, no bias correction, ε = 0) with batch size 1 (cyclic and reshuffled), 10 and 50 (cyclic) and full batch.
References per data set: V_∞ (max-norm margin, fan2025), V_2 (ℓ2 margin, GD's), and for every mini-batch schedule
(b < N) the fixed point fp_b of the multiclass P_b(c) (`implicit_bias.proxy_fixed_point` with labels `y`, batch size
and sampling; its docstring derives D_b(c)). For b = 1 the sampling does not enter D_1(c) (a sum over single
samples), so b = 1 cyclic and reshuffled share fp_b1. For b = N the fixed-point problem is V_∞'s (fan2025), and the
accelerated iteration can stop at another fixed point there, so the full-batch run is compared with V_∞.

The fixed point is a β2 → 1 statement (baek2025 Prop 4.1: the second moment averages the squared gradients of a
whole epoch): the mini-batch runs need an EMA window 1/(1 − β2) of at least an epoch, N/b steps (500 for b = 1 here),
hence β2 = 0.999 in the default config rather than fan2025's 0.99 (window 100; with it the b = 1 run peaks near fp_b1
and turns away, in a pilot run). The full-batch run keeps fan2025's own settings (β2 = 0.99, a = 2/3), under
which fan2025 states its claim and its rate: β2 = 0.999 stalls full-batch Adam without bias correction (spec §2).

References are only as good as their convergence. The plain iteration of P_b(c) can lose a class: the pairs
touching it lose all dual weight, its row of D_b(c) falls to 0 and w*(c) is not determined there, while Adam's
m/√v on that row stays O(1). `fixed_point_reference` stops the plain iteration at that boundary and completes the
fixed point lexicographically (`implicit_bias.fixed_point.lexicographic_fixed_point`: the lost rows set in a later
stage against the others). `references` stores, for every fixed point, whether it is established (every stage's c
residual below `tol`, the stages' margin levels nondecreasing) and the motion of w it has left, how the plain one
fared, stages, levels and residuals. Three checks: `multiclass_fixed_point_exists` (the references are established
and located finely enough for the distances the runs are judged at), `multiclass_leaves_v_inf` (per-sample Adam
does not go to V_∞, level and trend) and `multiclass_fixed_point` (our conjecture: the runs follow fp_b where it is
established, judged by trend and ranking). Full batch → V_∞ is fan2025's C5/C6, checked there.

The study's modules, as a home's: `experiments` (config -> data, references, runs, the metric table), `checks` (the
three checks), `plots` (the figure). This package holds what they share: the study's name and its figure's.
"""

from __future__ import annotations

__all__ = ["FIGURE", "STUDY"]

STUDY = "multiclass"
FIGURE = "multiclass_per_sample"
