"""fan2025: the implicit bias of multiclass SignGD, normalised steepest descent and Adam."""

from __future__ import annotations

from .. import Paper

__all__ = ["FIGURES", "PAPER"]

# the paper's figures, fixed by the paper: figure -> the experiments it reads
FIGURES = {
    "fig1": ["main"],
    "fig1_gaps": ["main", "long"],
    "fig_nsd": ["nsd"],
    "fig_losses": ["losses", "long"],
    # the published version (v4): Figs. 1-2 with App. A's momentum methods
    "fig1_v4": ["spectral", "spectral_long"],
    "fig2_v4": ["spectral"],
    "fig3_net": ["net"],  # v4 Fig. 3: the two-layer network (section fan2025.net)
}


def figures(config: dict) -> list[str]:
    return list(FIGURES)


PAPER = Paper(
    name="fan2025",
    prefix="fan",
    title="The implicit bias of multiclass SignGD, normalised steepest descent and Adam",
    figures=figures,
    schema="fan2025.schema.yaml",
    generic=True,  # at the experiment level (experiments.PARAMS, experiments.experiments)
    resources={"reference": {"runtime": 30, "mem_mb": 2000}, "run": {"runtime": 120, "mem_mb": 4000}},
)
