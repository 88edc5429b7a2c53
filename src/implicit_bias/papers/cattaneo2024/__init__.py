"""cattaneo2024: backward error analysis of Adam (experiments, theorem checks, figures)."""

from __future__ import annotations

from .. import Paper

__all__ = ["FIGURES", "PAPER"]

# the paper's figures, fixed by the paper: figure -> the run artifacts it reads
FIGURES = {
    "fig1": ["fcurve"],
    "fig2": ["toy"],
    "fig3": ["order_mlp", "order_toy"],
    "fig4": ["sweep_rho"],
    "fig5": ["sweep_beta"],
    "mech_lambda": ["mech_lambda"],
    "mech_validity": ["mech_validity"],
    "mech_hscale": ["mech_hscale"],
}


def figures(config: dict) -> list[str]:
    return list(FIGURES)


PAPER = Paper(
    name="cattaneo2024",
    prefix="cat",
    title="Backward error analysis of Adam",
    figures=figures,
    schema="cattaneo2024.schema.yaml",
    path_keys=("full.data_dir",),  # the CIFAR-10 folder of `scale: full`
)
