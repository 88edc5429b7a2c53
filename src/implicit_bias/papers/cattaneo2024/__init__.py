"""cattaneo2024: backward error analysis of Adam (experiments, theorem checks, figures)."""
