"""baek2025: the implicit bias of per-sample Adam (experiments, theorem checks, figures)."""
